from __future__ import annotations

import csv
import io
from importlib.resources import files
from zoneinfo import ZoneInfo

import holidays
import pytest

from shared.errors import Unprocessable
from shared.territoire import (
    CommuneInseeInvalide,
    CourAppelInconnue,
    SansCourAppel,
    Territoire,
    cour_appel,
    cour_appel_de,
    cours_appel,
    departement_de,
    departements,
    normaliser_cour_appel,
    territoire_de,
)


def _csv(nom: str) -> list[dict[str, str]]:
    texte = files("shared.data").joinpath(nom).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(texte)))


@pytest.mark.parametrize(
    ("code", "departement"),
    [
        ("75056", "75"),
        ("01001", "01"),
        ("2A004", "2A"),
        ("2b033", "2B"),
        ("97105", "971"),
        ("97611", "976"),
        ("97502", "975"),
        ("97701", "977"),
        ("97801", "978"),
        ("98613", "986"),
        ("98735", "987"),
        ("98818", "988"),
        (" 69123 ", "69"),
    ],
)
def test_departement(code: str, departement: str) -> None:
    assert departement_de(code) == departement
    assert territoire_de(code).departement == departement


@pytest.mark.parametrize(
    "code",
    ["", "7505", "750560", "2C004", "20004", "97000", "75000", "98401", "98901", "97905", "7505A", "٧٥٠٥٦"],
)
def test_invalid_codes_raise_a_french_value_error(code: str) -> None:
    with pytest.raises(CommuneInseeInvalide) as excinfo:
        territoire_de(code)
    assert isinstance(excinfo.value, ValueError)
    assert isinstance(excinfo.value, Unprocessable)
    assert excinfo.value.code == "commune-insee-invalide"
    assert "Code commune INSEE" in str(excinfo.value)


def test_every_departement_of_the_csv_maps_to_a_known_cour_appel() -> None:
    rows = _csv("cours_appel.csv")
    assert len({r["departement"] for r in rows}) == len(rows) == 106  # 101 départements + 5 COM
    for row in rows:
        code = row["departement"] + ("01" if len(row["departement"]) == 3 else "001")
        t = territoire_de(code)
        assert t.cour_appel is not None
        assert cour_appel(t.cour_appel).nom == row["cour_appel"]
    assert len(cours_appel()) == 36
    assert departements() == {r["departement"] for r in rows} | {"975"}


@pytest.mark.parametrize(
    ("code", "slug"),
    [
        ("75056", "paris"),
        ("13055", "aix-en-provence"),
        ("2A004", "bastia"),
        ("2B033", "bastia"),
        ("57463", "metz"),
        ("67482", "colmar"),
        ("95500", "versailles"),
        ("32013", "agen"),
        ("97105", "basse-terre"),
        ("97701", "basse-terre"),
        ("97801", "basse-terre"),
        ("97209", "fort-de-france"),
        ("97302", "cayenne"),
        ("97411", "saint-denis-de-la-reunion"),
        ("97611", "saint-denis-de-la-reunion"),
        ("98613", "noumea"),
        ("98818", "noumea"),
        ("98735", "papeete"),
    ],
)
def test_cour_appel(code: str, slug: str) -> None:
    assert cour_appel_de(code) == slug


def test_saint_denis_display_name() -> None:
    assert cour_appel("saint-denis-de-la-reunion").nom == "Saint-Denis (La Réunion)"
    assert cour_appel("nimes").nom == "Nîmes"


def test_saint_pierre_et_miquelon_has_no_cour_appel() -> None:
    t = territoire_de("97502")
    assert t.cour_appel is None
    assert t.cours_appel_possibles == frozenset()
    assert t.fuseau == "America/Miquelon"
    assert t.subdivision_feries == "PM"
    with pytest.raises(SansCourAppel) as excinfo:
        cour_appel_de("97501")
    assert excinfo.value.code == "sans-cour-appel"
    assert "tribunal supérieur d'appel" in str(excinfo.value)


@pytest.mark.parametrize(
    ("code", "zone_court", "zone_words"),
    [
        ("95527", "paris", "Roissy"),  # Roissy-en-France
        ("95212", "paris", "Roissy"),  # Épiais-lès-Louvres
        ("95088", "paris", "Bourget"),  # Bonneuil-en-France
        ("95277", "paris", "Bourget"),  # Gonesse
        ("32027", "pau", "Aire-sur-l'Adour"),  # Barcelonne-du-Gers
    ],
)
def test_aerodrome_zones_are_an_alternative_not_an_override(
    code: str, zone_court: str, zone_words: str
) -> None:
    t = territoire_de(code)
    # The town itself stays with its département's court; the aerodrome part offers the other one.
    assert t.cour_appel == ("versailles" if code.startswith("95") else "agen")
    assert t.cour_appel_zone == zone_court
    assert t.zone is not None
    assert zone_words in t.zone
    assert t.cours_appel_possibles == {t.cour_appel, zone_court}


def test_commune_outside_any_zone_has_a_single_court() -> None:
    t = territoire_de("95018")  # Argenteuil
    assert t.cour_appel_zone is None
    assert t.zone is None
    assert t.cours_appel_possibles == {"versailles"}


def test_every_exception_row_is_loaded() -> None:
    for row in _csv("cours_appel_exceptions.csv"):
        for code in row["communes_insee"].split():
            t = territoire_de(code)
            assert t.departement == row["departement"]
            assert t.zone == row["zone"]
            assert t.cour_appel_zone == normaliser_cour_appel(row["cour_appel"])


@pytest.mark.parametrize(
    ("code", "fuseau", "subdivision"),
    [
        ("75056", "Europe/Paris", None),
        ("2A004", "Europe/Paris", None),
        ("57463", "Europe/Paris", "57"),
        ("67482", "Europe/Paris", "6AE"),
        ("68066", "Europe/Paris", "6AE"),
        ("97105", "America/Guadeloupe", "971"),
        ("97209", "America/Martinique", "972"),
        ("97302", "America/Cayenne", "973"),
        ("97411", "Indian/Reunion", "974"),
        ("97502", "America/Miquelon", "PM"),
        ("97611", "Indian/Mayotte", "976"),
        ("97701", "America/St_Barthelemy", "BL"),
        ("97801", "America/Marigot", "MF"),
        ("98613", "Pacific/Wallis", "WF"),
        ("98735", "Pacific/Tahiti", "PF"),
        ("98818", "Pacific/Noumea", "NC"),
    ],
)
def test_time_zone_and_holiday_subdivision(code: str, fuseau: str, subdivision: str | None) -> None:
    t = territoire_de(code)
    assert (t.fuseau, t.subdivision_feries) == (fuseau, subdivision)
    assert t.zoneinfo == ZoneInfo(fuseau)


def test_every_subdivision_is_supported_by_the_installed_holidays() -> None:
    # Older `holidays` releases named these differently ("Alsace-Moselle", "GP"...): fail loudly.
    for row in _csv("calendriers.csv"):
        ZoneInfo(row["fuseau"])
        assert row["subdivision_feries"] in holidays.country_holidays("FR").subdivisions


def test_territoire_is_frozen() -> None:
    t = territoire_de("75056")
    assert t == Territoire("75056", "75", "paris", "Europe/Paris", None)
    with pytest.raises(AttributeError):
        t.fuseau = "UTC"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("saisie", "slug"),
    [
        ("Aix-en-Provence", "aix-en-provence"),
        ("aix-en-provence", "aix-en-provence"),
        ("AIX EN PROVENCE", "aix-en-provence"),
        ("Cour d'appel d'Aix-en-Provence", "aix-en-provence"),
        ("Aix", "aix-en-provence"),
        ("Paris", "paris"),
        ("Cour d’appel de Paris", "paris"),
        ("Nîmes", "nimes"),
        ("nimes", "nimes"),
        ("Besançon", "besancon"),
        ("Basse-Terre", "basse-terre"),
        ("Fort-de-France", "fort-de-france"),
        ("Saint-Denis (La Réunion)", "saint-denis-de-la-reunion"),
        ("Saint-Denis de La Réunion", "saint-denis-de-la-reunion"),
        ("saint-denis-de-la-reunion", "saint-denis-de-la-reunion"),
        ("Nouméa", "noumea"),
    ],
)
def test_normaliser_cour_appel(saisie: str, slug: str) -> None:
    assert normaliser_cour_appel(saisie) == slug


@pytest.mark.parametrize("saisie", ["", "Marseille", "Saint-Pierre", "cour d'appel", "parisien"])
def test_normaliser_cour_appel_rejects_unknown_names(saisie: str) -> None:
    with pytest.raises(CourAppelInconnue) as excinfo:
        normaliser_cour_appel(saisie)
    assert excinfo.value.code == "cour-appel-inconnue"
    assert isinstance(excinfo.value, ValueError)


def test_every_slug_normalises_to_itself_and_its_name_to_it() -> None:
    for slug, court in cours_appel().items():
        assert court.slug == slug
        assert normaliser_cour_appel(slug) == slug
        assert normaliser_cour_appel(court.nom) == slug
