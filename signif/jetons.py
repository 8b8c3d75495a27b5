"""`signif token issue`: the claims of a development token, from a preset and the options given.

A preset names a typical caller of each role with sensible claims (an office in Paris and one in Lyon,
an operator of the register, a magistrate, a service); every option given on the command line
overrides the preset's value. The claims are those the services require (see `docs/fr/authentification.md`):
`role`, `sub`, `aud`, and for a commissaire `nom` and `office` = {id, nom, commune_insee, cour_appel},
for the judicial authority `juridiction`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

SERVICES = ("consent", "coffre", "notify")
ROLES = ("commissaire", "operateur", "autorite_judiciaire", "service")


@dataclass(frozen=True)
class Preset:
    role: str
    sub: str
    aud: str
    description: str
    options: dict[str, str] = field(default_factory=dict)


def _office(ville: str, commune: str, cour: str) -> Preset:
    return Preset(
        "commissaire",
        f"cj-{ville}",
        "*",
        f"commissaire d'un office de {ville.capitalize()} (cour d'appel de {cour.capitalize()}, "
        f"commune {commune}), valable pour les trois services",
        {
            "nom": f"Me Camille Essai ({ville.capitalize()})",
            "office_id": f"office-{ville}",
            "office_nom": f"Office d'essai de {ville.capitalize()}",
            "commune_insee": commune,
            "cour_appel": cour,
        },
    )


PRESETS: dict[str, Preset] = {
    "commissaire-paris": _office("paris", "75056", "paris"),
    "commissaire-lyon": _office("lyon", "69123", "lyon"),
    "operateur": Preset("operateur", "operateur-1", "consent", "opérateur du registre des consentements"),
    "autorite": Preset(
        "autorite_judiciaire",
        "magistrat-1",
        "*",
        "autorité judiciaire (recherches dans le registre et le coffre)",
        {"juridiction": "Tribunal judiciaire de Paris"},
    ),
    "service": Preset("service", "service-essai", "*", "un service de la plateforme (routes internes)"),
}

_DEFAULT_AUDIENCE = {"commissaire": "coffre", "operateur": "consent", "autorite_judiciaire": "consent"}


class JetonIncomplet(ValueError):
    """The options do not make a usable token; the message says what is missing, in French."""


def claims(args: argparse.Namespace) -> dict[str, Any]:
    """The token's claims from `--preset` (if any) overridden by the explicit options."""
    preset = PRESETS[args.preset] if args.preset else None
    valeurs: dict[str, Any] = dict(preset.options) if preset else {}
    valeurs.update({k: v for k, v in vars(args).items() if v is not None and k != "preset"})
    role = valeurs.get("role") or (preset.role if preset else None)
    if role is None:
        raise JetonIncomplet("indiquez --role ou --preset (signif token issue --help liste les préréglages)")
    sub = valeurs.get("sub") or (preset.sub if preset and preset.role == role else None)
    if sub is None:
        raise JetonIncomplet("indiquez --sub (l'identifiant de l'appelant)")
    aud = valeurs.get("aud") or (preset.aud if preset and preset.role == role else None)
    aud = aud or _DEFAULT_AUDIENCE.get(role, "consent")
    resultat: dict[str, Any] = {"role": role, "sub": sub, "aud": list(SERVICES) if aud == "*" else aud}
    if role == "commissaire":
        manquants = [
            f"--{o.replace('_', '-')}"
            for o in ("office_id", "cour_appel", "commune_insee")
            if not valeurs.get(o)
        ]
        if manquants:
            raise JetonIncomplet(
                f"un jeton commissaire requiert {', '.join(manquants)} (ou --preset commissaire-paris)"
            )
        resultat["nom"] = valeurs.get("nom") or sub
        resultat["office"] = {
            "id": valeurs["office_id"],
            "nom": valeurs.get("office_nom") or valeurs["office_id"],
            "commune_insee": valeurs["commune_insee"],
            "cour_appel": valeurs["cour_appel"],
        }
    if role == "autorite_judiciaire":
        resultat["juridiction"] = valeurs.get("juridiction") or "Tribunal judiciaire"
    return resultat


def aide_presets() -> str:
    return "préréglages : " + " ; ".join(f"{nom} = {p.description}" for nom, p in PRESETS.items())
