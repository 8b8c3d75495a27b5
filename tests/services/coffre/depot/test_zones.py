"""The gates the law names beyond the destinataire's own zone: CPC 664 in the office's legal time too
(legal.md §8 H3: a DOM office serving metropole, and the reverse, sends only at an instant legal in
both zones), and the aerodrome zones whose cour d'appel is not their commune's (legal.md §7 T3:
Roissy-CDG and Le Bourget in Val-d'Oise → Paris, Aire-sur-l'Adour in Gers → Pau)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.coffre.depot.controles import (
    controler_competence,
    decision_horaire,
    territoire_office,
)
from services.coffre.errors import HorsHeuresLegales, IncompetenceTerritoriale
from services.coffre.models import Acte
from shared.territoire import territoire_de
from tests.services.coffre.conftest import CoffreFactory, metadonnees
from tests.services.coffre.voisins import DECL

PARIS = territoire_de("75056")
GUADELOUPE = territoire_de("97105")  # Basse-Terre, UTC−04:00
REUNION = territoire_de("97411")  # Saint-Denis, UTC+04:00
MAYOTTE = territoire_de("97611")  # Mamoudzou, UTC+03:00


def test_office_en_guadeloupe_destinataire_a_paris() -> None:
    # Monday 2 March 2026, 09:30 UTC: 10:30 in Paris (legal), 05:30 in Basse-Terre (not yet).
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert decision_horaire(now, PARIS, derogation=False, envoi_differe=True).mode == "envoyer"
    decision = decision_horaire(now, PARIS, derogation=False, envoi_differe=True, office=GUADELOUPE)
    assert (decision.mode, decision.instant) == ("programmer", datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    with pytest.raises(HorsHeuresLegales) as refus:
        decision_horaire(now, PARIS, derogation=False, envoi_differe=False, office=GUADELOUPE)
    assert refus.value.extra["fuseau_office"] == "America/Guadeloupe"
    assert "celui de l'office" in refus.value.detail
    assert refus.value.extra["prochain_instant_legal"] == "2026-03-02T11:00:00+01:00"
    # A judge's derogation lifts both.
    assert (
        decision_horaire(now, PARIS, derogation=True, envoi_differe=False, office=GUADELOUPE).mode
        == "envoyer"
    )


def test_office_a_paris_destinataire_en_guadeloupe() -> None:
    # Monday 2 March 2026, 21:30 UTC: 17:30 in Basse-Terre (legal), 22:30 in Paris (too late).
    now = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
    assert decision_horaire(now, GUADELOUPE, derogation=False, envoi_differe=True).mode == "envoyer"
    decision = decision_horaire(now, GUADELOUPE, derogation=False, envoi_differe=True, office=PARIS)
    # Paris opens at 05:00 UTC (01:00 in Basse-Terre): the first instant legal in both is 06:00 there.
    assert (decision.mode, decision.instant) == ("programmer", datetime(2026, 3, 3, 10, 0, tzinfo=UTC))


def test_office_a_la_reunion_destinataire_a_mayotte() -> None:
    # One cour d'appel (Saint-Denis), two zones: 20:30 in Mamoudzou is 21:30 in Saint-Denis.
    soir = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    assert decision_horaire(soir, MAYOTTE, derogation=False, envoi_differe=True).mode == "envoyer"
    office = territoire_office("97411")
    assert office == REUNION
    decision = decision_horaire(soir, MAYOTTE, derogation=False, envoi_differe=True, office=office)
    assert (decision.mode, decision.instant) == ("programmer", datetime(2026, 3, 3, 3, 0, tzinfo=UTC))


def test_meme_zone_rien_ne_change() -> None:
    dimanche = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
    seule = decision_horaire(dimanche, PARIS, derogation=False, envoi_differe=True)
    deux = decision_horaire(
        dimanche, PARIS, derogation=False, envoi_differe=True, office=territoire_office("69123")
    )
    assert seule == deux
    assert territoire_office(None) is None
    assert territoire_office("99999") is None


ZONES = [
    # (commune, what, the zone's court, the commune's court)
    ("95527", "Roissy-en-France (Roissy-CDG)", "paris", "versailles"),
    ("95088", "Bonneuil-en-France (Le Bourget)", "paris", "versailles"),
    ("95277", "Gonesse (Le Bourget)", "paris", "versailles"),
    ("32027", "Barcelonne-du-Gers (Aire-sur-l'Adour)", "pau", "agen"),
]


@pytest.mark.parametrize(("commune", "quoi", "cour_zone", "cour_commune"), ZONES, ids=[z[1] for z in ZONES])
def test_zone_aeroportuaire(commune: str, quoi: str, cour_zone: str, cour_commune: str) -> None:
    territoire = territoire_de(commune)
    # The commune's own court: competent, nothing to justify.
    assert controler_competence(cour_commune, territoire) is None
    # The aerodrome zone's court: only with the domicile stated inside the zone, and why.
    with pytest.raises(IncompetenceTerritoriale) as refus:
        controler_competence(cour_zone, territoire)
    assert refus.value.extra["cour_appel_zone"] == cour_zone
    assert "zone_aeroportuaire" in refus.value.detail
    justification = "Domicile : logement de fonction situé dans l'emprise de l'aérodrome."
    retenue = controler_competence(cour_zone.capitalize(), territoire, zone_justifiee=justification)
    assert retenue is not None
    assert retenue["cour_appel"] == cour_zone
    assert retenue["justification"] == justification
    assert territoire.zone is not None
    assert retenue["zone"] == territoire.zone
    # Any other court: refused, justification or not.
    with pytest.raises(IncompetenceTerritoriale):
        controler_competence("lyon", territoire, zone_justifiee=justification)


def test_hors_zone_la_justification_ne_sert_a_rien() -> None:
    argenteuil = territoire_de("95018")
    with pytest.raises(IncompetenceTerritoriale) as refus:
        controler_competence("paris", argenteuil, zone_justifiee="Domicile dans l'aérodrome, vraiment.")
    assert "cour_appel_zone" not in refus.value.extra


async def test_depot_programme_a_l_heure_legale_des_deux_zones(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    """Through the deposit and the scheduled sending: the office's commune (from its token) counts."""
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # 10:30 in Paris, 05:30 at the office
    office = {"office_id": "office-antilles", "cour_appel": "paris", "commune_insee": "97105"}
    async with coffre_factory(now=now, database_url=database_url) as t:
        meta = metadonnees(destinataire={"declaration_id": DECL["paris"]}, envoi_differe=False)
        refus = await t.deposer(pdf_signe, meta, headers=t.commissaire(**office))
        assert refus.status_code == 422
        assert refus.json()["code"] == "hors-heures-legales"
        assert refus.json()["fuseau_office"] == "America/Guadeloupe"
        depot = await t.deposer(pdf_signe, headers=t.commissaire(**office))
        assert depot.status_code == 201, depot.text
        assert depot.json()["statut"] == "programme"
        assert depot.json()["envoi_prevu_le"] == "2026-03-02T10:00:00Z"
        assert t.runtime.runner is not None
        t.runtime.clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))  # type: ignore[attr-defined]
        assert await t.runtime.runner.run_due() >= 1
        async with t.runtime.db.transaction() as session:
            acte = await session.get(Acte, depot.json()["id"])
        assert acte is not None
        assert acte.statut == "envoye"
        assert acte.envoye_le == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
