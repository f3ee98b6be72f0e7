-- Pseudonymises a checked registry file into the warehouse: the NIK's HMAC under the warehouse's key, the
-- reason and its date; keterangan and any other column are left behind. reads: pg_temp.exclusion_load,
-- pg_temp.pseudonym_pads; writes: core.exclusion.
INSERT INTO core.exclusion (file_id, source_line, nik_hash, alasan, tanggal)
SELECT %(file_id)s, l._line + 1, core.hmac_sha256(btrim(l.nik), k.inner_pad, k.outer_pad),
       lower(btrim(l.alasan)), btrim(l.tanggal)::date
FROM pg_temp.exclusion_load AS l CROSS JOIN pg_temp.pseudonym_pads AS k;
