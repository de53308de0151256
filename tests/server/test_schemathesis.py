"""Property-based API testing from the OpenAPI schema: no request schemathesis can generate makes the
server fail (5xx), and responses conform to the schema. Runs against a real uvicorn server holding a small
digested colony; examples per operation are bounded so the whole run takes a minute or two."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from phago.server import create_app

MAX_EXAMPLES = int(os.environ.get("PHAGO_SCHEMATHESIS_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, corpus: Callable[..., list[str]],
    settings_for: Callable[..., Any], live_server: Callable[[Any], Any],
) -> Iterator[str]:
    import httpx

    tmp = tmp_path_factory.mktemp("schemathesis")
    app = create_app(settings_for(tmp), db=tmp / "colony.db", auth=False)
    with live_server(app) as server:
        httpx.post(f"{server.url}/api/documents/batch", json={"documents": [{"text": t} for t in corpus(16)]})
        httpx.post(f"{server.url}/api/digest", json={"max_ticks": 2000}, timeout=120)
        yield server.url


def test_no_generated_request_causes_a_server_error(served: str, require: Callable[..., None]) -> None:
    require(module="schemathesis", reason="schemathesis is not installed (pip install schemathesis)")
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import (
        content_type_conformance,
        negative_data_rejection,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance, negative_data_rejection]

    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(base_url=served, checks=checks, timeout=30)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
