"""The ``arrears`` command line (Typer). Each group of commands lives in a module of its own."""

from __future__ import annotations

from arrears.cli import accounts as _accounts  # noqa: F401  (each module registers its commands)
from arrears.cli import compliance as _compliance  # noqa: F401
from arrears.cli import config as _config  # noqa: F401
from arrears.cli import demo as _demo  # noqa: F401
from arrears.cli import exports as _exports  # noqa: F401
from arrears.cli import imports as _imports  # noqa: F401
from arrears.cli import letters as _letters  # noqa: F401
from arrears.cli import outbox as _outbox  # noqa: F401
from arrears.cli import plans as _plans  # noqa: F401
from arrears.cli import promises as _promises  # noqa: F401
from arrears.cli import run as _run  # noqa: F401
from arrears.cli import schemes as _schemes  # noqa: F401
from arrears.cli import serve as _serve  # noqa: F401
from arrears.cli import users as _users  # noqa: F401
from arrears.cli import work as _work  # noqa: F401
from arrears.cli.app import app, main

__all__ = ["app", "main"]
