"""E-mails over a real SMTP server (aiosmtpd): the avis de mise à disposition flow against
stand-ins of consent and the coffre, its retries and failure report, one-time codes, .eml files."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import jwt
from sqlalchemy import select

from services.notify.avis.service import TENTATIVES_ENVOI
from services.notify.models import AvisMiseADisposition, EnvoiCode
from shared.testing.databases import sqlite_url
from shared.testing.webhooks import Answer
from tests.services.notify.conftest import Notify, start_notify

CANAL = "/consent/v1/interne/declarations/decl-1/canal"
LIEN = "/coffre/v1/interne/actes/acte-1/lien"
RAPPORT = "/coffre/v1/interne/actes/acte-1/avis-mise-a-disposition"
URL_RETRAIT = "http://127.0.0.1:8000/coffre/retrait/jeton-secret-de-test"
ENVOYE = {
    "acte_id": "acte-1",
    "office_id": "office-paris-1",
    "declaration_id": "decl-1",
    "nature": "commandement_payer",
    "nature_libelle": "Commandement de payer",
    "requerant": "SCI Les Tilleuls",
    "envoye_le": "2026-11-24T09:00:00Z",
    "office_nom": "Office Martin & Associés",
    "commissaire_nom": "Me Claire Martin",
    "email": "adresse.du.commissaire@exemple.fr",
}


def _stand_ins(notify: Notify, *, canal_status: int = 200, fuseau: str | None = None) -> None:
    receiver = notify.receiver
    receiver.route(
        "GET",
        CANAL,
        Answer.of_json(
            canal_status, {"declaration_id": "decl-1", "email": "marie.dupont@exemple.fr", "mobile": None}
        ),
    )
    lien = {"url": URL_RETRAIT, "expire_le": "2026-12-24T09:00:00Z"}
    receiver.route("POST", LIEN, Answer.of_json(200, lien if fuseau is None else {**lien, "fuseau": fuseau}))
    receiver.route("POST", RAPPORT, Answer.of_json(200, {"enregistre": True}))


def _audience(header: str) -> str:
    claims = jwt.decode(header.removeprefix("Bearer "), options={"verify_signature": False})
    assert claims["role"] == "service"
    return str(claims["aud"])


async def test_acte_envoye_emails_the_declared_channel_and_reports_to_the_coffre(notify: Notify) -> None:
    _stand_ins(notify)
    await notify.emit("acte.envoye", ENVOYE)
    await notify.run_jobs()

    [mail] = notify.smtp.received
    assert mail.rcpt_tos == ["marie.dupont@exemple.fr"]
    assert mail.message["Subject"] == "Un acte vous a été signifié par voie électronique"
    texte, page = mail.part("plain"), mail.part("html")
    for part in (texte, page):
        assert "Me Claire Martin" in part
        assert "Commandement de payer" in part
        assert "mardi 24 novembre 2026 à 10 h 00 (heure de la France métropolitaine)" in part
        assert URL_RETRAIT in part
        assert "espace destinataire : " in part
        # The space's stable address, without the link's token.
        assert re.search(
            r"espace destinataire : (<a href=\")?http://127\.0\.0\.1:8000/coffre/retrait[\r\n\"]", part
        )
        assert "SCI Les Tilleuls" not in part
    assert "Office Martin &amp; Associés" in page
    assert '<html lang="fr">' in page

    [canal] = notify.receiver.to(CANAL)
    [lien] = notify.receiver.to(LIEN)
    assert _audience(canal.headers["authorization"]) == "consent"
    assert _audience(lien.headers["authorization"]) == "coffre"
    [rapport] = notify.receiver.to(RAPPORT)
    body = rapport.json()
    assert body["statut"] == "envoye"
    assert body["canal"] == "email"
    assert body["envoye_le"] == "2026-11-24T09:00:00Z"
    assert f"<{body['message_id']}>" == mail.message["Message-ID"]
    # The evidence of the avis: the SHA-256 of the message as handed to the mail server, and the
    # declared address masked (the coffre puts both on the certificat).
    # SMTP carries the lines with CRLF; the hash is of the message with its lines ended by LF.
    assert body["message_sha256"] == hashlib.sha256(mail.raw.replace(b"\r\n", b"\n")).hexdigest()
    assert body["adresse_masquee"] == "m••••••t@exemple.fr"

    # A replayed event sends nothing twice.
    await notify.advance(timedelta(hours=1))
    await notify.run_jobs()
    assert len(notify.smtp.received) == 1
    assert len(notify.receiver.to(RAPPORT)) == 1


async def test_the_avis_states_its_instants_in_the_destinataires_legal_zone(notify: Notify) -> None:
    _stand_ins(notify, fuseau="Indian/Reunion")
    await notify.emit("acte.envoye", ENVOYE)
    await notify.run_jobs()

    [mail] = notify.smtp.received
    for part in (mail.part("plain"), mail.part("html")):
        assert "mardi 24 novembre 2026 à 13 h 00 (heure de La Réunion)" in part
        assert "valable jusqu'au jeudi 24 décembre 2026 à 13 h 00 (heure de La Réunion)" in part.replace(
            "&#x27;", "'"
        )
        assert "Paris" not in part
        assert "métropolitaine" not in part


async def test_smtp_down_is_retried_then_sent_once(notify: Notify) -> None:
    _stand_ins(notify)
    notify.smtp.refuse_next = 1
    await notify.emit("acte.envoye", ENVOYE)
    await notify.run_jobs()
    assert notify.smtp.received == []
    assert notify.receiver.to(RAPPORT) == []
    await notify.advance(timedelta(seconds=30))
    await notify.run_jobs()
    assert len(notify.smtp.received) == 1
    [rapport] = notify.receiver.to(RAPPORT)
    assert rapport.json()["statut"] == "envoye"


async def test_unknown_declaration_is_reported_as_a_failure(notify: Notify) -> None:
    _stand_ins(notify, canal_status=404)
    await notify.emit("acte.envoye", ENVOYE)
    await notify.run_jobs()
    assert notify.smtp.received == []
    assert notify.receiver.to(LIEN) == []
    [rapport] = notify.receiver.to(RAPPORT)
    assert rapport.json()["statut"] == "echec"
    assert rapport.json()["detail"]
    async with notify.runtime.db.transaction() as session:
        avis = await session.scalar(select(AvisMiseADisposition))
    assert avis is not None
    assert avis.statut == "echec"
    assert avis.rapporte_le is not None


async def test_report_to_the_coffre_is_retried_until_accepted(notify: Notify) -> None:
    _stand_ins(notify)
    notify.receiver.route("POST", RAPPORT, Answer(503))
    await notify.emit("acte.envoye", ENVOYE)
    await notify.run_jobs()
    assert len(notify.receiver.to(RAPPORT)) == 1
    notify.receiver.route("POST", RAPPORT, Answer(200))
    await notify.advance(timedelta(minutes=1))
    await notify.run_jobs()
    assert len(notify.receiver.to(RAPPORT)) == 2
    assert len(notify.smtp.received) == 1


async def test_one_time_codes_are_sent_and_never_stored(notify: Notify) -> None:
    response = await notify.client.post(
        "/notify/v1/interne/codes",
        json={"email": "marie.dupont@exemple.fr", "code": "482913", "objet": "connexion"},
        headers=notify.service(),
    )
    assert response.status_code == 202, response.text
    assert response.json()["envoye_le"] == "2026-11-24T09:00:00Z"
    [mail] = notify.smtp.received
    assert "482913" in mail.part("plain")
    assert mail.message["Subject"] == "Votre code de connexion"
    async with notify.runtime.db.transaction() as session:
        [envoi] = (await session.scalars(select(EnvoiCode))).all()
    assert envoi.objet == "connexion"
    assert "482913" not in repr(vars(envoi))

    refused = await notify.client.post(
        "/notify/v1/interne/codes",
        json={"email": "marie.dupont@exemple.fr", "code": "482913", "objet": "connexion"},
        headers=notify.commissaire(),
    )
    assert refused.status_code == 403


async def test_smtp_refusal_of_a_code_answers_503(notify: Notify) -> None:
    notify.smtp.refuse_next = 1
    response = await notify.client.post(
        "/notify/v1/interne/codes",
        json={"email": "marie.dupont@exemple.fr", "code": "482913", "objet": "confirmation"},
        headers=notify.service(),
    )
    assert response.status_code == 503
    assert response.json()["code"] == "indisponible"


async def test_without_smtp_host_emails_are_written_as_eml_files(tmp_path: Path) -> None:
    async with start_notify(tmp_path, sqlite_url(tmp_path), smtp_host=None) as notify:
        _stand_ins(notify)
        await notify.emit("acte.envoye", ENVOYE)
        await notify.run_jobs()
        assert notify.smtp.received == []
        [eml] = list((tmp_path / "mail").glob("*.eml"))
        content = eml.read_bytes()
        assert b"marie.dupont@exemple.fr" in content
        assert notify.receiver.to(RAPPORT)[0].json()["statut"] == "envoye"


async def test_smtp_refusing_for_hours_ends_in_a_reported_failure(notify: Notify) -> None:
    """Issue 12: the SMTP relay refuses every message for hours. The avis is tried on the backoff
    schedule (test clock), never sent, then recorded as an `echec` and reported to the coffre (which
    tells the office with `notification.echec`) once, after the last attempt, about 14 hours later."""
    _stand_ins(notify)
    notify.smtp.refuse_next = 1000
    debut = notify.runtime.clock.now()
    await notify.emit("acte.envoye", ENVOYE)
    for _ in range(40):
        await notify.run_jobs()
        if notify.receiver.to(RAPPORT):
            break
        await notify.advance(timedelta(hours=1))
    [rapport] = notify.receiver.to(RAPPORT)
    assert rapport.json()["statut"] == "echec"
    assert notify.smtp.received == []
    assert 1000 - notify.smtp.refuse_next == TENTATIVES_ENVOI  # every attempt reached the relay
    assert notify.runtime.clock.now() - debut >= timedelta(hours=10)
    await notify.advance(timedelta(days=2))
    await notify.run_jobs()
    assert len(notify.receiver.to(RAPPORT)) == 1
