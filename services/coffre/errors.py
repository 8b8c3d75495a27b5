"""Stable refusal codes of the coffre (docs/fr/erreurs.md); document refusals live in `documents.errors`."""

from __future__ import annotations

from shared.errors import BadRequest, Interdit, Introuvable, ServiceIndisponible, Unprocessable


class ConsentementAbsent(Unprocessable):
    code = "consentement-absent"
    title = "Pas de consentement valable à la signification électronique"


class IncompetenceTerritoriale(Interdit):
    code = "incompetence-territoriale"
    title = "Commissaire de justice territorialement incompétent"


class HorsHeuresLegales(Unprocessable):
    code = "hors-heures-legales"
    title = "Envoi hors des heures légales (CPC 664)"


class NatureInconnue(Unprocessable):
    code = "nature-inconnue"
    title = "Nature d'acte inconnue"


class MetadonneesInvalides(Unprocessable):
    code = "metadonnees-invalides"
    title = "Métadonnées de l'acte invalides"


class MultipartInvalide(BadRequest):
    code = "multipart-invalide"
    title = "Corps multipart invalide"


class ActeIntrouvable(Introuvable):
    code = "acte-introuvable"
    title = "Acte introuvable"


class ConsentementIndisponible(ServiceIndisponible):
    code = "consentement-indisponible"
    title = "Registre des consentements injoignable"


class LienImpossible(Unprocessable):
    code = "acte-non-envoye"
    title = "L'acte n'a pas encore été envoyé"


class DepotInterrompu(BadRequest):
    code = "depot-interrompu"
    title = "Dépôt interrompu par le client"
