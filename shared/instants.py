"""Dates and hours written out in French, in the destinataire's legal time zone: the one way to write an
instant for a person, in pages, e-mails and documents.

Two forms of the same sentence:

- for a person (pages, e-mails, the récépissé): the legal local time of her territory, to the minute,
  with the zone named — `instant_personne`:

    mardi 8 décembre 2026 à 10 h 05 (heure de La Réunion)

- for a document read by a judge (certificat, avis de réception, lettre simple): to the second, with
  the UTC offset, then the same instant in UTC so nobody has to trust a time-zone conversion —
  `instant_local` and `instant_utc`:

    lundi 16 mars 2026 à 10 h 30 min 05 s (heure légale de la Guadeloupe, UTC−04:00)
    2026-03-16 14:30:05 UTC

  (in a table whose heading names the zone, `instant_local_court` gives the offset alone).

The local time comes from `shared.legal_time` (IANA zone of the destinataire's domicile, CPC 664-1 and
legal.md H3/H5), so the documents and the JWS always agree on the local calendar day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shared import legal_time

_JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MOIS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# Every zone of shared/data/calendriers.csv; any other valid zone is named by its IANA identifier.
_TERRITOIRES = {
    "Europe/Paris": "de la France métropolitaine",
    "America/Guadeloupe": "de la Guadeloupe",
    "America/Martinique": "de la Martinique",
    "America/Cayenne": "de la Guyane",
    "America/Marigot": "de Saint-Martin",
    "America/St_Barthelemy": "de Saint-Barthélemy",
    "America/Miquelon": "de Saint-Pierre-et-Miquelon",
    "Indian/Reunion": "de La Réunion",
    "Indian/Mayotte": "de Mayotte",
    "Pacific/Noumea": "de la Nouvelle-Calédonie",
    "Pacific/Tahiti": "de la Polynésie française",
    "Pacific/Wallis": "de Wallis-et-Futuna",
}


@dataclass(frozen=True, slots=True)
class Fuseau:
    """A legal time zone, shaped as `shared.legal_time.Calendrier` (only the zone matters here)."""

    fuseau: str
    subdivision_feries: str | None = None

    def __post_init__(self) -> None:
        ZoneInfo(self.fuseau)  # raises for an unknown zone: fail when the facts are built, not later


def date_simple(jour: date) -> str:
    """« 16 mars 2026 », « 1er mars 2026 »."""
    quantieme = "1er" if jour.day == 1 else str(jour.day)
    return f"{quantieme} {_MOIS[jour.month - 1]} {jour.year}"


def date_longue(jour: date) -> str:
    """« lundi 16 mars 2026 », « dimanche 1er mars 2026 »."""
    return f"{_JOURS[jour.weekday()]} {date_simple(jour)}"


def heure(instant: datetime) -> str:
    """« 10 h 30 min 05 s » (wall time of the aware datetime as given)."""
    return f"{instant.hour} h {instant.minute:02d} min {instant.second:02d} s"


def decalage(instant: datetime) -> str:
    """« UTC−04:00 », « UTC+01:00 » (with a true minus sign)."""
    offset = instant.utcoffset()
    if offset is None:
        raise ValueError("naive datetime: every instant must carry its offset")
    minutes = int(offset.total_seconds()) // 60
    signe = "+" if minutes >= 0 else "−"
    heures, reste = divmod(abs(minutes), 60)
    return f"UTC{signe}{heures:02d}:{reste:02d}"


def nom_heure_legale(fuseau: str) -> str:
    """« heure légale de la Guadeloupe »; an unlisted zone keeps its IANA name."""
    territoire = _TERRITOIRES.get(fuseau)
    return f"heure légale {territoire}" if territoire else f"heure légale locale ({fuseau})"


def instant_local(instant: datetime, fuseau: str) -> str:
    """« lundi 16 mars 2026 à 10 h 30 min 05 s (heure légale de la Guadeloupe, UTC−04:00) »."""
    local = legal_time.local(instant, Fuseau(fuseau))
    return f"{date_longue(local.date())} à {heure(local)} ({nom_heure_legale(fuseau)}, {decalage(local)})"


def instant_local_court(instant: datetime, fuseau: str) -> str:
    """« lundi 16 mars 2026 à 10 h 30 min 05 s (UTC−04:00) »: `instant_local` without the zone's name,
    for a table whose heading names it once (the certificat's formalités)."""
    local = legal_time.local(instant, Fuseau(fuseau))
    return f"{date_longue(local.date())} à {heure(local)} ({decalage(local)})"


def nom_heure(fuseau: str) -> str:
    """« heure de La Réunion », « heure de la France métropolitaine »; an unlisted zone keeps its name."""
    territoire = _TERRITOIRES.get(fuseau)
    return f"heure {territoire}" if territoire else f"heure locale ({fuseau})"


def instant_personne(instant: datetime, fuseau: str) -> str:
    """« mardi 8 décembre 2026 à 10 h 05 (heure de La Réunion) »: what a person reads, to the minute."""
    local = legal_time.local(instant, Fuseau(fuseau))
    return f"{date_longue(local.date())} à {local.hour} h {local.minute:02d} ({nom_heure(fuseau)})"


def jour_personne(instant: datetime, fuseau: str) -> str:
    """« mardi 8 décembre 2026 »: the legal local day of an instant, for a person."""
    return date_longue(jour_local(instant, fuseau))


def instant_utc(instant: datetime) -> str:
    """« 2026-03-16 14:30:05 UTC » (sub-second digits kept when present)."""
    if instant.utcoffset() is None:
        raise ValueError("naive datetime: every instant must carry its offset")
    utc = instant.astimezone(UTC)
    texte = utc.strftime("%Y-%m-%d %H:%M:%S")
    if utc.microsecond:
        texte += f".{utc.microsecond:06d}"
    return f"{texte} UTC"


def jour_local(instant: datetime, fuseau: str) -> date:
    """The legal local calendar day of an instant (the « jour de la transmission », CPC 662-1)."""
    return legal_time.jour_legal(instant, Fuseau(fuseau))
