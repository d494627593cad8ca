"""Refusals as HTTP: 422 for broken rules (the engine's problem shape), 404 unknown, 409 state conflicts,
401/403 authentication and authorization, 429 throttled logins."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from arrears.api.schemas import ErrorPublic
from arrears.domain.errors import Conflict, NotFound, Problem, ValidationFailed, clip
from arrears.services.config import ConfirmationRequired, InUse, WorkInUse
from arrears.services.run import RunRefused
from arrears.services.security import LoginRefused, LoginThrottled

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": description}
    for status, description in (
        (400, "The body could not be read (not JSON, or not UTF-8)"),
        (401, "Not authenticated: no token, or an unknown, expired or revoked one"),
        (403, "The user's role or the token's scopes do not allow it"),
        (404, "No such resource (or not within the user's portfolios)"),
        (409, "The state of the resource refuses it"),
        (422, "The request broke a rule: each problem names where, the rule and the value"),
    )
}
"""The error answers every route may give, for the OpenAPI document."""


class Refused(Exception):
    """A refusal with an HTTP status (401, 403) and a sentence."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.detail, self.headers = status, detail, headers
        super().__init__(detail)


def _answer(status: int, detail: str, problems: tuple[Problem, ...] | list[Problem] = (),
            headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    body = {"detail": detail, "problems": [p.as_dict() for p in problems]}
    return JSONResponse(body, status_code=status, headers=headers)


def _location(parts: tuple[Any, ...]) -> str:
    shown = [str(part) for part in parts if part not in ("body",)]
    return ".".join(shown) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Turn every refusal of the use cases and of the request's parsing into its HTTP answer."""

    @app.exception_handler(Conflict)
    async def conflict(_: Request, error: Conflict) -> JSONResponse:
        return _answer(409, "the state of what the request names refuses it", error.problems)

    @app.exception_handler(InUse)
    async def in_use(_: Request, error: InUse) -> JSONResponse:
        return _answer(409, "other configuration uses it", error.problems)

    @app.exception_handler(WorkInUse)
    async def work_in_use(_: Request, error: WorkInUse) -> JSONResponse:
        return _answer(409, "collections work uses it: say where to move that work (move_work_to) or cancel it "
                       "(cancel_work)", error.problems)  # fmt: skip

    @app.exception_handler(ConfirmationRequired)
    async def confirm(_: Request, error: ConfirmationRequired) -> JSONResponse:
        return _answer(409, f"{error}; send it again confirming it",
                       [Problem("confirm", "deletes this", text) for text in error.descriptions])  # fmt: skip

    @app.exception_handler(ValidationFailed)
    async def invalid(_: Request, error: ValidationFailed) -> JSONResponse:
        return _answer(422, "the request broke a rule", error.problems)

    @app.exception_handler(NotFound)
    async def missing(_: Request, error: NotFound) -> JSONResponse:
        return _answer(404, str(error))

    @app.exception_handler(RunRefused)
    async def run_refused(_: Request, error: RunRefused) -> JSONResponse:
        return _answer(409, str(error))

    @app.exception_handler(LoginRefused)
    async def login_refused(_: Request, error: LoginRefused) -> JSONResponse:
        return _answer(401, str(error))

    @app.exception_handler(LoginThrottled)
    async def throttled(_: Request, error: LoginThrottled) -> JSONResponse:
        return _answer(429, str(error), headers={"Retry-After": "30"})

    @app.exception_handler(Refused)
    async def refused(_: Request, error: Refused) -> JSONResponse:
        return _answer(error.status, error.detail, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def unparsable(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [Problem(_location(tuple(e.get("loc", ()))), str(e.get("msg", "is invalid")),
                            clip(str(e.get("input", ""))) if e.get("type") != "missing" else "")
                    for e in error.errors()]  # fmt: skip
        return _answer(422, "the request broke a rule", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return _answer(error.status_code, str(error.detail), headers=getattr(error, "headers", None))
