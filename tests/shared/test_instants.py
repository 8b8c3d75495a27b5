"""Dates and hours in French, in the legal zone of the destinataire."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from importlib.resources import files

import pytest

from shared.instants import (
    date_longue,
    date_simple,
    decalage,
    instant_local,
    instant_local_court,
    instant_personne,
    instant_utc,
    jour_local,
    jour_personne,
    nom_heure,
    nom_heure_legale,
)


def test_dates_in_words() -> None:
    assert date_longue(date(2026, 3, 1)) == "dimanche 1er mars 2026"
    assert date_longue(date(2026, 8, 15)) == "samedi 15 août 2026"
    assert date_simple(date(2026, 12, 31)) == "31 décembre 2026"


def test_offsets_and_utc() -> None:
    assert decalage(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-4)))) == "UTC−04:00"
    assert decalage(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30)))) == "UTC+05:30"
    assert instant_utc(datetime(2026, 3, 16, 9, 30, 5, 120, tzinfo=timezone(timedelta(hours=-4)))) == (
        "2026-03-16 13:30:05.000120 UTC"
    )
    with pytest.raises(ValueError, match="naive"):
        instant_utc(datetime(2026, 3, 16))  # noqa: DTZ001 - the refused input


def test_instant_local_names_the_legal_zone() -> None:
    instant = datetime(2026, 3, 17, 3, 59, 59, tzinfo=UTC)
    assert instant_local(instant, "America/Guadeloupe") == (
        "lundi 16 mars 2026 à 23 h 59 min 59 s (heure légale de la Guadeloupe, UTC−04:00)"
    )
    assert instant_local(instant, "Indian/Reunion") == (
        "mardi 17 mars 2026 à 7 h 59 min 59 s (heure légale de La Réunion, UTC+04:00)"
    )
    assert jour_local(instant, "America/Guadeloupe") == date(2026, 3, 16)
    assert nom_heure_legale("Asia/Tokyo") == "heure légale locale (Asia/Tokyo)"
    # In a table whose heading names the zone: the same local time, the offset alone.
    assert (
        instant_local_court(instant, "America/Guadeloupe")
        == "lundi 16 mars 2026 à 23 h 59 min 59 s (UTC−04:00)"
    )


def test_every_served_zone_has_a_french_name() -> None:
    texte = files("shared.data").joinpath("calendriers.csv").read_text(encoding="utf-8")
    fuseaux = {ligne["fuseau"] for ligne in csv.DictReader(io.StringIO(texte))} | {"Europe/Paris"}
    assert len(fuseaux) > 5
    for fuseau in fuseaux:
        assert not nom_heure_legale(fuseau).startswith("heure légale locale"), fuseau


# 2026-12-08 06:05 UTC, written by hand for each zone of shared/data/calendriers.csv and the metropole
# (no conversion computed here: what a person of each territory reads on her clock).
_INSTANT_PERSONNE = datetime(2026, 12, 8, 6, 5, 41, tzinfo=UTC)
_LU_PAR_TERRITOIRE = {
    "Europe/Paris": "mardi 8 décembre 2026 à 7 h 05 (heure de la France métropolitaine)",
    "America/Guadeloupe": "mardi 8 décembre 2026 à 2 h 05 (heure de la Guadeloupe)",
    "America/Martinique": "mardi 8 décembre 2026 à 2 h 05 (heure de la Martinique)",
    "America/Cayenne": "mardi 8 décembre 2026 à 3 h 05 (heure de la Guyane)",
    "America/Marigot": "mardi 8 décembre 2026 à 2 h 05 (heure de Saint-Martin)",
    "America/St_Barthelemy": "mardi 8 décembre 2026 à 2 h 05 (heure de Saint-Barthélemy)",
    "America/Miquelon": "mardi 8 décembre 2026 à 3 h 05 (heure de Saint-Pierre-et-Miquelon)",
    "Indian/Reunion": "mardi 8 décembre 2026 à 10 h 05 (heure de La Réunion)",
    "Indian/Mayotte": "mardi 8 décembre 2026 à 9 h 05 (heure de Mayotte)",
    "Pacific/Noumea": "mardi 8 décembre 2026 à 17 h 05 (heure de la Nouvelle-Calédonie)",
    "Pacific/Tahiti": "lundi 7 décembre 2026 à 20 h 05 (heure de la Polynésie française)",
    "Pacific/Wallis": "mardi 8 décembre 2026 à 18 h 05 (heure de Wallis-et-Futuna)",
}


def _zones_servies() -> set[str]:
    texte = files("shared.data").joinpath("calendriers.csv").read_text(encoding="utf-8")
    return {ligne["fuseau"] for ligne in csv.DictReader(io.StringIO(texte))} | {"Europe/Paris"}


def test_the_table_covers_every_served_zone() -> None:
    assert set(_LU_PAR_TERRITOIRE) == _zones_servies()


@pytest.mark.parametrize(("fuseau", "attendu"), sorted(_LU_PAR_TERRITOIRE.items()))
def test_instant_for_a_person_in_every_territory(fuseau: str, attendu: str) -> None:
    assert instant_personne(_INSTANT_PERSONNE, fuseau) == attendu
    # the same instant given with any offset reads the same
    decale = _INSTANT_PERSONNE.astimezone(timezone(timedelta(hours=-7)))
    assert instant_personne(decale, fuseau) == attendu


def test_instant_for_a_person_follows_summer_time() -> None:
    ete = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert (
        instant_personne(ete, "Europe/Paris")
        == "mercredi 1er juillet 2026 à 10 h 00 (heure de la France métropolitaine)"
    )
    assert (
        instant_personne(ete, "America/Miquelon")
        == "mercredi 1er juillet 2026 à 6 h 00 (heure de Saint-Pierre-et-Miquelon)"
    )
    assert jour_personne(datetime(2026, 12, 8, 9, 0, tzinfo=UTC), "Pacific/Tahiti") == "lundi 7 décembre 2026"


def test_instant_for_a_person_refuses_a_naive_instant_and_names_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="naive"):
        instant_personne(datetime(2026, 12, 8, 6, 5), "Europe/Paris")  # noqa: DTZ001 - the refused input
    assert nom_heure("Asia/Tokyo") == "heure locale (Asia/Tokyo)"
