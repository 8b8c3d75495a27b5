"""Bounded inputs everywhere (issue 12, point 1): every request integer, string and list has its bound in
the OpenAPI documents, and an out-of-range value is a 422 problem+json naming the field, never a 500."""

from __future__ import annotations

from typing import Any

from shared.bornes import INDEX_JOURNAL_MAX
from signif.embedded import SERVICES
from tests.robustesse.support import Embarque, verifier_probleme

#: Far beyond 64 bits: the values the issue found answering 500.
ENORME = 1651333072277103941295013888


def _schema(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _sans_borne(doc: dict[str, Any], schema: dict[str, Any], ou: str, vus: set[int]) -> list[str]:
    """Where a request schema lets an unbounded integer, string or list through."""
    schema = _schema(doc, schema)
    if id(schema) in vus:
        return []
    vus.add(id(schema))
    fautes: list[str] = []
    for cle in ("anyOf", "oneOf", "allOf"):
        for sous in schema.get(cle, []):
            fautes += _sans_borne(doc, sous, ou, vus)
    genre = schema.get("type")
    if genre in ("integer", "number") and not ("minimum" in schema and "maximum" in schema):
        fautes.append(f"{ou}: {genre} sans minimum/maximum")
    # Files (`format: binary`, a `contentMediaType`) are bounded by the body limits (docs/fr/limites.md);
    # dates are parsed to a fixed shape; an enum or a constant is its own bound.
    bornee = any(k in schema for k in ("maxLength", "enum", "const", "contentMediaType"))
    if genre == "string" and not bornee and schema.get("format") not in ("date", "date-time", "binary"):
        fautes.append(f"{ou}: chaîne sans maxLength")
    if genre == "array":
        if "maxItems" not in schema:
            fautes.append(f"{ou}: liste sans maxItems")
        fautes += _sans_borne(doc, schema.get("items", {}), ou + "[]", vus)
    for nom, sous in schema.get("properties", {}).items():
        fautes += _sans_borne(doc, sous, f"{ou}.{nom}", vus)
    if isinstance(schema.get("additionalProperties"), dict):
        fautes.append(f"{ou}: objet aux clés libres")
    return fautes


async def _documents(env: Embarque) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for service in SERVICES:
        public = await env.client.get(f"/{service}/openapi.json")
        interne = await env.client.get(
            f"/{service}/v1/interne/openapi.json", headers=env.entetes("service", service)
        )
        assert public.status_code == interne.status_code == 200
        docs[service], docs[f"{service} (interne)"] = public.json(), interne.json()
    return docs


async def test_every_request_input_has_its_bound_in_openapi(deploiement: Embarque) -> None:
    fautes: list[str] = []
    operations = 0
    for doc in (await _documents(deploiement)).values():
        for chemin, methodes in doc["paths"].items():
            for methode, operation in methodes.items():
                operations += 1
                ou = f"{methode.upper()} {chemin}"
                for p in operation.get("parameters", []):
                    fautes += _sans_borne(doc, p.get("schema", {}), f"{ou} {p['in']}:{p['name']}", set())
                for media, corps in operation.get("requestBody", {}).get("content", {}).items():
                    fautes += _sans_borne(doc, corps.get("schema", {}), f"{ou} corps {media}", set())
    assert operations > 60
    assert fautes == []


async def test_journal_bounds_are_in_openapi(deploiement: Embarque) -> None:
    doc = (await deploiement.client.get("/coffre/openapi.json")).json()
    parametres = doc["paths"]["/coffre/v1/journal/preuves/coherence"]["get"]["parameters"]
    assert {p["name"]: (p["schema"]["minimum"], p["schema"]["maximum"]) for p in parametres} == {
        "ancienne": (1, INDEX_JOURNAL_MAX),
        "nouvelle": (1, INDEX_JOURNAL_MAX),
    }


#: (endpoint, query, the field `errors` must name)
HORS_BORNES: list[tuple[str, dict[str, Any], str]] = [
    ("entrees", {"debut": ENORME}, "query.debut"),
    ("entrees", {"debut": 0, "fin": ENORME}, "query.fin"),
    ("entrees", {"debut": -1}, "query.debut"),
    ("entrees", {"debut": 2**63}, "query.debut"),
    ("preuves/coherence", {"ancienne": 246, "nouvelle": 22349994283895097393152}, "query.nouvelle"),
    ("preuves/coherence", {"ancienne": -5, "nouvelle": 10}, "query.ancienne"),
    ("preuves/inclusion", {"index": ENORME, "taille": ENORME}, "query.index"),
    ("preuves/inclusion", {"index": 0, "taille": 2**64}, "query.taille"),
    ("preuves/inclusion", {"index": "1e3", "taille": 3}, "query.index"),
]


async def test_journal_refuses_integers_out_of_range(deploiement: Embarque) -> None:
    for service in ("consent", "coffre"):
        for chemin, parametres, champ in HORS_BORNES:
            reponse = await deploiement.client.get(f"/{service}/v1/journal/{chemin}", params=parametres)
            corps = verifier_probleme(reponse, 422, "validation")
            assert champ in [e["champ"] for e in corps["errors"]], (service, chemin, corps)


async def test_journal_at_the_64_bit_edge_answers_without_error(deploiement: Embarque) -> None:
    """In range but far beyond the log: an empty page, or a 422 saying the log is smaller."""
    for service in ("consent", "coffre"):
        await _au_bord(deploiement, service)


async def _au_bord(deploiement: Embarque, service: str) -> None:
    client = deploiement.client
    base = f"/{service}/v1/journal"
    page = await client.get(f"{base}/entrees", params={"debut": INDEX_JOURNAL_MAX})
    assert page.status_code == 200
    assert page.json() == {"elements": []}
    page = await client.get(
        f"{base}/entrees", params={"debut": INDEX_JOURNAL_MAX - 5, "fin": INDEX_JOURNAL_MAX}
    )
    assert page.json() == {"elements": []}
    for chemin, parametres in (
        ("preuves/inclusion", {"index": INDEX_JOURNAL_MAX - 1, "taille": INDEX_JOURNAL_MAX}),
        ("preuves/inclusion", {"index": 0, "taille": INDEX_JOURNAL_MAX}),
        ("preuves/coherence", {"ancienne": 1, "nouvelle": INDEX_JOURNAL_MAX}),
        ("preuves/coherence", {"ancienne": INDEX_JOURNAL_MAX, "nouvelle": INDEX_JOURNAL_MAX}),
    ):
        reponse = await client.get(f"{base}/{chemin}", params=parametres)
        assert "journal" in verifier_probleme(reponse, 422, "validation")["detail"]


async def test_path_ids_are_bounded(deploiement: Embarque) -> None:
    for methode, chemin, role, service in (
        ("GET", "/coffre/v1/actes/{x}", "commissaire", "coffre"),
        ("GET", "/consent/v1/operateur/declarations/{x}", "operateur", "consent"),
        ("DELETE", "/notify/v1/abonnements/{x}", "commissaire", "notify"),
        ("GET", "/consent/v1/interne/destinataires/sessions/{x}", "service", "consent"),
    ):
        client, entetes = deploiement.client, deploiement.entetes(role, service)
        trop_long = await client.request(methode, chemin.format(x="a" * 65), headers=entetes)
        assert "path." in verifier_probleme(trop_long, 422, "validation")["errors"][0]["champ"]
        inconnu = await client.request(methode, chemin.format(x="a" * 64), headers=entetes)
        verifier_probleme(inconnu, 404)


async def test_query_strings_and_headers_are_bounded(deploiement: Embarque) -> None:
    client = deploiement.client
    commissaire = deploiement.entetes("commissaire", "coffre")
    for nom in ("statut", "reference_dossier", "apres"):
        for longueur in (201, 5000):
            reponse = await client.get("/coffre/v1/actes", params={nom: "x" * longueur}, headers=commissaire)
            assert f"query.{nom}" in [e["champ"] for e in verifier_probleme(reponse, 422)["errors"]]
    vide = await client.get("/coffre/v1/actes", params={"reference_dossier": ""}, headers=commissaire)
    assert vide.status_code == 200
    gestion = await client.get("/consent/v1/declarations/abc", headers={"X-Jeton-Gestion": "j" * 4097})
    assert "header.X-Jeton-Gestion" in [e["champ"] for e in verifier_probleme(gestion, 422)["errors"]]
