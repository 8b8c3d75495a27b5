"""Registry evidence for the authority: export a declaration's history, verify it offline."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from services.consent.purge import service as purge
from shared.evidence import format as fmt
from shared.evidence.archive import read_zip
from shared.evidence.verify import verify_bundle
from tests.services.consent.conftest import Consent, activer, changer_adresse
from tests.shared.evidence.helpers import edit_json, flip, forge, raw_replace

URL = "/consent/v1/autorite/preuves"
PROCEDURE = {"juridiction": "TJ Paris", "numero": "RG 26/01234"}
SIGNIF = Path(sys.executable).with_name("signif")


async def _signif_verify(path: Path) -> tuple[int, str]:
    """Run the real `signif verify` CLI as a separate process."""
    process = await asyncio.create_subprocess_exec(
        str(SIGNIF), "verify", str(path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, output.decode("utf-8", "replace")


async def _exporter_revoquee(env: Consent) -> tuple[str, bytes]:
    declaration = await activer(env)
    await env.horloge("2026-03-03T09:00:00Z")
    await changer_adresse(env, declaration, "neuf@example.org")
    await env.horloge("2026-03-04T09:00:00Z")
    revoked = await env.client.post(
        f"/consent/v1/declarations/{declaration.id}/revocation", headers=declaration.entetes
    )
    assert revoked.status_code // 100 == 2, revoked.text
    headers = env.bearer("autorite_judiciaire")
    searched = await env.client.post(
        "/consent/v1/autorite/recherches",
        json={"procedure": PROCEDURE, "declaration_id": declaration.id},
        headers=headers,
    )
    assert searched.status_code == 200, searched.text
    await env.horloge("2026-03-05T09:00:00Z")
    response = await env.client.post(
        URL, json={"procedure": PROCEDURE, "declaration_id": declaration.id}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    return declaration.id, response.content


async def test_export_verifies_offline_and_with_the_cli(consent_db: Consent, tmp_path: Path) -> None:
    declaration_id, bundle = await _exporter_revoquee(consent_db)
    report = verify_bundle(bundle)
    assert report.ok, "\n".join(str(c) for c in report.checks)
    files = read_zip(bundle)
    manifest = json.loads(files[fmt.MANIFEST])
    assert (manifest["type"], manifest["sujet"]) == ("registre", declaration_id)
    types = [e["type"] for e in json.loads(files[fmt.HISTORIQUE])["entrees"]]
    assert types[0] == "declaration.creee"
    assert any("version" in t for t in types), types
    assert any("revoqu" in t for t in types), types
    assert "autorite.recherche" in types
    assert types[-1] == "autorite.preuves"
    leaves = {f["index"]: json.loads(base64.b64decode(f["donnees"])) for f in json.loads(files[fmt.FEUILLES])}
    export_leaf = leaves[max(leaves)]
    assert export_leaf["type"] == "autorite.preuves"
    assert export_leaf["procedure"]
    assert "RG 26" not in json.dumps(export_leaf)
    path = tmp_path / "registre.zip"
    path.write_bytes(bundle)
    code, output = await _signif_verify(path)
    assert code == 0, output
    altered = raw_replace(bundle, {fmt.HISTORIQUE: flip(files[fmt.HISTORIQUE], 40)})
    failed = verify_bundle(altered)
    assert not failed.ok
    assert failed.failure is not None
    assert failed.failure.piece == fmt.HISTORIQUE
    path.write_bytes(altered)
    code, output = await _signif_verify(path)
    assert code != 0
    assert fmt.HISTORIQUE in output


async def test_missing_procedure_is_422_unknown_is_404(consent: Consent) -> None:
    headers = consent.bearer("autorite_judiciaire")
    declaration = await activer(consent)
    missing = await consent.client.post(URL, json={"declaration_id": declaration.id}, headers=headers)
    assert missing.status_code == 422
    unknown = await consent.client.post(
        URL, json={"procedure": PROCEDURE, "declaration_id": "inconnue"}, headers=headers
    )
    assert unknown.status_code == 404
    commissaire = await consent.client.post(
        URL,
        json={"procedure": PROCEDURE, "declaration_id": declaration.id},
        headers=consent.bearer("commissaire"),
    )
    assert commissaire.status_code == 403


async def test_purged_declaration_is_404(consent: Consent) -> None:
    declaration = await activer(consent)
    revoked = await consent.client.post(
        f"/consent/v1/declarations/{declaration.id}/revocation", headers=declaration.entetes
    )
    assert revoked.status_code == 200
    registre = consent.state.registre
    async with consent.runtime.db.transaction() as session:
        bilan = await purge.purger(session, registre, now=datetime(2031, 3, 3, 9, tzinfo=UTC))
    assert bilan.declarations == [declaration.id]
    response = await consent.client.post(
        URL,
        json={"procedure": PROCEDURE, "declaration_id": declaration.id},
        headers=consent.bearer("autorite_judiciaire"),
    )
    assert response.status_code == 404


async def test_the_bundle_opens_its_own_commitments_and_nothing_else(consent: Consent) -> None:
    """Issue 19 (finding 6): the leaves name the declaration only by commitments; the bundle carries
    their openings, the verifier recomputes them, and a forged or missing opening fails."""
    declaration_id, bundle = await _exporter_revoquee(consent)
    files = read_zip(bundle)
    feuilles = [base64.b64decode(f["donnees"]) for f in json.loads(files[fmt.FEUILLES])]
    assert all(declaration_id.encode() not in f for f in feuilles)
    ouvertures = json.loads(files[fmt.OUVERTURES])
    assert {o["valeur"] for o in ouvertures} == {declaration_id}  # the magistrate's subject stays closed
    assert {o["champ"] for o in ouvertures} <= {"declaration_id", "declaration_ids"}

    def autre_valeur(items: list[dict[str, object]]) -> None:
        items[0]["valeur"] = "une-autre-declaration"

    forgee = verify_bundle(edit_json(bundle, fmt.OUVERTURES, autre_valeur))
    assert not forgee.ok
    assert forgee.failure is not None
    assert forgee.failure.piece == fmt.OUVERTURES
    sans = verify_bundle(forge(bundle, {fmt.OUVERTURES: None}))
    assert not sans.ok
    assert sans.failure is not None
    assert "non ouvert" in sans.failure.message
