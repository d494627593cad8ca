"""The whole API fuzzed from its own OpenAPI document (schemathesis), as an administrator on the office: no
answer is a server error, and every answer is one the document declares (status, content type, body schema).
Requests are generated both valid (positive) and breaking the document's rules (negative: refused with 422).

Each operation gets a bounded number of generated requests, so the test command stays fast.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count, product

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from arrears.services.security import create_token
from tests.api.conftest import Office

EXAMPLES = 20
"""Generated requests per operation."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ENTITIES = {"/collectors/": "BO", "/groups/": "G", "/users/": "mgr", "/letter-templates/": "L60",
            "/actions/": "Call 2", "/series/": "Full Works", "/plans/": "P1", "/schemes/": "S1"}  # fmt: skip
"""A configured entity of each kind, for the path parameters that name one."""


def real_ids(path: str) -> dict[str, str | int]:
    """Path parameters naming what the office has: an account, a portfolio, a configured entity."""
    found: dict[str, str | int] = {"external_id": "evans", "code": "NORTH", "login": "BO", "number": 1, "sequence": 1}
    entity = next((key for prefix, key in ENTITIES.items() if prefix in path), None)
    if entity is not None:
        found["key"] = entity
        if path.startswith(("/api/v1/plans/", "/api/v1/schemes/")):
            found["code"] = entity
    return found


def test_no_request_breaks_the_server_or_its_schema(sqlite_office: Office) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", sqlite_office.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 70
    examples = count()
    for operation, mode in product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)  # fmt: skip
        def fuzz(case: schemathesis.Case) -> None:
            # a fresh token each time (a fuzzed logout or revocation ends the one it was sent with), and every
            # other request on a real account, portfolio or entity, so that bodies reach the use cases rather
            # than a 404
            token = create_token(sqlite_office.db, "admin", "fuzz", None, 1, now=datetime.now(UTC)).secret
            if case.path_parameters and next(examples) % 2:
                for name, value in real_ids(case.operation.path).items():
                    if name in case.path_parameters:
                        case.path_parameters[name] = value
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        try:
            fuzz()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without inputs has no invalid request to send
