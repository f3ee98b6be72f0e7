-- Which of the pipeline's roles exist in the cluster.
-- reads: pg_roles; writes: nothing.
SELECT rolname FROM pg_roles WHERE rolname = ANY (%s)
