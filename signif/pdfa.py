"""`signif dev sign`'s first step: any PDF made the PDF/A-2b the coffre accepts, or refused saying how.

What the coffre checks before the signature (`services/coffre/documents/inspection.py`): the `%PDF-`
header at offset 0, a strict parse (no repair), no encryption, a PDF/A declaration in the XMP metadata
(`pdfaid:part` and `pdfaid:conformance`), no JavaScript, active action or embedded executable. What
PDF/A-2b adds and this module provides: every font embedded, an output intent (sRGB ICC profile), XMP
metadata in step with the document information, a file identifier, PDF 1.7 at most.

The steps:
 1. a PDF the coffre already accepts is left as it is (a signed PDF/A gets one more signature, as an
    incremental update that keeps the earlier ones intact);
 2. an encrypted or already signed PDF, or one with active content, is refused: converting it would
    remove a protection, break a signature or silently drop content of the acte;
 3. when a font is not embedded, Ghostscript (`gs -dPDFA=2`, Debian package `ghostscript`) rewrites the
    document with its fonts embedded; without Ghostscript the PDF is refused with the ways to do it;
 4. pikepdf adds the output intent and declares PDF/A-2b in the XMP metadata, and saves the file anew
    (which also rebuilds a damaged cross-reference table);
 5. the result passes the coffre's own document checks, or is refused with the coffre's message.

A development tool, as `signif dev sign` is: the production acte comes PDF/A from the office's software.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pikepdf
from PIL import ImageCms
from pyhanko.pdf_utils.reader import PdfFileReader

from services.coffre.documents.errors import PdfInvalide
from services.coffre.documents.inspection import (
    check_header,
    check_no_active_content,
    check_not_encrypted,
    open_strict,
    read_pdfa_declaration,
)
from services.coffre.documents.signing import signer_pdf_octets
from services.coffre.documents.validation import default_decode_limits
from shared.devpki import dev_signer

_MAX_OBJECTS = 200_000
_GS_TIMEOUT = 120
_CONSEIL = (
    "Exportez le document au format PDF/A-2b depuis votre logiciel (LibreOffice : Fichier › Exporter au "
    "format PDF › « Archive PDF/A, ISO 19005 », version PDF/A-2b ; Word : Enregistrer sous › PDF › "
    "Options › « Conforme à la norme ISO 19005-1 (PDF/A) »), puis relancez signif dev sign."
)


class PdfANonObtenu(Exception):
    """The PDF cannot be made PDF/A-2b here; the message says why and how, in French."""


def signer_en_pdfa(entree: Path, sortie: Path, var_dir: Path) -> str:
    """`signif dev sign`: `entree` made PDF/A-2b, signed with the demo commissaire certificate of the
    embedded deployment (development CA under `<var_dir>/keys/devpki/`), written to `sortie`
    atomically; returns what was done to the document, in French."""
    pdfa, fait = preparer_pdfa(entree.read_bytes())
    signe = signer_pdf_octets(pdfa, dev_signer(var_dir))
    provisoire = sortie.with_name(f".{sortie.name}.{os.getpid()}.tmp")
    provisoire.write_bytes(signe)
    provisoire.replace(sortie)
    return fait


def preparer_pdfa(data: bytes, *, ghostscript: str | None = None) -> tuple[bytes, str]:
    """`data` as a PDF/A-2b the coffre accepts, and a French sentence saying what was done.

    `ghostscript`: the `gs` program to embed missing fonts with (default: `gs` on the PATH, if any).
    """
    if _refus_du_coffre(data) is None:
        return data, "déjà au format PDF/A accepté par le coffre : inchangé"
    _refuser_ce_qui_ne_se_convertit_pas(data)
    fait = "déclaré PDF/A-2b (profil sRGB, métadonnées XMP)"
    if _polices_non_incorporees(data):
        gs = ghostscript or shutil.which("gs")
        if gs is None:
            noms = ", ".join(_polices_non_incorporees(data))
            raise PdfANonObtenu(
                f"Le PDF utilise des polices non incorporées ({noms}) : PDF/A les exige incorporées. "
                "Installez Ghostscript (apt-get install ghostscript), que signif dev sign utilise alors "
                f"pour les incorporer, ou : {_CONSEIL}"
            )
        data = _ghostscript(gs, data)
        fait = "converti en PDF/A-2b par Ghostscript (polices incorporées), profil sRGB"
    resultat = _declarer_pdfa_2b(data)
    refus = _refus_du_coffre(resultat)
    if refus is not None:
        raise PdfANonObtenu(f"Le PDF converti reste refusé par le coffre : {refus} {_CONSEIL}")
    return resultat, fait


def _refus_du_coffre(data: bytes) -> str | None:
    """The coffre's French refusal of `data` before its signature is looked at, or None."""
    try:
        check_header(data[:1024])
        reader = open_strict(data, default_decode_limits())
        check_not_encrypted(reader)
        read_pdfa_declaration(reader)
        check_no_active_content(reader, max_objects=_MAX_OBJECTS)
    except PdfInvalide as exc:
        return exc.detail
    return None


def _refuser_ce_qui_ne_se_convertit_pas(data: bytes) -> None:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise PdfANonObtenu(
            "Le PDF est protégé par un mot de passe : un acte doit être lisible sans. "
            "Enregistrez-le sans protection, puis relancez signif dev sign."
        ) from exc
    except pikepdf.PdfError as exc:
        raise PdfANonObtenu(f"Le fichier n'est pas un PDF lisible ({exc}). {_CONSEIL}") from exc
    with pdf:
        if pdf.is_encrypted:
            raise PdfANonObtenu(
                "Le PDF est chiffré : un acte doit être lisible par quiconque le détient. "
                "Retirez le chiffrement (qpdf --decrypt acte.pdf acte-clair.pdf), puis relancez."
            )
        if pdf.attachments:
            raise PdfANonObtenu(
                "Le PDF contient des fichiers joints, que PDF/A-2b n'admet que s'ils sont eux-mêmes "
                "PDF/A : déposez-les plutôt comme annexes de l'acte (partie `annexes` du dépôt)."
            )
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if reader.embedded_signatures:
        raise PdfANonObtenu(
            "Le PDF est déjà signé mais n'est pas PDF/A : le convertir invaliderait sa signature. "
            "Convertissez l'original non signé, puis signez-le."
        )
    try:
        check_no_active_content(reader, max_objects=_MAX_OBJECTS)
    except PdfInvalide as exc:
        raise PdfANonObtenu(f"{exc.detail} Retirez-le du document source, puis relancez.") from exc


def _polices_non_incorporees(data: bytes) -> list[str]:
    """The names of the fonts used without their program embedded (Type 3 fonts are drawn, not named)."""
    manquantes: set[str] = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != pikepdf.Name.Font:
                continue
            if obj.get("/Subtype") in (pikepdf.Name.Type3, pikepdf.Name.Type0):
                continue  # a Type0 font's program is in its descendant, a font object of its own
            descripteur = obj.get("/FontDescriptor")
            if not isinstance(descripteur, pikepdf.Dictionary) or not any(
                k in descripteur for k in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                manquantes.add(str(obj.get("/BaseFont", "?")).lstrip("/"))
    return sorted(manquantes)


def _ghostscript(gs: str, data: bytes) -> bytes:
    with tempfile.TemporaryDirectory(prefix="signif-pdfa-") as dossier:
        entree, sortie = Path(dossier) / "entree.pdf", Path(dossier) / "sortie.pdf"
        entree.write_bytes(data)
        commande = [
            gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dPDFA=2", "-dPDFACompatibilityPolicy=1",
            "-sColorConversionStrategy=RGB", "-sDEVICE=pdfwrite", f"-sOutputFile={sortie}", str(entree),
        ]  # fmt: skip
        try:
            fini = subprocess.run(commande, capture_output=True, timeout=_GS_TIMEOUT, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfANonObtenu(f"Ghostscript n'a pas pu convertir le PDF ({exc}). {_CONSEIL}") from exc
        if fini.returncode != 0 or not sortie.exists():
            raison = fini.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["sans message"]
            raise PdfANonObtenu(f"Ghostscript n'a pas pu convertir le PDF ({raison[0]}). {_CONSEIL}")
        return sortie.read_bytes()


def _declarer_pdfa_2b(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/OutputIntents" not in pdf.Root:
            profil = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
            icc = pikepdf.Stream(pdf, profil)
            icc["/N"] = 3
            pdf.Root["/OutputIntents"] = pikepdf.Array(
                [
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.OutputIntent,
                        S=pikepdf.Name.GTS_PDFA1,
                        OutputConditionIdentifier=pikepdf.String("sRGB"),
                        Info=pikepdf.String("sRGB IEC61966-2.1"),
                        DestOutputProfile=icc,
                    )
                ]
            )
        # /Trapped has no XMP equivalent that pikepdf writes (it would warn and drop it): an optional
        # prepress hint that PDF/A wants consistent in both places, so it goes from both.
        if "/Trapped" in pdf.docinfo:
            del pdf.docinfo["/Trapped"]
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(pdf.docinfo)
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        sortie = io.BytesIO()
        pdf.save(sortie, min_version="1.4", force_version="1.7", fix_metadata_version=True)
        return sortie.getvalue()
