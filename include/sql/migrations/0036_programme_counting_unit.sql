-- A programme's counting unit (issue 12: Samarinda's P3KE BLT is planned for 9,000 persons, Pontianak's PKH for
-- 11,314 households), and the marts' figure in that unit. reads: nothing; writes: ref.programme,
-- mart.distribution_summary, mart.distribution_by_region (new columns).
ALTER TABLE ref.programme
    ADD COLUMN counting_unit text NOT NULL DEFAULT 'households'
        CHECK (counting_unit IN ('households', 'persons'));

COMMENT ON COLUMN ref.programme.counting_unit IS
    'What "assisted" counts for the programme: households (distinct No KK) or persons (distinct NIK). A persons '
    'programme may pay several members of one household; its repeat limits apply per NIK only.';

ALTER TABLE mart.distribution_summary
    ADD COLUMN counting_unit text CHECK (counting_unit IN ('households', 'persons')),
    ADD COLUMN recipients    bigint;

ALTER TABLE mart.distribution_by_region
    ADD COLUMN counting_unit text CHECK (counting_unit IN ('households', 'persons')),
    ADD COLUMN recipients    bigint;

COMMENT ON COLUMN mart.distribution_summary.counting_unit IS
    'The programme''s counting unit (ref.programme); NULL on all-programme rows, whose units may differ.';
COMMENT ON COLUMN mart.distribution_summary.recipients IS
    'Assisted in the programme''s counting unit: persons (distinct NIK) or kk_assisted (distinct No KK); NULL on '
    'all-programme rows.';
COMMENT ON COLUMN mart.distribution_by_region.counting_unit IS
    'The programme''s counting unit (ref.programme); NULL on all-programme rows, whose units may differ.';
COMMENT ON COLUMN mart.distribution_by_region.recipients IS
    'Assisted in the programme''s counting unit: persons (distinct NIK) or kk_assisted (distinct No KK); NULL on '
    'all-programme rows.';
