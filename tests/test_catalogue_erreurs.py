"""The error-code catalogue of docs/ lists every code the code can raise.

Two independent readings of the code: the `ServiceError` classes (what `signif.catalogue` generates
the table from), and a static scan of the sources for every `code = "..."` class attribute and every
`"code": "..."` literal of a problem body — so a code raised outside the class hierarchy is caught too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from signif.catalogue import PAGES, RACINE, codes, tableau

SOURCES = ("services", "shared")


def _codes_dans_les_sources() -> set[str]:
    trouves: set[str] = set()
    for racine in SOURCES:
        for fichier in (RACINE / racine).rglob("*.py"):
            if "migrations" in fichier.parts or "testing" in fichier.parts:
                continue
            for noeud in ast.walk(ast.parse(fichier.read_text(encoding="utf-8"))):
                if isinstance(noeud, ast.ClassDef):
                    for instr in noeud.body:
                        cible = instr.targets[0] if isinstance(instr, ast.Assign) else None
                        if (
                            isinstance(cible, ast.Name)
                            and cible.id == "code"
                            and isinstance(instr, ast.Assign)
                            and isinstance(instr.value, ast.Constant)
                        ):
                            trouves.add(str(instr.value.value))
                if isinstance(noeud, ast.Dict):
                    for cle, valeur in zip(noeud.keys, noeud.values, strict=True):
                        if (
                            isinstance(cle, ast.Constant)
                            and cle.value == "code"
                            and isinstance(valeur, ast.Constant)
                        ):
                            trouves.add(str(valeur.value))
    return trouves


def _codes_de_la_page(page: Path) -> set[str]:
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", page.read_text(encoding="utf-8"), flags=re.MULTILINE))


@pytest.mark.parametrize("langue", sorted(PAGES))
def test_the_docs_table_is_the_generated_one(langue: str) -> None:
    texte = PAGES[langue].read_text(encoding="utf-8")
    assert tableau(langue) in texte, f"regenerate it: python -m signif.catalogue --ecrire ({PAGES[langue]})"


@pytest.mark.parametrize("langue", sorted(PAGES))
def test_every_code_in_the_sources_is_in_the_docs(langue: str) -> None:
    dans_le_code = _codes_dans_les_sources()
    assert {
        "consentement-absent",
        "erreur-interne",
        "type-non-supporte",
        "idempotence-conflit",
    } <= dans_le_code
    documentes = _codes_de_la_page(PAGES[langue])
    assert dans_le_code - documentes == set()
    assert documentes == {c.code for c in codes()}


def test_the_contract_codes_have_their_status() -> None:
    """The contract's codes and statuses (docs/fr/contrat.md), as the offices match on them."""
    statuts = {c.code: c.statuts for c in codes()}
    attendus = {
        "consentement-absent": 422, "incompetence-territoriale": 403, "pdf-invalide": 422,
        "signature-invalide": 422, "hors-heures-legales": 422, "trop-volumineux": 413,
        "type-non-supporte": 415, "idempotence-conflit": 409, "authentification": 401, "interdit": 403,
        "pas-encore": 404,
    }  # fmt: skip
    assert {code: statuts[code] for code in attendus} == {code: {s} for code, s in attendus.items()}
