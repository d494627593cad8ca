"""``arrears demo``: builds the demo file, replaces it when asked again, and reports per portfolio."""

import json
from pathlib import Path

from typer.testing import CliRunner

import arrears.cli.demo  # noqa: F401  (registers the command until arrears.cli imports it)
from arrears.cli import app
from arrears.services.reports import BUCKETS

runner = CliRunner()


def demo(*args: str):
    return runner.invoke(app, ["demo", "--accounts", "200", "--as-of", "2026-03-01", *args])


def test_demo_json_reports_every_portfolio(tmp_path: Path) -> None:
    out = tmp_path / "demo.db"
    result = demo("--out", str(out), "--json")
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

    again = demo("--out", str(out), "--json")  # replaces the file: same seed, same figures
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert (second["portfolios"], second["total"], second["ledger_lines"]) == (
        data["portfolios"], data["total"], data["ledger_lines"]
    )
    other = json.loads(demo("--out", str(out), "--json", "--seed", "5").stdout)
    assert other["total"] != data["total"]


def test_demo_prints_a_table(tmp_path: Path) -> None:
    result = demo("--out", str(tmp_path / "demo.db"))
    assert result.exit_code == 0, result.output
    for text in ("FAMILY", "ORTHO", "OUTPT", "Total", "120+", "91-120", "Summit Orthopedic Group", "200"):
        assert text in result.stdout


def test_demo_rejects_a_bad_date(tmp_path: Path) -> None:
    result = demo("--out", str(tmp_path / "demo.db"), "--as-of", "2026-02-30")
    assert result.exit_code == 2
    assert not (tmp_path / "demo.db").exists()
