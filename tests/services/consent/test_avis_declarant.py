"""The declarant is told what happens to her declaration, by e-mail: accepted, rejected (with the motif
and what to do), ending in 30 days (fixed term), revoked. Durable jobs of consent, sent by the real
notify to a real SMTP server; the jobs table never holds her address nor the motif."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from services.notify.courriel.messages import SUJETS_DECLARATION
from tests.services.consent.conftest import DEBUT, Consent, Declaree, corps, soumettre

EMAIL = "elise.dupont@example.org"


async def _executer(env: Consent) -> int:
    runner = env.runtime.runner
    assert runner is not None
    return await runner.run_due()


def _courriels(env: Consent, sujet: str) -> list[str]:
    return [
        m.part("plain") for m in env.notify.smtp.received if m.message["Subject"] == SUJETS_DECLARATION[sujet]
    ]


async def _decider(env: Consent, d: Declaree, decision: str, motif: str) -> None:
    r = await env.client.post(
        f"/consent/v1/operateur/declarations/{d.id}/decision",
        json={"decision": decision, "motif": motif},
        headers=env.bearer("operateur"),
    )
    assert r.status_code == 200, r.text


async def _numero(env: Consent, d: Declaree) -> str:
    lue = await env.client.get(f"/consent/v1/declarations/{d.id}", headers=d.entetes)
    return str(lue.json()["numero"])


async def test_accepted_then_revoked(consent: Consent) -> None:
    d = await soumettre(consent)
    await _decider(consent, d, "acceptee", "Pièces conformes")
    assert _courriels(consent, "acceptee") == []  # sent by a job, after the decision's commit
    await _executer(consent)
    [accepte] = _courriels(consent, "acceptee")
    assert (
        f"Votre déclaration n° {await _numero(consent, d)} a été vérifiée et acceptée le lundi 2 mars 2026"
        in accepte
    )
    assert "(heure de la France métropolitaine)" in accepte
    assert "/coffre/retrait" in accepte
    assert [m.rcpt_tos for m in consent.notify.smtp.received if "acceptée" in str(m.message["Subject"])] == [
        [EMAIL]
    ]

    revoque = await consent.client.post(f"/consent/v1/declarations/{d.id}/revocation", headers=d.entetes)
    assert revoque.status_code == 200, revoque.text
    await _executer(consent)
    [message] = _courriels(consent, "revoquee")
    assert "est révoqué depuis le lundi 2 mars 2026" in message
    assert "Les actes déjà signifiés restent consultables" in message
    await _executer(consent)
    assert len(_courriels(consent, "revoquee")) == 1  # once


async def test_rejected_with_the_motif_and_what_to_do(consent: Consent) -> None:
    d = await soumettre(consent)
    await _decider(consent, d, "rejetee", "La pièce d'identité est illisible")
    # The job holds the declaration's id and the subject only: no address, no motif.
    async with consent.runtime.db.transaction() as session:
        payloads = (await session.execute(text("SELECT payload FROM jobs"))).scalars().all()
    assert any(d.id in str(p) for p in payloads)
    assert not any(EMAIL in str(p) or "illisible" in str(p) for p in payloads)
    await _executer(consent)
    [rejet] = _courriels(consent, "rejetee")
    assert "n'a pas été acceptée le lundi 2 mars 2026" in rejet
    assert "Motif : La pièce d'identité est illisible." in rejet
    assert "Ce que vous pouvez faire" in rejet
    assert "/consent/declaration" in rejet


async def test_a_fixed_term_declaration_is_announced_30_days_before_its_end(consent: Consent) -> None:
    fin = DEBUT.date() + timedelta(days=90)  # 31 May 2026
    d = await soumettre(consent, corps(fin=fin.isoformat()))
    await _decider(consent, d, "acceptee", "Pièces conformes")
    await _executer(consent)
    assert _courriels(consent, "fin_prochaine") == []
    # 1 May 2026 08:59 in Paris (UTC+2): not yet; 09:00: the notice.
    await consent.horloge("2026-05-01T06:59:00Z")
    await _executer(consent)
    assert _courriels(consent, "fin_prochaine") == []
    await consent.horloge("2026-05-01T07:00:00Z")
    await _executer(consent)
    [avis] = _courriels(consent, "fin_prochaine")
    assert "prend fin le dimanche 31 mai 2026" in avis
    assert "faites une nouvelle déclaration" in avis


async def test_no_end_notice_once_revoked(consent: Consent) -> None:
    fin = DEBUT.date() + timedelta(days=90)
    d = await soumettre(consent, corps(fin=fin.isoformat()))
    await _decider(consent, d, "acceptee", "Pièces conformes")
    await consent.client.post(f"/consent/v1/declarations/{d.id}/revocation", headers=d.entetes)
    await consent.horloge("2026-05-01T07:00:00Z")
    await _executer(consent)
    assert _courriels(consent, "fin_prochaine") == []
    assert len(_courriels(consent, "revoquee")) == 1
