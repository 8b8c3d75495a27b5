"""Sizes written for a person (the annexes of an acte, the proofs of a declaration)."""

from __future__ import annotations

from shared.pages import taille_lisible


def test_sizes_in_french() -> None:
    assert taille_lisible(0) == "0 octets"
    assert taille_lisible(812) == "812 octets"
    assert taille_lisible(1024) == "1,0 Ko"
    assert taille_lisible(14_541) == "14,2 Ko"
    assert taille_lisible(3 * 1024 * 1024 + 200 * 1024) == "3,2 Mo"
    assert taille_lisible(5 * 1024**3) == "5,0 Go"
