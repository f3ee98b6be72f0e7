-- One alert's stored (masked) payload and the state of each of its channels.
-- reads: dq.alert, dq.alert_delivery; writes: nothing.
SELECT a.payload, d.channel, d.delivered_at IS NOT NULL AS delivered
FROM dq.alert AS a
JOIN dq.alert_delivery AS d USING (alert_id)
WHERE a.alert_id = %(alert_id)s
ORDER BY d.channel;
