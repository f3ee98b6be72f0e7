-- Records one attempt to deliver an alert on a channel: delivered (delivered_to set) or failed (last_error set).
-- reads: nothing; writes: dq.alert_delivery (one row).
UPDATE dq.alert_delivery
SET attempts = attempts + 1,
    last_attempt_at = now(),
    delivered_at = CASE WHEN %(delivered_to)s::text IS NOT NULL THEN now() END,
    delivered_to = %(delivered_to)s,
    last_error = %(last_error)s
WHERE alert_id = %(alert_id)s AND channel = %(channel)s;
