"""From the HTML form to the API's declaration body (the same validation applies)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def corps_declaration(f: dict[str, Any]) -> dict[str, Any]:
    adresse = {k: f.get(k, "") for k in ("adresse", "code_postal", "commune", "commune_insee", "pays")}
    if f.get("type") == "morale":
        personne: dict[str, Any] = {
            "type": "morale",
            "denomination": f.get("denomination", ""),
            "forme_juridique": f.get("forme_juridique", ""),
            "siren": f.get("siren", ""),
            "representant": {"nom": f.get("rep_nom", ""), "prenoms": f.get("rep_prenoms", "")},
            "siege": adresse,
        }
    else:
        personne = {
            "type": "physique",
            "nom": f.get("nom", ""),
            "prenoms": f.get("prenoms", ""),
            "date_naissance": f.get("date_naissance") or None,
            "lieu_naissance": f.get("lieu_naissance", ""),
            "domicile": adresse,
        }
    natures = f.get("natures") or []
    return {
        "personne": personne,
        "contact": {"email": f.get("email", ""), "mobile": f.get("mobile") or None},
        "natures": ["*"] if "*" in natures else natures,
        "debut": f.get("debut") or None,
        "fin": f.get("fin") or None,
        "mentions": {"version": f.get("mentions_version", ""), "sha256": f.get("mentions_sha256", "")},
        "consentement_expres": f.get("consentement_expres") == "oui",
        "mot_de_passe": f.get("mot_de_passe", ""),
    }


#: Every field of the form, in the order a person reads it, with its French label.
LIBELLES: dict[str, str] = {
    "type": "Vous êtes",
    "nom": "Nom",
    "prenoms": "Prénoms",
    "date_naissance": "Date de naissance",
    "lieu_naissance": "Lieu de naissance",
    "denomination": "Dénomination",
    "forme_juridique": "Forme juridique",
    "siren": "SIREN",
    "rep_nom": "Nom du représentant légal",
    "rep_prenoms": "Prénoms du représentant légal",
    "adresse": "Adresse (numéro et voie)",
    "code_postal": "Code postal",
    "commune_insee": "Commune",
    "email": "Adresse électronique",
    "mobile": "Téléphone mobile",
    "natures": "Actes concernés",
    "debut": "Début",
    "fin": "Fin",
    "mot_de_passe": "Mot de passe",
    "consentement_expres": "Consentement exprès",
}
_MESSAGES: dict[str, str] = {
    "consentement_expres": "Cochez la case de consentement exprès pour envoyer votre déclaration.",
    "natures": "Choisissez au moins un type d'acte.",
    "fin": "La date de fin doit suivre la date de début.",
    "siren": "Le SIREN compte 9 chiffres et doit être valide : vérifiez-le sur un extrait Kbis.",
    "email": "Indiquez une adresse électronique valide, par exemple nom@exemple.fr.",
    "mot_de_passe": "Choisissez un mot de passe de 12 caractères au moins.",
    "date_naissance": "Indiquez votre date de naissance.",
    "mobile": "Indiquez un numéro de mobile valide, par exemple 06 12 34 56 78, ou laissez vide.",
    "commune_insee": "Choisissez votre commune dans la liste.",
}
# The API's field names where the form's differ (representant.nom → rep_nom).
_DEPUIS_API = {("representant", "nom"): "rep_nom", ("representant", "prenoms"): "rep_prenoms"}
# The commune's name and the country are the platform's (derived from the commune chosen).
_DERIVES = {"commune": "commune_insee", "pays": "commune_insee"}


def _champ(loc: tuple[int | str, ...]) -> str:
    parties = [str(p) for p in loc if str(p) not in ("physique", "morale", "domicile", "siege")]
    if len(parties) >= 2 and (parties[-2], parties[-1]) in _DEPUIS_API:
        return _DEPUIS_API[(parties[-2], parties[-1])]
    champ = parties[-1] if parties else ""
    return _DERIVES.get(champ, champ)


def erreurs_par_champ(exc: ValidationError) -> tuple[dict[str, str], list[str]]:
    """Each error beside its field, in French with the field's label; those no field owns apart."""
    champs: dict[str, str] = {}
    generales: list[str] = []
    for err in exc.errors():
        champ = _champ(tuple(err["loc"]))
        if champ == "contact" or champ not in LIBELLES:
            champ = "fin" if "fin" in str(err.get("msg", "")) else champ
        if champ in LIBELLES:
            if champ in champs:
                continue
            if champ in _MESSAGES:
                champs[champ] = _MESSAGES[champ]
            elif err.get("type") in ("missing", "string_too_short"):
                champs[champ] = f"{LIBELLES[champ]} : à renseigner."
            else:
                champs[champ] = f"{LIBELLES[champ]} : valeur non valable, vérifiez-la."
        else:
            message = "Une information est manquante ou non valable : vérifiez le formulaire."
            if message not in generales:
                generales.append(message)
    return champs, generales


def premier_en_erreur(champs: dict[str, str]) -> str | None:
    """The first field in error in reading order (the one focused)."""
    return next((c for c in LIBELLES if c in champs), None)
