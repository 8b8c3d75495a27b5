"""Mode à personne / à domicile fixed at the local midnight ending the day of sending (Paris and
Guadeloupe), the lettre simple's due date over weekends and jours fériés, its posting, the certificat."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.coffre.models import Acte
from services.coffre.reception.mode import decider, echeance_mode
from tests.services.coffre.retrait.outils import (
    PERSONNE_GUADELOUPE,
    PERSONNE_PARIS,
    Banc,
    BancFactory,
    Compte,
    executer,
    regler,
    se_connecter,
    telecharger,
)
from tests.services.coffre.voisins import DECL


async def _detail(b: Banc, acte_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = await b.client.get(f"/coffre/v1/actes/{acte_id}", headers=headers or b.t.jeton())
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


async def _prendre_connaissance(
    b: Banc, acte_id: str, instant: datetime, compte: Compte = PERSONNE_PARIS
) -> None:
    regler(b, instant)
    jeton = await b.lien(acte_id)
    await se_connecter(b, jeton, compte)
    r = await telecharger(b.client, jeton)
    assert r.status_code == 200


async def test_a_personne_a_paris_juste_avant_minuit(banc: BancFactory, pdf_signe: bytes) -> None:
    async with banc() as b:  # Monday 2 March 2026, 10:00 in Paris
        acte_id = await b.signifier(pdf_signe)
        refus = await b.client.get(f"/coffre/v1/actes/{acte_id}/certificat", headers=b.t.jeton())
        assert refus.status_code == 409
        assert refus.json()["code"] == "mode-non-fixe"
        await _prendre_connaissance(b, acte_id, datetime(2026, 3, 2, 22, 59, 59, tzinfo=UTC))  # 23:59:59
        regler(b, datetime(2026, 3, 2, 22, 59, 59, 500000, tzinfo=UTC))
        await executer(b)
        assert (await _detail(b, acte_id))["mode"] is None  # not before midnight
        regler(b, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))  # midnight in Paris
        assert await executer(b) >= 1
        detail = await _detail(b, acte_id)
        assert detail["mode"] == "a_personne"
        assert detail["lettre_simple"] is None
        assert detail["pris_connaissance_le"] == "2026-03-02T22:59:59Z"
        assert "mode_fixe" in [e["type"] for e in detail["evenements"]]
        mode_fixe = [e for e in await b.voisins.evenements() if e["type"] == "acte.mode_fixe"]
        assert [e["donnees"] for e in mode_fixe] == [
            {
                "acte_id": acte_id,
                "office_id": "office-paris-1",
                "mode": "a_personne",
                "lettre_simple_due_le": None,
                "fuseau": "Europe/Paris",
            }
        ]
        certificat = await b.client.get(f"/coffre/v1/actes/{acte_id}/certificat", headers=b.t.jeton())
        assert certificat.status_code == 200
        assert certificat.content.startswith(b"%PDF")
        assert b"/ETSI.CAdES.detached" in certificat.content
        lettre = await b.client.get(f"/coffre/v1/actes/{acte_id}/lettre-simple", headers=b.t.jeton())
        assert lettre.status_code == 409
        autre = b.t.commissaire(office_id="office-paris-2")
        assert (
            await b.client.get(f"/coffre/v1/actes/{acte_id}/certificat", headers=autre)
        ).status_code == 404


async def test_a_domicile_un_samedi_veille_de_paques(banc: BancFactory, pdf_signe: bytes) -> None:
    # Saturday 4 April 2026, 10:00 in Paris; Sunday 5 and Easter Monday 6 are not jours ouvrables.
    async with banc(now=datetime(2026, 4, 4, 8, 0, tzinfo=UTC)) as b:
        acte_id = await b.signifier(pdf_signe)
        # Taken at 00:00:01 on Sunday: the next day, so à domicile.
        await _prendre_connaissance(b, acte_id, datetime(2026, 4, 4, 22, 0, 1, tzinfo=UTC))
        await executer(b)
        detail = await _detail(b, acte_id)
        assert detail["mode"] == "a_domicile"
        assert detail["lettre_simple"] == {"due_le": "2026-04-07", "envoyee_le": None}
        assert detail["pris_connaissance_le"] == "2026-04-04T22:00:01Z"

        # A later download never changes the mode.
        regler(b, datetime(2026, 4, 5, 9, 0, tzinfo=UTC))
        jeton = await b.lien(acte_id)
        await se_connecter(b, jeton, PERSONNE_PARIS)
        assert (await telecharger(b.client, jeton)).status_code == 200
        await executer(b)
        assert (await _detail(b, acte_id))["mode"] == "a_domicile"

        lettre = await b.client.get(f"/coffre/v1/actes/{acte_id}/lettre-simple", headers=b.t.jeton())
        assert lettre.status_code == 200
        assert lettre.content.startswith(b"%PDF")
        url = f"/coffre/v1/actes/{acte_id}/lettre-simple/envoi"
        # Sunday 5 April: Tuesday 7 is still in the future, refused with its code.
        futur = await b.client.post(url, headers=b.t.jeton(), json={"envoyee_le": "2026-04-07"})
        assert futur.status_code == 422
        assert futur.json()["code"] == "lettre-simple-date-future"
        regler(b, datetime(2026, 4, 7, 7, 0, tzinfo=UTC))
        envoi = await b.client.post(url, headers=b.t.jeton(), json={"envoyee_le": "2026-04-07"})
        assert envoi.status_code == 200
        assert envoi.json()["journal_index"] >= 0
        assert envoi.json()["corrige"] is None
        deux = await b.client.post(url, headers=b.t.jeton(), json={"envoyee_le": "2026-04-06"})
        assert deux.status_code == 409
        assert deux.json()["code"] == "lettre-deja-envoyee"
        detail = await _detail(b, acte_id)
        assert detail["lettre_simple"] == {"due_le": "2026-04-07", "envoyee_le": "2026-04-07"}
        assert "lettre_simple_envoyee" in [e["type"] for e in detail["evenements"]]
        certificat = await b.client.get(f"/coffre/v1/actes/{acte_id}/certificat", headers=b.t.jeton())
        assert certificat.status_code == 200
        assert certificat.content.startswith(b"%PDF")


async def test_a_domicile_sans_retrait(banc: BancFactory, pdf_signe: bytes) -> None:
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        regler(b, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))
        await executer(b)
        detail = await _detail(b, acte_id)
        assert detail["mode"] == "a_domicile"
        assert detail["lettre_simple"] == {"due_le": "2026-03-03", "envoyee_le": None}
        avis = await b.client.get(f"/coffre/v1/actes/{acte_id}/avis-de-reception", headers=b.t.jeton())
        assert avis.status_code == 404


async def test_guadeloupe_minuit_local(banc: BancFactory, pdf_signe: bytes) -> None:
    # Monday 2 March 2026, 10:00 in Guadeloupe (UTC-4), 15:00 in Paris.
    gp = {"office_id": "office-gp", "cour_appel": "basse-terre", "commune_insee": "97105"}
    async with banc(now=datetime(2026, 3, 2, 14, 0, tzinfo=UTC)) as b:
        r = await b.t.deposer(
            pdf_signe,
            {
                "reference_dossier": "GP-1",
                "nature": "signification_decision",
                "requerant": {"nom": "SCI Les Tamariniers"},
                "destinataire": {"declaration_id": DECL["guadeloupe"]},
            },
            headers=b.t.commissaire(**gp),
        )
        assert r.status_code == 201, r.text
        acte_id = r.json()["id"]
        # 23:59 in Guadeloupe on the 2nd, already 04:59 on the 3rd in Paris.
        await _prendre_connaissance(b, acte_id, datetime(2026, 3, 3, 3, 59, tzinfo=UTC), PERSONNE_GUADELOUPE)
        await executer(b)
        assert (await _detail(b, acte_id, b.t.commissaire(**gp)))["mode"] is None  # Paris midnight is not it
        regler(b, datetime(2026, 3, 3, 4, 0, tzinfo=UTC))
        await executer(b)
        assert (await _detail(b, acte_id, b.t.commissaire(**gp)))["mode"] == "a_personne"


def _acte(envoye_le: datetime, commune: str, pris: datetime | None = None) -> Acte:
    return Acte(id="a", envoye_le=envoye_le, commune_insee=commune, pris_connaissance_le=pris, mode=None)


@pytest.mark.parametrize(
    ("envoye_le", "commune", "due"),
    [
        (datetime(2026, 4, 4, 8, 0, tzinfo=UTC), "75056", date(2026, 4, 7)),  # Sat → Easter Monday → Tue
        (
            datetime(2026, 4, 30, 8, 0, tzinfo=UTC),
            "75056",
            date(2026, 5, 2),
        ),  # 1 May férié, Saturday ouvrable
        (datetime(2026, 5, 26, 14, 0, tzinfo=UTC), "97105", date(2026, 5, 28)),  # 27 May in Guadeloupe
        (datetime(2026, 5, 26, 8, 0, tzinfo=UTC), "75056", date(2026, 5, 27)),  # ... an ordinary day in Paris
        (datetime(2026, 12, 24, 9, 0, tzinfo=UTC), "57463", date(2026, 12, 28)),  # Moselle: 25 and 26 Dec
    ],
)
def test_echeance_lettre_simple(envoye_le: datetime, commune: str, due: date) -> None:
    assert decider(_acte(envoye_le, commune)) == ("a_domicile", due)


def test_echeance_du_mode_minuit_local() -> None:
    assert echeance_mode(_acte(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), "97105")) == datetime(
        2026, 3, 3, 4, 0, tzinfo=UTC
    )
    assert echeance_mode(_acte(datetime(2026, 7, 1, 8, 0, tzinfo=UTC), "75056")) == datetime(
        2026, 7, 1, 22, 0, tzinfo=UTC
    )
    pris = datetime(2026, 3, 3, 3, 59, tzinfo=UTC)
    assert decider(_acte(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), "97105", pris)) == ("a_personne", None)
    assert decider(_acte(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), "75056", pris))[0] == "a_domicile"
