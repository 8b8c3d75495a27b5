"""The consent rule at an instant (legal.md R6, R11), as a pure function of stored rows.

At instant `a`, a declaration gives consent for `nature` iff it was accepted at or before `a`, was
not revoked at or before `a` (revocation is effective for any sending at or after `revoquee_le`),
`debut <= day(a) <= fin` (days in the domicile's legal time zone, `fin` inclusive, open-ended when
null) and its natures, in the version current at `a`, contain `nature` (or `*`).

Between several declarations of one person: a consent wins; otherwise `hors_perimetre`; otherwise
the motif of the most recent declaration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.consent.mentions.textes import TOUTES_NATURES
from services.consent.models import Declaration, Version


@dataclass(frozen=True)
class Verdict:
    consentement: bool
    motif: str | None
    declaration: Declaration | None = None
    version: Version | None = None


ABSENT = Verdict(False, "absent")


def version_a(versions: Sequence[Version], a: datetime) -> Version:
    """The version in force at `a` (the first one before any change)."""
    courante = versions[0]
    for version in versions:
        if version.creee_le <= a:
            courante = version
    return courante


def evaluer(declaration: Declaration, versions: Sequence[Version], nature: str, a: datetime) -> Verdict:
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
