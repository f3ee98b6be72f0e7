"""The data engineers' status page inside the Airflow UI: wiring only (the page is ``bansos.publish.status``).

An Airflow 3 plugin: a FastAPI app the api-server mounts at ``/bansos-status`` and an ``external_views`` entry
that shows it in the UI's navigation (``url_route``: inside the UI, in a frame). Airflow mounts plugin apps with
``app.mount()`` and does NOT authenticate them, so every route here depends on the api-server's own check:
``requires_access_dag("GET")`` resolves the user from the ``Authorization: Bearer`` header or the UI's ``_token``
cookie through the auth manager (``airflow.api_fastapi.core_api.security.get_user``) and asks it whether that
user may read DAGs. An anonymous request gets 401 (a browser is sent to the login page); a token the auth
manager refuses gets 403.
"""

from __future__ import annotations

from urllib.parse import quote

from airflow.api_fastapi.core_api.security import requires_access_dag
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

URL_PREFIX = "/bansos-status"

app = FastAPI(title="Bansos status", dependencies=[Depends(requires_access_dag(method="GET"))])


@app.exception_handler(HTTPException)
async def _refused(request: Request, exc: HTTPException):
    """A browser without a session goes to the login page and comes back; other clients get the status code."""
    if exc.status_code == 401 and "text/html" in request.headers.get("accept", ""):
        ui = _ui_base(request)
        back = quote(request.url.path)
        return RedirectResponse(f"{ui}/api/v2/auth/login?next={back}", status_code=303)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _ui_base(request: Request) -> str:
    return request.scope.get("root_path", "").removesuffix(URL_PREFIX)


def _links(request: Request):
    from bansos.publish.status import Links

    return Links(ui=_ui_base(request), page=request.scope.get("root_path", "") or URL_PREFIX)


@app.get("/", response_class=HTMLResponse)
def status_page(request: Request, tahun: int | None = Query(None, ge=2000, le=2100)) -> HTMLResponse:
    from bansos.domain.config import PROVINCES_DIR
    from bansos.publish import status
    from bansos.warehouse import runtime

    provinces = sorted(p.name.split("-", 1)[0] for p in PROVINCES_DIR.glob("*.toml"))
    body = status.page(runtime.warehouse_dsn(), provinces, _links(request), tahun)
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


@app.get("/datadocs/{submission_id}")
def datadocs(request: Request, submission_id: int) -> RedirectResponse:
    from bansos.publish import status
    from bansos.warehouse import runtime

    key = status.datadocs_page(runtime.warehouse_dsn(), runtime.store(), submission_id)
    if key is None:
        raise HTTPException(404, f"no Data Docs page for submission {submission_id}")
    return RedirectResponse(f"{_links(request).page}/files/{quote(key.removeprefix('datadocs/'))}", status_code=303)


@app.get("/files/{path:path}")
def datadocs_file(path: str) -> Response:
    """A file of the Data Docs site (pages, and the ``_assets/`` they load by relative paths), from the data root."""
    from bansos.publish import status
    from bansos.warehouse import runtime

    key = status.datadocs_key(path)
    store = runtime.store()
    if key is None or not store.exists(key):
        raise HTTPException(404, "not found")
    with store.open(key) as fh:
        return Response(fh.read(), media_type=status.content_type(key), headers={"Cache-Control": "no-store"})


class BansosStatusPlugin(AirflowPlugin):
    name = "bansos_status"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "Bansos status"}]
    external_views = [
        {
            "name": "Bansos status",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "bansos-status",
        }
    ]
