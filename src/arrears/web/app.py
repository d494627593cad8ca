"""The web pages on the server's application: their routes, the static files shipped in the package, and what
a page shows when it needs a login or cannot be shown."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from arrears.web.pages import HERE, render
from arrears.web.routes import (
    accounts,
    admin,
    admin_compliance,
    admin_config,
    admin_guarantor,
    admin_letters,
    admin_milestones,
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
                   admin_guarantor.router, admin_letters.router, admin_people.router, admin_milestones.router,
                   admin_compliance.router, admin_plans.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def login_required(_: Request, needed: LoginRequired) -> Response:
        return RedirectResponse(login_path(needed.next_path), status_code=303)

    @app.exception_handler(PageRefused)
    async def refused(request: Request, error: PageRefused) -> Response:
        return render(request, "error.html", {"status": error.status, "detail": error.detail},
                      viewer=optional_viewer(request), status=error.status)  # fmt: skip

    api_unparsable = app.exception_handlers.get(RequestValidationError)

    @app.exception_handler(RequestValidationError)
    async def unparsable(request: Request, error: RequestValidationError) -> Response:
        """A page asked with a parameter it cannot read (``/worklist?on=notadate``): a page naming each parameter
        and its rule; the API keeps its JSON answer."""
        if api_unparsable is not None and not _is_page(request):
            return await api_unparsable(request, error)
        problems = [(".".join(str(part) for part in e.get("loc", ())[1:]) or "request", str(e.get("msg", "is invalid")),
                     "" if e.get("type") == "missing" else str(e.get("input", ""))[:100]) for e in error.errors()]
        detail = "The page cannot be shown: a parameter of its address breaks a rule."
        return render(request, "error.html", {"status": 422, "detail": detail, "problems": problems},
                      viewer=optional_viewer(request), status=422)  # fmt: skip


def _is_page(request: Request) -> bool:
    """True when the request was routed to a web page (the API's routes answer in JSON)."""
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    return str(getattr(endpoint, "__module__", "")).startswith(f"{__package__}.")
