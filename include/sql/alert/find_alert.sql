-- The id of the alert already recorded for an event (its dedup key).
-- reads: dq.alert; writes: nothing.
SELECT alert_id FROM dq.alert WHERE dedup_key = %(dedup_key)s;
