"""The facts the certificat de signification and the lettre simple state, as plain dataclasses.

The coffre service fills these from its records; the documents are pure functions of them. Checks
here are the ones whose failure would produce a legally wrong document (a mode without its dates, a
prise de connaissance before the envoi, an instant without its offset), so they fail at construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from shared.instants import Fuseau, jour_local

Mode = Literal["a_personne", "a_domicile"]

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _aware(instant: datetime, nom: str) -> None:
    if instant.utcoffset() is None:
        raise ValueError(f"{nom}: naive datetime, every instant must carry its offset")


@dataclass(frozen=True, slots=True)
class Derogation664:
    """The judge's permission to serve outside legal hours (CPC 664; legal.md H2)."""

    ordonnance: str
    juridiction: str
    date: date


@dataclass(frozen=True, slots=True)
class ConsentementFaits:
    """The consent the signification rests on, as verified at the envoi (CPC 662-1 al. 2)."""

    declaration_id: str
    version: int | None
    declaree_le: datetime | None  # submission of the declaration
    natures: tuple[str, ...]  # labels of the natures covered (« Tous les actes » for all)
    debut: date | None
    fin: date | None
    #: Its registration number (`RC-…`), as the declarant knows it; None for an acte sent before
    #: the registry returned it (the certificat then names the declaration by its id).
    numero: str | None = None

    @property
    def designation(self) -> str:
        """How the certificat names the declaration: « RC-2026-… », else its id."""
        return self.numero or self.declaration_id


@dataclass(frozen=True, slots=True)
class Horodatage:
    """An RFC 3161 timestamp: its genTime and the TSA that made it."""

    date: datetime
    tsa: str


@dataclass(frozen=True, slots=True)
class AvisMiseADispositionFaits:
    """The avis de mise à disposition as notify reported it (CPC 748-3): handed over when, how, to what."""

    statut: str  # "envoye" or "echec"
    canal: str  # "email" or "sms"
    envoye_le: datetime  # when the mail server (or SMS provider) accepted it
    adresse_masquee: str | None
    message_sha256: str | None
    repertoire_index: int | None


@dataclass(frozen=True, slots=True)
class EnvoiLettreFaits:
    """One recorded posting of the lettre simple; a correction names the leaf it corrects."""

    envoyee_le: date
    enregistre_le: datetime
    repertoire_index: int
    motif: str | None = None
    corrige_index: int | None = None


@dataclass(frozen=True, slots=True)
class Formalites:
    """What the certificat states beside the mode, each with its répertoire index (CPC 663)."""

    consentement: ConsentementFaits | None = None
    horodatage_envoi: Horodatage | None = None
    avis_mise_a_disposition: AvisMiseADispositionFaits | None = None
    prise_index: int | None = None
    #: The instant the mode was acquired: the end of the day of transmission in her zone (CPC 662-1).
    mode_acquis_le: datetime | None = None
    #: When the platform recorded the decision (a job run at or after `mode_acquis_le`).
    mode_fixe_le: datetime | None = None
    mode_index: int | None = None
    envois_lettre: tuple[EnvoiLettreFaits, ...] = ()


@dataclass(frozen=True, slots=True)
class Signification:
    """What was served, by whom, on whose consent, and when (common to every document)."""

    acte_id: str
    sha256: str  # of the acte's bytes, lowercase hex
    nature_libelle: str  # e.g. « Signification d'un jugement »
    requerant: str  # name of the requérant
    reference_dossier: str
    office_nom: str
    commissaire_nom: str
    declaration_id: str  # the destinataire's consent declaration (CPC 662-1 al. 2)
    envoye_le: datetime  # date and hour of the signification (CPC 664-1)
    fuseau: str  # IANA legal zone of the destinataire's domicile
    repertoire_index: int  # répertoire leaf of the envoi
    derogation_664: Derogation664 | None = None

    def __post_init__(self) -> None:
        if not _SHA256_HEX.fullmatch(self.sha256):
            raise ValueError("sha256 must be 64 lowercase hexadecimal digits")
        _aware(self.envoye_le, "envoye_le")
        if self.repertoire_index < 0:
            raise ValueError("repertoire_index must be >= 0")
        Fuseau(self.fuseau)


@dataclass(frozen=True, slots=True)
class CertificatSignification:
    """The certificat de signification, once the mode is fixed (CPC 662-1 al. 3, 663).

    `a_personne`: `pris_connaissance_le` is required and falls on the local day of the envoi.
    `a_domicile`: `lettre_simple_due_le` is required; `lettre_simple_envoyee_le` once the commissaire
    has recorded the posting; `pris_connaissance_le`, if given, is a later download (stated, without
    effect on the mode).
    """

    signification: Signification
    mode: Mode
    pris_connaissance_le: datetime | None = None
    lettre_simple_due_le: date | None = None
    lettre_simple_envoyee_le: date | None = None
    formalites: Formalites = Formalites()

    def __post_init__(self) -> None:
        s = self.signification
        if self.pris_connaissance_le is not None:
            _aware(self.pris_connaissance_le, "pris_connaissance_le")
            if self.pris_connaissance_le < s.envoye_le:
                raise ValueError("pris_connaissance_le precedes envoye_le")
        meme_jour = self.pris_connaissance_le is not None and jour_local(
            self.pris_connaissance_le, s.fuseau
        ) == jour_local(s.envoye_le, s.fuseau)
        if self.mode == "a_personne":
            if not meme_jour:
                raise ValueError("a_personne needs a prise de connaissance on the local day of the envoi")
            if self.lettre_simple_due_le is not None or self.lettre_simple_envoyee_le is not None:
                raise ValueError("no lettre simple for a signification à personne")
        elif self.mode == "a_domicile":
            if meme_jour:
                raise ValueError("a prise de connaissance on the day of the envoi makes it a_personne")
            if self.lettre_simple_due_le is None:
                raise ValueError("a_domicile needs lettre_simple_due_le")
            if self.lettre_simple_due_le <= jour_local(s.envoye_le, s.fuseau):
                raise ValueError("the lettre simple is due after the day of the envoi")
        else:
            raise ValueError(f"unknown mode {self.mode!r}")


@dataclass(frozen=True, slots=True)
class LettreSimple:
    """The paper letter of CPC 662-1 al. 3 that the commissaire posts for a signification à domicile.

    It says that a signification was made electronically, the nature of the acte, the requérant's
    name, the date and hour, and how to reach the acte; never the acte's content.
    """

    signification: Signification
    date_lettre: date  # normally the due date: the first jour ouvrable after the envoi
    lieu: str  # « Fait à … »: the office's commune
    acces_url: str  # where the destinataire signs in to their space
    destinataire: tuple[str, ...] = ()  # name and postal address lines, when the office gives them
    expediteur: tuple[str, ...] = ()  # the office's postal address lines

    def __post_init__(self) -> None:
        if not self.acces_url.startswith(("https://", "http://")):
            raise ValueError("acces_url must be an http(s) URL")
