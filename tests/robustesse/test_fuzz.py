"""Property-based fuzzing of the three services (issue 12, point 2): schemathesis generates requests from
the six OpenAPI documents (three public, three internal) of the embedded deployment served on loopback,
with a valid token of the role each operation needs, valid data and invalid data alike.

For every generated request: no 5xx; the response conforms to its documented schema and content type;
every 4xx is application/problem+json with a `code`. What hostile clients found before it (journal
integers past 64 bits, NUL bytes, unbounded strings) is a plain regression test in `test_bornes.py`,
`test_corps_hostiles.py` and `test_limites_http.py`; this run over the bounded documents finds no
failure (SQLite and PostgreSQL, 50 examples per operation, valid and invalid mixed, ~2 minutes each).

`SIGNIF_FUZZ_EXEMPLES` sets the examples per operation and generation mode (50 by default, the CI
figure); Hypothesis is derandomized (the same cases on every run) and keeps no database.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from signif.embedded import SERVICES, create_embedded_app
from tests.conftest import require_postgres
from tests.robustesse.support import PROBLEM_JSON, Embarque, bases, port_libre, reglages, servir

EXEMPLES = int(os.environ.get("SIGNIF_FUZZ_EXEMPLES", "50"))


def role_de(chemin: str) -> str:
    """The role whose token the operation at `chemin` wants."""
    if "/v1/interne/" in chemin:
        return "service"
    if chemin.startswith("/consent/v1/operateur"):
        return "operateur"
    if "/autorite" in chemin:
        return "autorite_judiciaire"
    return "commissaire"


def verifier_probleme_4xx(reponse: Any, operation: str) -> None:
    if 400 <= reponse.status_code < 500:
        # schemathesis' `Response`: each header's values as a list.
        media = (reponse.headers.get("content-type") or [""])[0].split(";")[0]
        assert media == PROBLEM_JSON, (operation, reponse.status_code, media)
        corps = reponse.json()
        assert isinstance(corps.get("code"), str), (operation, corps)
        assert corps["code"], (operation, corps)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def servi(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Embarque]]:
    """The embedded deployment on loopback; sync, since schemathesis calls it with `requests`."""
    if request.param == "postgresql":
        asyncio.run(require_postgres())
    port = port_libre()
    pile = bases(request.param, tmp_path)
    # One loop kept open from creation to removal of the databases (`asyncio.run` would finalize the
    # context manager's generator, dropping them, as soon as it returned).
    boucle = asyncio.new_event_loop()
    urls = boucle.run_until_complete(pile.__aenter__())
    try:
        app = create_embedded_app(overrides=reglages(tmp_path, urls, public_url=f"http://127.0.0.1:{port}"))
        with servir(app, port):
            from shared.issuer import DevIssuer

            env = Embarque(httpx.AsyncClient(), app, DevIssuer(tmp_path / "keys", issuer="signif-dev"), urls)
            yield f"http://127.0.0.1:{port}", env
    finally:
        boucle.run_until_complete(pile.__aexit__(None, None, None))
        boucle.close()


def _documents(base: str, env: Embarque) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=base) as client:
        for service in SERVICES:
            docs[service] = client.get(f"/{service}/openapi.json").json()
            docs[f"{service}-interne"] = client.get(
                f"/{service}/v1/interne/openapi.json", headers=env.entetes("service", service)
            ).json()
    return docs


def _fuzzer(operation: Any, base: str, entetes: dict[str, str]) -> None:
    """Run the operation's examples (valid and invalid data); raise on the first failing one (shrunk)."""
    strategie = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @settings(
        max_examples=EXEMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategie)
    def essai(case: Any) -> None:
        # A generated Authorization header would replace the token: the role's token wins.
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        reponse = case.call(base_url=base, headers=entetes, timeout=30)
        case.validate_response(
            reponse, checks=[not_a_server_error, content_type_conformance, response_schema_conformance]
        )
        verifier_probleme_4xx(reponse, operation.label)

    essai()


def test_schemathesis_finds_no_server_error(servi: tuple[str, Embarque]) -> None:
    base, env = servi
    operations = 0
    echecs: list[str] = []
    for nom, document in _documents(base, env).items():
        schema = schemathesis.openapi.from_dict(document)
        service = nom.split("-")[0]
        for resultat in schema.get_all_operations():
            assert isinstance(resultat, Ok), resultat
            operation = resultat.ok()
            try:
                _fuzzer(operation, base, env.entetes(role_de(operation.path), service))
            except Exception as exc:  # every operation is tried; all failures are reported together
                echecs.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
            operations += 1
    assert operations > 60
    assert echecs == [], "\n\n".join(echecs)
