"""The manager's dashboard, on both databases: given the web office (four NORTH accounts and one SOUTH account
entering collections on 2026-02-20), a call completed, a payment in full and one reversed, and the next day's
run, the dashboard of 2026-02-21 shows each figure on its day, narrowed to a manager's portfolios."""

from __future__ import annotations

from datetime import date

from arrears.domain.ledger import Kind, Source
from arrears.services.accounts import Posting, post_transaction, reverse_payment
from arrears.services.dashboard import dashboard
from arrears.services.run import run_day
from arrears.services.worklist import complete_activity
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import table
from tests.web.conftest import build_office


def _figures(series: list[dict[str, object]], days: list[str]) -> dict[str, dict[str, int]]:
    """Each series' days with a figure: name -> {day: figure}."""
    return {s["name"]: {day: v for day, v in zip(days, s["values"], strict=True) if v}
            for s in series}  # fmt: skip


def test_the_dashboard_of_a_day_over_a_managers_portfolios(db: Database) -> None:
    build_office(db)
    evans_call = next(a.id for a in table(db, "activity") if a.action == "Call 1" and a.status == "open")
    complete_activity(db, evans_call, "NOANSWER", on=d("2026-02-20"), actor="BO")
    post_transaction(db, "gray", Posting(Kind.PAYMENT, 50_000, d("2026-02-21"), source=Source.GUARANTOR))
    ford = post_transaction(db, "ford", Posting(Kind.PAYMENT, 10_000, d("2026-02-20"), source=Source.GUARANTOR))
    reverse_payment(db, "ford", ford, d("2026-02-21"))
    post_transaction(db, "sloan", Posting(Kind.PAYMENT, 7_500, d("2026-02-21"), source=Source.GUARANTOR))
    run_day(db, d("2026-02-21"))

    north = dashboard(db, date(2026, 2, 21), frozenset({"NORTH"})).as_dict()
    days, ahead = north["days"], north["ahead"]
    assert (len(days), days[-1], ahead[0], len(ahead)) == (30, "2026-02-21", "2026-02-21", 30)
    assert [(p["portfolio"], p["balance"]) for p in north["aging"]] == [("NORTH", 180_000)]  # 2,300.00 less gray's
    assert _figures(north["flow"], days) == {"entered": {"2026-02-20": 4}, "resolved": {"2026-02-21": 1}}
    assert _figures(north["contacts"], days)["calls"] == {"2026-02-20": 1}
    assert _figures(north["collected"], days) == {"NORTH": {"2026-02-20": 10_000, "2026-02-21": 40_000}}
    # gray's work ended with its case; evans, ford and harris each have a Call 2 a week after their Call 1, and
    # ford's and harris's Call 1 are still open (counted on the first day)
    assert _figures(north["workload"], ahead) == {"BO": {"2026-02-21": 2, "2026-02-27": 3}}

    everyone = dashboard(db, date(2026, 2, 21)).as_dict()
    assert [p["portfolio"] for p in everyone["aging"]] == ["NORTH", "SOUTH", "OFF"]
    assert _figures(everyone["flow"], days)["entered"] == {"2026-02-20": 5}
    assert _figures(everyone["collected"], days)["SOUTH"] == {"2026-02-21": 7_500}
