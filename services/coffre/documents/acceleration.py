"""Two per-document fixed costs of pyHanko's validation, removed without changing any result.

Profiled on a 1 MB deposit (bench/depot README): about half of the validation's CPU went to two
library routines that work a character at a time in Python, for every document.

1. `pyhanko.pdf_utils.generic.read_hex_string_from_stream` reads a hex string (`<…>`) one token at
   a time; a signature's `/Contents` is one of ~16,000 hex digits. `lire_chaine_hex` reads ahead
   to the closing `>` in blocks and, when everything before it is hex digits and PDF whitespace
   (a signature's `/Contents` always is), decodes it in one call and leaves the stream just after
   the `>`, as the original does. Anything else (a `%`, which pyHanko treats as a comment there,
   an unexpected byte, no `>` before the end) goes back to where the string began and lets the
   original read it, errors included: the result and the stream position are the original's in
   every case (`tests/services/coffre/documents/test_acceleration.py` compares both).
2. `asn1crypto.x509.NameTypeAndValue._ldap_string_prep` (RFC 4518 string preparation, `stringprep`
   character by character) runs afresh for every name attribute compared (pyHanko's ESS
   signing-certificate check compares the signer's issuer name on every document, on objects
   parsed from that document). It is a pure function of its string: its results are kept in a
   bounded LRU cache (the same few CA names recur across deposits). A string it refuses
   (`ValueError`) is not cached and is refused again each time.

`installer()` is idempotent; `services.coffre.documents.validation` calls it on import.
"""

from __future__ import annotations

import binascii
import functools
from collections.abc import Callable
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

_BLOC = 64 * 1024
_HEX = b"0123456789abcdefABCDEF"
_ORIGINAL_HEX: Callable[[Any], Any] = generic.read_hex_string_from_stream
_ORIGINAL_PREP: Callable[[Any, Any], Any] = asn1_x509.NameTypeAndValue._ldap_string_prep


def lire_chaine_hex(stream: Any) -> Any:
    """`read_hex_string_from_stream`, same result and same stream position (see module docstring)."""
    debut = stream.tell()
    stream.read(1)  # the "<"
    morceaux: list[bytes] = []
    while True:
        bloc = stream.read(_BLOC)
        if not bloc:
            break  # no ">" before the end: the original raises
        fin = bloc.find(b">")
        morceau = bloc if fin < 0 else bloc[:fin]
        if morceau.translate(None, PDF_WHITESPACE + _HEX):
            break  # a comment or an unexpected byte: the original decides
        morceaux.append(morceau)
        if fin >= 0:
            chiffres = b"".join(morceaux).translate(None, PDF_WHITESPACE)
            stream.seek(debut + 1 + sum(map(len, morceaux)) + 1)
            if len(chiffres) % 2:
                chiffres += b"0"
            return generic.pdf_string(binascii.unhexlify(chiffres))
    stream.seek(debut)
    return _ORIGINAL_HEX(stream)


@functools.lru_cache(maxsize=4096)
def _preparer(chaine: str) -> str:
    return str(_ORIGINAL_PREP(None, chaine))


def _ldap_string_prep(self: Any, string: Any) -> Any:
    if isinstance(string, str):
        return _preparer(string)
    return _ORIGINAL_PREP(self, string)


def installer() -> None:
    generic.read_hex_string_from_stream = lire_chaine_hex
    asn1_x509.NameTypeAndValue._ldap_string_prep = _ldap_string_prep
