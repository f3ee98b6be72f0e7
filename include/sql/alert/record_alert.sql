-- Records an alert once per dedup key; returns its id, or no row when the same event is already recorded.
-- reads: dq.alert (the unique dedup key); writes: dq.alert (at most one row).
INSERT INTO dq.alert (kind, severity, province, periode, kode_kabkota, dedup_key, payload)
VALUES (%(kind)s, %(severity)s, %(province)s, %(periode)s, %(kode_kabkota)s, %(dedup_key)s, %(payload)s::jsonb)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING alert_id;
