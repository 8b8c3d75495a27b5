from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.legal_time import (
    date_destruction,
    debut_du_jour,
    est_jour_ferie,
    est_jour_ouvrable,
    fin_du_jour,
    heures_legales,
    heures_legales_partout,
    jour_legal,
    local,
    meme_jour,
    nom_jour_ferie,
    premier_jour_ouvrable_apres,
    prochain_instant_legal,
    prochain_instant_legal_partout,
    rfc3339_local,
    rfc3339_utc,
)
from shared.territoire import Territoire, territoire_de

PARIS = territoire_de("75056")
MOSELLE = territoire_de("57463")
STRASBOURG = territoire_de("67482")
GUADELOUPE = territoire_de("97105")
MARTINIQUE = territoire_de("97209")
GUYANE = territoire_de("97302")
REUNION = territoire_de("97411")
MAYOTTE = territoire_de("97611")
MIQUELON = territoire_de("97502")
SAINT_BARTH = territoire_de("97701")
SAINT_MARTIN = territoire_de("97801")
NOUMEA = territoire_de("98818")
PAPEETE = territoire_de("98735")
WALLIS = territoire_de("98613")


def at(
    territoire: Territoire, y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0
) -> datetime:
    """An aware local datetime in the territory's zone."""
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=ZoneInfo(territoire.fuseau))


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


# -- legal hours -----------------------------------------------------------------------------------


def test_sunday_morning_moves_to_monday_six() -> None:
    sunday = at(PARIS, 2026, 3, 15, 10, 0)
    assert not heures_legales(sunday, PARIS)
    nxt = prochain_instant_legal(sunday, PARIS)
    assert nxt == at(PARIS, 2026, 3, 16, 6, 0)
    assert nxt.tzinfo is UTC
    assert nxt == utc(2026, 3, 16, 5, 0)


def test_tuesday_evening_moves_to_wednesday_six() -> None:
    assert prochain_instant_legal(at(PARIS, 2026, 3, 17, 21, 30), PARIS) == at(PARIS, 2026, 3, 18, 6, 0)


def test_early_morning_moves_to_six_the_same_day() -> None:
    assert prochain_instant_legal(at(PARIS, 2026, 3, 17, 5, 59, 59), PARIS) == at(PARIS, 2026, 3, 17, 6, 0)


def test_boundaries_of_the_legal_hours() -> None:
    assert not heures_legales(at(PARIS, 2026, 3, 17, 5, 59, 59, 999999), PARIS)
    assert heures_legales(at(PARIS, 2026, 3, 17, 6, 0), PARIS)
    assert heures_legales(at(PARIS, 2026, 3, 17, 20, 59, 59), PARIS)
    assert heures_legales(at(PARIS, 2026, 3, 17, 20, 59, 59, 999999), PARIS)
    assert not heures_legales(at(PARIS, 2026, 3, 17, 21, 0, 0), PARIS)


def test_a_legal_instant_is_returned_unchanged_in_utc() -> None:
    instant = at(PARIS, 2026, 3, 17, 14, 0)
    assert prochain_instant_legal(instant, PARIS) == instant
    assert prochain_instant_legal(instant, PARIS).tzinfo is UTC


def test_saturday_is_legal() -> None:
    assert heures_legales(at(PARIS, 2026, 3, 14, 10, 0), PARIS)
    assert est_jour_ouvrable(date(2026, 3, 14), PARIS)


def test_national_day_moves_to_the_next_day() -> None:
    # 14 July 2026 is a Tuesday.
    assert not heures_legales(at(PARIS, 2026, 7, 14, 10, 0), PARIS)
    assert prochain_instant_legal(at(PARIS, 2026, 7, 14, 10, 0), PARIS) == at(PARIS, 2026, 7, 15, 6, 0)
    # 14 July 2029 is a Saturday: the next allowed day is Monday 16.
    assert prochain_instant_legal(at(PARIS, 2029, 7, 14, 10, 0), PARIS) == at(PARIS, 2029, 7, 16, 6, 0)


def test_guadeloupe_domicile_uses_guadeloupe_time() -> None:
    instant = utc(2026, 1, 13, 9, 30)  # Tuesday
    assert local(instant, GUADELOUPE).time() == time(5, 30)
    assert local(instant, PARIS).time() == time(10, 30)
    assert heures_legales(instant, PARIS)
    assert not heures_legales(instant, GUADELOUPE)
    assert prochain_instant_legal(instant, GUADELOUPE) == at(GUADELOUPE, 2026, 1, 13, 6, 0)
    assert prochain_instant_legal(instant, GUADELOUPE) == utc(2026, 1, 13, 10, 0)


def test_noumea_evening_is_paris_morning() -> None:
    instant = utc(2026, 1, 13, 10, 30)  # 21:30 in Nouméa (UTC+11), 11:30 in Paris
    assert heures_legales(instant, PARIS)
    assert not heures_legales(instant, NOUMEA)
    assert prochain_instant_legal(instant, NOUMEA) == at(NOUMEA, 2026, 1, 14, 6, 0)


def test_any_offset_is_accepted_and_naive_is_rejected() -> None:
    instant = datetime(2026, 3, 17, 14, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 06:00 Paris
    assert heures_legales(instant, PARIS)
    with pytest.raises(ValueError, match="naive"):
        heures_legales(datetime(2026, 3, 17, 14, 0), PARIS)  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        prochain_instant_legal(datetime(2026, 3, 17, 14, 0), PARIS)  # noqa: DTZ001


# -- DST -------------------------------------------------------------------------------------------


def test_spring_forward_weekend_with_easter_monday() -> None:
    # Saturday 30 March 2024 21:30 CET; Sunday 31 is the DST change, Monday 1 April is Easter Monday.
    nxt = prochain_instant_legal(at(PARIS, 2024, 3, 30, 21, 30), PARIS)
    assert nxt == at(PARIS, 2024, 4, 2, 6, 0)
    assert nxt == utc(2024, 4, 2, 4, 0)  # CEST


def test_fall_back_weekend() -> None:
    nxt = prochain_instant_legal(at(PARIS, 2024, 10, 26, 22, 0), PARIS)  # CEST
    assert nxt == utc(2024, 10, 28, 5, 0)  # Monday 06:00 CET


def test_day_boundaries_on_dst_days() -> None:
    assert fin_du_jour(date(2024, 3, 30), PARIS) == utc(2024, 3, 30, 23, 0)
    spring, autumn = date(2024, 3, 31), date(2024, 10, 27)
    assert fin_du_jour(spring, PARIS) - debut_du_jour(spring, PARIS) == timedelta(hours=23)
    assert fin_du_jour(autumn, PARIS) - debut_du_jour(autumn, PARIS) == timedelta(hours=25)
    assert fin_du_jour(date(2024, 10, 27), PARIS) == utc(2024, 10, 27, 23, 0)
    assert fin_du_jour(date(2024, 1, 10), GUADELOUPE) == utc(2024, 1, 11, 4, 0)


def test_miquelon_follows_north_american_dst() -> None:
    # DST starts on the second Sunday of March (10 March 2024): Monday 11 opens at 06:00 UTC-2.
    assert prochain_instant_legal(utc(2024, 3, 10, 12, 0), MIQUELON) == utc(2024, 3, 11, 8, 0)
    assert prochain_instant_legal(utc(2024, 3, 3, 12, 0), MIQUELON) == utc(2024, 3, 4, 9, 0)


# -- same day and formatting -----------------------------------------------------------------------


def test_jour_legal_and_meme_jour_follow_the_local_day() -> None:
    envoi = utc(2026, 3, 17, 22, 30)  # 23:30 in Paris, 18:30 in Guadeloupe
    ouverture = utc(2026, 3, 17, 23, 30)  # 00:30 the next day in Paris, 19:30 in Guadeloupe
    assert jour_legal(envoi, PARIS) == date(2026, 3, 17)
    assert jour_legal(ouverture, PARIS) == date(2026, 3, 18)
    assert not meme_jour(envoi, ouverture, PARIS)
    assert meme_jour(envoi, ouverture, GUADELOUPE)
    assert fin_du_jour(jour_legal(envoi, PARIS), PARIS) == utc(2026, 3, 17, 23, 0)
    assert fin_du_jour(date(2026, 3, 17), GUADELOUPE) == utc(2026, 3, 18, 4, 0)


def test_rfc3339() -> None:
    instant = utc(2026, 3, 16, 9, 30)
    assert rfc3339_local(instant, PARIS) == "2026-03-16T10:30:00+01:00"
    assert rfc3339_local(instant, GUADELOUPE) == "2026-03-16T05:30:00-04:00"
    assert rfc3339_local(utc(2026, 7, 1, 9, 30), PARIS) == "2026-07-01T11:30:00+02:00"
    assert rfc3339_utc(at(PARIS, 2026, 3, 16, 10, 30)) == "2026-03-16T09:30:00Z"
    assert local(instant, REUNION).utcoffset() == timedelta(hours=4)


# -- jours fériés ----------------------------------------------------------------------------------


@pytest.mark.parametrize("alsace_moselle", [MOSELLE, STRASBOURG])
def test_alsace_moselle_extra_days(alsace_moselle: Territoire) -> None:
    for jour in (date(2024, 12, 26), date(2024, 3, 29), date(2026, 4, 3)):  # 26 Dec, Good Fridays
        assert est_jour_ferie(jour, alsace_moselle)
        assert not est_jour_ferie(jour, PARIS)
    assert nom_jour_ferie(date(2024, 12, 26), alsace_moselle) == "Saint-Étienne"
    assert nom_jour_ferie(date(2024, 3, 29), alsace_moselle) == "Vendredi saint"
    assert not heures_legales(at(alsace_moselle, 2024, 12, 26, 10, 0), alsace_moselle)
    assert heures_legales(at(PARIS, 2024, 12, 26, 10, 0), PARIS)


@pytest.mark.parametrize(
    ("territoire", "jour"),
    [
        (GUADELOUPE, date(2024, 5, 27)),
        (MARTINIQUE, date(2024, 5, 22)),
        (GUYANE, date(2024, 6, 10)),
        (REUNION, date(2024, 12, 20)),
        (MAYOTTE, date(2024, 4, 27)),
        (SAINT_BARTH, date(2024, 10, 9)),
        (SAINT_MARTIN, date(2024, 5, 28)),
    ],
)
def test_abolition_of_slavery_days(territoire: Territoire, jour: date) -> None:
    assert nom_jour_ferie(jour, territoire) == "Abolition de l'esclavage"
    assert not est_jour_ferie(jour, PARIS)
    others = [t for t in (GUADELOUPE, MARTINIQUE, GUYANE, REUNION, MAYOTTE) if t.fuseau != territoire.fuseau]
    assert all(not est_jour_ferie(jour, other) for other in others)


def test_overseas_local_days() -> None:
    assert nom_jour_ferie(date(2024, 9, 24), NOUMEA) == "Fête de la Citoyenneté"
    assert nom_jour_ferie(date(2024, 7, 21), GUADELOUPE) == "Fête de Victor Schoelcher"
    assert est_jour_ferie(date(2024, 3, 5), PAPEETE)
    assert est_jour_ferie(date(2024, 7, 29), WALLIS)
    assert nom_jour_ferie(date(2024, 7, 14), MIQUELON) == "Fête nationale"


@pytest.mark.parametrize(
    ("jour", "nom"),
    [
        (date(2024, 1, 1), "Jour de l'an"),
        (date(2024, 4, 1), "Lundi de Pâques"),
        (date(2024, 5, 1), "Fête du Travail"),
        (date(2024, 5, 8), "Fête de la Victoire"),
        (date(2024, 5, 9), "Ascension"),
        # Whit Monday: a jour férié in law (C. trav. L. 3133-1) even when worked as journée de solidarité.
        (date(2024, 5, 20), "Lundi de Pentecôte"),
        (date(2024, 7, 14), "Fête nationale"),
        (date(2024, 8, 15), "Assomption"),
        (date(2024, 11, 1), "Toussaint"),
        (date(2024, 11, 11), "Armistice"),
        (date(2024, 12, 25), "Noël"),
    ],
)
def test_national_days(jour: date, nom: str) -> None:
    for territoire in (PARIS, MOSELLE, GUADELOUPE, REUNION, NOUMEA, MIQUELON):
        assert nom_jour_ferie(jour, territoire) == nom
        assert not est_jour_ouvrable(jour, territoire)


def test_ordinary_days_are_not_feries() -> None:
    assert nom_jour_ferie(date(2024, 3, 29), PARIS) is None  # Good Friday outside Alsace-Moselle
    assert not est_jour_ferie(date(2024, 5, 21), PARIS)
    assert est_jour_ouvrable(date(2024, 5, 21), PARIS)
    assert not est_jour_ouvrable(date(2024, 5, 19), PARIS)  # a Sunday


# -- jour ouvrable ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jour", "attendu"),
    [
        (date(2024, 3, 16), date(2024, 3, 18)),  # Saturday → Monday
        (date(2024, 3, 15), date(2024, 3, 16)),  # Friday → Saturday
        (date(2024, 7, 13), date(2024, 7, 15)),  # Saturday 13 July, Sunday 14 July
        (date(2024, 5, 17), date(2024, 5, 18)),  # Friday before Whit Monday → Saturday (ouvrable)
        (date(2024, 5, 18), date(2024, 5, 21)),  # Saturday before Whit Monday → Tuesday
        (date(2024, 3, 30), date(2024, 4, 2)),  # Saturday before Easter Monday (and DST Sunday)
        (date(2024, 12, 31), date(2025, 1, 2)),  # over the year boundary and New Year's Day
    ],
)
def test_premier_jour_ouvrable_apres(jour: date, attendu: date) -> None:
    assert premier_jour_ouvrable_apres(jour, PARIS) == attendu


def test_premier_jour_ouvrable_depends_on_the_territory() -> None:
    assert premier_jour_ouvrable_apres(date(2024, 12, 24), PARIS) == date(2024, 12, 26)
    assert premier_jour_ouvrable_apres(date(2024, 12, 24), MOSELLE) == date(2024, 12, 27)
    assert premier_jour_ouvrable_apres(date(2024, 5, 26), GUADELOUPE) == date(2024, 5, 28)


# -- several territories ---------------------------------------------------------------------------


def test_legal_everywhere() -> None:
    instant = utc(2026, 1, 13, 9, 30)
    assert not heures_legales_partout(instant, (PARIS, GUADELOUPE))
    nxt = prochain_instant_legal_partout(instant, (PARIS, GUADELOUPE))
    assert nxt == utc(2026, 1, 13, 10, 0)
    assert heures_legales_partout(nxt, (PARIS, GUADELOUPE))
    # Paris on a Saturday evening, Nouméa already on Sunday: the first common slot is Monday 06:00 Paris
    # (16:00 Nouméa).
    nxt = prochain_instant_legal_partout(utc(2026, 1, 17, 19, 30), (PARIS, NOUMEA))
    assert nxt == utc(2026, 1, 19, 5, 0)
    assert heures_legales_partout(nxt, (PARIS, NOUMEA))


# -- exhaustive sweep: next legal instant is legal and nothing legal is skipped ---------------------


@pytest.mark.parametrize("territoire", [PARIS, MOSELLE, GUADELOUPE, NOUMEA, MIQUELON, PAPEETE])
def test_sweep_a_year_in_half_hours(territoire: Territoire) -> None:
    pas = timedelta(minutes=30)
    debut = utc(2024, 1, 1, 0, 0)
    grille = [debut + i * pas for i in range(366 * 48 + 48 * 10)]
    legal = [heures_legales(t, territoire) for t in grille]
    # Every zone served has a whole-hour offset, so 06:00 local is on this UTC half-hour grid.
    attendu: list[datetime | None] = [None] * len(grille)
    suivant: datetime | None = None
    for i in range(len(grille) - 1, -1, -1):
        if legal[i]:
            suivant = grille[i]
        attendu[i] = suivant
    for i, t in enumerate(grille[: 366 * 48]):
        assert prochain_instant_legal(t, territoire) == attendu[i], t
    assert 0.4 < sum(legal) / len(legal) < 0.6


# -- retention -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("revocation", "destruction"),
    [
        (date(2021, 3, 15), date(2026, 3, 15)),
        (date(2024, 2, 29), date(2029, 2, 28)),
        (date(2023, 2, 28), date(2028, 2, 28)),
        (date(2027, 2, 28), date(2032, 2, 28)),
        (date(2025, 12, 31), date(2030, 12, 31)),
    ],
)
def test_date_destruction(revocation: date, destruction: date) -> None:
    assert date_destruction(revocation) == destruction
