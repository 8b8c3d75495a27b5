"""The consent rule at an instant (legal.md R6, R11), as a pure function of stored facts.

At instant `a`, a declaration gives consent for `nature` iff it was accepted at or before `a`, was
not revoked at or before `a` (revocation is effective for any sending at or after `revoquee_le`),
`debut <= day(a) <= fin` (days in the domicile's legal time zone, `fin` inclusive, open-ended when
null) and its natures, in the version current at `a`, contain `nature` (or `*`).

Between several declarations of one person: a consent wins; otherwise `hors_perimetre`; otherwise
the motif of the most recent declaration.

The facts are the few columns the rule reads (`FaitsDeclaration`, `FaitsVersion`), never the
encrypted personal data: the lookup (`service.py`) selects only them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.consent.mentions.textes import TOUTES_NATURES


@dataclass(frozen=True)
class FaitsDeclaration:
    """What the rule reads of a declaration."""

    id: str
    decision: str | None
    decidee_le: datetime | None
    revoquee_le: datetime | None
    declaree_le: datetime


@dataclass(frozen=True)
class FaitsVersion:
    """What the rule (and the answer) reads of one version of a declaration."""

    numero: int
    creee_le: datetime
    natures: list[str]
    debut: date
    fin: date | None
    fuseau: str


@dataclass(frozen=True)
class Verdict:
    consentement: bool
    motif: str | None
    declaration: FaitsDeclaration | None = None
    version: FaitsVersion | None = None


ABSENT = Verdict(False, "absent")


def version_a(versions: Sequence[FaitsVersion], a: datetime) -> FaitsVersion:
    """The version in force at `a` (the first one before any change); `versions` by `numero`."""
    courante = versions[0]
    for version in versions:
        if version.creee_le <= a:
            courante = version
    return courante


def evaluer(
    declaration: FaitsDeclaration, versions: Sequence[FaitsVersion], nature: str, a: datetime
) -> Verdict:
    version = version_a(versions, a)
    if declaration.revoquee_le is not None and a >= declaration.revoquee_le:
        return Verdict(False, "revoque", declaration, version)
    if declaration.decision != "acceptee" or declaration.decidee_le is None or declaration.decidee_le > a:
        return Verdict(False, "non_verifie", declaration, version)
    jour = a.astimezone(ZoneInfo(version.fuseau)).date()
    if jour < version.debut:
        return Verdict(False, "absent", declaration, version)
    if version.fin is not None and jour > version.fin:
        return Verdict(False, "expire", declaration, version)
    if version.natures != [TOUTES_NATURES] and nature not in version.natures:
        return Verdict(False, "hors_perimetre", declaration, version)
    return Verdict(True, None, declaration, version)


def choisir(verdicts: Sequence[Verdict]) -> Verdict:
    if not verdicts:
        return ABSENT
    for motif in (None, "hors_perimetre"):
        for verdict in verdicts:
            if verdict.motif == motif:
                return verdict
    jamais = datetime.min.replace(tzinfo=UTC)
    return max(verdicts, key=lambda v: v.declaration.declaree_le if v.declaration else jamais)
