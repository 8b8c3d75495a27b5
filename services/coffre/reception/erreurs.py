"""Stable refusal codes of the reception endpoints (docs/fr/contrat.md, docs/fr/erreurs.md)."""

from __future__ import annotations

from shared.errors import Conflit, Introuvable, Unprocessable


class AvisPasEncore(Introuvable):
    code = "pas-encore"
    title = "Pas encore de prise de connaissance"


class ModeNonFixe(Conflit):
    code = "mode-non-fixe"
    title = "Le mode de signification n'est pas encore fixé"


class PasDeLettreSimple(Conflit):
    code = "pas-de-lettre-simple"
    title = "Pas de lettre simple pour cette signification"


class LettreDejaEnvoyee(Conflit):
    code = "lettre-deja-envoyee"
    title = "L'envoi de la lettre simple est déjà enregistré"


class LettreAvantEnvoi(Unprocessable):
    code = "lettre-simple-avant-envoi"
    title = "La lettre simple se poste après le jour de l'envoi de l'acte"


class LettreDateFuture(Unprocessable):
    code = "lettre-simple-date-future"
    title = "La date de dépôt de la lettre simple est dans le futur"


class CorrectionSansEnvoi(Unprocessable):
    code = "correction-sans-envoi"
    title = "Aucun envoi de lettre simple enregistré à corriger"


class DocumentIntrouvable(Introuvable):
    code = "document-introuvable"
    title = "Aucune version de ce document"
