"""Fault: the compose stack's defaults. The pipeline connected to the warehouse as its superuser (so the role
separation of include/sql/warehouse/roles/ never applied), every secret had a well-known default (``${X:-default}``, or
a literal such as ``airflow:airflow``), and internal services were published on every interface.

There is no Docker engine (nor a ``docker compose`` plugin) here, so the file is resolved by
:func:`resolve`, which follows the compose specification's interpolation rules; and the init service's script
is run, as it is written in the file, against the real test PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest
import yaml
from psycopg2 import errors

from bansos.orchestration import steps
from bansos.publish import marts
from bansos.warehouse import roles, server
from tests.conftest import KEY, new_database
from tests.pipeline import land, run_branch

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"

# Every secret the stack needs; none may have a default, in the compose file or in .env.example.
SECRETS = {
    "AIRFLOW_DB_PASSWORD",
    "REDIS_PASSWORD",
    "_AIRFLOW_WWW_USER_PASSWORD",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "FERNET_KEY",
    "BANSOS_PSEUDONYM_KEY",
    "MINIO_ROOT_USER",  # the S3 access key id: half of the credential
    "MINIO_ROOT_PASSWORD",
    "WAREHOUSE_SUPERUSER_PASSWORD",
    "WAREHOUSE_PIPELINE_PASSWORD",
    "WAREHOUSE_OFFICE_PASSWORD",
}
SECRET_LIKE = re.compile(r"PASSWORD|SECRET|KEY|TOKEN|FERNET|CREDENTIAL|PASSPHRASE")
PIPELINE_LOGIN = "bansos_pipeline"
OFFICE_LOGIN = "bansos_office"

# "$$" is a literal "$"; then ${NAME}, ${NAME<op>arg} with op in :- - :? ? :+ +, and $NAME.
_TOKEN = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class MissingVariables(Exception):
    """What ``docker compose`` reports before doing anything: required variables unset or empty."""

    def __init__(self, missing: dict[str, str]):
        self.missing = missing
        names = sorted(missing.items())
        super().__init__("; ".join(f"required variable {n} is missing a value: {m}" for n, m in names))


def _interpolate(value: str, env: dict[str, str], missing: dict[str, str]) -> str:
    """One string, interpolated as the compose specification says; required variables not set go to ``missing``."""

    def repl(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group("name") or m.group("bare")
        op, arg = m.group("op") or "", m.group("arg") or ""
        is_set, value = name in env, env.get(name, "")
        present = is_set and (value != "" or not op.startswith(":"))
        if op.endswith("-"):
            return value if present else arg
        if op.endswith("+"):
            return arg if present else ""
        if op.endswith("?") and not present:
            missing.setdefault(name, arg)
        return value

    return _TOKEN.sub(repl, value)


def resolve(env: dict[str, str]):
    """The compose file with every value interpolated from ``env``; raises :class:`MissingVariables` naming them all."""
    missing: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return _interpolate(node, env, missing) if isinstance(node, str) else node

    resolved = walk(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))
    if missing:
        raise MissingVariables(missing)
    return resolved


def _strings(node, where: str = ""):
    """Every string value of the parsed file, with where it is (x-airflow-common included)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{where}[{i}]")
    elif isinstance(node, str):
        yield where, node


def _references() -> list[tuple[str, re.Match[str]]]:
    doc = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return [(where, m) for where, text in _strings(doc) for m in _TOKEN.finditer(text) if m.group(0) != "$$"]


def _env_example() -> dict[str, str]:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    return dict(ln.split("=", 1) for ln in lines if ln.strip() and not ln.startswith("#"))


def _filled_env() -> dict[str, str]:
    """.env.example with every secret generated, as an operator following its comments would fill it in."""
    return _env_example() | {name: secrets.token_urlsafe(24) for name in SECRETS}


def _airflow_services(doc: dict) -> dict[str, dict]:
    return {n: s for n, s in doc["services"].items() if "AIRFLOW__CORE__EXECUTOR" in (s.get("environment") or {})}


def test_no_secret_has_a_default():
    """Fault: a secret with a well-known default (``${X:-change_me}``, ``airflow:airflow``) runs in production."""
    refs = _references()
    secret_refs = [(w, m) for w, m in refs if SECRET_LIKE.search(m.group("name") or m.group("bare") or "")
                   or (m.group("name") or m.group("bare")) in SECRETS]
    referenced = {m.group("name") or m.group("bare") for _, m in secret_refs}
    not_required = [(w, m.group(0)) for w, m in secret_refs if m.group("op") != ":?" or not m.group("arg")]
    assert not_required == [], "every secret must be ${NAME:?message}: no default, empty refused"
    assert referenced >= SECRETS, f"secrets the stack never asks for: {sorted(SECRETS - referenced)}"

    # No literal secret either: with every variable set, every password-like value comes from one of them.
    env = _filled_env()
    resolved = resolve(env)
    generated = {env[name] for name in SECRETS}
    for name, svc in resolved["services"].items():
        svc_env = svc.get("environment") or {}
        for key, value in svc_env.items():
            if SECRET_LIKE.search(key) and not key.startswith("AIRFLOW_CONN_") and not key.endswith("_URL"):
                assert value in generated, f"{name}: {key} is not one of the required secrets"
            for uri in re.findall(r"[a-z+]+://[^\s\"']+", str(value)):
                parts = urlsplit(uri)
                if parts.password is not None:
                    assert parts.password in generated, f"{name}: {key} carries a literal password"
            if key.startswith("AIRFLOW_CONN_") and str(value).lstrip().startswith("{"):
                conn = json.loads(value)
                for field in ("login", "password"):
                    if conn.get(field):
                        assert conn[field] in generated, f"{name}: {key} {field} is literal"


def test_the_pipeline_connects_as_bansos_pipeline_not_the_superuser():
    """Fault: the warehouse's superuser is the pipeline's login, so include/sql/warehouse/roles/ never applies."""
    doc = resolve(_filled_env())
    warehouse_db = doc["services"]["warehouse-db"]["environment"]
    superuser = warehouse_db["POSTGRES_USER"]
    assert superuser not in (PIPELINE_LOGIN, OFFICE_LOGIN), "the server's superuser must be neither login"

    airflow = _airflow_services(doc)
    assert {"airflow-scheduler", "airflow-worker", "airflow-triggerer", "airflow-dag-processor"} <= set(airflow)
    for name, svc in airflow.items():
        env = svc["environment"]
        urls = [env[k] for k in ("AIRFLOW_CONN_BANSOS_WAREHOUSE", "BANSOS_WAREHOUSE_URL") if k in env]
        assert urls, f"{name} has no warehouse connection"
        for url in urls:
            parts = urlsplit(url)
            assert (parts.username, parts.hostname, parts.path) == (PIPELINE_LOGIN, "warehouse-db", "/bansos"), name
        leaked = [k for k, v in env.items() if warehouse_db["POSTGRES_PASSWORD"] in str(v)]
        assert leaked == [], f"{name} sees the warehouse superuser's password in {leaked}"
        assert svc["depends_on"]["warehouse-init"]["condition"] == "service_completed_successfully", name

    # The superuser's password reaches exactly the server and the one-shot init service.
    holders = {name for name, svc in doc["services"].items()
               if warehouse_db["POSTGRES_PASSWORD"] in json.dumps(svc.get("environment") or {})}
    assert holders == {"warehouse-db", "warehouse-init"}
    init_url = urlsplit(doc["services"]["warehouse-init"]["environment"]["WAREHOUSE_SUPERUSER_URL"])
    assert init_url.username == superuser and init_url.hostname == "warehouse-db"


def test_internal_services_publish_on_localhost_only():
    """Fault: PostgreSQL, MinIO (API and console), Mailpit, Flower and the UI reachable from any machine."""
    doc = resolve(_filled_env())
    published = []
    for name, svc in doc["services"].items():
        for port in svc.get("ports") or []:
            if isinstance(port, dict):
                published.append((name, str(port.get("host_ip", "")), str(port.get("published"))))
            else:
                parts = str(port).split(":")
                published.append((name, parts[0] if len(parts) == 3 else "", parts[-2] if len(parts) > 1 else ""))
    assert {n for n, _, _ in published} >= {"warehouse-db", "minio", "mailpit", "airflow-apiserver", "flower"}
    assert [p for p in published if p[1] != "127.0.0.1"] == [], "published beyond the host"


def test_env_example_lists_every_required_variable_empty():
    """Fault: .env.example ships usable secrets (copied to .env, they become the production secrets)."""
    required = {m.group("name") for _, m in _references() if m.group("op") in (":?", "?")}
    assert required >= SECRETS
    example = _env_example()
    assert sorted(required - set(example)) == [], ".env.example must list every required variable"
    assert {n: example[n] for n in required if example[n].strip()} == {}, "secrets must be empty in .env.example"
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for name in required:
        block = text.split(f"\n{name}=")[0].rsplit("\n\n", 1)[-1]
        assert "Generate:" in block, f".env.example does not say how to generate {name}"


def test_compose_refuses_to_start_without_the_secrets():
    """Fault: ``docker compose up`` in an empty environment starts a stack with known secrets."""
    with pytest.raises(MissingVariables) as empty:
        resolve({})
    assert set(empty.value.missing) == SECRETS, "every secret, and only secrets, must be refused when missing"
    assert all(msg == f"set {name}" for name, msg in empty.value.missing.items())

    env = _filled_env()
    with pytest.raises(MissingVariables) as blank:
        resolve(env | {"FERNET_KEY": ""})  # set but empty, as in a copied .env.example
    assert set(blank.value.missing) == {"FERNET_KEY"}

    resolved = resolve(env)
    url = urlsplit(resolved["x-airflow-common"]["environment"]["AIRFLOW_CONN_BANSOS_WAREHOUSE"])
    assert (url.username, url.password) == (PIPELINE_LOGIN, env["WAREHOUSE_PIPELINE_PASSWORD"])


# ----------------------------------------------------------------------------- the init service, for real


def _as_login(dsn: str, login: str, password: str) -> str:
    parts = urlsplit(dsn)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(login)}:{quote(password)}@{host}"))


def _query(dsn: str, statement: str, params=None) -> list[tuple]:
    with closing(psycopg2.connect(dsn)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()


def _run_init(superuser_dsn: str, pipeline_password: str, office_password: str) -> str:
    """Run warehouse-init's command, as written in docker-compose.yaml, with the project's src/ on the path."""
    svc = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["warehouse-init"]
    assert svc["entrypoint"] == "python" and svc["command"][0] == "-c"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BANSOS_", "WAREHOUSE_"))}
    env |= {"PYTHONPATH": str(ROOT / "src"), "WAREHOUSE_SUPERUSER_URL": superuser_dsn,
            "WAREHOUSE_PIPELINE_PASSWORD": pipeline_password, "WAREHOUSE_OFFICE_PASSWORD": office_password}
    done = subprocess.run([sys.executable, *svc["command"]], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert pipeline_password not in done.stdout + done.stderr and office_password not in done.stdout + done.stderr
    return done.stdout


def test_init_service_makes_the_pipeline_and_office_logins(pg_base, kepri2022, tmp_path, monkeypatch, caplog):
    """Fault: the stack's pipeline runs with superuser rights; after warehouse-init it runs as bansos_pipeline,
    a plain login that owns the warehouse, and the office reads the marts only; running it twice changes nothing."""
    superuser_dsn = new_database(pg_base, "compose")
    pipeline_password, office_password = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    out = _run_init(superuser_dsn, pipeline_password, office_password)
    assert "logins ready" in out
    assert "logins ready" in _run_init(superuser_dsn, pipeline_password, office_password), "idempotent"

    pipeline_dsn = _as_login(superuser_dsn, PIPELINE_LOGIN, pipeline_password)
    office_dsn = _as_login(superuser_dsn, OFFICE_LOGIN, office_password)
    assert _query(pipeline_dsn, "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                                "WHERE rolname = current_user") == [(PIPELINE_LOGIN, False, False, False)]
    assert _query(pipeline_dsn, "SELECT pg_get_userbyid(datdba) FROM pg_database "
                                "WHERE datname = current_database()") == [(PIPELINE_LOGIN,)]
    stored = _query(superuser_dsn, "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY (%s)",
                    ([PIPELINE_LOGIN, OFFICE_LOGIN],))
    assert len(stored) == 2 and all(pw.startswith("SCRAM-SHA-256$") for _, pw in stored), "stored as verifiers"

    # The pipeline, as bansos_pipeline, prepares the warehouse without a warning and loads a month.
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", pipeline_dsn)
    monkeypatch.setenv("BANSOS_DATA_ROOT", tmp_path.as_uri())
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", KEY.decode())
    caplog.clear()
    prepared = steps.prepare_warehouse("21")
    assert prepared["migrations"] == [], "warehouse-init applied them all"
    assert prepared["roles"] == {roles.PIPELINE_ROLE: True, roles.READER_ROLE: True}
    # (test servers run with smaller buffers than include/config/postgresql/warehouse.conf: prepare names them)
    assert [m for r in caplog.records if r.levelname == "WARNING" and "warehouse.conf" not in (m := r.getMessage())
            ] == []
    with psycopg2.connect(superuser_dsn) as conn, conn.cursor() as cur:
        below = [name for name, _, _ in server.settings_below(cur)]
    assert prepared["settings_below"] == below, "the pipeline's login reads the settings as the superuser does"
    land(tmp_path, kepri2022, "2022-01", "21.05")
    assert run_branch("2022-01", "21.05")["action"] == "loaded"
    marts.refresh_all(pipeline_dsn, "21", 2022)
    assert _query(pipeline_dsn, "SELECT count(*) FROM pg_tables WHERE schemaname IN ('core', 'mart', 'raw', 'dq', "
                                "'ref') AND tableowner <> %s", (PIPELINE_LOGIN,)) == [(0,)]

    # The office reads the marts, and nothing else.
    assert _query(office_dsn, "SELECT count(*) > 0 FROM mart.distribution_by_region WHERE tahun = 2022") == [(True,)]
    for table in ("core.person", "core.household", "raw.submission"):
        with pytest.raises(errors.InsufficientPrivilege):
            _query(office_dsn, f"SELECT 1 FROM {table} LIMIT 1")
