"""Issue 19, finding 6: the public logs linked people to offices. What a leaf may carry is one schema
per type (`shared.evidence.feuilles`, checked against every leaf the suite writes by the
`feuilles_conformes` fixture); here, what the schema refuses, and how a commitment opens."""

from __future__ import annotations

import json

import pytest

from shared.evidence.engagements import engagement, engager_champs, ouvrir
from shared.evidence.feuilles import FeuilleNonConforme, valider

INSTANT = "2026-03-02T09:00:00Z"


def _envoi(**champs: object) -> bytes:
    engagee, _ = engager_champs({"declaration_id": "decl-1"})
    base = {
        "type": "envoi",
        "instant": INSTANT,
        "acte_id": "acte-1",
        "office_id": "office-paris-1",
        "sha256": "a" * 64,
        "envoye_le": INSTANT,
        "derogation_664": False,
        **engagee,
    }
    return json.dumps({**base, **champs}).encode()


def test_a_v2_envoi_leaf_conforms() -> None:
    assert valider("repertoire", _envoi()) == "envoi"


@pytest.mark.parametrize(
    "changement",
    [
        {"declaration_id": "decl-1"},  # the id in clear beside its commitment
        {"declaration_engagement": "decl-1"},  # "committed" to nothing but itself
        {"destinataire": "Jeanne Dupont"},  # any field the schema does not list
        {"v": 1},
    ],
)
def test_a_leaf_that_says_who_is_refused(changement: dict[str, object]) -> None:
    with pytest.raises(FeuilleNonConforme):
        valider("repertoire", _envoi(**changement))


def test_the_authority_search_keeps_the_magistrate_s_subject_committed() -> None:
    engagee, ouvertures = engager_champs(
        {
            "autorite": "juge.martin@justice.fr",
            "declaration_ids": ["d-1", "d-2"],
            "procedure": "b" * 64,
            "piece_id": None,
        }
    )
    leaf = json.dumps({"type": "autorite.recherche", "le": INSTANT, "instant": INSTANT, **engagee}).encode()
    assert valider("registre", leaf) == "autorite.recherche"
    assert b"justice.fr" not in leaf
    assert b"d-1" not in leaf
    # Each value has its own salt: the same id in two leaves gives unrelated commitments.
    autre, _ = engager_champs({"declaration_ids": ["d-1"]})
    assert autre["declarations_engagements"][0] not in engagee["declarations_engagements"]
    # Its openings give the values back, and only to whoever holds them.
    assert ouvrir(engagee, ouvertures)["autorite"] == "juge.martin@justice.fr"
    assert ouvrir(engagee, ouvertures)["declaration_ids"] == ["d-1", "d-2"]
    assert ouvrir(engagee, [])["autorite_engagement"] == engagee["autorite_engagement"]
    [o] = [o for o in ouvertures if o.champ == "autorite"]
    assert engagement(o.sel, o.valeur) == engagee["autorite_engagement"]
    assert len(o.sel) == 32
