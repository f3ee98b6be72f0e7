-- The migrations applied so far, with the checksum of the text each had when it was applied.
-- reads: public.schema_migration; writes: nothing.
SELECT version, checksum FROM public.schema_migration
