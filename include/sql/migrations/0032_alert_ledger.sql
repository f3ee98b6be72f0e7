-- The alert ledger: every alert is recorded before it is sent, with one delivery row per channel, so an
-- alert that no channel took stays pending and a later run sends it to the channels that still owe it.
-- reads: nothing; writes: dq.alert, dq.alert_delivery (new tables).
CREATE TABLE dq.alert (
    alert_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL,
    severity      text NOT NULL,
    province      text NOT NULL,
    periode       text,
    kode_kabkota  text,
    dedup_key     text NOT NULL UNIQUE,
    payload       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dq.alert IS
    'One row per event told to the people on duty (rejection, missed deadline, integrity finding, failed '
    'task or run). dedup_key makes the same event one alert; payload is the alert after the privacy pass '
    '(identifiers masked), ready to be sent again.';

CREATE TABLE dq.alert_delivery (
    alert_id         bigint NOT NULL REFERENCES dq.alert (alert_id) ON DELETE CASCADE,
    channel          text NOT NULL CHECK (channel IN ('email', 'webhook', 'outbox')),
    attempts         integer NOT NULL DEFAULT 0,
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    delivered_to     text,
    last_error       text,
    PRIMARY KEY (alert_id, channel)
);
CREATE INDEX alert_delivery_pending_idx ON dq.alert_delivery (alert_id) WHERE delivered_at IS NULL;
COMMENT ON TABLE dq.alert_delivery IS
    'One row per alert and channel: delivered_at is null while the channel still owes the alert; '
    'last_error (masked) says why the last attempt failed.';
