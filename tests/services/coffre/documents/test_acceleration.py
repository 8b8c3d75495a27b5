"""The accelerated pyHanko/asn1crypto routines give the originals' results, errors and stream positions."""

from __future__ import annotations

import io

import pytest
from asn1crypto import x509 as asn1_x509
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from services.coffre.documents import acceleration

# Hex digits, PDF whitespace, the closing ">", a comment and bytes the original refuses.
_OCTETS = st.sampled_from(
    [b"0", b"7", b"a", b"F", b" ", b"\n", b"\r", b"\t", b"\x0c", b"\x00", b">", b"%", b"x", b"<", b"\xff"]
)


def _lire(fonction: object, donnees: bytes) -> tuple[str, object, int]:
    flux = io.BytesIO(donnees)
    try:
        resultat = fonction(flux)  # type: ignore[operator]
    except PdfStreamError as exc:
        return "erreur", str(exc), flux.tell()
    return type(resultat).__name__, bytes(resultat.original_bytes), flux.tell()


@settings(max_examples=400, deadline=None)
@given(corps=st.lists(_OCTETS, max_size=60).map(b"".join), suite=st.binary(max_size=8))
def test_chaine_hex_comme_pyhanko(corps: bytes, suite: bytes) -> None:
    donnees = b"<" + corps + suite
    assert _lire(acceleration.lire_chaine_hex, donnees) == _lire(acceleration._ORIGINAL_HEX, donnees)


@pytest.mark.parametrize(
    "donnees",
    [
        b"<>",
        b"<4142>rest",
        b"<414>",  # odd: a final 0 is implied
        b"< 41\n42\r\n43 >",
        b"<41%comment\n42>",  # pyHanko reads a comment there
        b"<41 zz>",
        b"<4142",  # never closed
        b"<" + b"ab" * 70_000 + b">tail",  # longer than one block
        b"<" + b"0a " * 30_000 + b"%c\n>x",  # a comment after the first block
    ],
)
def test_chaine_hex_cas(donnees: bytes) -> None:
    assert _lire(acceleration.lire_chaine_hex, donnees) == _lire(acceleration._ORIGINAL_HEX, donnees)


def test_chaine_hex_installee_lit_la_signature() -> None:
    acceleration.installer()
    assert generic.read_hex_string_from_stream is acceleration.lire_chaine_hex
    lu = generic.read_object(io.BytesIO(b"<3082 0a>"), generic.Reference(1, 0))
    assert bytes(lu.original_bytes) == b"\x30\x82\x0a"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "valeur", ["Office  Bench", "  AC Démo\tCommissaires ", "ｆｕｌｌｗｉｄｔｈ", "a\u00adb", "\u05d0\u05d1"]
)
def test_preparation_ldap_comme_asn1crypto(valeur: str) -> None:
    acceleration.installer()
    attendu = acceleration._ORIGINAL_PREP(None, valeur)
    assert asn1_x509.NameTypeAndValue._ldap_string_prep(None, valeur) == attendu
    assert asn1_x509.NameTypeAndValue._ldap_string_prep(None, valeur) == attendu


@pytest.mark.parametrize("valeur", ["\ue000prive", "\u05d0a\u05d1"])  # private use; mixed bidi
def test_preparation_ldap_refus_repete(valeur: str) -> None:
    acceleration.installer()
    for _ in range(2):
        with pytest.raises(ValueError, match=r"X\.509 Name"):
            asn1_x509.NameTypeAndValue._ldap_string_prep(None, valeur)


def test_noms_compares_apres_installation() -> None:
    acceleration.installer()
    a = asn1_x509.Name.build({"common_name": "AC  Démo", "organization_name": "Signif"})
    b = asn1_x509.Name.build({"common_name": "ac démo", "organization_name": "SIGNIF"})
    c = asn1_x509.Name.build({"common_name": "AC Autre", "organization_name": "Signif"})
    assert a == b
    assert a != c
