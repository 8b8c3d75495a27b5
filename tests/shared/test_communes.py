"""The official list of communes by postal code (shared/data/communes.csv) and its lookups."""

from __future__ import annotations

import csv
import io
from importlib.resources import files

import pytest

from shared.communes import commune, communes_du_code_postal, normaliser_code_postal
from shared.territoire import territoire_de


def _lignes() -> list[dict[str, str]]:
    text = files("shared.data").joinpath("communes.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("code_postal", "nom", "code_insee"),
    [
        ("95700", "Roissy-en-France", "95527"),
        ("95500", "Bonneuil-en-France", "95088"),
        ("32720", "Barcelonne-du-Gers", "32027"),
        ("75015", "Paris", "75056"),
        ("97400", "Saint-Denis", "97411"),
        ("97600", "Mamoudzou", "97611"),
        ("97133", "Saint-Barthélemy", "97701"),
        ("97500", "Saint-Pierre", "97502"),
        ("98800", "Nouméa", "98818"),
        ("98714", "Papeete", "98735"),
        ("20000", "Ajaccio", "2A004"),
    ],
)
def test_a_postal_code_offers_its_communes(code_postal: str, nom: str, code_insee: str) -> None:
    trouvees = communes_du_code_postal(code_postal)
    assert (nom, code_insee) in [(c.nom, c.code_insee) for c in trouvees]
    assert commune(code_postal, code_insee) is not None


def test_a_postal_code_shared_by_several_communes_lists_them_all() -> None:
    noms = [c.nom for c in communes_du_code_postal("01000")]
    assert {"Bourg-en-Bresse", "Saint-Denis-lès-Bourg"} <= set(noms)
    assert noms == sorted(noms)


def test_a_mismatched_pair_or_a_malformed_code_finds_nothing() -> None:
    assert commune("75015", "95527") is None
    assert communes_du_code_postal("7501") == ()
    assert communes_du_code_postal("00000") == ()
    assert normaliser_code_postal(" 75 015 ") == "75015"
    assert normaliser_code_postal("75O15") is None


def test_the_list_covers_every_served_departement_and_nothing_else() -> None:
    lignes = _lignes()
    departements = {ligne["departement"] for ligne in lignes}
    assert not {"984", "989"} & departements  # TAAF, Clipperton: not served
    assert {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"} <= departements
    assert {"971", "972", "973", "974", "976", "975", "977", "978", "986", "987", "988"} <= departements
    assert len({ligne["code_insee"] for ligne in lignes}) > 34_000


def test_every_commune_has_a_territory_and_rows_are_sorted_and_unique() -> None:
    lignes = _lignes()
    cles = [(ligne["code_postal"], ligne["nom"], ligne["code_insee"]) for ligne in lignes]
    assert cles == sorted(set(cles))
    departement_de = {ligne["code_insee"]: ligne["departement"] for ligne in lignes}
    faux = {code: dep for code, dep in departement_de.items() if territoire_de(code).departement != dep}
    assert faux == {}
