"""Territory of an INSEE commune code: département, cour d'appel, legal time zone, holiday calendar.

Facts live in `shared/data/` (read with importlib.resources), not in code:

- `cours_appel.csv`: département → cour d'appel (COJ annexe, tableau IV; legal.md §7).
- `cours_appel_exceptions.csv`: zones whose cour d'appel is not their département's. `portee` is
  `departement` (the whole département: Saint-Pierre-et-Miquelon, which has a tribunal supérieur
  d'appel and no cour d'appel), `commune` (whole communes: takes precedence over the département) or
  `partielle` (only the part of each listed commune inside an aerodrome: Roissy-CDG and Le Bourget in
  95 → Paris, Aire-sur-l'Adour in 32 → Pau). A partial zone does NOT override the commune's court: an
  INSEE code cannot tell whether an address lies inside the aerodrome, and nearly every resident of
  those communes (Gonesse, Roissy-en-France village...) lives outside it. The zone's court is exposed
  as `Territoire.cour_appel_zone`, an alternative the competence check may accept only with a
  recorded justification (legal.md §7, T2).
- `calendriers.csv`: IANA zone and `holidays` subdivision for the départements that are not plain
  metropole (Alsace-Moselle, DOM, COM); every other département is Europe/Paris, no subdivision.

INSEE codes: 5 characters; the département is the first 2 (`01`–`95`, `2A`, `2B`) or, overseas, the
first 3 (`971`–`978`, `986`–`988`). TAAF (984) and Clipperton (989) are not served.

Cours d'appel are identified by a slug (`paris`, `aix-en-provence`, `saint-denis-de-la-reunion`);
`normaliser_cour_appel` maps user input such as a JWT claim ("Aix-en-Provence", "Cour d'appel de
Nîmes") to it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from zoneinfo import ZoneInfo

from shared.errors import Unprocessable

FUSEAU_METROPOLE = "Europe/Paris"

_INSEE = re.compile(r"(?:[0-9]{2}|2[AB])[0-9]{3}")
# Accepted spellings that do not slugify to the canonical slug.
_ALIAS: dict[str, str] = {
    "aix": "aix-en-provence",
    "saint-denis": "saint-denis-de-la-reunion",
    "saint-denis-la-reunion": "saint-denis-de-la-reunion",
    "saint-denis-reunion": "saint-denis-de-la-reunion",
    "saint-denis-de-reunion": "saint-denis-de-la-reunion",
}
_PREFIXES = ("cour-d-appel-de-", "cour-d-appel-d-", "cour-d-appel-", "ca-")


class TerritoireInvalide(Unprocessable, ValueError):
    code = "territoire-invalide"
    title = "Territoire invalide"


class CommuneInseeInvalide(TerritoireInvalide):
    code = "commune-insee-invalide"
    title = "Code commune INSEE invalide"


class CourAppelInconnue(TerritoireInvalide):
    code = "cour-appel-inconnue"
    title = "Cour d'appel inconnue"


class SansCourAppel(TerritoireInvalide):
    """The territory has no cour d'appel (Saint-Pierre-et-Miquelon): no commissaire is competent."""

    code = "sans-cour-appel"
    title = "Aucune cour d'appel pour ce territoire"


@dataclass(frozen=True, slots=True)
class CourAppel:
    slug: str
    nom: str


@dataclass(frozen=True, slots=True)
class Territoire:
    """Where a commune sits legally. `cour_appel` is a slug, None only for Saint-Pierre-et-Miquelon."""

    commune_insee: str
    departement: str
    cour_appel: str | None
    fuseau: str
    subdivision_feries: str | None
    cour_appel_zone: str | None = None
    zone: str | None = None

    @property
    def zoneinfo(self) -> ZoneInfo:
        return ZoneInfo(self.fuseau)

    @property
    def cours_appel_possibles(self) -> frozenset[str]:
        """The commune's court plus, for a commune partly inside an aerodrome zone, the zone's court."""
        return frozenset(c for c in (self.cour_appel, self.cour_appel_zone) if c is not None)

    def exiger_cour_appel(self) -> str:
        if self.cour_appel is None:
            raise SansCourAppel(
                f"Le département {self.departement} ne relève d'aucune cour d'appel "
                "(Saint-Pierre-et-Miquelon relève d'un tribunal supérieur d'appel)."
            )
        return self.cour_appel


def slug_cour_appel(nom: str) -> str:
    """ASCII lowercase slug: accents dropped, every other run of non-alphanumerics becomes '-'."""
    decompose = unicodedata.normalize("NFKD", nom)
    sans_accents = "".join(c for c in decompose if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", sans_accents.lower()).strip("-")
    return _ALIAS.get(slug, slug)


def normaliser_cour_appel(valeur: str) -> str:
    """Map a user-supplied cour d'appel name or slug to its canonical slug, or raise CourAppelInconnue."""
    slug = slug_cour_appel(valeur)
    for prefix in _PREFIXES:
        if slug.startswith(prefix):
            slug = _ALIAS.get(slug[len(prefix) :], slug[len(prefix) :])
            break
    if slug not in cours_appel():
        raise CourAppelInconnue(f"Cour d'appel inconnue : {valeur[:60]!r}.")
    return slug


def cour_appel(slug: str) -> CourAppel:
    """The court for a canonical slug (display name in `.nom`)."""
    try:
        return cours_appel()[slug]
    except KeyError:
        raise CourAppelInconnue(f"Cour d'appel inconnue : {slug[:60]!r}.") from None


def departement_de(commune_insee: str) -> str:
    code = _normaliser_insee(commune_insee)
    departement = code[:3] if code[:2] in ("97", "98") else code[:2]
    if set(code[len(departement) :]) == {"0"}:
        raise CommuneInseeInvalide(f"Code commune INSEE invalide : {code!r} (numéro de commune nul).")
    if departement not in _departements():
        raise CommuneInseeInvalide(
            f"Code commune INSEE {code!r} : le département {departement} n'est pas desservi "
            "(départements métropolitains, 2A/2B, DOM 971–976, COM 975, 977, 978, 986–988)."
        )
    return departement


def territoire_de(commune_insee: str) -> Territoire:
    """The territory of an INSEE commune code; raises CommuneInseeInvalide for a malformed code."""
    code = _normaliser_insee(commune_insee)
    departement = departement_de(code)
    fuseau, subdivision = _calendriers().get(departement, (FUSEAU_METROPOLE, None))
    exceptions = _exceptions()
    cour = exceptions.communes.get(code, _departements()[departement])
    partielle = exceptions.partielles.get(code)
    return Territoire(
        commune_insee=code,
        departement=departement,
        cour_appel=cour,
        fuseau=fuseau,
        subdivision_feries=subdivision,
        cour_appel_zone=partielle[0] if partielle else None,
        zone=partielle[1] if partielle else None,
    )


def cour_appel_de(commune_insee: str) -> str:
    """The cour d'appel slug of a commune; raises SansCourAppel for Saint-Pierre-et-Miquelon."""
    return territoire_de(commune_insee).exiger_cour_appel()


def _normaliser_insee(commune_insee: str) -> str:
    code = commune_insee.strip().upper()
    if not _INSEE.fullmatch(code):
        raise CommuneInseeInvalide(
            f"Code commune INSEE invalide : {commune_insee[:20]!r} "
            "(5 caractères attendus, par exemple 75056, 2A004 ou 97105)."
        )
    return code


# -- data ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Exceptions:
    communes: Mapping[str, str | None]  # whole-commune override: INSEE code → slug
    partielles: Mapping[str, tuple[str, str]]  # INSEE code → (slug, zone name)


def _lire(nom: str) -> list[dict[str, str]]:
    texte = files("shared.data").joinpath(nom).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(texte)))


@cache
def cours_appel() -> Mapping[str, CourAppel]:
    """Every cour d'appel, by slug."""
    noms = {row["cour_appel"] for row in _lire("cours_appel.csv")}
    noms |= {row["cour_appel"] for row in _lire("cours_appel_exceptions.csv") if row["cour_appel"]}
    return {slug_cour_appel(n): CourAppel(slug_cour_appel(n), n) for n in sorted(noms)}


@cache
def _departements() -> Mapping[str, str | None]:
    table: dict[str, str | None] = {
        row["departement"]: slug_cour_appel(row["cour_appel"]) for row in _lire("cours_appel.csv")
    }
    for row in _lire("cours_appel_exceptions.csv"):
        if row["portee"] == "departement":
            table[row["departement"]] = slug_cour_appel(row["cour_appel"]) if row["cour_appel"] else None
    return table


@cache
def _exceptions() -> _Exceptions:
    communes: dict[str, str | None] = {}
    partielles: dict[str, tuple[str, str]] = {}
    for row in _lire("cours_appel_exceptions.csv"):
        slug = slug_cour_appel(row["cour_appel"]) if row["cour_appel"] else None
        codes = row["communes_insee"].split()
        if row["portee"] == "commune":
            communes.update(dict.fromkeys(codes, slug))
        elif row["portee"] == "partielle" and slug is not None:
            partielles.update(dict.fromkeys(codes, (slug, row["zone"])))
        elif row["portee"] != "departement":
            raise ValueError(f"cours_appel_exceptions.csv: unknown portee {row['portee']!r}")
    return _Exceptions(communes, partielles)


@cache
def _calendriers() -> Mapping[str, tuple[str, str | None]]:
    return {
        row["departement"]: (row["fuseau"], row["subdivision_feries"] or None)
        for row in _lire("calendriers.csv")
    }


def departements() -> frozenset[str]:
    """Every served département code."""
    return frozenset(_departements())
