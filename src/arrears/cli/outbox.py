"""``arrears outbox``: send the queued e-mail and SMS, record opt-outs, STOP replies and delivery reports."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Annotated

import typer

from arrears.cli.app import DbOption, app, console, open_db, user_errors
from arrears.cli.tables import show_table, whole

outbox_app = typer.Typer(
    help="The outbox of e-mail and SMS: sending, opt-outs, delivery reports.", no_args_is_help=True
)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("send")
def outbox_send(
    limit: Annotated[int, typer.Option(min=1, help="Send at most this many messages.")] = 1000,
    db: DbOption = None,
) -> None:
    """Move the run's queued e-mail and SMS into the outbox and send what is due (settings: ARREARS_SMTP_* and
    ARREARS_SMS_* in the environment; a channel without settings keeps its messages queued)."""
    from arrears.services.outbox import channels_from_environment, send_outbox

    with user_errors():
        channels = channels_from_environment(os.environ)
        run = send_outbox(open_db(db), channels, datetime.now(UTC), limit=limit)
    console.print(f"{run.moved_in} messages moved into the outbox, {run.fallback_letters} fallback letters queued")
    for outcome, count in sorted(run.outcomes.items()):
        console.print(f"  {outcome}: {count}")
    if not channels:
        console.print("no channel is configured: set ARREARS_SMTP_HOST and/or ARREARS_SMS_URL")


@outbox_app.command("status")
def outbox_status(db: DbOption = None) -> None:
    """How many messages per channel and status."""
    from arrears.services.outbox import outbox_summary

    with user_errors():
        summary = outbox_summary(open_db(db))
    rows = [(channel, status, str(count)) for (channel, status), count in sorted(summary.items())]
    show_table((whole("channel"), whole("status"), whole("messages", right=True)), rows)


@outbox_app.command("opt-out")
def outbox_opt_out(
    account: Annotated[str, typer.Argument(help="Account whose guarantor opts out.")],
    channel: Annotated[str, typer.Option(help="email or sms.")],
    source: Annotated[str, typer.Option(help="Where the request came from.")] = "recorded by a collector",
    db: DbOption = None,
) -> None:
    """Stop a channel for an account's guarantor (an unsubscribe, or a request made by phone or letter)."""
    from arrears.services.outbox import record_opt_out

    with user_errors():
        record_opt_out(open_db(db), account, channel, date.today(), source)
    console.print(f"{channel} stopped for the guarantor of {account}")


@outbox_app.command("reply")
def outbox_reply(
    number: Annotated[str, typer.Argument(help="The phone number the SMS reply came from.")],
    text: Annotated[str, typer.Argument(help="The reply's text.")],
    db: DbOption = None,
) -> None:
    """Record an SMS reply: STOP (or UNSUBSCRIBE, CANCEL, END, QUIT) stops SMS for that number."""
    from arrears.services.outbox import record_sms_reply

    with user_errors():
        parties = record_sms_reply(open_db(db), number, text, date.today())
    console.print(f"SMS stopped for {parties} part{'y' if parties == 1 else 'ies'}" if parties else "not an opt-out")


@outbox_app.command("delivery")
def outbox_delivery(
    provider_id: Annotated[str, typer.Argument(help="The provider's message id.")],
    status: Annotated[str, typer.Option(help="delivered or bounced.")],
    detail: Annotated[str, typer.Option(help="The provider's reason.")] = "",
    db: DbOption = None,
) -> None:
    """Record a provider's delivery report; a bounce stops the channel for the party."""
    from arrears.services.outbox import record_delivery

    with user_errors():
        record_delivery(open_db(db), provider_id, status, date.today(), detail)
    console.print(f"{provider_id}: {status}")
