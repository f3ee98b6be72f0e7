-- Whether a login of this name exists in the cluster.
-- reads: pg_roles; writes: nothing.
SELECT 1 FROM pg_roles WHERE rolname = %s
