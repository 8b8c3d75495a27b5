"""Dates and hours in French, in the legal zone of the destinataire."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from importlib.resources import files

import pytest

from services.coffre.preuves.francais import (
    date_longue,
    date_simple,
    decalage,
    instant_local,
    instant_utc,
    jour_local,
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


def test_every_served_zone_has_a_french_name() -> None:
    texte = files("shared.data").joinpath("calendriers.csv").read_text(encoding="utf-8")
    fuseaux = {ligne["fuseau"] for ligne in csv.DictReader(io.StringIO(texte))} | {"Europe/Paris"}
    assert len(fuseaux) > 5
    for fuseau in fuseaux:
        assert not nom_heure_legale(fuseau).startswith("heure légale locale"), fuseau
