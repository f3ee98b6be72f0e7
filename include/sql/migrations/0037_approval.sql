-- The province's approval of a month (issue 13): every decision on a province-month, append-only, and the state
-- of each kab/kota-month derived from it; the distribution marts' status columns (final / provisional).
-- reads: nothing; writes: core.approval, core.kabkota_month_approval (view), mart.distribution_summary,
-- mart.distribution_by_region (new columns).

-- One row per decision, never updated or deleted (the triggers below refuse it, even for the table's owner).
CREATE TABLE core.approval (
    approval_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    province      text NOT NULL,
    periode       text NOT NULL CHECK (periode ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    decision      text NOT NULL CHECK (decision IN ('approved', 'approved_with_held', 'rejected', 'unlocked')),
    kode_kabkota  text,
    held          text[] NOT NULL DEFAULT '{}',
    reason        text NOT NULL DEFAULT '',
    decided_by    text NOT NULL CHECK (decided_by <> ''),
    decided_at    timestamptz NOT NULL DEFAULT now(),
    batch_ids     bigint[] NOT NULL DEFAULT '{}',
    run_id        text,
    source        text NOT NULL CHECK (source IN ('ui', 'rest', 'cli')),
    CHECK ((decision = 'approved_with_held') = (cardinality(held) > 0)),
    CHECK (decision = 'unlocked' OR kode_kabkota IS NULL),
    CHECK (decision = 'approved' OR btrim(reason) <> '')
);
CREATE INDEX approval_month_idx ON core.approval (province, periode, approval_id);

COMMENT ON TABLE core.approval IS
    'Every decision on a province-month, append-only: approved, approved with kab/kota held back, rejected, or '
    'unlocked (kode_kabkota NULL = every kab/kota). batch_ids are the load batches the decision covered, so a '
    'batch merged later is visibly not covered.';
COMMENT ON COLUMN core.approval.held IS 'Kab/kota codes the approver held back (approved_with_held only).';
COMMENT ON COLUMN core.approval.batch_ids IS
    'The current load batches the decision covered: approved ones (held kab/kota excluded), rejected ones, or '
    'the ones an unlock released.';
COMMENT ON COLUMN core.approval.source IS 'Where the answer came from: ui (Required Actions), rest (REST API v2), cli.';

CREATE FUNCTION core.refuse_approval_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'core.approval is append-only: % refused', tg_op
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'a decision is revised by recording a new one (unlock, then approve again)';
END;
$$;

CREATE TRIGGER approval_no_update_or_delete BEFORE UPDATE OR DELETE ON core.approval
    FOR EACH ROW EXECUTE FUNCTION core.refuse_approval_change();
CREATE TRIGGER approval_no_truncate BEFORE TRUNCATE ON core.approval
    FOR EACH STATEMENT EXECUTE FUNCTION core.refuse_approval_change();

-- The state of each merged kab/kota-month, from the newest decision that concerns it.
CREATE VIEW core.kabkota_month_approval AS
SELECT km.province,
       km.periode,
       km.kode_kabkota,
       km.current_batch_id,
       a.approval_id,
       a.decision,
       a.decided_by,
       a.decided_at,
       CASE WHEN a.decision IN ('approved', 'approved_with_held') AND km.kode_kabkota = ANY (a.held) THEN 'held'
            WHEN a.decision IN ('approved', 'approved_with_held') AND km.current_batch_id = ANY (a.batch_ids)
                 THEN 'final'
            ELSE 'provisional' END                                           AS status,
       coalesce(a.decision IN ('approved', 'approved_with_held')
                AND EXISTS (SELECT 1 FROM core.load_batch AS b
                            WHERE b.batch_id = ANY (a.batch_ids) AND b.kode_kabkota = km.kode_kabkota),
                false)                                                       AS locked,
       (SELECT b.batch_id FROM core.load_batch AS b
        WHERE b.batch_id = ANY (a.batch_ids) AND b.kode_kabkota = km.kode_kabkota
          AND a.decision IN ('approved', 'approved_with_held'))             AS approved_batch_id
FROM core.kabkota_month AS km
LEFT JOIN LATERAL (
    SELECT *
    FROM core.approval AS x
    WHERE x.province = km.province AND x.periode = km.periode
      AND (x.decision <> 'unlocked' OR x.kode_kabkota IS NULL OR x.kode_kabkota = km.kode_kabkota)
    ORDER BY x.approval_id DESC
    LIMIT 1
) AS a ON true;

COMMENT ON VIEW core.kabkota_month_approval IS
    'Per merged kab/kota-month: final (approved, and its current batch is the approved one), held (the approver '
    'held it back), or provisional (not approved, rejected, unlocked, or its batch changed since); locked while '
    'its approved batch stands approved and no unlock followed.';

-- The distribution marts carry the status of the kab/kota-months each row counts.
ALTER TABLE mart.distribution_summary
    ADD COLUMN approval_status          text CHECK (approval_status IN ('final', 'provisional')),
    ADD COLUMN provisional_months       integer,
    ADD COLUMN kk_sum_programmes_final  bigint;

ALTER TABLE mart.distribution_by_region
    ADD COLUMN approval_status          text CHECK (approval_status IN ('final', 'provisional')),
    ADD COLUMN provisional_months       integer,
    ADD COLUMN kk_sum_programmes_final  bigint;

COMMENT ON COLUMN mart.distribution_summary.approval_status IS
    'final when every kab/kota-month the row counts is approved with its current batch; provisional otherwise.';
COMMENT ON COLUMN mart.distribution_summary.provisional_months IS
    'How many kab/kota-months the row counts are not final (provisional or held).';
COMMENT ON COLUMN mart.distribution_summary.kk_sum_programmes_final IS
    'kk_sum_programmes over final kab/kota-months only: the headline figure the province has signed.';
COMMENT ON COLUMN mart.distribution_by_region.approval_status IS
    'final when every kab/kota-month the row counts is approved with its current batch; provisional otherwise.';
COMMENT ON COLUMN mart.distribution_by_region.provisional_months IS
    'How many kab/kota-months the row counts are not final (provisional or held).';
COMMENT ON COLUMN mart.distribution_by_region.kk_sum_programmes_final IS
    'kk_sum_programmes over final kab/kota-months only: the headline figure the province has signed.';
