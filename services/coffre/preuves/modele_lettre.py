"""The lettre simple of CPC 662-1 al. 3, laid out for a French window envelope.

Content, as 662-1 requires and no more: the signification was delivered electronically, the nature
of the acte, the requérant's name; plus its date and hour (664-1) and how to reach the acte (the
destinataire space, after sign-in). Never the acte's content: the letter travels by ordinary post.

Layout: the office's block top left; the destinataire's name and address at the window position of
DL/C5-6 envelopes (a 100 x 45 mm window 20 mm from the right edge, about 50 to 90 mm from the top of
the sheet once folded in three), or an empty frame for the office to fill in when the coffre does
not hold the postal address; the body below, on one page.
"""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer

from shared.instants import date_simple, instant_local

from . import gabarit
from .faits import LettreSimple
from .gabarit import Styles, tableau, texte

_HAUT_FENETRE = 50 * mm  # from the top of the sheet
_HAUTEUR_FENETRE = 40 * mm
_LARGEUR_FENETRE = 95 * mm
_DEBUT_CORPS = 94 * mm  # from the top of the sheet: below the window


def lettre_simple(lettre: LettreSimple, styles: Styles) -> list[Flowable]:
    s = lettre.signification
    return [
        Spacer(1, _DEBUT_CORPS - gabarit.MARGE),  # the address blocks are drawn on the page
        Paragraph(texte(f"{lettre.lieu}, le {date_simple(lettre.date_lettre)}"), styles.droite),
        Spacer(1, 4 * mm),
        Paragraph("<b>Objet : signification d'un acte par voie électronique</b>", styles.lettre),
        Spacer(1, 4 * mm),
        Paragraph("Madame, Monsieur,", styles.lettre),
        Spacer(1, 2 * mm),
        Paragraph(
            "Je vous informe qu'un acte vous a été signifié par voie électronique, conformément à "
            "l'article 662-1 du code de procédure civile et au consentement que vous avez donné à ce mode "
            "de signification :",
            styles.lettre,
        ),
        tableau(
            [
                ("Nature de l'acte", s.nature_libelle),
                ("Requérant", s.requerant),
                ("Date et heure de la signification", instant_local(s.envoye_le, s.fuseau)),
                ("Référence de l'acte", Paragraph(texte(s.acte_id), styles.mono)),
            ],
            styles,
            largeur_etiquette=50 * mm,
        ),
        Spacer(1, 3 * mm),
        Paragraph(
            "Vous n'avez pas pris connaissance de l'acte le jour de sa transmission : la signification est "
            "faite à domicile. Sa date et son heure sont celles de l'envoi de l'acte (article 664-1 du code "
            "de procédure civile).",
            styles.lettre,
        ),
        Paragraph("Pour consulter l'acte, connectez-vous à votre espace destinataire :", styles.lettre),
        Paragraph(f"<b>{texte(lettre.acces_url)}</b>", styles.lettre_retrait),
        Paragraph(
            "avec votre mot de passe et le code à usage unique envoyé à l'adresse que vous avez déclarée. "
            "L'acte figure dans la liste des actes qui vous ont été signifiés. Par souci de "
            "confidentialité, cette lettre ne reproduit pas le contenu de l'acte.",
            styles.lettre,
        ),
        Paragraph(
            "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.",
            styles.lettre,
        ),
        Spacer(1, 5 * mm),
        Paragraph(
            f"<b>{texte(s.commissaire_nom)}</b><br/>Commissaire de justice<br/>{texte(s.office_nom)}",
            styles.signature,
        ),
    ]


def blocs_adresse(lettre: LettreSimple) -> Callable[[Canvas], None]:
    """Draws the sender (top left) and recipient (window position, right) blocks on page 1."""
    s = lettre.signification

    def dessiner(canvas: Canvas) -> None:
        largeur, hauteur = A4
        y = hauteur - gabarit.MARGE - 2 * mm
        canvas.setFillColor(gabarit.BLEU)
        canvas.setFont(gabarit.POLICE_GRASSE, 10)
        canvas.drawString(gabarit.MARGE, y, s.office_nom)
        canvas.setFillColor(gabarit.GRIS)
        canvas.setFont(gabarit.POLICE, 9)
        expediteur = (f"{s.commissaire_nom}, commissaire de justice", *lettre.expediteur)
        for i, ligne in enumerate(expediteur, start=1):
            canvas.drawString(gabarit.MARGE, y - i * 12, ligne)
        x, haut = largeur - 20 * mm - _LARGEUR_FENETRE, hauteur - _HAUT_FENETRE
        if lettre.destinataire:
            canvas.setFillColor(colors.black)
            canvas.setFont(gabarit.POLICE, 10.5)
            for i, ligne in enumerate(lettre.destinataire, start=1):
                canvas.drawString(x + 3 * mm, haut - 3 * mm - i * 14, ligne)
        else:
            canvas.setStrokeColor(gabarit.FILET)
            canvas.rect(x, haut - _HAUTEUR_FENETRE, _LARGEUR_FENETRE, _HAUTEUR_FENETRE, stroke=1, fill=0)
            canvas.setFillColor(gabarit.GRIS)
            canvas.setFont(gabarit.POLICE, 7.5)
            canvas.drawString(
                x + 3 * mm, haut - 4 * mm, "Nom et adresse du destinataire (à compléter par l'office)"
            )

    return dessiner
