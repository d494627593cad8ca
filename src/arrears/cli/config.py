"""``arrears config``: the Collections Admin configuration as YAML, its versions, the portfolio table, letters,
audit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from arrears.cli.app import DbOption, JsonOption, app, console, open_db, parse_date, print_json, resolve_user
from arrears.cli.tables import WideOption, extra, show_table, text, whole
from arrears.domain.errors import NotFound, ValidationFailed
from arrears.domain.money import format_cents

if TYPE_CHECKING:
    from arrears.services.config import ApplyResult, EntityChange, RemovalsNeedConfirmation

config_app = typer.Typer(
    help="Collections Admin configuration: export/apply YAML, versions, show, portfolios, assignment type, letters, "
    "audit.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")

VersionOption = Annotated[
    int | None, typer.Option("--version", help="A configuration version (see: arrears config versions).", min=1)
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking (for scripts).")]
"""Confirms every deletion a command would otherwise ask about."""

ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who makes the change, for the audit (default: ARREARS_ACTOR or your login)."),
]


def _actor(name: str | None) -> str:
    return resolve_user(name)


def _error(text: str) -> None:
    typer.echo(f"error: {text}", err=True)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Validation and lookup failures as plain lines on stderr (paths hold brackets) and exit code 1."""
    try:
        yield
    except ValidationFailed as failure:
        for problem in failure.problems:
            _error(str(problem))
        raise typer.Exit(1) from failure
    except NotFound as missing:
        _error(str(missing))
        raise typer.Exit(1) from missing


@config_app.command("export")
def export(
    file: Annotated[Path | None, typer.Argument(help="Write here (default: standard output).")] = None,
    version: VersionOption = None,
    db: DbOption = None,
) -> None:
    """Write the whole configuration (or one version of it) as YAML."""
    from arrears.services.config_versions import export_document

    with _user_errors():
        text = export_document(open_db(db), version)
    if file is None:
        typer.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        console.print(f"configuration written to {escape(str(file))}")


def _print_changes(changes: tuple[EntityChange, ...]) -> None:
    """The changes per entity kind, then every changed value with its before and after."""
    per_kind: dict[str, dict[str, list[str]]] = {}
    for change in changes:
        per_kind.setdefault(change.kind, {"added": [], "changed": [], "removed": []})[change.change].append(change.key)
    rows = [(kind, *(escape(", ".join(per[change])) for change in ("added", "changed", "removed")))
            for kind, per in per_kind.items()]  # fmt: skip
    show_table((whole("entity"), text("added"), text("changed"), text("removed")), rows, title="changes")
    for change in changes:
        for detail in change.details:
            console.print(f"  {escape(str(detail))}")


def _print_diff(result: ApplyResult) -> None:
    if not result.changes:
        console.print("no changes: the configuration is already as the document says")
        return
    _print_changes(result.changes)
    for outcome in result.migrations:
        console.print(f"  work: {escape(str(outcome))}")


def _interactive() -> bool:
    """True when a person at a terminal can answer a question."""
    return sys.stdin.isatty()


def _ask_to_remove(question: RemovalsNeedConfirmation, file: Path, json: bool) -> bool:
    """Ask before removing; refuse without a terminal to ask at (say how to confirm instead)."""
    if json or not _interactive():
        if json:
            asked = list(question.descriptions)
            print_json({**question.preview.as_dict(), "ok": False, "confirmation_required": asked})
        else:
            _print_diff(question.preview)
        count = len(question.descriptions)
        _error(
            f"applying {file} removes {count} entit{'y' if count == 1 else 'ies'} ({'; '.join(question.descriptions)});"
            " nothing was changed. There is no terminal to ask: run again with --yes to apply it"
        )
        return False
    _print_diff(question.preview)
    typer.echo(f"Applying {file} removes:")
    for description in question.descriptions:
        typer.echo(f"  - {description.removeprefix('removed ')}")
    for outcome in question.preview.migrations:
        typer.echo(f"  and its work: {outcome}")
    if typer.confirm("Remove them and apply the document?", default=False):
        return True
    typer.echo("aborted: nothing was changed")
    return False


@config_app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="The YAML (or JSON) document.", exists=True, dir_okay=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and show the changes; write nothing.")] = False,
    yes: YesOption = False,
    actor: ActorOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Validate the document, show the changes and apply them atomically as a new configuration version (or
    report every error). Asks before removing anything the document leaves out (--yes for scripts)."""
    from arrears.services.config import RemovalsNeedConfirmation, apply_document

    database, text, who = open_db(db), file.read_text(encoding="utf-8"), _actor(actor)
    with _user_errors():
        try:
            result = apply_document(database, text, str(file), dry_run=dry_run, actor=who, confirm=yes)
        except RemovalsNeedConfirmation as question:
            if not _ask_to_remove(question, file, json):
                raise typer.Exit(1) from question
            result = apply_document(database, text, str(file), actor=who, confirm=question.removals)
    if json:
        print_json(result.as_dict())
        if not result.ok:
            raise typer.Exit(1)
        return
    if not result.ok:
        for error in result.errors:
            typer.echo(str(error), err=True)
        _error(f"{len(result.errors)} problem(s); nothing was changed")
        raise typer.Exit(1)
    _print_diff(result)
    if result.changes:
        done = (
            "dry run: nothing was written"
            if dry_run
            else f"applied {len(result.changes)} change(s) as configuration version {result.version}"
        )
        console.print(done)


@config_app.command("versions")
def versions_command(wide: WideOption = False, db: DbOption = None, json: JsonOption = False) -> None:
    """The configuration versions, newest first: number, time, actor and what changed."""
    from arrears.services.config_versions import versions

    found = versions(open_db(db))
    if json:
        print_json(
            [
                {"number": v.number, "at": v.created_at.isoformat(), "actor": v.actor, "summary": v.summary}
                for v in found
            ]
        )
        return
    rows = [(str(v.number), v.created_at.isoformat()[:19], escape(v.actor), escape(v.summary)) for v in found]
    show_table((whole("version", right=True), whole("when"), text("actor"), text("summary")), rows,
         title="configuration versions", wide=wide)  # fmt: skip


@config_app.command("diff")
def diff(
    first: Annotated[int, typer.Argument(help="The earlier version.", min=1)],
    second: Annotated[int | None, typer.Argument(help="The later version (default: the configuration now).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """What changed between two configuration versions: every value with its before and after."""
    from arrears.services.config import ApplyResult
    from arrears.services.config_versions import version_diff

    with _user_errors():
        changes = version_diff(open_db(db), first, second)
    if json:
        print_json(ApplyResult(changes=changes).as_dict()["changes"])
        return
    if not changes:
        console.print("no differences")
        return
    _print_changes(changes)


@config_app.command("show")
def show_command(
    version: VersionOption = None, wide: WideOption = False, db: DbOption = None, json: JsonOption = False
) -> None:
    """Summary of the configuration (or of one version): actions, series with their steps and letters, collectors,
    outcome codes."""
    from arrears.services.config_document import action_doc, dump_model, series_doc
    from arrears.services.config_versions import version_strategy
    from arrears.services.stored_strategy import load_strategy

    database = open_db(db)
    with _user_errors():
        strategy = load_strategy(database) if version is None else version_strategy(database, version)
    if json:
        print_json(
            {
                "actions": [dump_model(action_doc(a)) for a in strategy.actions],
                "series": [
                    {**dump_model(series_doc(s)), "letters": list(s.step_letters(strategy.actions))}
                    for s in strategy.series
                ],
                "collectors": [
                    {"code": c.code, "name": c.name, "groups": list(c.groups), "active": c.active}
                    for c in strategy.collectors
                ],
                "groups": [{"code": g.code, "name": g.name} for g in strategy.groups],
                "outcome_codes": [
                    {"code": o.code, "class": o.outcome_class.value, "description": o.description}
                    for o in strategy.compliance.call_outcomes
                ],
            }
        )
        return
    actions = [
        (escape(a.name) + (" (inactive)" if a.inactive else ""), a.collection_type.label, a.kind.value,
         escape(a.collection_letter or ""), escape(a.next_action or ""), str(a.follow_up_days or ""),
         "all" if a.all_portfolios else escape(", ".join(a.portfolios)))
        for a in strategy.actions
    ]  # fmt: skip
    show_table((text("action"), extra("type"), whole("kind"), whole("letter"), text("next action"),
          whole("follow-up days", right=True), extra("portfolios")), actions, title="actions", wide=wide)  # fmt: skip
    series = []
    for s in strategy.series:
        steps = "\n".join(
            f"{n}. {escape(strategy.action_label(step.action))} ({step.days_until_next})"
            for n, step in enumerate(s.steps, start=1)
        )
        final = "external collections" if s.final_action.value == "external_collections" else f"{s.custom_action}"
        series.append((escape(s.name) + (" (inactive)" if s.inactive else ""), s.collection_type.label, steps,
                       escape(final)))  # fmt: skip
    show_table((text("series"), extra("type"), text("steps (days until next)"), text("final action")), series,
         title="action series", wide=wide)  # fmt: skip
    collectors = [(escape(c.code), escape(c.name), escape(", ".join(c.groups)), str(c.user_level),
                   "yes" if c.active else "no") for c in strategy.collectors]  # fmt: skip
    show_table((whole("collector"), text("name"), text("groups"), whole("user level", right=True), whole("active")),
         collectors, title="collectors", wide=wide)  # fmt: skip
    outcomes = [(escape(o.code), o.outcome_class.value.replace("_", " "), escape(o.description))
                for o in strategy.compliance.call_outcomes]  # fmt: skip
    show_table((whole("outcome code"), whole("class"), text("description")), outcomes,
         title="outcome codes (activity complete --outcome)", wide=wide)  # fmt: skip


@config_app.command("portfolios")
def portfolios(wide: WideOption = False, db: DbOption = None, json: JsonOption = False) -> None:
    """The portfolio table of the Guarantor Collections tab: enabled, assignment level, effective rules."""
    from arrears.services.config_rules import portfolio_table

    lines = portfolio_table(open_db(db))
    if json:
        print_json([line.as_dict() for line in lines])
        return
    rows = []
    for line in lines:
        r, a = line.rules, line.assignment
        rows.append((
            escape(f"{line.portfolio} {line.name}"), line.collections_enabled, line.assignment_level,
            f"balance > {format_cents(r.balance_over_cents)}, > {r.days_past_due_over} days past due, no payment "
            f"of {format_cents(r.min_payment_cents)} or {r.min_payment_percent}% in {r.payment_window_days} days",
            escape(f"{a.assignment_type.value}: {len(a.rules)} rule(s), default {a.default_collector or '-'}"),
        ))  # fmt: skip
    show_table((text("portfolio"), whole("enabled"), whole("level"), text("entry rules"), text("assignment")), rows,
         title="guarantor collections", wide=wide)  # fmt: skip


@config_app.command("assignment-type")
def assignment_type(
    portfolio: Annotated[str, typer.Argument(help="Portfolio code.")],
    type_name: Annotated[str, typer.Argument(metavar="TYPE", help="name_range or balance_range.")],
    yes: YesOption = False,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Change a portfolio's assignment type; its assignment rules are deleted (asks first)."""
    from arrears.domain.strategy import AssignmentType
    from arrears.services.config_rules import AssignmentRulesDeleted, change_assignment_type, describe_rule

    try:
        new_type = AssignmentType(type_name)
    except ValueError as error:
        choices = " or ".join(kind.value for kind in AssignmentType)
        raise typer.BadParameter(f"{type_name!r} is not {choices}", param_hint="TYPE") from error
    database = open_db(db)
    with _user_errors():
        try:
            removed = change_assignment_type(database, portfolio, new_type, confirm=yes, actor=_actor(actor))
        except AssignmentRulesDeleted as question:
            count = len(question.rules)
            typer.echo(
                f"Changing the assignment type of {portfolio} to {new_type.value} deletes its {count} assignment "
                "rule(s):"
            )
            for number, rule in enumerate(question.rules, start=1):
                typer.echo(f"  {number}. {describe_rule(rule)}")
            if not typer.confirm("Delete them and change the type?", default=False):
                typer.echo("aborted: nothing was changed")
                raise typer.Exit(1) from question
            removed = change_assignment_type(database, portfolio, new_type, confirm=True, actor=_actor(actor))
    typer.echo(
        f"assignment type of {portfolio} is {new_type.value}" + (f"; {len(removed)} rule(s) deleted" if removed else "")
    )


@config_app.command("preview-letter")
def preview(
    letter: Annotated[str, typer.Argument(help="Letter code.")],
    account: Annotated[str, typer.Argument(help="Account external id.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Letter date (default: today).")] = None,
    db: DbOption = None,
) -> None:
    """Render a letter template for one account."""
    from arrears.services.letters import preview_letter

    when: date = parse_date(as_of, "as-of") or date.today()
    with _user_errors():
        subject, body = preview_letter(open_db(db), letter, account, when)
    typer.echo(f"Subject: {subject}\n\n{body}", nl=not body.endswith("\n"))


@config_app.command("merge-fields")
def merge_fields_command(wide: WideOption = False, json: JsonOption = False) -> None:
    """The merge fields letters may use."""
    from arrears.letters.render import merge_fields

    fields = dict(merge_fields())
    if json:
        print_json(fields)
        return
    show_table((whole("merge field"), text("meaning")), [(escape(n), escape(m)) for n, m in fields.items()],
         title="letter merge fields", wide=wide)  # fmt: skip


@config_app.command("audit")
def audit(
    entity: Annotated[str | None, typer.Option("--entity", help="Only this entity kind, e.g. action.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    wide: WideOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Recent configuration changes: who, when, what, before and after."""
    from arrears.services.config_versions import audit_log

    rows = audit_log(open_db(db), entity, limit)
    if json:
        print_json(rows)
        return
    cells = []
    for row in rows:
        before, after = row["before"] or {}, row["after"] or {}
        changed = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
        cells.append((row["at"][:19], escape(row["actor"]), row["entity"], escape(row["key"]), row["action"],
                      escape(", ".join(changed)) if row["action"] == "updated" else ""))  # fmt: skip
    show_table((whole("when"), text("actor"), whole("entity"), text("key"), whole("action"), text("changed")), cells,
         title="configuration audit", wide=wide)  # fmt: skip
