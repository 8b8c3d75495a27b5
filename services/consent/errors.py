"""Stable error codes of the consent service (docs/fr/contrat.md, docs/fr/erreurs.md)."""

from __future__ import annotations

from shared.errors import Authentification, Conflit, Interdit, TropDeRequetes, Unprocessable


class JetonGestionInvalide(Interdit):
    code = "jeton-gestion-invalide"
    title = "Jeton de gestion invalide"


class CodeInvalide(Unprocessable):
    code = "code-invalide"
    title = "Code de confirmation invalide ou expiré"


class MentionsPerimees(Unprocessable):
    code = "mentions-perimees"
    title = "Les mentions affichées ne sont pas celles en vigueur"


class DeclarationIncomplete(Conflit):
    code = "declaration-incomplete"
    title = "Déclaration incomplète"


class EtatIncompatible(Conflit):
    code = "etat-incompatible"
    title = "Opération impossible dans l'état actuel de la déclaration"


class DejaRevoquee(Conflit):
    code = "deja-revoquee"
    title = "Déclaration déjà révoquée"


class CompteVerrouille(TropDeRequetes):
    code = "compte-verrouille"
    title = "Compte verrouillé après trop de tentatives"


class AuthentificationDestinataire(Authentification):
    code = "authentification"
    title = "Identifiants ou code invalides"


class ProcedureRequise(Unprocessable):
    code = "procedure-requise"
    title = "La référence de procédure est obligatoire"
