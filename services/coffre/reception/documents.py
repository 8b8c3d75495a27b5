"""The coffre's records turned into the legal documents of `services.coffre.preuves`.

The platform's PAdES seal (`SceauPdf`) is built once per process: the PKCS#12 `SIGNIF_SEAL_PKCS12`
names (production's qualified seal), else outside production the development seal of `shared.devpki`
(non-qualified) — `shared.sceau_pdf.signataire_sceau` —, with an RFC 3161 signature timestamp from the
embedded TSA (or the external TSA when `tsa_url` is set); production without a seal refuses to seal
(503 `sceau-indisponible`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pyhanko.sign.timestamps import HTTPTimeStamper

from services.coffre.actes.natures import NATURES
from services.coffre.contexte import Coffre
from services.coffre.models import Acte, ActeEvenement, LettreSimpleEnvoi
from services.coffre.preuves import (
    AvisMiseADispositionFaits,
    AvisReception,
    CertificatSignification,
    ConsentementFaits,
    Derogation664,
    EmbeddedTimeStamper,
    EnvoiLettreFaits,
    Formalites,
    Horodatage,
    LettreSimple,
    Mode,
    SceauPdf,
    Signification,
)
from services.coffre.reception.mode import echeance_mode
from shared.crypto.jws import b64url_decode
from shared.natures import TOUTES_NATURES
from shared.sceau_pdf import signataire_sceau
from shared.timestamps.client import EmbeddedTimestampClient


def sceau_pdf(coffre: Coffre) -> SceauPdf:
    if coffre.sceau_pdf is not None:
        return coffre.sceau_pdf
    settings = coffre.settings
    signer = signataire_sceau(settings, now=coffre.clock.now())
    if isinstance(coffre.horodatage, EmbeddedTimestampClient):
        timestamper: Any = EmbeddedTimeStamper(coffre.horodatage.authority)
    elif settings.tsa_url:
        timestamper = HTTPTimeStamper(settings.tsa_url)
    else:  # pragma: no cover - one of the two is always configured
        timestamper = None
    sceau = SceauPdf(signer=signer, timestamper=timestamper)
    coffre.sceau_pdf = sceau
    return sceau


def avis_de(jws: str) -> AvisReception:
    """The stored avis (our own JWS, read back without re-verifying it)."""
    entete, charge, _signature = jws.split(".")
    header = json.loads(b64url_decode(entete))
    return AvisReception(jws=jws, contenu=json.loads(b64url_decode(charge)), kid=str(header["kid"]))


def _instant(valeur: object) -> datetime | None:
    if not isinstance(valeur, str):
        return None
    try:
        lu = datetime.fromisoformat(valeur)
    except ValueError:
        return None
    return lu if lu.utcoffset() is not None else None


def _jour(valeur: object) -> date | None:
    try:
        return date.fromisoformat(valeur) if isinstance(valeur, str) else None
    except ValueError:
        return None


def _consentement(acte: Acte, envoi: ActeEvenement | None) -> ConsentementFaits:
    """The consent verified at the envoi; for an acte sent before it was kept, the declaration id."""
    portee = envoi.donnees.get("consentement") if envoi is not None else None
    if not isinstance(portee, dict):
        return ConsentementFaits(acte.declaration_id, None, None, (), None, None)
    codes = [str(n) for n in portee.get("natures") or []]
    natures = tuple("Tous les actes" if c == TOUTES_NATURES else NATURES.get(c, c) for c in codes)
    version = portee.get("version")
    return ConsentementFaits(
        numero=_consentement_numero(envoi),
        declaration_id=acte.declaration_id,
        version=version if isinstance(version, int) else None,
        declaree_le=_instant(portee.get("declaree_le")),
        natures=natures,
        debut=_jour(portee.get("debut")),
        fin=_jour(portee.get("fin")),
    )


def numero_consentement(evenements: Sequence[ActeEvenement]) -> str | None:
    """The registration number (`RC-…`) of the consent verified at the envoi; None before it was kept."""
    envoi = next((e for e in evenements if e.type == "envoi"), None)
    return _consentement_numero(envoi)


def _consentement_numero(envoi: ActeEvenement | None) -> str | None:
    portee = envoi.donnees.get("consentement") if envoi is not None else None
    numero = portee.get("numero") if isinstance(portee, dict) else None
    return numero if isinstance(numero, str) and numero else None


def _avis_mad(evenements: Sequence[ActeEvenement]) -> AvisMiseADispositionFaits | None:
    """The avis as last reported (a sent one wins over an earlier failure)."""
    avis = [e for e in evenements if e.type == "avis_mise_a_disposition"]
    if not avis:
        return None
    envoyes = [e for e in avis if e.donnees.get("statut") == "envoye"]
    dernier = (envoyes or avis)[-1]
    d = dernier.donnees
    return AvisMiseADispositionFaits(
        statut=str(d.get("statut")),
        canal=str(d.get("canal")),
        envoye_le=_instant(d.get("envoye_le")) or dernier.instant,
        adresse_masquee=d.get("adresse_masquee") if isinstance(d.get("adresse_masquee"), str) else None,
        message_sha256=d.get("message_sha256") if isinstance(d.get("message_sha256"), str) else None,
        repertoire_index=dernier.journal_index,
    )


def formalites(
    acte: Acte, evenements: Sequence[ActeEvenement], envois: Sequence[LettreSimpleEnvoi]
) -> Formalites:
    """Every formalité of the signification with its répertoire index, from the acte's records."""
    par_type = {e.type: e for e in evenements}
    envoi = par_type.get("envoi")
    horodatage = envoi.donnees.get("horodatage") if envoi is not None else None
    tampon = None
    gen_time = _instant(horodatage.get("date")) if isinstance(horodatage, dict) else None
    if isinstance(horodatage, dict) and gen_time is not None:
        tampon = Horodatage(date=gen_time, tsa=str(horodatage.get("tsa")))
    mode = par_type.get("mode_fixe")
    prise = par_type.get("prise_connaissance")
    index_par_id = {e.id: e.journal_index for e in envois}
    return Formalites(
        consentement=_consentement(acte, envoi),
        horodatage_envoi=tampon,
        avis_mise_a_disposition=_avis_mad(evenements),
        prise_index=prise.journal_index if prise is not None else None,
        mode_acquis_le=echeance_mode(acte) if acte.mode is not None else None,
        mode_fixe_le=acte.mode_fixe_le,
        mode_index=mode.journal_index if mode is not None else None,
        envois_lettre=tuple(
            EnvoiLettreFaits(
                envoyee_le=e.envoyee_le,
                enregistre_le=e.enregistre_le,
                repertoire_index=e.journal_index,
                motif=e.motif,
                corrige_index=index_par_id.get(e.corrige_id) if e.corrige_id is not None else None,
            )
            for e in envois
        ),
    )


def _derogation(acte: Acte) -> Derogation664 | None:
    d = acte.derogation_664
    if not isinstance(d, dict):
        return None
    jour = _jour(d.get("date"))
    ordonnance = d.get("ordonnance")
    if jour is None or not ordonnance:
        return None
    return Derogation664(ordonnance=str(ordonnance), juridiction=str(d.get("juridiction", "")), date=jour)


def signification(acte: Acte) -> Signification:
    if acte.envoye_le is None or acte.journal_index is None:
        raise ValueError("acte not sent")
    requerant = acte.requerant.get("nom") if isinstance(acte.requerant, dict) else None
    return Signification(
        acte_id=acte.id,
        sha256=acte.sha256,
        nature_libelle=NATURES.get(acte.nature, acte.nature),
        requerant=str(requerant or ""),
        reference_dossier=acte.reference_dossier,
        office_nom=acte.office_nom,
        commissaire_nom=acte.commissaire_nom,
        declaration_id=acte.declaration_id,
        envoye_le=acte.envoye_le,
        fuseau=acte.fuseau,
        repertoire_index=acte.journal_index,
        derogation_664=_derogation(acte),
    )


def certificat(
    acte: Acte,
    evenements: Sequence[ActeEvenement] = (),
    envois: Sequence[LettreSimpleEnvoi] = (),
) -> CertificatSignification:
    mode: Mode = "a_personne" if acte.mode == "a_personne" else "a_domicile"
    return CertificatSignification(
        signification=signification(acte),
        mode=mode,
        pris_connaissance_le=acte.pris_connaissance_le,
        lettre_simple_due_le=acte.lettre_simple_due_le,
        lettre_simple_envoyee_le=acte.lettre_simple_envoyee_le,
        formalites=formalites(acte, evenements, envois),
    )


def lettre(acte: Acte, *, acces_url: str, lieu: str) -> LettreSimple:
    if acte.lettre_simple_due_le is None:
        raise ValueError("no lettre simple due")
    return LettreSimple(
        signification=signification(acte),
        date_lettre=acte.lettre_simple_due_le,
        lieu=lieu,
        acces_url=acces_url,
    )
