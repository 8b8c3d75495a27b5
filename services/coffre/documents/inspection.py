"""Document-level gates on a deposited acte, before any signature is looked at.

Threat model: the PDF comes from an authenticated office, but its bytes are untrusted (a compromised
office machine, a mistaken upload, a crafted file). The coffre will later serve this exact file to a
destinataire, so it must not carry active content, and parsing it must not exhaust the service.

Checks, in order (each failure raises `PdfInvalide` naming the check):
 1. `format`       the file starts with the `%PDF-` header at offset 0 (PDF/A requires it there).
 2. `structure`    pyHanko parses it in strict mode (no repair of broken xref tables or truncation),
                   under stream-decoding limits (`DecodeLimits`) that bound decompression bombs.
 3. `chiffrement`  no /Encrypt dictionary: an acte must be readable by anyone who holds it.
 4. `pdfa`         the catalog's XMP metadata declares `pdfaid:part` (1-4) and a conformance level
                   consistent with that part. Only the declaration is checked, not actual PDF/A
                   conformance (that would need a veraPDF-grade validator).
 5. `javascript`, `action-active`, `executable-joint`
                   a bounded walk of every object reachable from the catalog refuses JavaScript
                   (/JS, /S /JavaScript), XFA forms, Launch / SubmitForm / ImportData /
                   RichMediaExecute actions, and embedded files that are executables by name or by
                   magic bytes (MZ, ELF, Mach-O, shebang). Other attachments are left to PDF/A rules.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodeLimits, DecodePurpose
from pyhanko.pdf_utils.metadata import model as xmp_model
from pyhanko.pdf_utils.metadata.xmp_xml import parse_xmp
from pyhanko.pdf_utils.reader import PdfFileReader

from .errors import PdfInvalide
from .rapport import DeclarationPdfA

PDF_HEADER = b"%PDF-"
_PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
_CONFORMANCES: dict[int, frozenset[str | None]] = {
    1: frozenset({"A", "B"}),
    2: frozenset({"A", "B", "U"}),
    3: frozenset({"A", "B", "U"}),
    4: frozenset({None, "E", "F"}),
}
_ACTIVE_ACTIONS = frozenset({"/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute"})
_EXECUTABLE_SUFFIXES = (
    ".exe", ".dll", ".com", ".scr", ".msi", ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js", ".jse",
    ".wsf", ".hta", ".cpl", ".jar", ".sh", ".bin", ".app", ".elf", ".so", ".dylib",
)  # fmt: skip
_EXECUTABLE_MAGIC = (
    b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe",
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
)  # fmt: skip
_FILESPEC_NAME_KEYS = ("/F", "/UF", "/DOS", "/Mac", "/Unix")


def check_header(data: bytes) -> None:
    if not data.startswith(PDF_HEADER):
        raise PdfInvalide(
            "Contrôle « format » : le fichier n'est pas un PDF (en-tête %PDF- absent au début du fichier).",
            controle="format",
        )


def open_strict(source: bytes | BinaryIO, decode_limits: DecodeLimits) -> PdfFileReader:
    """Parse without repair (from bytes or a seekable file); any parse error is a `structure` refusal."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        reader = PdfFileReader(stream, strict=True, decode_limits=decode_limits)
        reader.root  # noqa: B018 - force the catalog to resolve now, inside the error boundary
    except Exception as exc:
        raise PdfInvalide(
            "Contrôle « structure » : le PDF est illisible ou tronqué (table des objets, trailer ou "
            f"catalogue invalide : {type(exc).__name__}).",
            controle="structure",
        ) from exc
    return reader


def check_not_encrypted(reader: PdfFileReader) -> None:
    # The trailer key first: building an unsupported security handler would raise instead.
    if "/Encrypt" in reader.trailer_view or reader.encrypted:
        raise PdfInvalide(
            "Contrôle « chiffrement » : le PDF est chiffré ; un acte doit être lisible sans mot de passe.",
            controle="chiffrement",
        )


def read_pdfa_declaration(reader: PdfFileReader) -> DeclarationPdfA:
    metadata = _get(reader.root, "/Metadata")
    if not isinstance(metadata, generic.StreamObject):
        raise _not_pdfa("le catalogue n'a pas de métadonnées XMP")
    try:
        roots = parse_xmp(io.BytesIO(metadata.read_data(DecodePurpose.XMP_METADATA)))
    except ValueError as exc:  # XmpXmlProcessingError and decoding errors
        raise _not_pdfa(f"métadonnées XMP illisibles ({type(exc).__name__})") from exc
    part_text = _xmp_field(roots, "part")
    if part_text is None:
        raise _not_pdfa("aucune déclaration pdfaid:part dans les métadonnées XMP")
    conformance = _xmp_field(roots, "conformance")
    conformance = conformance.upper() if conformance else None
    try:
        part = int(part_text)
    except ValueError:
        part = 0
    if part not in _CONFORMANCES or conformance not in _CONFORMANCES[part]:
        raise _not_pdfa(f"déclaration PDF/A incohérente (part={part_text!r}, conformance={conformance!r})")
    return DeclarationPdfA(part=part, conformance=conformance)


def check_no_active_content(reader: PdfFileReader, *, max_objects: int) -> None:
    for obj in _reachable_dicts(reader, max_objects=max_objects):
        if "/JS" in obj or _name(obj, "/S") == "/JavaScript":
            raise PdfInvalide(
                "Contrôle « javascript » : le PDF contient du JavaScript, interdit dans un acte.",
                controle="javascript",
            )
        if "/XFA" in obj:
            raise PdfInvalide(
                "Contrôle « javascript » : le PDF contient un formulaire XFA (scripts), "
                "interdit dans un acte.",
                controle="javascript",
            )
        action = _name(obj, "/S")
        if action in _ACTIVE_ACTIONS:
            raise PdfInvalide(
                f"Contrôle « action-active » : le PDF contient une action {action[1:]}, "
                "interdite dans un acte.",
                controle="action-active",
            )
        if "/EF" in obj and any(
            _text(_get(obj, k)).lower().endswith(_EXECUTABLE_SUFFIXES) for k in _FILESPEC_NAME_KEYS
        ):
            raise _executable()
        if (
            _name(obj, "/Type") == "/EmbeddedFile"
            and isinstance(obj, generic.StreamObject)
            and obj.read_data().startswith(_EXECUTABLE_MAGIC)
        ):
            raise _executable()


def _reachable_dicts(reader: PdfFileReader, *, max_objects: int) -> Iterator[generic.DictionaryObject]:
    """Every dictionary (and stream dictionary) reachable from the catalog, each indirect object once.

    Iterative (no recursion limit to hit) and bounded by `max_objects` containers visited.
    """
    stack: list[generic.PdfObject] = [reader.trailer_view.raw_get("/Root")]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()  # type: ignore[no-untyped-call]
        if not isinstance(obj, generic.DictionaryObject | generic.ArrayObject):
            continue
        visited += 1
        if visited > max_objects:
            raise PdfInvalide(
                f"Contrôle « structure » : le PDF contient plus de {max_objects} objets, limite dépassée.",
                controle="structure",
            )
        if isinstance(obj, generic.DictionaryObject):
            yield obj
            stack.extend(obj.raw_get(key) for key in obj)
        else:
            stack.extend(obj.raw_get(index) for index in range(len(obj)))


def _xmp_field(roots: list[xmp_model.XmpStructure], local_name: str) -> str | None:
    wanted = xmp_model.ExpandedName(ns=_PDFAID_NS, local_name=local_name)
    for structure in roots:
        for name, value in structure:
            if name == wanted and isinstance(value.value, str):
                return str(value.value).strip()
    return None


def _get(obj: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    """`obj[key]` dereferenced, or None when absent (`DictionaryObject.get` does not dereference)."""
    value = obj.get(key)
    return None if value is None else value.get_object()


def _name(obj: generic.DictionaryObject, key: str) -> str | None:
    value = _get(obj, key)
    return str(value) if isinstance(value, generic.NameObject) else None


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else ""


def _not_pdfa(reason: str) -> PdfInvalide:
    return PdfInvalide(
        f"Contrôle « pdfa » : le document n'est pas déclaré PDF/A ({reason}).", controle="pdfa"
    )


def _executable() -> PdfInvalide:
    return PdfInvalide(
        "Contrôle « executable-joint » : le PDF contient un fichier exécutable joint, interdit dans un acte.",
        controle="executable-joint",
    )
