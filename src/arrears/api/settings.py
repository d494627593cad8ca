"""The server's settings, from the environment (``ARREARS_*``) through pydantic-settings."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

API_PREFIX = "/api/v1"
"""Where the JSON API is served."""
DEFAULT_SECRET = "development-only-secret-change-me"
"""The secret key a server outside development mode refuses to start with."""


class Settings(BaseSettings):
    """``ARREARS_DATABASE_URL``, ``ARREARS_SECRET_KEY``, ``ARREARS_SESSION_LIFETIME_MINUTES``,
    ``ARREARS_ALLOWED_HOSTS`` (comma-separated), ``ARREARS_MODE`` (``production`` or ``development``),
    ``ARREARS_LETTERS_DIR``, ``ARREARS_PRINT_AT_ONCE``, ``ARREARS_SCHEDULER``, ``ARREARS_RUN_AT``,
    ``ARREARS_OUTBOX_MINUTES``, ``ARREARS_REQUEST_THREADS``."""

    model_config = SettingsConfigDict(env_prefix="ARREARS_", extra="ignore")

    database_url: str | None = None
    """None: ``sqlite:///arrears.db``."""
    secret_key: str = DEFAULT_SECRET
    """Signs the web pages' session cookies and CSRF tokens."""
    session_lifetime_minutes: int = Field(default=480, ge=5, le=60 * 24 * 30)
    """How long the session token of a login lasts."""
    allowed_hosts: Annotated[list[str], NoDecode] = ["localhost", "127.0.0.1", "::1"]
    """The host names the server answers to (``*`` for any)."""
    mode: Literal["production", "development"] = "production"
    letters_dir: Path = Path("letters")
    """Where print batches are written (``ARREARS_LETTERS_DIR``)."""
    print_at_once: int = Field(default=100, ge=0, le=1_000_000)
    """A print batch of at most this many letters is printed before the answer; a larger one is a background
    job (``ARREARS_PRINT_AT_ONCE``)."""
    scheduler: bool = False
    """Run the daily run and the outbox inside the server (``arrears serve --scheduler``)."""
    run_at: time = time(2, 0)
    """When the scheduled daily run starts, the server's local time (``ARREARS_RUN_AT``, ``HH:MM``)."""
    outbox_minutes: int = Field(default=5, ge=1, le=24 * 60)
    """How often the scheduled outbox sends what is due."""
    request_threads: int = Field(default=4, ge=1, le=64)
    """How many requests each server process works on at once (``ARREARS_REQUEST_THREADS``); the others wait
    their turn in the order they came, and the database pool keeps a connection for each. A few keep the cores
    and the database busy; dozens only take turns with the interpreter lock, and every request takes longer."""

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        return [host.strip() for host in value.split(",") if host.strip()] if isinstance(value, str) else value

    def startup_problem(self) -> str | None:
        """Why the server must not start with these settings (None: it may)."""
        if self.mode != "development" and self.secret_key == DEFAULT_SECRET:
            return ("ARREARS_SECRET_KEY is the default development secret: set a secret of your own (for example "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`), or ARREARS_MODE=development "
                    "on a development machine")  # fmt: skip
        if len(self.secret_key) < 16:
            return "ARREARS_SECRET_KEY must be at least 16 characters"
        return None
