"""``arrears serve``: the web pages and the API on uvicorn."""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated

import typer

from arrears.cli.app import DbOption, app, errors, shown


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="The address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    threads: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Requests each worker process works on at once; the others wait their "
                     "turn (default: ARREARS_REQUEST_THREADS, else 4)."),
    ] = None,
    scheduler: Annotated[
        bool,
        typer.Option("--scheduler", help="Run the daily run (at ARREARS_RUN_AT, default 02:00) and the outbox (every "
                     "ARREARS_OUTBOX_MINUTES, default 5) inside the server."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Serve the web pages (log in at /) and the JSON API under /api/v1 (OpenAPI at /docs), with /healthz and
    /readyz. Settings come from the environment: ARREARS_DATABASE_URL, ARREARS_SECRET_KEY (required unless
    ARREARS_MODE=development), ARREARS_SESSION_LIFETIME_MINUTES, ARREARS_ALLOWED_HOSTS, ARREARS_LETTERS_DIR,
    ARREARS_REQUEST_THREADS. With --scheduler the server also starts the daily run and sends the outbox; several
    servers may: the run's lease runs each date once."""
    import uvicorn
    from pydantic import ValidationError

    from arrears.api.app import ServerRefused, create_app
    from arrears.api.settings import Settings
    from arrears.services.database import DatabaseFault

    if db is not None:
        os.environ["ARREARS_DATABASE_URL"] = db  # every worker process reads its settings from the environment
    if scheduler:
        os.environ["ARREARS_SCHEDULER"] = "true"
    if threads is not None:
        os.environ["ARREARS_REQUEST_THREADS"] = str(threads)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    logging.getLogger("arrears.access").setLevel(logging.INFO)  # one JSON line per request
    logging.getLogger("arrears.scheduler").setLevel(logging.INFO)
    try:
        settings = Settings()
    except ValidationError as invalid:  # a bad ARREARS_* variable: one line each, naming it and the rule
        for problem in invalid.errors():
            name = "ARREARS_" + "_".join(str(part) for part in problem["loc"]).upper()
            errors.print(f"[red]error[/red] {name}: {shown(problem['msg'])} (got {shown(repr(problem['input']))})")
        raise typer.Exit(1) from invalid
    try:
        application = create_app(settings)  # refuses unsafe settings and an unusable database before listening
    except (ServerRefused, DatabaseFault) as refused:
        errors.print(f"[red]error[/red] {shown(refused)}")
        raise typer.Exit(1 if isinstance(refused, ServerRefused) else 3) from refused
    if workers == 1:
        uvicorn.run(application, host=host, port=port, access_log=False, log_level="info")
    else:
        uvicorn.run("arrears.api.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                    access_log=False, log_level="info")  # fmt: skip
