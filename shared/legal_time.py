"""The legal calendar: hours, jours fériés, jour ouvrable and "same day", per territory.

Pure functions. Instants are aware datetimes (any offset accepted; a naive one raises ValueError) and every
instant returned is in UTC. Each rule is evaluated in the legal time zone and holiday calendar of the
territory passed in (`shared.territoire.Territoire`, or anything with `fuseau` and
`subdivision_feries`): for a signification, the destinataire's domicile (legal.md §8, H3).

Rules and the choices made where the texts leave room:

- CPC 664: no signification « avant six heures et après vingt et une heures, non plus que les
  dimanches, les jours fériés ou chômés ». Legal hours are Monday–Saturday, 06:00:00 <= local time
  < 21:00:00, on a day that is not a jour férié. 21:00:00 itself is treated as outside ("après
  vingt et une heures" read cautiously: the last legal instant is just before 21:00; legal.md H1).
- Jours fériés: the `holidays` package's France calendar with the territory's subdivision: the 11
  national days (Lundi de Pentecôte included: it stays a jour férié even where it is worked as the
  journée de solidarité), Alsace-Moselle's Vendredi saint and 26 décembre, each DOM/COM's
  abolition-of-slavery day and local days. Where `holidays` lists a customary day off (Mi-Carême and
  Vendredi saint in Guadeloupe) it is kept: « jours chômés » also bar a signification, and refusing
  one slot too many is the safe side of a nullity (legal.md Q7).
- Jour ouvrable: every day except Sunday and jours fériés (Saturday is ouvrable; legal.md H5).
- A 06:00 or a midnight that falls in a DST gap (none does in the zones served) resolves to the
  instant after the gap, never before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

DEBUT_HEURES_LEGALES = time(6, 0)
FIN_HEURES_LEGALES = time(21, 0)  # exclusive
DUREE_CONSERVATION_ANS = 5
_DIMANCHE = 6
_MAX_JOURS = 60  # far more than the longest run of non-ouvrable days in any calendar


class Calendrier(Protocol):
    """What the legal calendar needs of a territory."""

    @property
    def fuseau(self) -> str: ...

    @property
    def subdivision_feries(self) -> str | None: ...


# -- days ------------------------------------------------------------------------------------------


@cache
def _feries(subdivision: str | None, annee: int) -> dict[date, str]:
    calendrier = holidays.country_holidays("FR", subdiv=subdivision, years=annee, language="fr")
    return dict(calendrier.items())


def nom_jour_ferie(d: date, territoire: Calendrier) -> str | None:
    """The French name of the jour férié on `d` in this territory, or None."""
    return _feries(territoire.subdivision_feries, d.year).get(d)


def est_jour_ferie(d: date, territoire: Calendrier) -> bool:
    return d in _feries(territoire.subdivision_feries, d.year)


def est_jour_ouvrable(d: date, territoire: Calendrier) -> bool:
    """Every day but Sunday and jours fériés; Saturday is ouvrable."""
    return d.weekday() != _DIMANCHE and not est_jour_ferie(d, territoire)


def premier_jour_ouvrable_apres(d: date, territoire: Calendrier) -> date:
    """The first jour ouvrable strictly after `d` (lettre simple due date, CPC 662-1)."""
    for ecart in range(1, _MAX_JOURS + 1):
        candidat = d + timedelta(days=ecart)
        if est_jour_ouvrable(candidat, territoire):
            return candidat
    raise RuntimeError(f"no jour ouvrable within {_MAX_JOURS} days after {d}")  # pragma: no cover


# -- instants --------------------------------------------------------------------------------------


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: every instant must carry its offset")
    return instant


def local(instant: datetime, territoire: Calendrier) -> datetime:
    """The instant as an aware datetime in the territory's legal time zone."""
    return _aware(instant).astimezone(ZoneInfo(territoire.fuseau))


def rfc3339_local(instant: datetime, territoire: Calendrier) -> str:
    """RFC 3339 with the local offset, for `*_local` fields: 2026-03-16T10:30:00+01:00."""
    return local(instant, territoire).isoformat()


def rfc3339_utc(instant: datetime) -> str:
    """RFC 3339 in UTC with a `Z`: 2026-03-16T09:30:00Z."""
    return _aware(instant).astimezone(UTC).isoformat().replace("+00:00", "Z")


def jour_legal(instant: datetime, territoire: Calendrier) -> date:
    """The local calendar day of the instant (the "jour de la transmission" of CPC 662-1)."""
    return local(instant, territoire).date()


def meme_jour(a: datetime, b: datetime, territoire: Calendrier) -> bool:
    return jour_legal(a, territoire) == jour_legal(b, territoire)


def _instant_local(d: date, heure: time, territoire: Calendrier) -> datetime:
    """UTC instant of a local wall time; a wall time inside a DST gap maps to after the gap."""
    # fold=0 reads a non-existent wall time with the pre-transition offset, which lands after the
    # gap, and an ambiguous one as its first occurrence: no earlier instant shows that wall time.
    return datetime.combine(d, heure, tzinfo=ZoneInfo(territoire.fuseau)).astimezone(UTC)


def debut_du_jour(d: date, territoire: Calendrier) -> datetime:
    """UTC instant of local midnight starting day `d`."""
    return _instant_local(d, time(0, 0), territoire)


def fin_du_jour(d: date, territoire: Calendrier) -> datetime:
    """UTC instant of the local midnight ending day `d` (the end-of-day mode decision runs then)."""
    return debut_du_jour(d + timedelta(days=1), territoire)


def heures_legales(instant: datetime, territoire: Calendrier) -> bool:
    """CPC 664: Monday–Saturday, 06:00 <= local time < 21:00, not a jour férié."""
    heure_locale = local(instant, territoire)
    return (
        est_jour_ouvrable(heure_locale.date(), territoire)
        and DEBUT_HEURES_LEGALES <= heure_locale.time() < FIN_HEURES_LEGALES
    )


def prochain_instant_legal(instant: datetime, territoire: Calendrier) -> datetime:
    """The instant itself (in UTC) if within legal hours, else 06:00 local of the next allowed day."""
    if heures_legales(instant, territoire):
        return _aware(instant).astimezone(UTC)
    heure_locale = local(instant, territoire)
    jour = heure_locale.date()
    if not (est_jour_ouvrable(jour, territoire) and heure_locale.time() < DEBUT_HEURES_LEGALES):
        jour = premier_jour_ouvrable_apres(jour, territoire)
    return _instant_local(jour, DEBUT_HEURES_LEGALES, territoire)


def heures_legales_partout(instant: datetime, territoires: tuple[Calendrier, ...]) -> bool:
    """Legal in every territory at once (destinataire's domicile and office: legal.md H3, Q6)."""
    return all(heures_legales(instant, t) for t in territoires)


def prochain_instant_legal_partout(instant: datetime, territoires: tuple[Calendrier, ...]) -> datetime:
    """The first instant >= `instant` that is legal in every territory."""
    courant = _aware(instant).astimezone(UTC)
    for _ in range(_MAX_JOURS * max(1, len(territoires))):
        suivant = max(prochain_instant_legal(courant, t) for t in territoires) if territoires else courant
        if suivant == courant:
            return courant
        courant = suivant
    raise ValueError("no common legal instant: the territories' legal hours never overlap")


# -- retention -------------------------------------------------------------------------------------


def date_destruction(revocation: date) -> date:
    """End of the 5-year retention after revocation, calendar-exact; 29 February → 28 February."""
    annee = revocation.year + DUREE_CONSERVATION_ANS
    try:
        return revocation.replace(year=annee)
    except ValueError:
        return revocation.replace(year=annee, day=28)
