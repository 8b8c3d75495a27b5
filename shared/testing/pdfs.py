# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors and writers are unannotated; this module is built from them.)
"""PDF documents for tests: a PDF/A-declared acte (any size) and every bad variant the coffre refuses.

The acte is drawn with reportlab and declares PDF/A in its XMP metadata (`pdfaid:part` /
`pdfaid:conformance`, default 2/B). It is *declared* PDF/A only: nobody runs veraPDF on it, and the
coffre checks the declaration, not full conformance.

Unsigned variants are built from scratch; variants that only make sense after signing (altered
signature bytes, a byte changed in the signed range, a page appended in an unsigned incremental
update) take already-signed bytes, so this module never needs a signer (`shared` must not import
the coffre's signing code).
"""

from __future__ import annotations

import io
import os
from xml.sax.saxutils import escape

from asn1crypto import cms
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter, copy_into_new_writer
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfdoc import XMP, PDFDictionary, PDFName, PDFStream, PDFZCompress
from reportlab.pdfgen import canvas

_PAD_WIDTH = 1024


def acte_pdfa(
    *,
    titre: str = "Acte de signification (test)",
    part: int | None = 2,
    conformance: str | None = "B",
    taille_min: int = 0,
) -> bytes:
    """A one-page acte declaring PDF/A-`part``conformance`; `part=None` declares nothing.

    `taille_min` pads the file with an unreferenced-by-content random image XObject (stored raw, so
    the size is reached quickly and exactly enough: 1, 10, 50 MB in well under a second).
    """
    data = _reportlab_acte(titre, XMP(creator=lambda _doc: _xmp(titre, part, conformance).encode("utf-8")))
    if len(data) >= taille_min:
        return data
    writer = _rewrite(data)
    _pad(writer, taille_min - len(data))
    return _written(writer)


def acte_bombe_xmp(*, taille_decompressee: int = 40 * 1024 * 1024) -> bytes:
    """An acte whose XMP stream inflates from a few KB to `taille_decompressee` bytes (a zip bomb).

    Written by reportlab directly: pyHanko's writer would re-serialise the metadata on output.
    """
    bomb = PDFStream(
        dictionary=PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}),
        content=b" " * taille_decompressee,
        filters=[PDFZCompress],
    )
    return _reportlab_acte("Acte piégé (test)", bomb)


def acte_chiffre() -> bytes:
    """A PDF/A-declared acte encrypted with AES-256 (empty user password: it opens without one)."""
    writer = _rewrite(acte_pdfa())
    writer.encrypt("proprietaire", "")
    return _written(writer)


def avec_javascript(pdf: bytes) -> bytes:
    """`pdf` with an /OpenAction running JavaScript when the document opens."""
    writer = _rewrite(pdf)
    writer.root["/OpenAction"] = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Action"),
            generic.pdf_name("/S"): generic.pdf_name("/JavaScript"),
            generic.pdf_name("/JS"): generic.TextStringObject("app.alert('signification');"),
        }
    )
    return _written(writer)


def avec_lancement(pdf: bytes) -> bytes:
    """`pdf` with an /OpenAction that launches an external program (a /Launch action, no JavaScript)."""
    writer = _rewrite(pdf)
    writer.root["/OpenAction"] = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Action"),
            generic.pdf_name("/S"): generic.pdf_name("/Launch"),
            generic.pdf_name("/F"): generic.TextStringObject("calc.exe"),
        }
    )
    return _written(writer)


def avec_executable(pdf: bytes, *, nom: str = "outil.exe") -> bytes:
    """`pdf` with an embedded Windows executable (MZ header) attached under the file name `nom`."""
    writer = _rewrite(pdf)
    payload = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."
    embed_file(
        writer,
        FileSpec(
            file_spec_string=nom,
            file_name=nom,
            embedded_data=EmbeddedFileObject.from_file_data(
                writer, payload, mime_type="application/octet-stream"
            ),
            description="pièce jointe de test",
        ),
    )
    return _written(writer)


def tronque(pdf: bytes, *, fraction: float = 0.6) -> bytes:
    return pdf[: int(len(pdf) * fraction)]


def jpeg() -> bytes:
    """A real JPEG image, to be uploaded under a .pdf name."""
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


def signature_alteree(signed: bytes) -> bytes:
    """Flip one bit of the last signature's CMS signature value (the signed content is untouched)."""
    reader = PdfFileReader(io.BytesIO(signed), strict=True)
    byte_range = list(reader.embedded_signatures[-1].sig_object["/ByteRange"])
    start, end = byte_range[1] + 1, byte_range[2] - 1  # hex digits between '<' and '>'
    der = bytes.fromhex(signed[start:end].decode("ascii"))
    info = cms.ContentInfo.load(der, strict=False)
    value: bytes = info["content"]["signer_infos"][0]["signature"].native
    offset = der.index(value) + len(value) - 1
    position = start + 2 * offset
    original = signed[position : position + 2]
    flipped = format(int(original, 16) ^ 0x01, "02x").encode("ascii")
    if original.isupper():
        flipped = flipped.upper()
    return signed[:position] + flipped + signed[position + 2 :]


def octet_modifie(signed: bytes) -> bytes:
    """Change one byte inside the first content stream, i.e. inside the signed byte range."""
    index = signed.index(b"stream\n") + len(b"stream\n") + 8
    return signed[:index] + bytes([signed[index] ^ 0xFF]) + signed[index + 1 :]


def page_ajoutee_apres_signature(signed: bytes) -> bytes:
    """Append, in an unsigned incremental update, a page after the existing ones."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=True)
    contents = writer.add_object(generic.StreamObject(stream_data=b"72 72 m 500 700 l S\n"))
    writer.insert_page(PageObject(contents=contents, media_box=(0, 0, 595, 842)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _reportlab_acte(titre: str, metadata: PDFStream) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(titre)
    c.setAuthor("Signif (tests)")
    # reportlab has no public setter for the catalog's XMP stream; renderPDF uses the same attribute.
    c._doc.Catalog.Metadata = metadata
    c.setFont("Helvetica", 14)
    c.drawString(72, 770, titre)
    c.setFont("Helvetica", 11)
    c.drawString(72, 740, "Document de test : déclaration PDF/A seulement, conformité non vérifiée.")
    c.showPage()
    c.save()
    return buf.getvalue()


def _xmp(titre: str, part: int | None, conformance: str | None) -> str:
    pdfaid = ""
    if part is not None:
        pdfaid = f"<pdfaid:part>{part}</pdfaid:part>"
        if conformance is not None:
            pdfaid += f"<pdfaid:conformance>{conformance}</pdfaid:conformance>"
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(titre)}</rdf:li></rdf:Alt></dc:title>'
        f"{pdfaid}</rdf:Description></rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def _rewrite(pdf: bytes) -> PdfFileWriter:
    """A fresh single-revision writer holding every object of `pdf` (signatures do not survive)."""
    writer: PdfFileWriter = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf), strict=True))
    return writer


def _pad(writer: PdfFileWriter, size: int) -> None:
    height = max(1, -(-size // _PAD_WIDTH))
    image = generic.StreamObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Image"),
            generic.pdf_name("/Width"): generic.NumberObject(_PAD_WIDTH),
            generic.pdf_name("/Height"): generic.NumberObject(height),
            generic.pdf_name("/ColorSpace"): generic.pdf_name("/DeviceGray"),
            generic.pdf_name("/BitsPerComponent"): generic.NumberObject(8),
        },
        stream_data=os.urandom(_PAD_WIDTH * height),
    )
    page = writer.root["/Pages"]["/Kids"][0]
    resources = page["/Resources"]
    xobjects = resources.setdefault(generic.pdf_name("/XObject"), generic.DictionaryObject())
    xobjects[generic.pdf_name("/Remplissage")] = writer.add_object(image)


def _written(writer: PdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
