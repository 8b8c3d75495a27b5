"""`signif.client` against the embedded deployment as a real process (`signif serve`).

An office subscribes a real local webhook receiver, deposits two actes (one from a path, one from a
stream), verifies the webhooks (v1 and v1a); the destinataire retrieves the first one (the demo's
walk through the retrieval pages); past local midnight the first is *à personne* (certificat), the
second *à domicile* (lettre simple, its posting recorded once). The evidence bundle verifies offline,
the events feed resumes from a stored cursor. A 503 on the way back from the coffre is retried with
the same Idempotency-Key and stores the acte once.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.testing.pdfs import acte_pdfa
from shared.testing.webhooks import RecordedRequest, WebhookReceiver, webhook_receiver
from signif.client import (
    ClientSignif,
    ErreurSignif,
    Reessais,
    SignatureWebhookInvalide,
    verifier_preuves,
    verifier_webhook,
)
from signif.demo import Demo
from tests.e2e.deploiement import Deploiement, deploiement
from tests.e2e.test_histoire import DEBUT

pytestmark = pytest.mark.e2e

TYPES = ["acte.envoye", "acte.pris_connaissance", "acte.mode_fixe"]


class CoupureApresLeCoffre(httpx.AsyncBaseTransport):
    """Between the client and the deployment: the first `coupures` deposits reach the coffre, which
    stores them, but their answer is lost and replaced by a 503 (a proxy timing out on the way back).
    Records the Idempotency-Key of every deposit attempt."""

    def __init__(self, coupures: int) -> None:
        self.reel = httpx.AsyncHTTPTransport()
        self.coupures = coupures
        self.cles: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reponse = await self.reel.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/coffre/v1/actes":
            self.cles.append(request.headers["idempotency-key"])
            if self.coupures > 0:
                self.coupures -= 1
                await reponse.aread()
                await reponse.aclose()
                probleme = {"status": 503, "code": "indisponible", "detail": "Passerelle indisponible."}
                return httpx.Response(503, json=probleme, headers={"retry-after": "0"})
        return reponse

    async def aclose(self) -> None:
        await self.reel.aclose()


class DemoDeLOffice(Demo):
    """The demo's destinataire and register steps, with the office's own token for its reads."""

    def __init__(self, dep: Deploiement, dossier: Path, jeton: str) -> None:
        super().__init__(dep.base, dep.var, dossier, sortie=lambda _texte: None)
        self.jeton_office = jeton
        self.horloge = True  # the deployment's test clock: the demo runs due jobs itself

    def commissaire(self, audience: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.jeton_office}"}


async def _sans_attente(_secondes: float) -> None:
    return None


async def _webhook(recepteur: WebhookReceiver, acte_id: str, type_: str) -> RecordedRequest:
    for _ in range(200):
        for requete in recepteur.requests:
            corps = json.loads(requete.body)
            if corps["type"] == type_ and corps["donnees"].get("acte_id") == acte_id:
                return requete
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {type_} webhook for {acte_id}: {[r.body[:80] for r in recepteur.requests]}")


async def _horloge(dep: Deploiement) -> datetime:
    async with httpx.AsyncClient(base_url=dep.base) as http:
        return datetime.fromisoformat((await http.get("/_test/horloge")).json()["maintenant"])


async def _taches(dep: Deploiement) -> None:
    async with httpx.AsyncClient(base_url=dep.base, timeout=60) as http:
        assert (await http.post("/_test/jobs")).status_code == 200


def _metadonnees(declaration_id: str, reference: str) -> dict[str, Any]:
    return {
        "reference_dossier": reference,
        "nature": "signification_decision",
        "requerant": {"nom": "SCI Les Tilleuls"},
        "destinataire": {"declaration_id": declaration_id},
    }


async def test_an_office_integration_with_the_client(tmp_path: Path) -> None:
    async with webhook_receiver() as recepteur, deploiement(tmp_path, maintenant=DEBUT) as dep:
        jeton = (await dep.signif("token", "issue", "--preset", "commissaire-paris")).strip()
        demo = DemoDeLOffice(dep, tmp_path / "demo", jeton)
        await asyncio.to_thread(demo.dossier.mkdir)
        declaration_id = await asyncio.to_thread(demo.declarer)
        brut, signe = tmp_path / "acte.pdf", tmp_path / "acte-signe.pdf"
        brut.write_bytes(acte_pdfa(titre="Signification (client)"))
        await dep.signif("dev", "sign", "--in", str(brut), "--out", str(signe))
        coupure = CoupureApresLeCoffre(coupures=1)
        try:
            async with ClientSignif(dep.base, jeton, transport=coupure, attendre=_sans_attente) as signif:
                await _histoire(dep, signif, coupure, recepteur, demo, declaration_id, signe, tmp_path)
        finally:
            demo.http.close()
        async with ClientSignif(
            dep.base, jeton, transport=CoupureApresLeCoffre(coupures=9), reessais=Reessais(tentatives=3)
        ) as obstine:
            with pytest.raises(ErreurSignif) as refus:
                await obstine.deposer(signe, _metadonnees(declaration_id, "CLIENT-3"))
            assert (refus.value.status, refus.value.code) == (503, "indisponible")


async def _histoire(
    dep: Deploiement,
    signif: ClientSignif,
    coupure: CoupureApresLeCoffre,
    recepteur: WebhookReceiver,
    demo: DemoDeLOffice,
    declaration_id: str,
    signe: Path,
    tmp_path: Path,
) -> None:
    identite = {
        "type": "physique",
        "nom": "Dupont-Lefèvre",
        "prenoms": "Élise Marie",
        "date_naissance": "1984-07-14",
    }
    consultation = await signif.consulter(
        identite, nature="signification_decision", reference_dossier="CLIENT-1"
    )
    assert consultation.consentement is True
    assert consultation.declaration_id == declaration_id
    abonnement = await signif.abonner(f"{recepteur.url}/webhooks", TYPES)
    assert [a.id for a in await signif.abonnements()] == [abonnement.id]
    cle = await signif.cle_webhooks()

    # 1. Deposit from a path: the first answer is lost (503), the retry with the same key replays it.
    premier = await signif.deposer(signe, _metadonnees(declaration_id, "CLIENT-1"))
    assert premier.statut == "envoye"
    assert len(coupure.cles) == 2
    assert coupure.cles[0] == coupure.cles[1]
    assert [a["id"] async for a in signif.actes(reference_dossier="CLIENT-1")] == [premier.id]
    with pytest.raises(ErreurSignif) as conflit:
        await signif.deposer(signe, _metadonnees(declaration_id, "AUTRE"), cle_idempotence=coupure.cles[0])
    assert (conflit.value.status, conflit.value.code) == (409, "idempotence-conflit")
    # 2. Deposit from a stream.
    octets = await asyncio.to_thread(signe.read_bytes)
    second = await signif.deposer(io.BytesIO(octets), _metadonnees(declaration_id, "CLIENT-2"))
    assert second.sha256 == premier.sha256
    assert second.id != premier.id
    assert await signif.document(second.id) == octets

    # 3. Webhooks, verified v1 (the subscription's secret) and v1a (the platform's key).
    await _taches(dep)
    maintenant = await _horloge(dep)
    envoye = await _webhook(recepteur, premier.id, "acte.envoye")
    evenement = verifier_webhook(
        envoye.body, envoye.headers, secret=abonnement.secret, cle_publique=cle, maintenant=maintenant
    )
    assert evenement.id == envoye.headers["webhook-id"]
    autre_acte = envoye.body.replace(premier.id.encode(), second.id.encode())
    autre_type = envoye.body.replace(b"acte.envoye", b"acte.annule")
    for corps, secret, cle_publique in (
        (autre_acte, abonnement.secret, None),
        (envoye.body, "whsec_" + "A" * 43 + "=", None),
        (autre_type, None, cle),
    ):
        with pytest.raises(SignatureWebhookInvalide):
            verifier_webhook(
                corps, envoye.headers, secret=secret, cle_publique=cle_publique, maintenant=maintenant
            )
    with pytest.raises(SignatureWebhookInvalide, match="tolérance"):
        verifier_webhook(
            envoye.body, envoye.headers, secret=abonnement.secret
        )  # the wall clock, hours before the pinned clock

    # 4. The destinataire retrieves the first acte: avis de réception, JSON and sealed PDF.
    with pytest.raises(ErreurSignif) as pas_encore:
        await signif.avis_de_reception(premier.id)
    assert pas_encore.value.code == "pas-encore"
    await asyncio.to_thread(demo.retirer, premier.id, octets)
    avis = await signif.avis_de_reception(premier.id)
    assert avis.contenu["acte_id"] == premier.id
    assert avis.jws.count(".") == 2
    assert (await signif.avis_de_reception_pdf(premier.id)).startswith(b"%PDF-")
    pris = await _webhook(recepteur, premier.id, "acte.pris_connaissance")
    verifier_webhook(
        pris.body, pris.headers, secret=abonnement.secret, cle_publique=cle, maintenant=maintenant
    )
    assert (await signif.acte(premier.id)).statut == "pris_connaissance"

    # 5. Past local midnight: à personne (certificat), à domicile (lettre simple, posted once).
    await asyncio.to_thread(demo.minuit, premier.id)
    assert (await signif.acte(premier.id)).mode == "a_personne"
    assert (await signif.certificat(premier.id)).startswith(b"%PDF-")
    domicile = await signif.acte(second.id)
    assert domicile.mode == "a_domicile"
    assert domicile.lettre_simple is not None
    assert (await signif.lettre_simple(second.id)).startswith(b"%PDF-")
    poste = await signif.enregistrer_envoi_lettre_simple(second.id, domicile.lettre_simple.due_le)
    assert poste["envoyee_le"] == domicile.lettre_simple.due_le.isoformat()
    with pytest.raises(ErreurSignif) as deja:
        await signif.enregistrer_envoi_lettre_simple(second.id, domicile.lettre_simple.due_le)
    assert (deja.value.status, deja.value.code) == (409, "lettre-deja-envoyee")

    # 6. The evidence bundle, verified offline.
    lot = await signif.preuves(premier.id, tmp_path / "preuves.zip")
    rapport = await asyncio.to_thread(verifier_preuves, lot)
    assert rapport.ok, [str(c) for c in rapport.checks]

    # 7. The pull feed, resumed from a stored cursor: nothing skipped, nothing repeated.
    tous = [e async for e in signif.evenements(limite=2)]
    types = {(e.type, e.donnees.get("acte_id")) for e in tous}
    assert {("acte.envoye", premier.id), ("acte.pris_connaissance", premier.id)} <= types
    assert ("acte.mode_fixe", second.id) in types
    curseur = tous[1].curseur
    assert [e.id async for e in signif.evenements(apres=curseur)] == [e.id for e in tous[2:]]

    await signif.desabonner(abonnement.id)
    assert await signif.abonnements() == []
