"""``arrears users add|passwd|update|deactivate|activate|list|tokens``: who signs in to the API and the web pages,
and their tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from arrears.cli.app import DbOption, JsonOption, UserOption, app, console, open_db, print_json, resolve_user, shown
from arrears.cli.app import user_errors as _user_errors

users_app = typer.Typer(help="Users who sign in to the API (roles, portfolios, passwords, tokens).",
                        no_args_is_help=True)  # fmt: skip
tokens_app = typer.Typer(help="A user's bearer tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
users_app.add_typer(tokens_app, name="tokens")

PasswordOption = Annotated[
    str | None,
    typer.Option("--password", help="The password (default: asked, hidden; ARREARS_PASSWORD in scripts).",
                 envvar="ARREARS_PASSWORD", show_default=False),
]  # fmt: skip


def _password(given: str | None) -> str:
    return given if given is not None else typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add_command(
    login: Annotated[str, typer.Argument(help="A configured user's login or a collector's code.")],
    role: Annotated[str, typer.Option(help="admin, manager, collector or auditor.")],
    portfolio: Annotated[list[str] | None, typer.Option("--portfolio", help="A portfolio a manager or collector "
                                                        "sees (repeat for more).")] = None,
    password: PasswordOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Let a configured user or collector sign in with a role (and, for a manager or a collector, portfolios)."""
    from arrears.services.security import add_user

    with _user_errors():
        line = add_user(open_db(db), login, role, _password(password), portfolio or [], actor=resolve_user(user),
                        now=datetime.now(UTC))  # fmt: skip
    seen = ", ".join(line.portfolios) or "every portfolio"
    console.print(f"{shown(line.login)} may sign in as {line.role} ({shown(seen)})")


@users_app.command("passwd")
def users_passwd_command(
    login: Annotated[str, typer.Argument(help="The login.")],
    password: PasswordOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Change a user's password (it also lifts a lock after failed logins)."""
    from arrears.services.security import set_password

    with _user_errors():
        set_password(open_db(db), login, _password(password), actor=resolve_user(user), now=datetime.now(UTC))
    console.print(f"password of {shown(login)} changed")


@users_app.command("update")
def users_update_command(
    login: Annotated[str, typer.Argument(help="The login.")],
    role: Annotated[str | None, typer.Option(help="admin, manager, collector or auditor (default: kept).")] = None,
    portfolio: Annotated[list[str] | None, typer.Option("--portfolio", help="A portfolio a manager or collector "
                                                        "sees (repeat for more; default: kept).")] = None,
    no_portfolios: Annotated[bool, typer.Option("--no-portfolios", help="See every portfolio (an admin or an "
                                                "auditor).")] = False,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Change a login's role or portfolios."""
    from arrears.services.security import update_user

    portfolios = [] if no_portfolios else portfolio
    with _user_errors():
        line = update_user(open_db(db), login, role=role, portfolios=portfolios, actor=resolve_user(user),
                           now=datetime.now(UTC))  # fmt: skip
    seen = ", ".join(line.portfolios) or "every portfolio"
    console.print(f"{shown(line.login)} signs in as {line.role} ({shown(seen)})")


def _set_active(login: str, active: bool, user: str | None, db: str | None) -> None:
    from arrears.services.security import update_user

    with _user_errors():
        update_user(open_db(db), login, active=active, actor=resolve_user(user), now=datetime.now(UTC))
    console.print(f"{shown(login)} {'activated' if active else 'deactivated'}")


@users_app.command("deactivate")
def users_deactivate_command(
    login: Annotated[str, typer.Argument(help="The login.")], user: UserOption = None, db: DbOption = None
) -> None:
    """Stop a login at once: it cannot sign in, and its tokens and web sessions are revoked."""
    _set_active(login, False, user, db)


@users_app.command("activate")
def users_activate_command(
    login: Annotated[str, typer.Argument(help="The login.")], user: UserOption = None, db: DbOption = None
) -> None:
    """Let a deactivated login sign in again (its revoked tokens stay revoked: it makes new ones)."""
    _set_active(login, True, user, db)


@users_app.command("list")
def users_list_command(json_output: JsonOption = False, db: DbOption = None) -> None:
    """Every login with its role and portfolios."""
    from arrears.services.security import list_users

    with _user_errors():
        lines = list_users(open_db(db))
    if json_output:
        print_json([{"login": u.login, "role": u.role, "portfolios": list(u.portfolios), "active": u.active}
                    for u in lines])  # fmt: skip
        return
    for line in lines:
        console.print(f"{shown(line.login):<20} {line.role:<10} {shown(', '.join(line.portfolios) or 'all')}",
                      highlight=False)  # fmt: skip


@tokens_app.command("create")
def tokens_create_command(
    login: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for (a portal, a dialer …).")],
    scope: Annotated[list[str] | None, typer.Option("--scope", help="read, write or admin (repeat; default: "
                                                    "every scope the role allows).")] = None,
    days: Annotated[int, typer.Option(help="Days it lasts (1-365).")] = 90,
    db: DbOption = None,
) -> None:
    """Make a bearer token and print it (it is shown this once)."""
    from arrears.services.security import create_token

    with _user_errors():
        issued = create_token(open_db(db), login, name, scope, days, now=datetime.now(UTC))
    console.print(f"token {issued.line.id} of {shown(login)} ({', '.join(issued.line.scopes)}), expires "
                  f"{issued.line.expires_at:%Y-%m-%d}:", highlight=False)  # fmt: skip
    typer.echo(issued.secret)


@tokens_app.command("list")
def tokens_list_command(login: Annotated[str, typer.Argument(help="Whose tokens.")], db: DbOption = None) -> None:
    """A user's tokens (never the tokens themselves)."""
    from arrears.services.security import list_tokens

    with _user_errors():
        lines = list_tokens(open_db(db), login)
    for t in lines:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
        console.print(f"{t.id:>6} {t.kind:<8} {shown(t.name):<24} {','.join(t.scopes):<18} {state}", highlight=False)


@tokens_app.command("revoke")
def tokens_revoke_command(
    token: Annotated[int, typer.Argument(help="The token's id.")], user: UserOption = None, db: DbOption = None
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from arrears.services.security import revoke_token

    with _user_errors():
        revoke_token(open_db(db), token, owner=None, actor=resolve_user(user), now=datetime.now(UTC))
    console.print(f"token {token} revoked")
