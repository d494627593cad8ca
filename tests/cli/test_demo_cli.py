"""``arrears demo``: builds the demo file, runs its last days, replaces it when asked again, and reports
per portfolio and per collector."""

import json
from pathlib import Path

from typer.testing import CliRunner

import arrears.cli.demo  # noqa: F401  (registers the command until arrears.cli imports it)
from arrears.cli import app
from arrears.services.reports import BUCKETS

runner = CliRunner()


def demo(*args: str):
    return runner.invoke(app, ["demo", "--accounts", "200", "--as-of", "2026-03-01", *args])


def test_demo_json_reports_every_portfolio_and_what_collections_did(tmp_path: Path) -> None:
    out = tmp_path / "demo.db"
    result = demo("--out", str(out), "--days", "10", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert out.exists() and data["database"] == str(out)
    assert (data["accounts"], data["as_of"], data["seed"], data["buckets"]) == (200, "2026-03-01", 42, list(BUCKETS))
    assert [p["code"] for p in data["portfolios"]] == ["FAMILY", "ORTHO", "OUTPT"]
    assert sum(p["accounts"] for p in data["portfolios"]) == data["total"]["accounts"] == 200
    for portfolio in [*data["portfolios"], data["total"]]:
        assert sum(portfolio["aging_cents"].values()) == portfolio["balance_cents"]
    assert data["total"]["balance_cents"] == sum(p["balance_cents"] for p in data["portfolios"]) > 0
    assert len(data["time_zones"]) == 7 and len(data["behaviours"]) == 6

    collections = data["collections"]
    assert (data["days"], collections["runs"], collections["first_day"], collections["last_day"]) == (
        10, 10, "2026-02-20", "2026-03-01"
    )
    for figure in ("entered", "resolved", "referred", "letters_queued", "fees_posted", "errors"):
        assert collections[figure] == collections["counts"].get(figure, 0)
    assert collections["entered"] > 0 and collections["letters_queued"] > 0 and collections["errors"] == 0
    assert collections["activities"]["letter"] > 0
    assert set(collections["activities_by_collector"]) <= {"ann", "ben", "cho", "early-out", "plans"}
    by_kind: dict[str, int] = {}
    for kinds in collections["activities_by_collector"].values():
        for kind, count in kinds.items():
            by_kind[kind] = by_kind.get(kind, 0) + count
    assert by_kind == collections["activities"]
    assert all(set(kinds) <= {"phone_call", "review"} for kinds in collections["worklist"].values())

    again = demo("--out", str(out), "--days", "10", "--json")  # replaces the file: same seed, same figures
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert (second["portfolios"], second["total"], second["ledger_lines"], second["collections"]) == (
        data["portfolios"], data["total"], data["ledger_lines"], data["collections"]
    )
    other = json.loads(demo("--out", str(out), "--json", "--seed", "5", "--days", "0").stdout)
    assert other["total"] != data["total"] and other["collections"] is None


def test_demo_prints_the_aging_and_the_collections_tables(tmp_path: Path) -> None:
    result = demo("--out", str(tmp_path / "demo.db"), "--days", "3", "--accounts", "80")
    assert result.exit_code == 0, result.output
    for text in ("FAMILY", "ORTHO", "OUTPT", "Total", "120+", "91-120", "Summit Orthopedic Group", "80 accounts",
                 "ran 3 days (2026-02-27 to 2026-03-01)", "Collections", "entered collections", "letters queued",
                 "referred to external collections", "activities: letter", "Activities by collector", "ann",
                 "open phone calls", "open reviews"):  # fmt: skip
        assert text in result.stdout, text
    # it ends with where the web pages are served and who may log in
    ending = result.stdout[result.stdout.index("Serve the web pages"):]
    assert "open http://127.0.0.1:8000/ " in ending and "log in as one of:" in ending
    assert [line.split()[:2] for line in ending.splitlines()[-2:]] == [["ben", "collector"], ["cho", "collector"]]


def test_demo_without_days_only_builds_the_data(tmp_path: Path) -> None:
    result = demo("--out", str(tmp_path / "demo.db"), "--days", "0", "--accounts", "30")
    assert result.exit_code == 0, result.output
    assert "Portfolios at 2026-03-01" in result.stdout and "Collections" not in result.stdout


def test_demo_rejects_a_bad_date_or_strategy(tmp_path: Path) -> None:
    result = demo("--out", str(tmp_path / "demo.db"), "--as-of", "2026-02-30")
    assert result.exit_code == 2
    missing = demo("--out", str(tmp_path / "demo.db"), "--strategy", str(tmp_path / "none.yaml"))
    assert missing.exit_code == 2 and "no strategy document" in missing.output
    assert not (tmp_path / "demo.db").exists()


QUICK_START = Path(__file__).resolve().parents[2] / "README.md"


def quick_start_commands() -> list[list[str]]:
    """The README's quick-start commands after ``make demo``, as arguments of ``arrears``."""
    text = QUICK_START.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split()[1:] for line in block.splitlines() if line.startswith(".venv/bin/arrears ")]


def test_the_readme_quick_start_works_on_the_demo_of_today(tmp_path: Path, monkeypatch) -> None:
    """The demo's history ends today, whatever today is: it names an account in collections on a
    collector's worklist, and every quick-start command of the README works with it."""
    monkeypatch.chdir(tmp_path)
    built = runner.invoke(app, ["demo", "--accounts", "200", "--days", "10", "--out", "arrears-demo.db"])
    assert built.exit_code == 0, built.output
    named = built.output.split("Look at an account in collections", 1)[1]
    account = named.split("arrears accounts show ", 1)[1].split()[0]
    collector = named.split("arrears worklist --collector ", 1)[1].split()[0]
    commands = quick_start_commands()
    assert [c[:2] for c in commands] == [["accounts", "list"], ["accounts", "show"], ["worklist", "--collector"],
                                         ["explain", "ACCOUNT"]]  # fmt: skip
    for command in commands:
        given = [{"ACCOUNT": account, "COLLECTOR": collector}.get(word, word) for word in command]
        done = runner.invoke(app, given)
        assert done.exit_code == 0, (given, done.output)
        if "list" not in given:
            assert account in done.output, given  # the page, the worklist and the explanation are of that account
    explained = " ".join(runner.invoke(app, ["explain", account, "--db", "sqlite:///arrears-demo.db"]).output.split())
    assert "in collections" in explained
