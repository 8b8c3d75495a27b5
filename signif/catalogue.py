"""The catalogue of problem codes, generated from the code: every `ServiceError` subclass of the three
services and of `shared`, plus the one code not carried by a class (`erreur-interne`).

    python -m signif.catalogue            print the French and English tables
    python -m signif.catalogue --ecrire   write them into docs/fr/erreurs.md and docs/en/errors.md

The tables sit between two markers in those pages; `tests/test_catalogue_erreurs.py` fails when a
page's table is not the one generated here, so the docs list every code the code can raise.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import services
import shared
from shared.errors import ServiceError
from shared.third_party import silence_known_warnings

DEBUT = "<!-- catalogue: généré par `python -m signif.catalogue --ecrire`, ne pas modifier à la main -->"
FIN = "<!-- fin du catalogue -->"
RACINE = Path(__file__).resolve().parent.parent
PAGES = {"fr": RACINE / "docs" / "fr" / "erreurs.md", "en": RACINE / "docs" / "en" / "errors.md"}
#: Codes answered without a `ServiceError` class: the handler of unexpected exceptions.
HORS_CLASSES = {"erreur-interne": (500, "Erreur interne")}
_TOUS = ("consent", "coffre", "notify")
_ENTETES = {
    "fr": ("code", "statut", "titre (tel que renvoyé)", "services"),
    "en": ("code", "status", "title (as returned, in French)", "services"),
}


@dataclass
class Code:
    code: str
    statuts: set[int] = field(default_factory=set)
    titres: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)


def _importer_tout() -> None:
    """Import every module of `services` and `shared` (migrations and tests' helpers aside)."""
    for paquet in (services, shared):
        for module in pkgutil.walk_packages(paquet.__path__, prefix=f"{paquet.__name__}."):
            if ".migrations" in module.name or module.name.startswith("shared.testing"):
                continue
            importlib.import_module(module.name)


def _sous_classes(classe: type[ServiceError]) -> list[type[ServiceError]]:
    toutes: list[type[ServiceError]] = []
    for sous in classe.__subclasses__():
        toutes += [sous, *_sous_classes(sous)]
    return toutes


def codes() -> list[Code]:
    """Every problem code, with its statuses, titles and the services that can answer it."""
    _importer_tout()
    par_code: dict[str, Code] = {}
    classes: list[type[ServiceError]] = [ServiceError, *_sous_classes(ServiceError)]
    for classe in classes:
        if not classe.__module__.startswith(("services.", "shared.")):
            continue  # a test's own subclass
        entree = par_code.setdefault(classe.code, Code(classe.code))
        entree.statuts.add(classe.status_code)
        entree.titres.add(classe.title)
        partie = classe.__module__.split(".")
        # A shared error any service may answer, unless its class names the services that use it.
        servi_par: tuple[str, ...] = vars(classe).get("servi_par", _TOUS)
        entree.services.update([partie[1]] if partie[0] == "services" else servi_par)
    for code, (statut, titre) in HORS_CLASSES.items():
        par_code[code] = Code(code, {statut}, {titre}, set(_TOUS))
    return sorted(par_code.values(), key=lambda c: (min(c.statuts), c.code))


def tableau(langue: str) -> str:
    entetes = _ENTETES[langue]
    lignes = [DEBUT, "", "| " + " | ".join(entetes) + " |", "|" + "---|" * len(entetes)]
    for c in codes():
        statuts = ", ".join(str(s) for s in sorted(c.statuts))
        titres = " / ".join(sorted(c.titres))
        services_ = ", ".join(s for s in _TOUS if s in c.services)
        lignes.append(f"| `{c.code}` | {statuts} | {titres} | {services_} |")
    return "\n".join([*lignes, "", FIN])


def page_avec_tableau(texte: str, langue: str) -> str:
    avant, _, reste = texte.partition(DEBUT)
    _, _, apres = reste.partition(FIN)
    return avant + tableau(langue) + apres


def main(argv: list[str]) -> int:
    silence_known_warnings()
    for langue, page in PAGES.items():
        if "--ecrire" in argv:
            page.write_text(page_avec_tableau(page.read_text(encoding="utf-8"), langue), encoding="utf-8")
            print(f"{page} : catalogue écrit")
        else:
            print(tableau(langue), end="\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
