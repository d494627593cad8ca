"""The web pages on the server's application: their routes, the static files shipped in the package, and what
a page shows when it needs a login or cannot be shown."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from arrears.web.pages import HERE, render
from arrears.web.routes import (
    accounts,
    admin,
    admin_config,
    admin_guarantor,
    admin_letters,
    admin_people,
    admin_plans,
    auth,
    manage,
    work,
)
from arrears.web.session import LoginRequired, PageRefused, login_path, optional_viewer


def install_web(app: FastAPI) -> None:
    """Serve the pages and their static files (``/static``) from ``app``, beside the API."""
    for router in (auth.router, work.router, accounts.router, manage.router, admin.router, admin_config.router,
                   admin_guarantor.router, admin_letters.router, admin_people.router,
                   admin_plans.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def login_required(_: Request, needed: LoginRequired) -> Response:
        return RedirectResponse(login_path(needed.next_path), status_code=303)

    @app.exception_handler(PageRefused)
    async def refused(request: Request, error: PageRefused) -> Response:
        return render(request, "error.html", {"status": error.status, "detail": error.detail},
                      viewer=optional_viewer(request), status=error.status)  # fmt: skip
