"""Stable error codes of the consent service (docs/fr/contrat.md, docs/fr/erreurs.md).

The errors of a wrong code (`commits = True`) are raised like the others; the request's transaction
still commits the attempt they count before the error is rendered.
"""

from __future__ import annotations

from shared.errors import Authentification, Conflit, Interdit, TropDeRequetes, Unprocessable


class JetonGestionInvalide(Interdit):
    code = "jeton-gestion-invalide"
    title = "Jeton de gestion invalide"


class CodeInvalide(Unprocessable):
    code = "code-invalide"
    title = "Code de confirmation invalide ou expiré"
    commits = True  # the attempt counter it raised over is kept (`shared.db.Database.transaction`)


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
    commits = True  # the failure counter and the lock are kept


class AuthentificationDestinataire(Authentification):
    code = "authentification"
    title = "Identifiants ou code invalides"
    commits = True  # the challenge's and the account's failure counters are kept


class ProcedureRequise(Unprocessable):
    code = "procedure-requise"
    title = "La référence de procédure est obligatoire"
