-- Records the outcome of one validation rule for one submission in one Airflow run (re-runs overwrite).
-- reads: nothing; writes: dq.rule_result.
INSERT INTO dq.rule_result
    (submission_id, run_id, rule, description, severity, success,
     element_count, unexpected_count, unexpected_pct, examples)
VALUES (%(submission_id)s, %(run_id)s, %(rule)s, %(description)s, %(severity)s, %(success)s,
        %(element_count)s, %(unexpected_count)s, %(unexpected_pct)s, %(examples)s::jsonb)
ON CONFLICT (submission_id, run_id, rule) DO UPDATE
SET description = EXCLUDED.description, severity = EXCLUDED.severity, success = EXCLUDED.success,
    element_count = EXCLUDED.element_count, unexpected_count = EXCLUDED.unexpected_count,
    unexpected_pct = EXCLUDED.unexpected_pct, examples = EXCLUDED.examples, checked_at = now();
