"""The ASGI application: the JSON API under ``/api/v1``, OpenAPI at ``/docs`` and ``/openapi.json``, the web
pages (:mod:`arrears.web`), the health checks, and what wraps every request (allowed hosts, request id and
access log, idempotency keys, answers given again while the database is unchanged)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio.to_thread import current_default_thread_limiter
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.middleware.trustedhost import TrustedHostMiddleware

from arrears.api.errors import install_error_handlers
from arrears.api.kept import KeptAnswers
from arrears.api.middleware import Idempotency, RequestContext
from arrears.api.routes import accounts, audit, auth, config, jobs, letters, parties, plans, portfolios, runs, work
from arrears.api.schemas import HealthPublic
from arrears.api.settings import API_PREFIX, Settings
from arrears.services.database import Database, open_database
from arrears.services.security import readiness_problem
from arrears.web.app import install_web

VENDOR = "/static/vendor"
"""Where the vendored Swagger UI is served (the web pages' static files, shipped in the package)."""


class ServerRefused(Exception):
    """The server must not start with these settings; the message says why and what to do."""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The application for ``settings`` (default: from the environment) on ``database`` (default: the one the
    settings name, which must be at this Arrears' schema); :class:`ServerRefused` when the settings are unsafe."""
    settings = settings or Settings()
    if problem := settings.startup_problem():
        raise ServerRefused(problem)
    db = database or open_database(settings.database_url, pool_size=settings.request_threads)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the routes and dependencies without async run in this pool of threads (Starlette's), as many at once
        current_default_thread_limiter().total_tokens = settings.request_threads
        jobs.fail_jobs_of_stopped_servers(db)
        if settings.scheduler:  # imported only here: a server without a scheduler never loads it
            from arrears.api.scheduler import start_scheduler

            app.state.scheduler = start_scheduler(db, settings.run_at, settings.outbox_minutes)
        try:
            yield
        finally:
            if app.state.scheduler is not None:
                app.state.scheduler.shutdown(wait=False)
            app.state.jobs.shutdown()

    app = FastAPI(
        title="Arrears API",
        version="1",
        description="The collections engine over HTTP: send `Authorization: Bearer TOKEN` (POST /api/v1/auth/login "
        "gives a session token; POST /api/v1/tokens makes an API token). Writes accept an `Idempotency-Key` header.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings, app.state.db, app.state.runs = settings, db, runs.RunStarter()
    app.state.jobs = jobs.JobRunner()
    app.state.scheduler = None
    install_error_handlers(app)
    for router in (auth.router, accounts.router, parties.router, work.router, runs.router, portfolios.router,
                   config.router, plans.router, letters.router, jobs.router, audit.router):  # fmt: skip
        app.include_router(router, prefix=API_PREFIX)
    install_web(app)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The interactive documentation, Swagger UI from the package's own files (nothing from another server)."""
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Arrears API",
                                   swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{VENDOR}/swagger-ui.css",
                                   swagger_favicon_url=f"{VENDOR}/swagger-ui-favicon-32x32.png",
                                   swagger_ui_parameters={"validatorUrl": None})  # fmt: skip

    @app.get("/healthz", tags=["health"])
    def healthz() -> HealthPublic:
        """The process is up."""
        return HealthPublic(status="ok")

    @app.get("/readyz", tags=["health"], responses={503: {"model": HealthPublic}})
    def readyz() -> JSONResponse:
        """The database is reachable and its schema is this Arrears' one (503 otherwise)."""
        problem = readiness_problem(db)
        body = HealthPublic(status="unavailable" if problem else "ok", detail=problem or "")
        return JSONResponse(body.model_dump(), status_code=503 if problem else 200)

    app.add_middleware(Idempotency, db=db)
    app.add_middleware(KeptAnswers, db=db)
    app.add_middleware(RequestContext)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    return app


def app_from_environment() -> FastAPI:
    """The application as ``arrears serve`` starts it in each worker (settings from the environment)."""
    return create_app()
