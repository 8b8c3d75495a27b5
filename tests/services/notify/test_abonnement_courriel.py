"""An office may subscribe an e-mail address (`mailto:`): the avis de réception reaches it by e-mail,
with the JWS attached, under the same durable delivery and retry schedule as a webhook."""

from __future__ import annotations

from datetime import timedelta

from tests.services.notify.conftest import Notify

PRISE = {
    "acte_id": "acte-42",
    "office_id": "office-paris-1",
    "sha256": "ab" * 32,
    "pris_connaissance_le": "2026-03-02T13:45:10Z",
    "avis_reception_jws": "eyJhbGciOiJFZERTQSJ9.eyJhY3RlX2lkIjoiYWN0ZS00MiJ9.c2lnbmF0dXJl",
}


async def test_the_avis_de_reception_arrives_by_e_mail_with_the_jws(notify: Notify) -> None:
    abonnement = await notify.subscribe("mailto:Greffe@Office-Martin.example", ["acte.pris_connaissance"])
    assert abonnement["url"] == "mailto:Greffe@office-martin.example"
    assert (await notify.emit("acte.pris_connaissance", PRISE)).status_code == 201
    await notify.run_jobs()
    assert len(notify.smtp.received) == 1
    mail = notify.smtp.received[0]
    assert mail.rcpt_tos == ["Greffe@office-martin.example"]
    message = mail.message
    assert message["Subject"] == "Avis de réception : le destinataire a pris connaissance de l'acte"
    texte = mail.part("plain")
    assert (
        "pris connaissance de l'acte acte-42 le lundi 2 mars 2026 à 14 h 45 min 10 s "
        "(heure légale de la France métropolitaine, UTC+01:00)"
    ) in texte
    assert "ab" * 32 in texte
    assert "acte-42" in mail.part("html")
    pieces = list(message.iter_attachments())
    assert [p.get_filename() for p in pieces] == ["avis-de-reception-acte-42.jws"]
    assert pieces[0].get_content() == PRISE["avis_reception_jws"].encode()
    livraisons = await notify.client.get("/notify/v1/livraisons", headers=notify.commissaire())
    [livraison] = livraisons.json()["elements"]
    assert livraison["statut"] == "livree"
    assert livraison["tentatives"][0]["code_reponse"] == 250


async def test_the_office_reads_the_destinataire_s_legal_time(notify: Notify) -> None:
    """A Réunion destinataire who downloads at 22 h 30 in Paris does so at 1 h 30 the next day in her
    legal time, the one the mode is decided in: the office's e-mail says so, zone named."""
    await notify.subscribe("mailto:greffe@office-martin.example", ["acte.pris_connaissance"])
    prise = {**PRISE, "pris_connaissance_le": "2026-03-02T21:30:00Z", "fuseau": "Indian/Reunion"}
    assert (await notify.emit("acte.pris_connaissance", prise)).status_code == 201
    await notify.run_jobs()
    texte = notify.smtp.received[0].part("plain")
    assert ("le mardi 3 mars 2026 à 1 h 30 min 00 s (heure légale de La Réunion, UTC+04:00)") in texte


async def test_a_refusing_mail_server_is_retried_on_schedule(notify: Notify) -> None:
    await notify.subscribe("mailto:greffe@office-martin.example", ["acte.mode_fixe"])
    notify.smtp.refuse_next = 1
    donnees = {
        "acte_id": "acte-7",
        "office_id": "office-paris-1",
        "mode": "a_domicile",
        "lettre_simple_due_le": "2026-03-03",
    }
    await notify.emit("acte.mode_fixe", donnees)
    await notify.run_jobs()
    assert notify.smtp.received == []
    livraisons = (await notify.client.get("/notify/v1/livraisons", headers=notify.commissaire())).json()
    assert livraisons["elements"][0]["statut"] == "en_attente"
    assert livraisons["elements"][0]["tentatives"][0]["statut"] == "echec"
    await notify.advance(timedelta(hours=1))
    await notify.run_jobs()
    assert len(notify.smtp.received) == 1
    texte = notify.smtp.received[0].part("plain")
    assert "acte-7 : signification à domicile." in texte
    assert "La lettre simple est à envoyer le 2026-03-03." in texte


async def test_a_bad_mailto_is_refused(notify: Notify) -> None:
    response = await notify.client.post(
        "/notify/v1/abonnements",
        json={"url": "mailto:pas-une-adresse", "types": ["acte.pris_connaissance"]},
        headers=notify.commissaire(),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "url-webhook-refusee"
