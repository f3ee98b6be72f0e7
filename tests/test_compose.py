"""Static checks of docker-compose.yaml, Dockerfile and .env.example.

There is no Docker engine where the tests run, so the stack itself cannot be started.
These tests catch the mistakes that would otherwise only show up on a server: a
compose file that Docker rejects, an Airflow container without the shared JWT secret
or execution API URL (tasks then fail with "Signature verification failed"), a missing
service, an Airflow connection whose JSON does not parse, an image not built from the
project's Dockerfile, and a pseudonymisation key that sneaks into the repository.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
}
REQUIRED_SERVICES = AIRFLOW_SERVICES | {
    "postgres",
    "redis",
    "warehouse-db",
    "minio",
    "minio-init",
    "mailpit",
}
PROJECT_MOUNTS = {"dags", "plugins", "config", "logs"}  # include/ and expectations/ are in the installed package
PSEUDONYM_KEY_REF = "${BANSOS_PSEUDONYM_KEY:?set BANSOS_PSEUDONYM_KEY}"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}; "$$" is a literal "$".
_INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _common() -> dict:
    return _compose()["x-airflow-common"]


def _services_using_common() -> dict[str, dict]:
    """Services that merged the x-airflow-common block (same build, image and volumes).

    warehouse-init runs the same image but not Airflow, and mounts nothing: the package is in the image.
    """
    doc = _compose()
    common = doc["x-airflow-common"]
    return {
        name: svc
        for name, svc in doc["services"].items()
        if svc.get("build") == common["build"]
        and svc.get("image") == common["image"]
        and svc.get("volumes") == common["volumes"]
    }


def _interpolate(value: str) -> str:
    """Resolve compose interpolation with defaults; required variables get a dummy value."""

    def repl(m: re.Match[str]) -> str:
        op = m.group("op") or ""
        if op.endswith("-"):
            return m.group("arg")
        return f"dummy-{m.group('name').lower()}"

    return _INTERPOLATION.sub(repl, value).replace("$$", "$")


def test_compose_file_matches_compose_spec() -> None:
    exe = Path(sys.executable).parent / "check-jsonschema"
    assert exe.exists(), f"check-jsonschema not found next to {sys.executable}"
    result = subprocess.run(
        [str(exe), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        f"compose schema check failed:\n{result.stdout}\n{result.stderr}"
    )


def test_all_services_present() -> None:
    services = set(_compose()["services"])
    missing = REQUIRED_SERVICES - services
    assert not missing, f"services missing from docker-compose.yaml: {sorted(missing)}"
    assert set(_services_using_common()) >= AIRFLOW_SERVICES, (
        "every Airflow service must merge x-airflow-common"
    )


def test_airflow_containers_share_jwt_secret_and_execution_api() -> None:
    common_env = _common()["environment"]
    secret = common_env["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert secret.startswith("${AIRFLOW__API_AUTH__JWT_SECRET:?"), (
        "JWT secret must come from the environment, with no default"
    )
    url = common_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
    assert url == "http://airflow-apiserver:8080/execution/"
    assert common_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert common_env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("FabAuthManager")

    users = _services_using_common()
    for name, svc in users.items():
        env = svc.get("environment")
        assert isinstance(env, dict), (
            f"{name}: environment must be a mapping merged from *airflow-common-env"
        )
        assert env.get("AIRFLOW__API_AUTH__JWT_SECRET") == secret, (
            f"{name}: JWT secret differs from the common one"
        )
        assert env.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL") == url, (
            f"{name}: execution API URL differs"
        )
    # The URL must point at the service that actually runs the api-server.
    assert users["airflow-apiserver"]["command"] == "api-server"


def test_apiserver_healthcheck_and_worker_order() -> None:
    services = _compose()["services"]
    test_cmd = services["airflow-apiserver"]["healthcheck"]["test"]
    assert "http://localhost:8080/api/v2/monitor/health" in test_cmd
    worker_deps = services["airflow-worker"]["depends_on"]
    assert worker_deps["airflow-apiserver"]["condition"] == "service_healthy"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        deps = services[name]["depends_on"]
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", (
            name
        )


def test_project_directories_and_settings() -> None:
    common = _common()
    mounts = {_interpolate(v).split(":")[1] for v in common["volumes"]}
    expected = {f"/opt/airflow/{d}" for d in PROJECT_MOUNTS}
    assert expected <= mounts, f"missing mounts: {sorted(expected - mounts)}"
    env = common["environment"]
    assert "PYTHONPATH" not in env, "the domain package is installed in the image, not put on the path"
    assert not mounts & {"/opt/airflow/include", "/opt/airflow/expectations"}, "package data, not mounts"
    assert env["BANSOS_PROJECT_ROOT"] == "/opt/airflow"
    assert env["BANSOS_PROVINCE"] == "21"
    assert env["BANSOS_DATA_ROOT"] == "s3://bansos"
    assert env["BANSOS_AWS_CONN_ID"] == "bansos_s3"
    assert env["BANSOS_WAREHOUSE_CONN_ID"] == "bansos_warehouse"


def test_connections_parse_and_point_at_services() -> None:
    env = _common()["environment"]
    services = set(_compose()["services"])

    warehouse = _interpolate(env["AIRFLOW_CONN_BANSOS_WAREHOUSE"])
    assert re.fullmatch(
        r"postgresql://bansos_pipeline:[^@/]+@warehouse-db:5432/bansos", warehouse
    ), warehouse

    s3 = json.loads(_interpolate(env["AIRFLOW_CONN_BANSOS_S3"]))
    assert s3["conn_type"] == "aws"
    assert s3["login"] and s3["password"]
    assert s3["extra"] == {
        "endpoint_url": "http://minio:9000",
        "region_name": "us-east-1",
    }

    smtp = json.loads(_interpolate(env["AIRFLOW_CONN_SMTP_DEFAULT"]))
    assert (smtp["conn_type"], smtp["host"], smtp["port"]) == ("smtp", "mailpit", 1025)
    # Real booleans: the SmtpHook uses bool(extra["disable_tls"]), so the string "false" would be truthy.
    assert smtp["extra"]["disable_tls"] is True
    assert smtp["extra"]["disable_ssl"] is True

    key = json.loads(_interpolate(env["AIRFLOW_CONN_BANSOS_PSEUDONYM_KEY"]))
    assert key["conn_type"] == "generic"
    assert key["password"] == "dummy-bansos_pseudonym_key"

    assert {"warehouse-db", "minio", "mailpit"} <= services


def test_minio_init_creates_versioned_bucket() -> None:
    svc = _compose()["services"]["minio-init"]
    script = (
        "\n".join(svc["command"])
        if isinstance(svc["command"], list)
        else svc["command"]
    )
    assert "mc mb --ignore-existing bansos/bansos" in script
    assert "mc version enable bansos/bansos" in script
    assert svc["depends_on"]["minio"]["condition"] == "service_healthy"


def test_common_block_builds_from_dockerfile() -> None:
    common = _common()
    assert common["build"] in (
        ".",
        {"context": "."},
        {"context": ".", "dockerfile": "Dockerfile"},
    )
    assert common["image"] == "${AIRFLOW_IMAGE_NAME:-bansos-airflow:3.3.2}"
    assert DOCKERFILE.is_file()


def test_dockerfile_extends_official_image_with_requirements() -> None:
    lines = [ln.strip() for ln in DOCKERFILE.read_text(encoding="utf-8").splitlines()]
    instructions = [ln for ln in lines if ln and not ln.startswith("#")]
    froms = [ln.split()[1] for ln in instructions if ln.upper().startswith("FROM ")]
    assert froms, "Dockerfile has no FROM"
    assert froms[-1].startswith("apache/airflow:3.3.2"), froms
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    assert re.search(r"^COPY\b.*\brequirements\.txt\b", text, re.MULTILINE), (
        "requirements.txt is not copied"
    )
    assert re.search(
        r"^RUN\s+pip install\b.*--no-cache-dir\b.*-r\s+\S*requirements\.txt",
        text,
        re.MULTILINE,
    ), "requirements.txt is not pip-installed"
    users = [ln.split()[1] for ln in instructions if ln.upper().startswith("USER ")]
    assert not users or users[-1] == "airflow", "pip must run as the airflow user"


def test_no_literal_pseudonym_key() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    env = _common()["environment"]
    assert "BANSOS_PSEUDONYM_KEY" not in env, (
        "the key must only reach Airflow through its connection"
    )
    conn = json.loads(env["AIRFLOW_CONN_BANSOS_PSEUDONYM_KEY"])
    assert conn["password"] == PSEUDONYM_KEY_REF
    # Every reference to the variable in the compose file is the required (:?) form, without a default.
    refs = [
        m
        for m in _INTERPOLATION.finditer(text)
        if m.group("name") == "BANSOS_PSEUDONYM_KEY"
    ]
    assert refs, "BANSOS_PSEUDONYM_KEY is never referenced"
    assert all(m.group(0) == PSEUDONYM_KEY_REF for m in refs), [
        m.group(0) for m in refs
    ]
    for name, svc in _compose()["services"].items():
        svc_env = svc.get("environment") or {}
        if isinstance(svc_env, list):
            svc_env = dict(item.split("=", 1) for item in svc_env)
        assert "BANSOS_PSEUDONYM_KEY" not in svc_env, (
            f"{name} sets BANSOS_PSEUDONYM_KEY directly"
        )
    # The example env file documents the variable but leaves it empty.
    example = dict(
        ln.split("=", 1)
        for ln in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if ln and not ln.startswith("#")
    )
    assert "BANSOS_PSEUDONYM_KEY" in example
    assert example["BANSOS_PSEUDONYM_KEY"].strip() == "", (
        ".env.example must not carry a pseudonym key"
    )
    assert "BANSOS_PSEUDONYM_KEY" not in DOCKERFILE.read_text(encoding="utf-8")


def test_celery_executor_with_its_broker_and_worker() -> None:
    """The tests' distributed configuration: CeleryExecutor, a Redis broker service, a worker service."""
    services = _compose()["services"]
    env = _common()["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    broker = _interpolate(env["AIRFLOW__CELERY__BROKER_URL"])
    assert re.fullmatch(r"redis://:[^@]+@redis:6379/\d+", broker), broker
    assert services["redis"]["image"].startswith("redis:")
    assert "--requirepass" in services["redis"]["command"]
    assert services["airflow-worker"]["command"] == "celery worker"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy", name
    # the result backend is the metadata database (not a disk the components would have to share)
    assert _interpolate(env["AIRFLOW__CELERY__RESULT_BACKEND"]).startswith("db+postgresql://airflow:")


def test_every_airflow_component_has_one_jwt_secret_and_one_log_signing_key() -> None:
    """One source each: a worker that signs with another secret fails its tasks; a log server that checks
    another key answers the api-server 403, and the UI shows no log of a task run on a worker."""
    common = _common()["environment"]
    sources = {
        "AIRFLOW__API_AUTH__JWT_SECRET": "${AIRFLOW__API_AUTH__JWT_SECRET:?set AIRFLOW__API_AUTH__JWT_SECRET}",
        "AIRFLOW__API__SECRET_KEY": "${AIRFLOW__API__SECRET_KEY:?set AIRFLOW__API__SECRET_KEY}",
    }
    text = COMPOSE.read_text(encoding="utf-8")
    for variable, source in sources.items():
        assert common[variable] == source
        refs = {m.group(0) for m in _INTERPOLATION.finditer(text) if m.group("name") == variable}
        assert refs == {source}, f"{variable} comes from more than one source: {refs}"
        for name, svc in _services_using_common().items():
            assert svc["environment"][variable] == source, name


def test_alert_mail_goes_to_mailpit() -> None:
    services = _compose()["services"]
    env = _common()["environment"]
    smtp = json.loads(_interpolate(env["AIRFLOW_CONN_SMTP_DEFAULT"]))
    assert (smtp["host"], smtp["port"]) == ("mailpit", 1025)
    assert 1025 in services["mailpit"]["expose"] or "1025" in services["mailpit"]["expose"]
    assert services["mailpit"]["image"].startswith("axllent/mailpit:")
    # recipients: without any, an alert would fall back to the outbox and never reach Mailpit
    assert "@" in _interpolate(env["BANSOS_ALERT_EMAIL_TO"])
    assert env["AIRFLOW__SMTP__SMTP_HOST"] == "mailpit"
    assert _common()["depends_on"]["mailpit"]["condition"] == "service_started"


def test_minio_init_versions_the_bucket_before_airflow_starts() -> None:
    svc = _compose()["services"]["minio-init"]
    script = "\n".join(svc["command"]) if isinstance(svc["command"], list) else svc["command"]
    lines = [ln.strip() for ln in script.splitlines()]
    assert lines.index("mc mb --ignore-existing bansos/bansos") < lines.index("mc version enable bansos/bansos")
    assert "set -eu" in lines, "a failed mc command must fail the service, and so hold Airflow back"
    assert _common()["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert _common()["environment"]["BANSOS_DATA_ROOT"] == "s3://bansos"


def test_warehouse_init_applies_schema_and_roles_before_airflow_starts() -> None:
    svc = _compose()["services"]["warehouse-init"]
    script = "\n".join(svc["command"]) if isinstance(svc["command"], list) else svc["command"]
    assert "warehouse.migrate(dsn)" in script, "the schema: include/sql/migrations/"
    assert "roles.ensure_roles(dsn)" in script, "the roles: include/sql/warehouse/roles/"
    assert 'sqlfiles.read("warehouse/roles/pipeline_login.sql")' in script
    assert "roles.create_login(dsn, \"bansos_office\"" in script
    assert svc["depends_on"]["warehouse-db"]["condition"] == "service_healthy"
    assert _common()["depends_on"]["warehouse-init"]["condition"] == "service_completed_successfully"


def test_warehouse_db_is_a_server_the_migrations_accept_with_the_warehouse_settings() -> None:
    """The warehouse's server in compose is the version the migrations need, keeps its data where that
    version's image puts it, and runs with include/config/postgresql/warehouse.conf."""
    from bansos.warehouse import server

    svc = _compose()["services"]["warehouse-db"]
    image, _, tag = svc["image"].partition(":")
    assert image == "postgres"
    major = int(re.match(r"\d+", tag).group())
    assert major * 10000 >= server.MIN_SERVER_VERSION, f"{svc['image']}: the migrations need a newer server"
    # 18+ images: PGDATA is /var/lib/postgresql/<major>/docker, a volume at .../data stops the container
    mounts = [_interpolate(v).split(":")[1] for v in svc["volumes"]]
    assert mounts == ["/var/lib/postgresql"], mounts
    command = svc["command"]
    assert command[0] == "postgres"
    flags = command[1:]
    assert flags[0::2] == ["-c"] * (len(flags) // 2) and len(flags) % 2 == 0, command
    settings = tuple(tuple(f.split("=", 1)) for f in flags[1::2])
    assert settings == server.recommended_settings()
    size = re.fullmatch(r"(\d+)([kmg]?)b?", str(svc["shm_size"]).lower())
    assert size and int(size.group(1)) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[size.group(2)] >= 2**30
