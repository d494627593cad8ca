"""``explain`` reads one account without frames and evaluates it with the per-account twin of the run's rules;
on the demo's accounts, after days of runs, it gets each account's row of the run's own features frame.

Given the demo (healthcare accounts over three portfolios, the example strategy with its overriding portfolio,
conditions, milestone scheme and assignment tables) run for three days, on the last day and a month later
every account's :func:`account_features` equals its row of :func:`features_frame`, column for column and type
for type, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from arrears.services.account_features import account_features
from arrears.services.demo import build_demo
from arrears.services.features import features_frame
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from tests.examples import example_text

AS_OF = date(2026, 3, 1)


def test_every_demo_account_gets_its_row_of_the_runs_frame(db: Database) -> None:
    build_demo(db, 80, 7, AS_OF, days=3, strategy_text=example_text(), strategy_name="strategy.yaml")
    strategy = load_strategy(db)
    with db.engine.connect() as connection:
        ids = [int(i) for (i,) in connection.exec_driver_sql("SELECT id FROM account ORDER BY id")]
        for day in (AS_OF, AS_OF + timedelta(days=30)):
            frame = features_frame(connection, strategy, day, ids[0], ids[-1], None)
            assert frame.get_column("account_id").to_list() == ids
            entering = 0
            for expected in frame.iter_rows(named=True):
                actual = account_features(connection, strategy, day, expected["account_id"])
                assert actual is not None
                expected.pop("initial")  # the frame's working column for name ranges
                assert actual == expected
                assert {k: type(v) for k, v in actual.items()} == {k: type(v) for k, v in expected.items()}
                entering += expected["enters"]
            # the rules were exercised: some accounts qualify, some are worked, and a month on some enter
            assert frame.get_column("qualifies_by_rules").sum() > 0
            assert frame.get_column("in_collections").sum() > 0
            assert entering > 0 or day == AS_OF
        assert account_features(connection, strategy, AS_OF, ids[-1] + 1) is None
