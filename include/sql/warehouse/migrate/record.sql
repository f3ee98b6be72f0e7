-- Records a migration as applied, with the checksum of its text (a later change to it is refused).
-- reads: nothing; writes: public.schema_migration.
INSERT INTO public.schema_migration (version, checksum) VALUES (%s, %s)
