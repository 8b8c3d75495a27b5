"""Text of a PDF, read with pyHanko's parser: enough for the documents reportlab writes here (the tests,
and `signif demo`, which follows the address the lettre simple prints).

No text-extraction library is a dependency of the project (no pypdf; poppler may be absent), so this
reads each page's content streams: it follows `Tf` to know the font, decodes the string operands of
`Tj`, `TJ`, `'` and `"` with the font's ToUnicode CMap (reportlab's embedded TrueType subsets) or as
WinAnsi (the standard Courier), and turns every text-positioning operator into a line break.
"""

from __future__ import annotations

import io
import re
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

_SECTION_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.DOTALL)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_DELIMITEURS = b"()<>[]{}/% \t\r\n\f\x00"
_SAUTS = {b"Td", b"TD", b"T*", b"Tm", b"ET", b"'", b'"'}
_ECHAPPEMENTS = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


def _cmap(police: Any) -> dict[int, str] | None:
    if "/ToUnicode" not in police:
        return None
    donnees = police["/ToUnicode"].get_object().data
    table: dict[int, str] = {}
    for section in _SECTION_BFCHAR.findall(donnees):
        for code, unicode in _BFCHAR.findall(section):
            table[int(code, 16)] = bytes.fromhex(unicode.decode()).decode("utf-16-be")
    return table


def _chaine_litterale(flux: bytes, i: int) -> tuple[bytes, int]:
    """Read a literal string starting after its '(' at index i; return it and the index after ')'."""
    sortie, profondeur = bytearray(), 1
    while True:
        c = flux[i]
        i += 1
        if c == ord("\\"):
            suivant = flux[i]
            if suivant in _ECHAPPEMENTS:
                sortie += _ECHAPPEMENTS[suivant]
                i += 1
            elif 0x30 <= suivant <= 0x37:
                octal = re.match(rb"[0-7]{1,3}", flux[i : i + 3])
                if octal is None:  # pragma: no cover - the branch's condition implies a digit
                    raise ValueError("octal escape without a digit")
                sortie.append(int(octal.group(), 8) & 0xFF)
                i += len(octal.group())
            elif suivant in b"\r\n":
                i += 1
            else:
                sortie.append(suivant)
                i += 1
        elif c == ord("("):
            profondeur += 1
            sortie.append(c)
        elif c == ord(")"):
            profondeur -= 1
            if profondeur == 0:
                return bytes(sortie), i
            sortie.append(c)
        else:
            sortie.append(c)


def _decoder(octets: bytes, cmap: dict[int, str] | None) -> str:
    if cmap is None:
        return octets.decode("cp1252")
    return "".join(cmap.get(b, "\ufffd") for b in octets)


def _texte_flux(flux: bytes, polices: dict[str, dict[int, str] | None]) -> str:
    morceaux: list[str] = []
    operandes: list[Any] = []
    cmap: dict[int, str] | None = None
    i = 0
    while i < len(flux):
        c = flux[i]
        if c in b" \t\r\n\f\x00":
            i += 1
        elif c == ord("("):
            chaine, i = _chaine_litterale(flux, i + 1)
            operandes.append(chaine)
        elif c == ord("<") and flux[i + 1 : i + 2] != b"<":
            fin = flux.index(b">", i)
            operandes.append(bytes.fromhex(flux[i + 1 : fin].decode()))
            i = fin + 1
        elif c in b"[]<>":
            i += 2 if flux[i : i + 2] in (b"<<", b">>") else 1
        elif c == ord("/"):
            j = i + 1
            while j < len(flux) and flux[j] not in _DELIMITEURS:
                j += 1
            operandes.append(flux[i:j].decode())
            i = j
        else:
            j = i
            while j < len(flux) and flux[j] not in _DELIMITEURS:
                j += 1
            mot = flux[i:j] or flux[i : i + 1]
            i = max(j, i + 1)
            if re.fullmatch(rb"[-+.0-9]+", mot):
                continue
            if mot == b"Tf":
                noms = [o for o in operandes if isinstance(o, str)]
                cmap = polices.get(noms[-1]) if noms else None
            if mot in _SAUTS:
                morceaux.append("\n")
            if mot in (b"Tj", b"TJ", b"'", b'"'):
                morceaux.extend(_decoder(o, cmap) for o in operandes if isinstance(o, bytes))
            operandes = []
    return "".join(morceaux)


def texte_pdf(donnees: bytes) -> str:
    """The text of every page, pages separated by a form feed."""
    lecteur = PdfFileReader(io.BytesIO(donnees), strict=True)
    pages = []
    for numero in range(lecteur.root["/Pages"]["/Count"]):
        page = lecteur.find_page_for_modification(numero)[0].get_object()  # type: ignore[no-untyped-call]
        ressources = page["/Resources"].get_object()
        polices: dict[str, dict[int, str] | None] = {}
        if "/Font" in ressources:
            polices = {str(nom): _cmap(ref.get_object()) for nom, ref in ressources["/Font"].items()}
        contenus = page["/Contents"]  # `[]` resolves indirect references
        flux = contenus if isinstance(contenus, generic.ArrayObject) else [contenus]
        pages.append("".join(_texte_flux(f.get_object().data, polices) for f in flux))
    return "\f".join(pages)


def texte_normalise(donnees: bytes) -> str:
    """`texte_pdf` with every run of whitespace as one space: phrases survive line wrapping."""
    return " ".join(texte_pdf(donnees).split())
