"""What a public log leaf may carry: one pydantic model per leaf type, for format version 2.

Two logs: consent's registry (`registre`) and the coffre's répertoire (`repertoire`). A leaf is the
canonical JSON of exactly one of these models (`extra="forbid"`: a field not listed here is an
error, which is how a name, an address or an id in clear would be caught). Ids that say who —
declaration, account, magistrate — appear only as commitments (`Engagement`: 64 lowercase hex,
`shared.evidence.engagements`); the rest are acte ids, office ids, hashes, instants and small enums.
`valider(journal, donnees)` checks one leaf; the test suite runs it on every leaf it writes.
Leaves written before version 2 (no `"v"`) are outside this schema: the logs are append-only.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Engagement = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Ident = Annotated[str, Field(min_length=1, max_length=200)]


class _Feuille(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)
    v: Literal[2]
    instant: datetime


class _Registre(_Feuille):
    le: datetime


# --- consent's registry --------------------------------------------------------------------------


class DeclarationEvenement(_Registre):
    """A declaration's life (`declarations.service.evenement`): no field but its commitment."""

    type: Literal[
        "declaration.email_confirme",
        "declaration.soumise",
        "declaration.acceptee",
        "declaration.rejetee",
        "declaration.contact_demande",
        "declaration.code_renvoye",
        "declaration.purgee",
        "operateur.lecture",
    ]
    declaration_engagement: Engagement
    #: On `declaration.soumise`: the SHA-256 of the sealed récépissé (compact JWS, ASCII) issued then.
    recepisse_sha256: Sha256 | None = None


class DeclarationVersion(_Registre):
    type: Literal["declaration.creee", "declaration.version"]
    declaration_engagement: Engagement
    version: int
    engagement: Sha256
    mentions_sha256: Sha256 | None = None


class DeclarationRevoquee(_Registre):
    type: Literal["declaration.revoquee"]
    declaration_engagement: Engagement
    destruction_le: date


class Conservation(_Registre):
    type: Literal["declaration.conservation_ordonnee", "declaration.conservation_levee"]
    declaration_engagement: Engagement
    procedure: Sha256


class PieceDeposee(_Registre):
    type: Literal["piece.deposee"]
    declaration_engagement: Engagement
    piece_id: Ident
    type_piece: Ident
    sha256: Sha256
    #: The rectification (version number) the proof supports; absent for the declaration's own.
    version: int | None = Field(None, ge=1)


class Rectification(_Registre):
    """A rectification of the identity or domicile (`declarations.rectification`): asked for (with
    the new version's commitment and what it changes), then accepted or rejected by the operator."""

    type: Literal[
        "declaration.rectification_demandee",
        "declaration.rectification_acceptee",
        "declaration.rectification_rejetee",
    ]
    declaration_engagement: Engagement
    version: int = Field(ge=1)
    engagement: Sha256 | None = None
    changements: list[Literal["identite", "domicile"]] | None = None
    version_en_vigueur: int | None = Field(None, ge=1)


class PieceLue(_Registre):
    type: Literal["operateur.piece"]
    declaration_engagement: Engagement
    piece_id: Ident


class SessionsTerminees(_Registre):
    type: Literal["sessions.terminees"]
    declaration_engagement: Engagement
    nombre: int


class Consultation(_Registre):
    type: Literal["consultation", "verification"]
    a: datetime
    office_id: Ident | None
    reference: Sha256 | None
    nature: Ident
    consentement: bool
    motif: Ident | None
    declaration_engagement: Engagement | None


class CanalLu(_Registre):
    type: Literal["canal.lu"]
    declaration_engagement: Engagement
    version: int
    par: Ident


class CompteVerrouille(_Registre):
    type: Literal["compte.verrouille"]
    compte_engagement: Engagement
    jusqu_au: datetime
    rang: int


class CompteReinitialise(_Registre):
    type: Literal["compte.reinitialise"]
    compte_engagement: Engagement


class AutoriteAcces(_Registre):
    type: Literal["autorite.recherche", "autorite.piece"]
    autorite_engagement: Engagement
    procedure: Sha256
    declarations_engagements: list[Engagement]
    declaration_engagement: Engagement | None = None
    piece_id: Ident | None


class AutoritePreuves(_Registre):
    type: Literal["autorite.preuves"]
    autorite_engagement: Engagement
    procedure: Sha256
    declaration_engagement: Engagement


REGISTRE: tuple[type[_Feuille], ...] = (
    DeclarationEvenement,
    DeclarationVersion,
    DeclarationRevoquee,
    Conservation,
    PieceDeposee,
    Rectification,
    PieceLue,
    SessionsTerminees,
    Consultation,
    CanalLu,
    CompteVerrouille,
    CompteReinitialise,
    AutoriteAcces,
    AutoritePreuves,
)

# --- the coffre's répertoire ---------------------------------------------------------------------


class Depot(_Feuille):
    type: Literal["depot"]
    acte_id: Ident
    office_id: Ident
    sha256: Sha256
    taille: int
    annexes: list[Sha256]
    depose_le: datetime


class Envoi(_Feuille):
    type: Literal["envoi"]
    acte_id: Ident
    office_id: Ident
    declaration_engagement: Engagement
    sha256: Sha256
    envoye_le: datetime
    derogation_664: bool


class Annulation(_Feuille):
    type: Literal["annulation"]
    acte_id: Ident
    motif: Ident


class AvisMiseADisposition(_Feuille):
    type: Literal["avis_mise_a_disposition"]
    acte_id: Ident
    statut: Ident
    canal: Ident
    envoye_le: datetime | None
    message_id_sha256: Sha256 | None
    message_sha256: Sha256 | None = None


class PriseConnaissance(_Feuille):
    type: Literal["prise_connaissance"]
    acte_id: Ident
    declaration_engagement: Engagement
    sha256: Sha256
    pris_connaissance_le: datetime


class Mode(_Feuille):
    type: Literal["mode"]
    acte_id: Ident
    mode: Literal["a_personne", "a_domicile"]
    lettre_simple_due_le: date | None


class LettreSimple(_Feuille):
    """A posting of the lettre simple; a correction names the leaf it corrects and hashes its reason."""

    type: Literal["lettre_simple"]
    acte_id: Ident
    envoyee_le: datetime | date
    corrige: int | None = Field(None, ge=0)
    motif_sha256: Sha256 | None = None


class AccesPreuvesAutorite(_Feuille):
    type: Literal["acces_preuves_autorite"]
    acte_id: Ident
    procedure_sha256: Sha256
    juridiction: Ident


class RechercheAutorite(_Feuille):
    type: Literal["recherche_autorite"]
    procedure_sha256: Sha256
    juridiction: Ident
    critere: Literal["acte_id", "declaration_id", "reference_dossier"]
    actes: list[Ident]


class AuditIntegrite(_Feuille):
    type: Literal["audit_integrite"]
    verifies: int
    alteres: list[Sha256]
    manquants: list[Sha256]


class AlerteIntegrite(_Feuille):
    type: Literal["alerte_integrite"]
    acte_id: Ident
    sha256: Sha256


class DocumentEmis(_Feuille):
    """One version of a sealed PDF the coffre issued: its bytes' SHA-256 and the facts' it states."""

    type: Literal["document"]
    acte_id: Ident
    document: Literal["avis_reception", "certificat", "lettre_simple"]
    version: int = Field(ge=1)
    sha256: Sha256
    faits_sha256: Sha256


REPERTOIRE: tuple[type[_Feuille], ...] = (
    Depot,
    Envoi,
    Annulation,
    AvisMiseADisposition,
    PriseConnaissance,
    Mode,
    LettreSimple,
    AccesPreuvesAutorite,
    RechercheAutorite,
    AuditIntegrite,
    AlerteIntegrite,
    DocumentEmis,
)

Journal = Literal["registre", "repertoire"]
_PAR_TYPE: dict[str, dict[str, type[_Feuille]]] = {
    journal: {t: modele for modele in modeles for t in modele.model_fields["type"].annotation.__args__}  # type: ignore[union-attr]
    for journal, modeles in (("registre", REGISTRE), ("repertoire", REPERTOIRE))
}


class FeuilleNonConforme(ValueError):
    pass


def types(journal: Journal) -> frozenset[str]:
    return frozenset(_PAR_TYPE[journal])


def valider(journal: Journal, donnees: bytes) -> str:
    """The leaf's type if `donnees` is a v2 leaf its log may hold, else `FeuilleNonConforme`."""
    try:
        contenu = json.loads(donnees)
    except ValueError as exc:
        raise FeuilleNonConforme(f"JSON illisible : {exc}") from exc
    type_ = contenu.get("type") if isinstance(contenu, dict) else None
    modele = _PAR_TYPE[journal].get(str(type_))
    if modele is None:
        raise FeuilleNonConforme(f"type de feuille inconnu du {journal} : {type_!r}")
    try:
        modele.model_validate(contenu)
    except ValidationError as exc:
        raise FeuilleNonConforme(f"feuille {type_} : {exc}") from exc
    return str(type_)
