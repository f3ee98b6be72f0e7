-- Opens a channel's delivery of an alert (pending until delivered); a channel already open is left as it is.
-- reads: nothing; writes: dq.alert_delivery (at most one row).
INSERT INTO dq.alert_delivery (alert_id, channel)
VALUES (%(alert_id)s, %(channel)s)
ON CONFLICT (alert_id, channel) DO NOTHING;
