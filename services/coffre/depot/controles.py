"""The gates of a sending, in the order the law states them, all blocking (legal.md §1, §2, §7, §8).

1. document and signature (arrêté 28 Aug 2012 art. 8, décret 2021-1625): `documents.valider_acte`;
2. consent at the instant of sending (CPC 748-2, 662-1 al. 2): consent's internal verification;
3. territorial competence: the office's cour d'appel is the cour d'appel of the destinataire's
   domicile (décret 56-222 art. 5-2 model, legal.md §7);
4. legal hours (CPC 664) in the destinataire's legal time zone and in the office's (legal.md H3): the
   caller decides between sending, scheduling at the first instant legal in both, and refusing
   (`decision_horaire`).

The same functions run at deposit and again at a scheduled sending (`acte.envoi_programme`).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from services.coffre.contexte import Coffre
from services.coffre.documents import RapportValidation, ValidationLimits, valider_acte
from services.coffre.errors import ConsentementAbsent, HorsHeuresLegales, IncompetenceTerritoriale
from shared.blobs.base import IntegrityError
from shared.blobs.local import LocalBlobStore
from shared.legal_time import heures_legales_partout, prochain_instant_legal_partout, rfc3339_local
from shared.territoire import Territoire, TerritoireInvalide, normaliser_cour_appel, territoire_de

_MOTIFS = {
    "absent": "aucune déclaration de consentement",
    "revoque": "le consentement a été révoqué",
    "expire": "le consentement a expiré",
    "hors_perimetre": "la nature de l'acte n'est pas couverte par le consentement",
    "non_verifie": "la déclaration n'a pas encore été vérifiée",
}


@contextlib.asynccontextmanager
async def chemin_local(coffre: Coffre, sha256: str) -> AsyncIterator[Path]:
    """A local file holding the blob: the store's own file, or a verified temporary copy."""
    if isinstance(coffre.blobs, LocalBlobStore):
        yield coffre.blobs.path_for(sha256)
        return
    with tempfile.TemporaryDirectory(prefix="coffre-") as tmp:
        path = Path(tmp) / "acte.pdf"
        with path.open("wb") as out:
            async for chunk in await coffre.blobs.open(sha256, verify=True):
                out.write(chunk)
        yield path


async def controler_document(
    coffre: Coffre, sha256: str, *, at: datetime, hache_a_l_ecriture: bool = False
) -> RapportValidation:
    """Validate the stored blob `sha256` as of `at` (`PdfInvalide`, `SignatureInvalide`).

    `hache_a_l_ecriture`: this request has just stored the blob with `put_stream`, which hashed the
    bytes on the way (and re-hashed the stored file when the content was already there), so
    validation reuses its name instead of reading the whole file once more (a deposit). Otherwise (a
    scheduled sending, possibly days later) a local blob is hashed again and must still match its
    name (`IntegrityError`); a copy out of a remote store is re-hashed on the way anyway.
    """
    limits = ValidationLimits(max_bytes=coffre.settings.max_acte_bytes)
    deja_verifie = hache_a_l_ecriture or not isinstance(coffre.blobs, LocalBlobStore)
    async with chemin_local(coffre, sha256) as path:
        rapport = await valider_acte(
            path,
            trust_roots=coffre.trust_roots,
            at=at,
            limits=limits,
            sha256=sha256 if deja_verifie else None,
        )
    if rapport.sha256 != sha256:
        raise IntegrityError(f"Le document {sha256} est altéré : empreinte obtenue {rapport.sha256}.")
    return rapport


@dataclass(frozen=True)
class Consentement:
    declaration_id: str
    territoire: Territoire
    portee: dict[str, Any] | None = None


async def controler_consentement(
    coffre: Coffre, destinataire: dict[str, Any], *, nature: str, at: datetime
) -> Consentement:
    verification = await coffre.consentement.verifier(destinataire, nature=nature, a=at)
    if not verification.consentement or not verification.declaration_id or not verification.commune_insee:
        motif = verification.motif or "absent"
        raise ConsentementAbsent(
            f"Signification électronique impossible : {_MOTIFS.get(motif, motif)}.", extra={"motif": motif}
        )
    try:
        territoire = territoire_de(verification.commune_insee)
    except TerritoireInvalide as exc:
        raise IncompetenceTerritoriale(f"Domicile du destinataire hors ressort connu : {exc.detail}") from exc
    return Consentement(verification.declaration_id, territoire, verification.portee)


def controler_competence(
    cour_appel_office: str, territoire: Territoire, *, zone_justifiee: str | None = None
) -> dict[str, str] | None:
    """The office's cour d'appel is the destinataire's (legal.md §7 T2). For a commune partly inside
    an aerodrome zone attached to another court (T3), that court is accepted only when the deposit
    states, with a justification, that the domicile lies inside the zone; the returned record
    (zone, court, justification) is kept with the envoi. None when the commune's own court matches."""
    try:
        office = normaliser_cour_appel(cour_appel_office)
    except TerritoireInvalide as exc:
        raise IncompetenceTerritoriale("La cour d'appel de l'office est inconnue.") from exc
    if territoire.cour_appel is not None and territoire.cour_appel == office:
        return None
    extra: dict[str, Any] = {"cour_appel_office": office, "cour_appel_destinataire": territoire.cour_appel}
    if territoire.cour_appel_zone == office and territoire.zone is not None:
        if zone_justifiee:
            return {"zone": territoire.zone, "cour_appel": office, "justification": zone_justifiee}
        raise IncompetenceTerritoriale(
            f"Le domicile du destinataire relève de la cour d'appel de l'office seulement s'il est situé "
            f"dans la zone « {territoire.zone} » : indiquez-le dans `zone_aeroportuaire.justification`.",
            extra={**extra, "cour_appel_zone": office, "zone": territoire.zone},
        )
    raise IncompetenceTerritoriale(
        "Le domicile du destinataire ne relève pas du ressort de la cour d'appel de l'office.", extra=extra
    )


@dataclass(frozen=True)
class DecisionHoraire:
    mode: Literal["envoyer", "programmer"]
    instant: datetime


def territoire_office(commune_insee: str | None) -> Territoire | None:
    """The office's territory, for the hours check in its own zone; None when its commune is unknown."""
    if not commune_insee:
        return None
    try:
        return territoire_de(commune_insee)
    except TerritoireInvalide:
        return None


def decision_horaire(
    now: datetime,
    territoire: Territoire,
    *,
    derogation: bool,
    envoi_differe: bool,
    office: Territoire | None = None,
) -> DecisionHoraire:
    """CPC 664 in the destinataire's legal time and, when it differs, in the office's too (legal.md H3):
    a DOM office serving metropole, or the reverse, sends only at an instant legal in both zones."""
    zones: tuple[Territoire, ...] = (territoire,)
    if office is not None and (office.fuseau, office.subdivision_feries) != (
        territoire.fuseau,
        territoire.subdivision_feries,
    ):
        zones = (territoire, office)
    if derogation or heures_legales_partout(now, zones):
        return DecisionHoraire("envoyer", now)
    try:
        prochain = prochain_instant_legal_partout(now, zones)
    except ValueError:
        prochain = None
    extra: dict[str, Any] = {"fuseau": territoire.fuseau}
    if prochain is not None:
        extra["prochain_instant_legal"] = rfc3339_local(prochain, territoire)
    if len(zones) > 1:
        extra["fuseau_office"] = zones[1].fuseau
    if not envoi_differe or prochain is None:
        lieux = (
            "dans le fuseau du domicile du destinataire et dans celui de l'office"
            if len(zones) > 1
            else "dans le fuseau du domicile du destinataire"
        )
        raise HorsHeuresLegales(
            "Une signification ne peut être faite avant 6 heures, après 21 heures, le dimanche ou un "
            f"jour férié (CPC 664) {lieux}.",
            extra=extra,
        )
    return DecisionHoraire("programmer", prochain)
