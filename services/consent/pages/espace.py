"""One declaration's space: its data and history, the contact change, the revocation (confirmed
on a second page)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from services.consent.declarations import contact as changement
from services.consent.declarations import repository, service, vue
from services.consent.declarations.recepisse_pdf import recepisse_pdf as recepisse_pdf_scelle
from services.consent.declarations.schemas import ContactChange
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.identite import territoire_legal
from services.consent.mentions.textes import TYPES_PIECES
from services.consent.models import Declaration
from services.consent.pages import navigateur as nav_
from services.consent.pages.contexte import STATUTS, DeclarationLueDep, DeclarationPostDep, Pages, PagesDep
from services.consent.registre import Registre
from shared.errors import ServiceError

router = APIRouter(prefix="/consent", tags=["pages"], include_in_schema=False)


async def espace_page(
    p: Pages,
    session: Any,
    registre: Registre,
    declaration: Declaration,
    now: Any,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """One declaration's page: everything she declared (identity, domicile, proofs), the history of
    its versions and decisions, the rectification under review if any, and what she can do."""
    d = await vue.vue(session, registre, declaration, now)
    attente = declaration.contact_attente is not None
    fuseau = territoire_legal(d.personne).fuseau
    return p.page(
        "espace.html",
        status_code,
        titre="Mon espace personnel",
        d=d,
        statuts=STATUTS,
        attente=attente,
        fuseau=fuseau,
        libelles_pieces={c: lib for c, lib, _ in TYPES_PIECES},
        **extra,
    )


@router.get("/espace/{declaration_id}", response_class=HTMLResponse)
async def espace(
    declaration: DeclarationLueDep, p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> HTMLResponse:
    return await espace_page(p, session, registre, declaration, now)


@router.post("/espace/{declaration_id}/contact", response_class=HTMLResponse)
async def contact(
    declaration: DeclarationPostDep,
    p: PagesDep,
    email: Annotated[str, Form(max_length=254)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    mobile: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        corps = ContactChange.model_validate({"contact": {"email": email, "mobile": mobile or None}})
        resultat = await changement.changer_contact(session, registre, declaration, corps, now=now)
    except ValidationError:
        return await espace_page(p, session, registre, declaration, now, erreurs=["Coordonnées invalides."])
    except ServiceError as exc:
        return await espace_page(p, session, registre, declaration, now, erreurs=[exc.detail])
    if isinstance(resultat, changement.ContactEnAttente):
        message = (
            f"Un code vient d'être envoyé à {resultat.email}. Saisissez-le ci-dessous : vos avis continuent "
            "d'être envoyés à l'adresse actuelle tant que la nouvelle n'est pas confirmée."
        )
        return await espace_page(p, session, registre, declaration, now, message=message)
    return await espace_page(
        p, session, registre, declaration, now, message="Vos coordonnées ont été mises à jour."
    )


@router.post("/espace/{declaration_id}/contact/confirmation", response_class=HTMLResponse)
async def confirmer_contact(
    declaration: DeclarationPostDep,
    p: PagesDep,
    code: Annotated[str, Form(max_length=12)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    try:
        await changement.confirmer_contact(session, registre, declaration, code.strip(), now=now)
    except ServiceError as exc:
        return await espace_page(p, session, registre, declaration, now, erreurs=[exc.detail])
    return await espace_page(
        p, session, registre, declaration, now, message="Vos coordonnées ont été mises à jour."
    )


def _confirmer_revocation(p: Pages, declaration: Declaration) -> HTMLResponse:
    return p.page("revocation.html", titre="Révoquer mon consentement", d=declaration)


@router.get("/espace/{declaration_id}/revocation", response_class=HTMLResponse)
async def revocation(declaration: DeclarationLueDep, p: PagesDep) -> HTMLResponse:
    """The second page: what revoking does and when it takes effect, then « Je confirme »."""
    return _confirmer_revocation(p, declaration)


@router.post("/espace/{declaration_id}/revocation", response_class=HTMLResponse)
async def revoquer(
    declaration: DeclarationPostDep,
    p: PagesDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    confirmation: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    if confirmation != "oui":  # only the confirmation page's button revokes
        return _confirmer_revocation(p, declaration)
    try:
        await service.revoquer(session, registre, declaration, now=now, acteur="declarant")
    except ServiceError as exc:
        return await espace_page(p, session, registre, declaration, now, erreurs=[exc.detail])
    # The revocation ended every session on this declaration, this one included: this last page
    # shows its outcome, and the browser goes back to a pre-session.
    p.nav = await nav_.fermer(session, registre, p.nav, now=now)
    message = "Votre consentement est révoqué. Par sécurité, vos sessions sont fermées."
    return await espace_page(p, session, registre, declaration, now, message=message, ferme=True)


@router.get("/espace/{declaration_id}/recepisse.pdf", response_model=None)
async def recepisse_pdf(
    declaration: DeclarationLueDep, p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    """The récépissé as a sealed PDF (`declarations.recepisse_pdf`), for this browser's declaration."""
    if declaration.recepisse_jws is None:
        message = "Le récépissé est émis quand la déclaration est envoyée pour vérification."
        return await espace_page(p, session, registre, declaration, now, 404, erreurs=[message])
    fuseau = (await repository.version_courante(session, declaration)).fuseau
    pdf = await recepisse_pdf_scelle(registre, declaration, fuseau, now=now)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="recepisse-{declaration.numero}.pdf"',
            "Cache-Control": "no-store",
        },
    )
