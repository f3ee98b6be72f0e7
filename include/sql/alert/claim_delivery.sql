-- Locks one pending delivery for this transaction; no row when it is delivered or another process is sending it.
-- reads: dq.alert_delivery; writes: nothing (a row lock held until commit).
SELECT attempts
FROM dq.alert_delivery
WHERE alert_id = %(alert_id)s AND channel = %(channel)s AND delivered_at IS NULL
FOR UPDATE SKIP LOCKED;
