"""The local stack's settings: the CeleryExecutor's broker, workers that share no folder, and how soon a
worker's slot is free after its task.

The distributed run itself is in tests/e2e/ (the S3 stack); these check, without starting anything,
what each worker is given, so that a setting shared by mistake (a home, a temp or log folder, an
address) shows here, named, rather than as a flaky end-to-end run.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.devstack import airflow


def _env(tmp_path, executor):
    return airflow.environment(
        tmp_path, metadata_uri="postgresql://x@/airflow", port=8080, extra={}, executor=executor
    )


def test_the_local_executor_has_no_broker(tmp_path):
    env = _env(tmp_path, "LocalExecutor")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert not any(k.startswith("AIRFLOW__CELERY__") for k in env if k not in os.environ)


def test_celery_uses_the_stacks_own_broker_and_log_ports(tmp_path):
    env = _env(tmp_path, "CeleryExecutor")
    again = _env(tmp_path, "CeleryExecutor")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    broker = env["AIRFLOW__CELERY__BROKER_URL"]
    assert broker.startswith("redis://127.0.0.1:") and broker == again["AIRFLOW__CELERY__BROKER_URL"]
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith(broker.rsplit("/", 1)[0])
    ports = {env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"], env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"]}
    assert len(ports) == 2 and "8793" not in ports and "8794" not in ports


def test_an_unknown_executor_is_refused(tmp_path):
    with pytest.raises(ValueError, match="CeleryExecutor"):
        _env(tmp_path, "KubernetesExecutor")


def test_two_workers_share_no_folder_and_no_address(tmp_path):
    env = _env(tmp_path, "CeleryExecutor")
    workers = [airflow.worker_environment(tmp_path, env, i) for i in (1, 2)]
    for key in ("AIRFLOW_HOME", "AIRFLOW__LOGGING__BASE_LOG_FOLDER", "TMPDIR"):
        values = [w[key] for w in workers]
        assert len(set(values)) == 2 and env.get(key) not in values, key
        for i, value in enumerate(values, 1):
            assert str(airflow.worker_dir(tmp_path, i)) in value
    # the same broker, secrets and log-server port for all: they are one deployment
    for key in ("AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"):
        assert workers[0][key] == workers[1][key] == env[key], key
    addresses = []
    for i, worker in enumerate(workers, 1):
        module, attr = worker["AIRFLOW__CORE__HOSTNAME_CALLABLE"].rsplit(".", 1)
        site = worker["PYTHONPATH"].split(os.pathsep)[0]
        spec = importlib.util.spec_from_file_location(module, f"{site}/{module}.py")
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        addresses.append(getattr(loaded, attr)())
        assert addresses[-1] == airflow.worker_address(i)
    assert addresses == ["127.0.0.2", "127.0.0.3"]


def test_a_worker_looks_for_its_tasks_end_every_second_here_and_in_compose(tmp_path):
    """Airflow's task supervisor waits up to ``[workers] min_heartbeat_interval`` between looks at its task
    process; when the process closed its sockets just before it could be reaped, the supervisor sleeps that
    whole interval holding the executor slot (a skipped task's end is reported that late). The devstack and
    the compose file both set 1 s, and Airflow's supervisor, started with the devstack's environment, reads
    it under that name: a setting in the wrong section would be ignored without a word."""
    env = _env(tmp_path, "LocalExecutor")
    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yaml").read_text())
    key = "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"
    assert env[key] == str(compose["x-airflow-common"]["environment"][key]) == airflow.WORKER_HEARTBEAT_SECONDS
    read = subprocess.run(
        [sys.executable, "-c", "from airflow.sdk.execution_time import supervisor; "
         "print(supervisor.MIN_HEARTBEAT_INTERVAL)"],
        env=env,
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert read.stdout.split()[-1] == airflow.WORKER_HEARTBEAT_SECONDS
