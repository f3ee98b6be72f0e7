-- Hands the key's HMAC pads to this transaction as COPY data, which no statement text, pg_stat_activity or
-- server log carries. reads: the pads on STDIN (binary COPY); writes: pg_temp.pseudonym_pads (dropped at commit).
CREATE TEMP TABLE pseudonym_pads (inner_pad bytea NOT NULL, outer_pad bytea NOT NULL) ON COMMIT DROP;
COPY pg_temp.pseudonym_pads (inner_pad, outer_pad) FROM STDIN WITH (FORMAT binary);
