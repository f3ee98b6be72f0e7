-- Bookkeeping for bansos.warehouse.migrate: which numbered files have been applied, with their checksum.
-- reads: nothing; writes: public.schema_migration.
CREATE TABLE IF NOT EXISTS public.schema_migration (
    version     text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
