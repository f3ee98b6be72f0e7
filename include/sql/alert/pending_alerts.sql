-- The alerts some channel still owes, oldest first.
-- reads: dq.alert_delivery; writes: nothing.
SELECT DISTINCT alert_id
FROM dq.alert_delivery
WHERE delivered_at IS NULL
ORDER BY alert_id;
