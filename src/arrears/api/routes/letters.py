"""Letters and the outbox: letters queued and printed, a letter previewed for an account, print batches and
their PDF, the e-mail and SMS outbox and its status."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import FileResponse

from arrears.api import record_schemas as rs
from arrears.api.auth import Configurer, DatabaseDep, Reader, account_in_scope
from arrears.api.errors import ERROR_RESPONSES, Refused
from arrears.api.routes.jobs import job_public, seen
from arrears.api.schemas import AccountId, Page
from arrears.api.settings import API_PREFIX
from arrears.domain.errors import NotFound
from arrears.services.jobs import JobLine
from arrears.services.letter_print import print_or_queue, printed_batches, run_print_job
from arrears.services.letters import preview_letter
from arrears.services.listings import letter_page, outbox_page
from arrears.services.outbox import outbox_summary

router = APIRouter(tags=["letters and outbox"], responses=ERROR_RESPONSES)
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
Filter = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("/letters")
def letters(
    principal: Reader, db: DatabaseDep, status: Filter = None, on: date | None = None, portfolio: Filter = None,
    account: Filter = None, limit: Limit = 50, offset: Offset = 0,
) -> Page[rs.LetterPublic]:  # fmt: skip
    """Letters queued or printed (of a status, a day, a portfolio or an account), within the user's portfolios."""
    found = letter_page(db, status=status, on=on, portfolio=portfolio, account=account,
                        portfolios=principal.portfolios, limit=limit, offset=offset)  # fmt: skip
    return Page[rs.LetterPublic](items=[rs.LetterPublic.model_validate(r) for r in found.rows], total=found.total,
                                 limit=limit, offset=offset)  # fmt: skip


@router.get("/accounts/{external_id}/letter-preview")
def preview(
    external_id: AccountId, principal: Reader, db: DatabaseDep,
    letter: Annotated[str, Query(min_length=1, max_length=100, description="The letter template's code.")],
    as_of: date | None = None,
) -> rs.LetterPreviewPublic:  # fmt: skip
    """A letter template rendered for the account on a day (default today): subject and HTML body."""
    account_in_scope(db, principal, external_id)
    subject, body = preview_letter(db, letter, external_id, as_of or date.today())
    return rs.LetterPreviewPublic(letter=letter, account=external_id, subject=subject, body=body)


def _batch(found: dict[str, Any]) -> rs.LetterBatchPublic:
    return rs.LetterBatchPublic(name=found["name"], day=found["day"], portfolio=found["portfolio"],
                                letters=found["letters"], size_bytes=found["size_bytes"],
                                pdf=f"{API_PREFIX}/letter-batches/{found['name']}/pdf")  # fmt: skip


def _batches(request: Request) -> list[dict[str, Any]]:
    return printed_batches(Path(request.app.state.settings.letters_dir))


@router.post("/letter-batches", status_code=status.HTTP_201_CREATED,
             responses={202: {"model": rs.JobPublic, "description": "A large batch: printed in the background; "
                              "follow the job at the Location given"}})  # fmt: skip
def print_letters(body: rs.LetterBatchCreate, principal: Configurer, db: DatabaseDep, request: Request,
                  response: Response) -> rs.LetterBatchPublic | rs.JobPublic:  # fmt: skip
    """Print the letters queued on a day (default: the latest day with letters), of a portfolio or all (a
    manager: one of theirs), into one PDF for the print shop, and mark them printed. A batch of more than
    ``ARREARS_PRINT_AT_ONCE`` letters is printed in the background: 202 with the job (``GET /jobs/{id}``)."""
    if not seen(principal, body.portfolio):
        raise Refused(403, "a manager prints the letters of one of their portfolios: name it")
    settings, jobs = request.app.state.settings, request.app.state.jobs
    output = Path(settings.letters_dir)
    done = print_or_queue(db, output, day=body.day, portfolio=body.portfolio, printed_on=date.today(),
                          actor=principal.login, at_once_up_to=settings.print_at_once,
                          start=lambda job_id: jobs.submit(run_print_job, db, output, job_id))  # fmt: skip
    if isinstance(done, JobLine):
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = f"{API_PREFIX}/jobs/{done.id}"
        return job_public(done)
    return _batch(next(b for b in _batches(request) if b["name"] == done.combined.stem))


@router.get("/letter-batches")
def letter_batches(principal: Reader, request: Request) -> list[rs.LetterBatchPublic]:
    """The print batches printed, newest day first (a manager's or a collector's: their portfolios')."""
    return [_batch(b) for b in _batches(request) if seen(principal, b["portfolio"])]


@router.get("/letter-batches/{name}/pdf", response_class=FileResponse,
            responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "The batch's combined PDF"}})  # fmt: skip
def letter_batch_pdf(name: rs.BatchName, principal: Reader, request: Request) -> FileResponse:
    """The combined PDF of a print batch: the cover sheet, then every letter in postal order."""
    found = next((b for b in _batches(request) if b["name"] == name), None)
    if found is None or not seen(principal, found["portfolio"]):
        raise NotFound(f"no letter batch {name!r}")
    return FileResponse(found["path"], media_type="application/pdf", filename=f"{name}.pdf")


@router.get("/outbox")
def outbox(
    principal: Reader, db: DatabaseDep, status: Filter = None, channel: Filter = None, account: Filter = None,
    limit: Limit = 50, offset: Offset = 0,
) -> Page[rs.OutboxMessagePublic]:  # fmt: skip
    """E-mail and SMS messages (of a status, a channel or an account), newest first, within the user's
    portfolios."""
    found = outbox_page(db, status=status, channel=channel, account=account, portfolios=principal.portfolios,
                        limit=limit, offset=offset)  # fmt: skip
    return Page[rs.OutboxMessagePublic](items=[rs.OutboxMessagePublic.model_validate(r) for r in found.rows],
                                        total=found.total, limit=limit, offset=offset)  # fmt: skip


@router.get("/outbox/status")
def outbox_status(principal: Reader, db: DatabaseDep) -> list[rs.OutboxCountPublic]:
    """How many messages per channel and status (every portfolio's: an administrator or an auditor)."""
    if principal.portfolios is not None:
        raise Refused(403, "the outbox of every portfolio is counted for an administrator or an auditor; list "
                      "your portfolios' messages at /outbox")  # fmt: skip
    return [rs.OutboxCountPublic(channel=channel, status=state, count=count)
            for (channel, state), count in sorted(outbox_summary(db).items())]  # fmt: skip
