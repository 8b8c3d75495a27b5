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


_CHAMPS = {
    "consentement_expres": "Vous devez cocher la case de consentement exprès.",
    "natures": "Choisissez au moins un type d'acte.",
    "fin": "La date de fin doit suivre la date de début.",
    "siren": "Le SIREN est invalide.",
    "email": "L'adresse électronique est invalide.",
    "mot_de_passe": "Le mot de passe doit compter au moins 12 caractères.",
    "commune_insee": "Le code INSEE de la commune est invalide.",
}


def messages(exc: ValidationError) -> list[str]:
    out: list[str] = []
    for err in exc.errors():
        champ = str(err["loc"][-1]) if err["loc"] else ""
        if champ in ("physique", "morale") and len(err["loc"]) > 2:
            champ = str(err["loc"][2])
        message = _CHAMPS.get(champ, f"Champ « {champ} » : valeur manquante ou invalide.")
        if message not in out:
            out.append(message)
    return out
