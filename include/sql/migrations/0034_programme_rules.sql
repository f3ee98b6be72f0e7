-- The catalogue's rules across months and on the target group (issue 11), and the indexes the rules across
-- months look a file's households and persons up with. reads: nothing; writes: ref.programme (new columns),
-- core.distribution (two indexes).
ALTER TABLE ref.programme
    ADD COLUMN max_per_year_severity     text NOT NULL DEFAULT 'error'
        CHECK (max_per_year_severity IN ('error', 'warning')),
    ADD COLUMN max_per_lifetime          integer CHECK (max_per_lifetime > 0),
    ADD COLUMN max_per_lifetime_severity text NOT NULL DEFAULT 'error'
        CHECK (max_per_lifetime_severity IN ('error', 'warning')),
    ADD COLUMN desil_max                 smallint CHECK (desil_max BETWEEN 1 AND 10),
    ADD COLUMN desil_required            boolean NOT NULL DEFAULT false,
    ADD COLUMN desil_severity            text NOT NULL DEFAULT 'error'
        CHECK (desil_severity IN ('error', 'warning'));

COMMENT ON COLUMN ref.programme.max_per_year IS
    'Distributions one household (No KK), and one person (NIK), may receive in a calendar year, over every '
    'kab/kota of the province.';
COMMENT ON COLUMN ref.programme.max_per_year_severity IS
    'error: a file exceeding max_per_year is rejected; warning: it is merged and the excess alerted.';
COMMENT ON COLUMN ref.programme.max_per_lifetime IS
    'Distributions one household, and one person, may ever receive (UEP, KUBE: one business start); NULL: no limit.';
COMMENT ON COLUMN ref.programme.max_per_lifetime_severity IS
    'error or warning, as max_per_year_severity, for max_per_lifetime.';
COMMENT ON COLUMN ref.programme.desil_max IS
    'The poorest desil (1-10) the programme targets up to (BLT kemiskinan ekstrem: 1); NULL: any desil.';
COMMENT ON COLUMN ref.programme.desil_required IS
    'Every row of the programme must give the household''s desil.';
COMMENT ON COLUMN ref.programme.desil_severity IS
    'error or warning, for desil_max and desil_required.';

-- The rules across months aggregate a file's distinct (kk_hash | nik_hash, kode_program) and probe these
-- (include/sql/stage/build_checked.sql): never a scan of every month of every kab/kota per file.
CREATE INDEX distribution_kk_programme_idx ON core.distribution (kk_hash, kode_program);
CREATE INDEX distribution_nik_programme_idx ON core.distribution (nik_hash, kode_program);
