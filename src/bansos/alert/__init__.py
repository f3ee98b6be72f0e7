"""Alerts: tell people when an extract is rejected, missing, a task fails, or data look inconsistent.

Eight kinds (:class:`Alert`): ``rejected`` (an extract failed an error rule and was quarantined),
``warned`` (an extract was accepted and merged with failed warning rules),
``missing`` (the province's deadline day passed with no extract from a kab/kota), ``task_failed``
(a task failed after its retries; :func:`on_task_failure` is its ``on_failure_callback``),
``run_failed`` (a run failed for any reason, a killed task included; :func:`on_run_failure` is the
DAG's ``on_failure_callback``) and ``integrity`` (a warning: the same NIK in one programme in two
kab/kota in a month, one NIK in two households), ``held`` (a valid correction for an approved, locked
kab/kota-month waits for an unlock) and ``approval_overdue`` (a month not approved within the province's
``approval_timeout_hours``; never approved silently). Each names the province, kab/kota and period, the
failed rules with counts and masked examples, and links (Data Docs, Airflow log, quarantine, the file's
correction list). Never a full NIK, No KK, name or birth date: every rendering goes through
:mod:`bansos.alert.redact` last.

Where an alert goes (:func:`send_alert`), each channel independently:

=========  ===============================================  =========================================
channel    used when                                        settings
=========  ===============================================  =========================================
e-mail     Airflow connection ``BANSOS_SMTP_CONN_ID``       host, port, login/password, extras
           (default ``smtp_default``) exists                ``disable_ssl``, ``disable_tls``,
                                                            ``timeout``, ``from_email``, ``to``;
                                                            ``BANSOS_ALERT_EMAIL_TO`` (comma-separated)
                                                            and ``BANSOS_ALERT_FROM`` win over extras
webhook    Airflow connection ``BANSOS_SLACK_CONN_ID``      ``slackwebhook`` connection: host (any
           (default ``slack_webhook_default``) exists       http(s) URL) + password (token), or the
                                                            whole URL in the password
outbox     neither channel exists, or both failed           ``BANSOS_ALERT_OUTBOX`` (folder, file://
                                                            or s3://), default ``<data root>/outbox``
=========  ===============================================  =========================================

The pipeline records every alert in the warehouse before sending it (:mod:`bansos.alert.ledger`:
:func:`record` in the caller's transaction, :func:`deliver`, :func:`notify` for both) and marks each
channel delivered; what a channel could not take is sent again by :func:`retry_pending` in the next
report task. :func:`send_alert` sends once, without a record.

Connections are read with ``airflow.sdk.Connection.get`` (so ``AIRFLOW_CONN_<ID>`` variables work
in tasks, tests and the demo alike); Airflow is imported only when an alert is sent.
"""

from bansos.alert.approval import approval_overdue, overdue
from bansos.alert.build import (
    approval_overdue_alert,
    held_alert,
    integrity_alert,
    missing_alert,
    names,
    rejected_alert,
    task_log_url,
    unlock_command,
    warned_alert,
)
from bansos.alert.callbacks import on_run_failure, on_task_failure, run_failed_alert, task_failed_alert
from bansos.alert.ledger import deliver, notify, record, retry_pending
from bansos.alert.message import Alert
from bansos.alert.send import send_alert

__all__ = ["Alert", "approval_overdue", "approval_overdue_alert", "deliver", "held_alert", "integrity_alert",
           "missing_alert", "names", "notify", "on_run_failure", "on_task_failure", "overdue", "record",
           "rejected_alert", "retry_pending", "run_failed_alert", "send_alert", "task_failed_alert", "task_log_url",
           "unlock_command", "warned_alert"]
