"""One problem shape (location, rule, value) for every kind of refusal."""

from __future__ import annotations

import pytest

from arrears.domain.conditions import ConditionError, compile_condition
from arrears.domain.errors import Problem
from arrears.domain.strategy import ConfigError
from arrears.services.config_document import DocumentError
from arrears.services.importing import RowProblem
from arrears.services.run import AccountError


def test_every_error_type_speaks_the_one_problem_shape() -> None:
    with pytest.raises(ConditionError) as failure:
        compile_condition("balance > $500 AND colour = 'red'")
    (issue,) = failure.value.issues
    condition = issue.as_problem("balance > $500 AND colour = 'red'")
    assert (condition.location, condition.value) == ("line 1, column 20", "balance > $500 AND colour = 'red'")
    assert "colour" in condition.rule
    assert [
        ConfigError("actions[Call 1].follow_up_days", "must be 1–999").as_problem(),
        DocumentError("strategy.yaml", "actions[0].name", "is required").as_problem(),
        RowProblem(7, "amount", "12,5", "is not an amount").as_problem(),
        AccountError(3, "action 'Missing' is not configured", "A-3").as_problem(),
    ] == [
        Problem("actions[Call 1].follow_up_days", "must be 1–999"),
        Problem("strategy.yaml: actions[0].name", "is required"),
        Problem("row 7, amount", "is not an amount", "12,5"),
        Problem("account A-3", "action 'Missing' is not configured"),
    ]
    assert Problem("row 7, amount", "is not an amount", "12,5").as_dict() == {
        "location": "row 7, amount",
        "rule": "is not an amount",
        "value": "12,5",
    }
