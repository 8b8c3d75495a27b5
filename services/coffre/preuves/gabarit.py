"""Shared page layout of the coffre's PDF documents (reportlab platypus), built to be read by a judge.

A4 portrait, 20 mm margins, a running header naming the platform and the document, a footer stating
that the document is sealed and where its seal and references can be checked. Text is set in
Bitstream Vera (shipped inside reportlab, so every deployment renders identically and the fonts are
embedded with a ToUnicode map: the text can be searched and copied); hashes, identifiers and
checkpoints are set in Courier so each character can be compared one by one.

Determinism: documents are built in reportlab's invariant mode, with the creation date set to the
issue instant the caller passes, so the same facts give the same unsigned bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table, TableStyle

MARGE = 20 * mm
LARGEUR_UTILE = A4[0] - 2 * MARGE
BLEU = colors.HexColor("#1F3A5F")
GRIS = colors.HexColor("#4A4A4A")
FILET = colors.HexColor("#B8C2CC")
FOND = colors.HexColor("#EEF2F6")

POLICE = "SignifVera"
POLICE_GRASSE = "SignifVera-Gras"
POLICE_ITALIQUE = "SignifVera-Italique"
POLICE_MONO = "Courier"

PIED_SCELLE = (
    "Document scellé électroniquement par la plateforme Signif (cachet PAdES) : "
    "toute modification l'invalide."
)


@cache
def enregistrer_polices() -> None:
    dossier = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(POLICE, str(dossier / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(POLICE_GRASSE, str(dossier / "VeraBd.ttf")))
    pdfmetrics.registerFont(TTFont(POLICE_ITALIQUE, str(dossier / "VeraIt.ttf")))
    pdfmetrics.registerFont(TTFont(f"{POLICE}-GI", str(dossier / "VeraBI.ttf")))
    pdfmetrics.registerFontFamily(
        POLICE, normal=POLICE, bold=POLICE_GRASSE, italic=POLICE_ITALIQUE, boldItalic=f"{POLICE}-GI"
    )


class Styles:
    """The paragraph styles of every document."""

    def __init__(self) -> None:
        enregistrer_polices()
        base = ParagraphStyle("corps", fontName=POLICE, fontSize=10, leading=14, alignment=TA_LEFT)
        self.corps = base
        self.titre = ParagraphStyle(
            "titre", parent=base, fontName=POLICE_GRASSE, fontSize=16, leading=20, textColor=BLEU
        )
        self.sous_titre = ParagraphStyle("sous-titre", parent=base, fontSize=9.5, textColor=GRIS)
        self.section = ParagraphStyle(
            "section",
            parent=base,
            fontName=POLICE_GRASSE,
            fontSize=11,
            leading=15,
            textColor=BLEU,
            spaceBefore=10,
            spaceAfter=4,
        )
        self.etiquette = ParagraphStyle(
            "etiquette", parent=base, fontName=POLICE_GRASSE, fontSize=8.5, leading=12, textColor=GRIS
        )
        self.valeur = ParagraphStyle("valeur", parent=base, fontSize=9.5, leading=13)
        self.mono = ParagraphStyle("mono", parent=base, fontName=POLICE_MONO, fontSize=8, leading=11)
        self.mono_petit = ParagraphStyle(
            "mono-petit", parent=self.mono, fontSize=7, leading=9, wordWrap="CJK"
        )
        self.note = ParagraphStyle("note", parent=base, fontSize=8, leading=11, textColor=GRIS)
        self.mention = ParagraphStyle("mention", parent=base, fontName=POLICE_GRASSE, fontSize=10.5)
        self.lettre = ParagraphStyle("lettre", parent=base, alignment=TA_JUSTIFY, spaceAfter=6)
        self.lettre_retrait = ParagraphStyle("lettre-retrait", parent=self.lettre, leftIndent=10 * mm)
        self.droite = ParagraphStyle("droite", parent=base, alignment=TA_RIGHT)
        self.signature = ParagraphStyle("signature", parent=base, leftIndent=95 * mm)


def texte(valeur: str) -> str:
    """Escape text for a reportlab Paragraph (which reads a small XML markup)."""
    return escape(valeur)


def lignes(valeur: str) -> str:
    """Escaped text whose line breaks are kept."""
    return "<br/>".join(escape(ligne) for ligne in valeur.splitlines())


def tableau(
    rangees: Sequence[tuple[str, Flowable | str]], styles: Styles, *, largeur_etiquette: float = 52 * mm
) -> Table:
    """A two-column table: label (grey, bold) and value; a string value is escaped."""
    donnees = [
        [
            Paragraph(texte(etiquette), styles.etiquette),
            Paragraph(texte(valeur), styles.valeur) if isinstance(valeur, str) else valeur,
        ]
        for etiquette, valeur in rangees
    ]
    table = Table(donnees, colWidths=[largeur_etiquette, LARGEUR_UTILE - largeur_etiquette])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, FILET),
                ("LINEABOVE", (0, 0), (-1, 0), 0.4, FILET),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def encadre(contenu: Sequence[Flowable]) -> Table:
    """Paragraphs in a tinted frame: the mentions the law requires stand out."""
    table = Table([[list(contenu)]], colWidths=[LARGEUR_UTILE])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), FOND),
                ("BOX", (0, 0), (-1, -1), 0.8, BLEU),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def date_pdf(instant: datetime) -> str:
    """A PDF date string (ISO 32000 §7.9.4) in UTC."""
    utc = instant.astimezone(UTC)
    return utc.strftime("D:%Y%m%d%H%M%S+00'00'")


def construire(
    histoire: Sequence[Flowable],
    *,
    titre: str,
    sujet: str,
    emis_le: datetime,
    pied: str,
    dessin_premiere_page: Callable[[Canvas], None] | None = None,
    en_tete: bool = True,
) -> bytes:
    """Lay out `histoire` on A4 pages with the running header and footer; return the PDF bytes."""
    if emis_le.utcoffset() is None:
        raise ValueError("emis_le must be timezone-aware")
    enregistrer_polices()
    sortie = io.BytesIO()
    doc = BaseDocTemplate(
        sortie,
        pagesize=A4,
        leftMargin=MARGE,
        rightMargin=MARGE,
        topMargin=MARGE + (8 * mm if en_tete else 0),
        bottomMargin=MARGE + 8 * mm,
        title=titre,
        subject=sujet,
        author="Signif, plateforme de signification électronique",
        creator="Signif (coffre)",
        invariant=True,
        lang="fr-FR",
    )
    creation = date_pdf(emis_le)

    def page(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setDateFormatter(lambda *_: creation)
        largeur, hauteur = A4
        if en_tete:
            canvas.setFont(POLICE_GRASSE, 8)
            canvas.setFillColor(BLEU)
            canvas.drawString(MARGE, hauteur - MARGE + 2 * mm, "SIGNIF — signification électronique")
            canvas.setFont(POLICE, 8)
            canvas.setFillColor(GRIS)
            canvas.drawRightString(largeur - MARGE, hauteur - MARGE + 2 * mm, titre)
            canvas.setStrokeColor(FILET)
            canvas.setLineWidth(0.6)
            canvas.line(MARGE, hauteur - MARGE, largeur - MARGE, hauteur - MARGE)
        canvas.setStrokeColor(FILET)
        canvas.line(MARGE, MARGE + 5 * mm, largeur - MARGE, MARGE + 5 * mm)
        canvas.setFont(POLICE, 7)
        canvas.setFillColor(GRIS)
        canvas.drawString(MARGE, MARGE + 1.5 * mm, pied)
        canvas.drawRightString(largeur - MARGE, MARGE + 1.5 * mm, f"Page {document.page}")
        if document.page == 1 and dessin_premiere_page is not None:
            dessin_premiere_page(canvas)
        canvas.restoreState()

    cadre = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="corps")
    doc.addPageTemplates([PageTemplate(id="page", frames=[cadre], onPage=page)])
    doc.build(list(histoire))
    return sortie.getvalue()
