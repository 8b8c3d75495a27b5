"""The legal mentions shown in full on the declaration form (legal.md §3.3 R4), and the catalogues.

The texts reproduce CPC 653, 662-1, 663, 664 and 664-1 as in force (662-1 and 663 still say « huissier
de justice », read as « commissaire de justice » since 1 July 2022), followed by the information notice.
`VERSION` and `SHA256` identify exactly what was shown: a declaration must send both back and they are
stored with it. Any change to a text needs a new `VERSION`; the texts of earlier versions stay in
`ANTERIEURES` so that what an older declaration was shown can still be read and its hash recomputed.

Version 2026-1 showed CPC 663 truncated (an ellipsis for its second alinéa); 2026-2 reproduces every article
whole, word for word as quoted in the project's legal sheet.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from shared.natures import NATURES as CATALOGUE_NATURES
from shared.natures import TOUTES_NATURES as TOUTES_NATURES

VERSION = "2026-2"


@dataclass(frozen=True, slots=True)
class Article:
    reference: str
    titre: str
    texte: str


ARTICLES: tuple[Article, ...] = (
    Article(
        "CPC 653",
        "Article 653 du code de procédure civile",
        "La signification est faite sur support papier ou par voie électronique.",
    ),
    Article(
        "CPC 662-1",
        "Article 662-1 du code de procédure civile",
        "La signification par voie électronique est faite par la transmission de l'acte à son "
        "destinataire dans les conditions prévues par le titre XXI du présent livre. Les articles 654 "
        "à 662 ne sont pas applicables.\n"
        "L'acte de signification porte mention du consentement du destinataire à ce mode de "
        "signification.\n"
        "La signification par voie électronique est une signification faite à personne si le "
        "destinataire de l'acte en a pris connaissance le jour de la transmission de l'acte. Dans les "
        "autres cas, la signification est une signification faite à domicile et l'huissier de justice "
        "doit aviser l'intéressé de la signification, le premier jour ouvrable, par lettre simple "
        "mentionnant la délivrance de la signification par voie électronique ainsi que la nature de "
        "l'acte et le nom du requérant.",
    ),
    Article(
        "CPC 663",
        "Article 663 du code de procédure civile",
        "Les originaux des actes d'huissier de justice doivent porter mention des formalités et "
        "diligences auxquelles donne lieu l'application des dispositions de la présente section, avec "
        "l'indication de leurs dates. En cas de signification par voie électronique faite à personne, "
        "ils mentionnent les date et heure auxquelles le destinataire de l'acte en a pris connaissance.\n"
        "Lorsque la signification n'a pas été faite à personne, l'original de l'acte doit préciser les nom "
        "et qualité de la personne à laquelle la copie a été laissée. Il en est de même dans le cas prévu à "
        "l'article 654 (alinéa 2).",
    ),
    Article(
        "CPC 664",
        "Article 664 du code de procédure civile",
        "Aucune signification ne peut être faite avant six heures et après vingt et une heures, non plus "
        "que les dimanches, les jours fériés ou chômés, si ce n'est en vertu de la permission du juge en "
        "cas de nécessité.",
    ),
    Article(
        "CPC 664-1",
        "Article 664-1 du code de procédure civile",
        "La date de la signification d'un acte d'huissier de justice, sous réserve de l'article 647-1, "
        "est celle du jour où elle est faite à personne, à domicile, à résidence ou, dans le cas "
        "mentionné à l'article 659, celle de l'établissement du procès-verbal.\n"
        "La date et l'heure de la signification par voie électronique sont celles de l'envoi de l'acte "
        "à son destinataire.",
    ),
)

NOTICE_TITRE = "Information sur le traitement de vos données"
NOTICE = (
    "Votre déclaration est enregistrée dans le registre des personnes ayant consenti à la "
    "signification électronique des actes de commissaire de justice, tenu par la Chambre nationale "
    "des commissaires de justice (responsable du traitement), en application de l'article 748-2 du "
    "code de procédure civile et du décret n° 2021-1625 (obligation légale, article 6.1.c du RGPD).\n"
    "Ne peuvent obtenir communication de ces données que les commissaires de justice, pour "
    "l'accomplissement de leur mission de signification, et l'autorité judiciaire, pour les besoins "
    "des procédures judiciaires. Chaque consultation est journalisée.\n"
    "Vos données et pièces justificatives sont chiffrées. Vous pouvez révoquer votre consentement à "
    "tout moment depuis votre espace personnel ou avec votre jeton de gestion ; la révocation vaut "
    "pour toute signification envoyée après elle. Vos données sont détruites cinq ans après la "
    "révocation (ou après la fin de la durée choisie) ; la révocation n'entraîne donc pas leur "
    "effacement immédiat.\n"
    "Vous disposez d'un droit d'accès et de rectification, exercé depuis votre espace personnel, et "
    "du droit d'introduire une réclamation auprès de la CNIL."
)

#: Natures of actes a consent may cover (the platform's one catalogue); `*` means all of them.
NATURES: tuple[tuple[str, str], ...] = tuple(CATALOGUE_NATURES.items())
CODES_NATURES = frozenset(code for code, _ in NATURES)

#: Proofs accepted with a declaration (arrêté du 17 novembre 2023, art. 1; legal persons: see legal.md Q10).
TYPES_PIECES: tuple[tuple[str, str, str], ...] = (
    ("carte_identite", "Carte nationale d'identité française ou étrangère (recto verso)", "physique"),
    ("passeport", "Passeport français ou étranger", "physique"),
    ("permis_conduire", "Permis de conduire français ou étranger (recto verso)", "physique"),
    ("carte_combattant", "Carte de combattant délivrée par les autorités françaises", "physique"),
    (
        "carte_militaire",
        "Carte d'identité ou carte de circulation délivrée par les autorités militaires françaises",
        "physique",
    ),
    ("titre_sejour", "Titre de séjour", "physique"),
    (
        "justificatif_domicile",
        "Justificatif de domicile (titre de propriété, avis d'imposition de l'année précédente, "
        "quittance de loyer…)",
        "physique",
    ),
    ("identite_representant", "Pièce d'identité du représentant légal", "morale"),
    ("pouvoirs_representant", "Justificatif des pouvoirs du représentant légal", "morale"),
    ("justificatif_siege", "Justificatif du siège social", "morale"),
)
CODES_PIECES = {code: personne for code, _, personne in TYPES_PIECES}


_CPC_663_2026_1 = Article(
    "CPC 663",
    "Article 663 du code de procédure civile",
    "Les originaux des actes d'huissier de justice doivent porter mention des formalités et "
    "diligences auxquelles donne lieu l'application des dispositions de la présente section, avec "
    "l'indication de leurs dates. En cas de signification par voie électronique faite à personne, "
    "ils mentionnent les date et heure auxquelles le destinataire de l'acte en a pris connaissance. …",
)

#: The articles shown by earlier versions, as they were shown (2026-1 truncated CPC 663).
ANTERIEURES: dict[str, tuple[Article, ...]] = {
    "2026-1": tuple(_CPC_663_2026_1 if a.reference == "CPC 663" else a for a in ARTICLES),
}


def _document(version: str = VERSION) -> dict[str, object]:
    articles = ARTICLES if version == VERSION else ANTERIEURES[version]
    return {
        "version": version,
        "articles": [{"reference": a.reference, "titre": a.titre, "texte": a.texte} for a in articles],
        "notice": {"titre": NOTICE_TITRE, "texte": NOTICE},
    }


def _sha256(version: str = VERSION) -> str:
    canonical = json.dumps(_document(version), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


#: SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of version, articles and notice.
SHA256 = _sha256()


def version_affichee(version: str) -> dict[str, object] | None:
    """The texts a given version showed, with their hash; None for a version that never existed."""
    if version != VERSION and version not in ANTERIEURES:
        return None
    return {**_document(version), "sha256": _sha256(version), "en_vigueur": version == VERSION}


def document() -> dict[str, object]:
    """The whole `GET /mentions` answer."""
    return {
        **_document(),
        "sha256": SHA256,
        "natures": [{"code": TOUTES_NATURES, "libelle": "Tous les actes"}]
        + [{"code": c, "libelle": lib} for c, lib in NATURES],
        "types_pieces": [{"code": c, "libelle": lib, "personne": p} for c, lib, p in TYPES_PIECES],
    }
