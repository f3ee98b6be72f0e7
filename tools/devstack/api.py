"""A small client of Airflow 3's REST API v2: sign in, wait for a DAG, backfill, watch the runs."""

from __future__ import annotations

import time
from urllib.parse import quote

import requests


def waiting_by_key(details: list[dict], run_ids=None, key=None) -> dict[str, dict]:
    """Of ``hitlDetails`` entries, those whose task waits for an answer (``awaiting_input``), by key: ``key(run
    id)`` (None leaves the entry out), the run id by default; of ``run_ids`` only if given; the first per key."""
    found: dict[str, dict] = {}
    for detail in details:
        run_id = detail["task_instance"]["dag_run_id"]
        name = key(run_id) if key else run_id
        if (detail["task_instance"]["state"] == "awaiting_input" and name is not None
                and (run_ids is None or run_id in run_ids)):
            found.setdefault(name, detail)
    return found


class AirflowAPI:
    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url.rstrip("/")
        self.username, self.password = username, password
        self._token: str | None = None

    def wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                r = requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=5)
                if r.ok:
                    return
                last = r.status_code
            except requests.RequestException as exc:
                last = type(exc).__name__
            time.sleep(1)
        raise TimeoutError(f"Airflow api-server at {self.base_url} not healthy after {timeout}s ({last})")

    def _headers(self) -> dict:
        if self._token is None:
            r = requests.post(
                f"{self.base_url}/auth/token",
                json={"username": self.username, "password": self.password},
                timeout=30,
            )
            r.raise_for_status()
            self._token = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def get(self, path: str, **params) -> dict:
        r = requests.get(f"{self.base_url}/api/v2{path}", headers=self._headers(), params=params, timeout=30)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict) -> dict:
        r = requests.post(f"{self.base_url}/api/v2{path}", headers=self._headers(), json=body, timeout=30)
        if not r.ok:
            raise RuntimeError(f"POST {path}: {r.status_code} {r.text[:500]}")
        return r.json()

    def patch(self, path: str, body: dict) -> dict:
        r = requests.patch(f"{self.base_url}/api/v2{path}", headers=self._headers(), json=body, timeout=30)
        r.raise_for_status()
        return r.json()

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = requests.get(f"{self.base_url}/api/v2/dags/{dag_id}", headers=self._headers(), timeout=30)
            if r.ok:
                return r.json()
            time.sleep(1)
        errors = self.get("/importErrors")
        raise TimeoutError(f"DAG {dag_id} not parsed after {timeout}s; import errors: {errors}")

    def dag_runs(self, dag_id: str) -> list[dict]:
        return self.get(f"/dags/{dag_id}/dagRuns", limit=1000, order_by="logical_date")["dag_runs"]

    def backfill(
        self, dag_id: str, from_date: str, to_date: str, reprocess: str = "none", max_active_runs: int = 3
    ) -> dict:
        return self.post(
            "/backfills",
            {
                "dag_id": dag_id,
                "from_date": from_date,
                "to_date": to_date,
                "reprocess_behavior": reprocess,
                "max_active_runs": max_active_runs,
            },
        )

    def trigger(self, dag_id: str, conf: dict | None = None, run_id: str | None = None) -> dict:
        body = {"logical_date": None, "conf": conf or {}}
        if run_id:
            body["dag_run_id"] = run_id
        return self.post(f"/dags/{dag_id}/dagRuns", body)

    def wait_runs_finished(self, dag_id: str, expected: int, timeout: float, progress=None, poll: float = 1
                           ) -> list[dict]:
        """Wait until ``expected`` runs exist and none is queued or running (a look every ``poll`` seconds)."""
        deadline = time.monotonic() + timeout
        runs: list[dict] = []
        while time.monotonic() < deadline:
            runs = self.dag_runs(dag_id)
            done = [r for r in runs if r["state"] in ("success", "failed")]
            if progress:
                progress(runs)
            if len(runs) >= expected and len(done) == len(runs):
                return runs
            time.sleep(poll)
        raise TimeoutError(
            f"{dag_id}: runs not finished after {timeout}s: "
            + ", ".join(f"{r['dag_run_id']}={r['state']}" for r in runs)
        )

    def hitl_details(self, dag_id: str = "~", dag_run_id: str = "~", **filters) -> list[dict]:
        """Human-in-the-loop requests (``response_received=False`` for the ones still waiting)."""
        filters = {k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items()}
        path = f"/dags/{quote(dag_id, safe='~')}/dagRuns/{quote(dag_run_id, safe='~')}/hitlDetails"
        return self.get(path, limit=1000, **filters)["hitl_details"]

    def answer_hitl(self, dag_id: str, run_id: str, task_id: str, chosen: list[str], params: dict,
                    map_index: int = -1) -> dict:
        """Answer a waiting Human-in-the-loop task (a second answer is refused with 409)."""
        path = (f"/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}/taskInstances/"
                f"{quote(task_id, safe='')}/{map_index}/hitlDetails")
        return self.patch(path, {"chosen_options": chosen, "params_input": params})

    def hitl_waiting(self, dag_id: str, run_ids=None, key=None) -> dict[str, dict]:
        """The requests of ``dag_id`` waiting for an answer now (``awaiting_input``), by key.

        ``run_ids`` keeps those runs only; ``key`` names what a request is for (its run id -> a key, e.g. the
        month of an approval run; None leaves it out), the run id by default; the first listed per key."""
        return waiting_by_key(self.hitl_details(dag_id, response_received=False), run_ids, key)

    def wait_hitl_waiting(self, dag_id: str, expected, timeout: float, run_ids=None, key=None,
                          poll: float = 1) -> dict[str, dict]:
        """Wait until requests of ``dag_id`` wait for an answer: ``expected`` of them (a number), or one for each
        key in ``expected`` (a collection); ``run_ids`` and ``key`` as in :meth:`hitl_waiting`. Returns them by key."""
        deadline = time.monotonic() + timeout
        while True:
            waiting = self.hitl_waiting(dag_id, run_ids=run_ids, key=key)
            if isinstance(expected, int):
                if len(waiting) >= expected:
                    return waiting
                short = f"{len(waiting)} of {expected} requests waiting"
            else:
                if not set(expected) - set(waiting):
                    return waiting
                short = f"no request waiting for {sorted(set(expected) - set(waiting))}"
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id}: {short} after {timeout}s")
            time.sleep(poll)

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> dict:
        """Wait until one run is finished (success or failed); returns it."""
        deadline = time.monotonic() + timeout
        run: dict = {}
        while time.monotonic() < deadline:
            run = self.get(f"/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}")
            if run["state"] in ("success", "failed"):
                return run
            time.sleep(1)
        raise TimeoutError(f"{dag_id} {run_id} still {run.get('state')} after {timeout}s")
