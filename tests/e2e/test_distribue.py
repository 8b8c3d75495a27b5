"""The story's API part a second time, in the distributed topology (see `distribue_support`):
three `signif serve <service>` processes on PostgreSQL, blobs on S3 (moto), two competing
`signif worker` processes. Nothing runs jobs but the workers: the test only waits (bounded polls)
on what they produce. Asserted at the end: one avis e-mail, one `acte.pris_connaissance` delivery
per webhook-id with a valid signature, every job done in one attempt, read from each database.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from shared.testing.s3 import moto_s3_server
from shared.testing.smtp import SmtpServer, smtp_server
from shared.testing.webhooks import RecordedRequest, WebhookReceiver, webhook_receiver
from tests.e2e.deploiement import SERVICES, attendre_courriel, code_dans, lien_dans, signature_valide
from tests.e2e.distribue_support import Distribue, Retrait, attendre, distribue
from tests.e2e.test_histoire import (
    APRES_MINUIT,
    DEBUT,
    EMAIL,
    MOT_DE_PASSE,
    commissaire,
    declarer_et_faire_accepter,
    deposer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


async def test_histoire_distribuee(tmp_path: Path) -> None:
    async with (
        smtp_server() as smtp,
        webhook_receiver() as recepteur,
    ):
        with moto_s3_server() as s3:
            async with distribue(tmp_path, maintenant=DEBUT, smtp=smtp, s3=s3) as dist, dist.client() as http:
                await histoire(http, dist, smtp, recepteur, tmp_path)


async def histoire(
    http: httpx.AsyncClient, dist: Distribue, smtp: SmtpServer, recepteur: WebhookReceiver, tmp_path: Path
) -> None:
    dep = dist.deploiement
    declaration_id = await declarer_et_faire_accepter(http, dep, smtp)
    abonnement = await http.post(
        "/notify/v1/abonnements",
        json={"url": f"{recepteur.url}/webhooks", "types": ["acte.envoye", "acte.pris_connaissance"]},
        headers=commissaire(dep, "notify"),
    )
    assert abonnement.status_code == 201, abonnement.text
    secret = abonnement.json()["secret"]

    deja = len(smtp.received)
    acte_id = await deposer(http, dep, tmp_path, declaration_id)
    # The workers relay `acte.envoye` to notify, which mails the avis with a link from the coffre.
    avis = await attendre_courriel(smtp, lambda m: "/coffre/retrait/" in m.raw.decode(), deja=deja, delai=30)
    assert avis.rcpt_tos == [EMAIL]
    lien = lien_dans(avis.message)
    assert lien.startswith(dist.bases["coffre"] + "/coffre/retrait/")

    recu = await retirer(http, smtp, lien)
    assert recu == (tmp_path / "acte-signe.pdf").read_bytes()

    livraisons = await attendre_webhook(recepteur, "acte.pris_connaissance")
    for livraison in livraisons:
        assert livraison.json()["donnees"]["acte_id"] == acte_id
        assert signature_valide(secret, livraison.headers, livraison.body)
        assert not signature_valide(secret, livraison.headers, livraison.body + b" ")

    await fixer_le_mode(http, dist, acte_id)

    # Exactly one avis e-mail, although two workers competed for the job that sends it.
    avis_recus = [m for m in smtp.received if "/coffre/retrait/" in m.raw.decode()]
    assert len(avis_recus) == 1
    # Duplicates would be allowed by Standard Webhooks if they carried the same id; none happened.
    for type_evenement in ("acte.envoye", "acte.pris_connaissance"):
        recus = [r for r in recepteur.to("/webhooks") if r.json()["type"] == type_evenement]
        ids = [r.headers["webhook-id"] for r in recus]
        assert len(ids) == 1, (type_evenement, ids)
        assert ids[0] == recus[0].json()["id"]
    await chaque_job_une_fois(dist)


async def retirer(http: httpx.AsyncClient, smtp: SmtpServer, lien: str) -> bytes:
    """Sign in on the retrieval pages (password, then the e-mailed code) and download the acte."""
    retrait = Retrait(http, lien)
    assert "Un acte vous a été signifié" in await retrait.page()
    deja = len(smtp.received)
    connexion = await retrait.envoyer("connexion", email=EMAIL, mot_de_passe=MOT_DE_PASSE)
    assert connexion.status_code == 303, connexion.text
    assert "erreur" not in connexion.headers["location"]
    mail = await attendre_courriel(
        smtp, lambda m: "connexion" in str(m.message["Subject"]).lower(), deja=deja
    )
    code = await retrait.envoyer("code", code=code_dans(mail.message))
    assert code.status_code == 303, code.text
    assert "erreur" not in code.headers["location"]
    telechargement = await retrait.envoyer("telechargement")
    assert telechargement.status_code == 200, telechargement.text
    assert telechargement.headers["content-type"] == "application/pdf"
    return telechargement.content


async def attendre_webhook(recepteur: WebhookReceiver, type_evenement: str) -> list[RecordedRequest]:
    def recus() -> list[RecordedRequest]:
        return [r for r in recepteur.to("/webhooks") if r.json()["type"] == type_evenement]

    async def arrive() -> bool:
        return bool(recus())

    await attendre(arrive, f"webhook {type_evenement}", delai=30)
    return recus()


async def fixer_le_mode(http: httpx.AsyncClient, dist: Distribue, acte_id: str) -> None:
    """Past local midnight: every server's clock moves, and the workers restart with a later clock
    (each process has its own test clock)."""
    for service in SERVICES:
        moved = await http.post(f"/{service}/_test/horloge", json={"maintenant": APRES_MINUIT})
        assert moved.status_code == 200, moved.text
    await dist.redemarrer_workers(datetime.fromisoformat(APRES_MINUIT))
    commissaire_coffre = commissaire(dist.deploiement, "coffre")

    async def fixe() -> bool:
        acte = await http.get(f"/coffre/v1/actes/{acte_id}", headers=commissaire_coffre)
        assert acte.status_code == 200, acte.text
        return acte.json()["mode"] is not None

    await attendre(fixe, "mode fixed", delai=30)
    acte = (await http.get(f"/coffre/v1/actes/{acte_id}", headers=commissaire_coffre)).json()
    assert acte["mode"] == "a_personne"
    assert acte["lettre_simple"] is None


async def chaque_job_une_fois(dist: Distribue) -> None:
    """Every job that became due ran to `done` in one attempt; the others are still in the future."""
    await dist.arreter_workers()
    fin = datetime.fromisoformat(APRES_MINUIT)
    for service in SERVICES:
        jobs = await dist.jobs(service)
        for job in jobs:
            if job["status"] == "pending" and job["run_at"] > fin:
                continue
            assert (job["status"], job["attempts"]) == ("done", 1), (service, dict(job))
    relais = [j for j in await dist.jobs("coffre") if j["status"] == "done"]
    assert relais, "the coffre's workers ran nothing"
