-- What is derived from the reference tables, brought up to date after a reload (reference.sync, in the
-- reload's transaction: a stage sees the old list or the new one, never neither).
-- reads: ref.region, ref.region_history; writes: ref.kecamatan_digits.
REFRESH MATERIALIZED VIEW ref.kecamatan_digits;
