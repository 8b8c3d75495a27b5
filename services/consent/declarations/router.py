"""The declarant's API (public; ownership proven by `X-Jeton-Gestion`)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.comptes import sessions
from services.consent.declarations import contact, idempotence, pieces, repository, service, soumission, vue
from services.consent.declarations.recepisse_pdf import recepisse_pdf as recepisse_pdf_scelle
from services.consent.declarations.schemas import (
    Code,
    CodeRenvoye,
    Confirmee,
    ContactChange,
    ContactEnAttenteLu,
    DeclarationCreate,
    DeclarationCreee,
    DeclarationLue,
    PieceLue,
    Recepisse,
    Revoquee,
    Soumise,
    VersionLue,
)
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.errors import (
    CodeInvalide,
    DeclarationIncomplete,
    DejaRevoquee,
    EtatIncompatible,
    JetonGestionInvalide,
    MentionsPerimees,
)
from services.consent.models import Declaration
from shared.bornes import JETON_MAX, EnteteAutorisation, IdChemin
from shared.crypto.tokens import blind_index, verify_token
from shared.errors import (
    Authentification,
    IdempotenceConflit,
    Introuvable,
    TropDeRequetes,
    TropVolumineux,
    TypeNonSupporte,
    Unprocessable,
    error_responses,
)
from shared.openapi import Exigence, exige, fichier
from shared.sceau_pdf import SceauIndisponible

router = APIRouter(prefix="/consent/v1/declarations", tags=["déclarant"])


async def _proprietaire(
    session: SessionDep,
    now: NowDep,
    x_jeton_gestion: Annotated[str | None, Header(alias="X-Jeton-Gestion", max_length=JETON_MAX)] = None,
    authorization: EnteteAutorisation = None,
) -> service.Proprietaire:
    """`X-Jeton-Gestion`, or once the account exists an API session (`Authorization: Bearer` from
    `POST /consent/v1/comptes/connexion/{defi}/code`); a session that is not a live API session (a
    page cookie's value included) is a 401."""
    personne_id = None
    if authorization is not None:
        scheme, _, secret = authorization.partition(" ")
        ligne = (
            await sessions.par_secret(session, secret.strip(), genre="api", now=now)
            if scheme.lower() == "bearer"
            else None
        )
        if ligne is None or ligne.personne_id is None:
            raise Authentification("Session absente, expirée ou invalide.")
        personne_id = ligne.personne_id
    return service.Proprietaire(jeton=x_jeton_gestion, personne_id=personne_id)


exige(
    _proprietaire,
    Exigence(
        securite=({"jetonGestion": []}, {"sessionDeclarant": []}),
        appelant=(
            "le déclarant : `X-Jeton-Gestion` (rendu à la création), ou la session de son compte "
            "(`Authorization: Bearer`)"
        ),
        refus=(Authentification, JetonGestionInvalide),
    ),
)
JetonDep = Annotated[service.Proprietaire, Depends(_proprietaire)]
_FACTICE = "0" * 64


async def _charger(
    session: AsyncSession, declaration_id: str, preuve: service.Proprietaire, *, verrou: bool = False
) -> Declaration:
    """The declaration its owner may act on; an unknown id answers exactly as a wrong token does
    (403 `jeton-gestion-invalide`, same body), so the answer tells nothing about which ids exist."""
    try:
        declaration = await repository.charger(session, declaration_id, verrou=verrou)
    except Introuvable:
        verify_token(preuve.jeton or "", _FACTICE)  # the same work as for a known id
        raise service.refus_proprietaire() from None
    service.autoriser(declaration, preuve)
    return declaration


@router.post(
    "",
    summary=("Créer une déclaration de consentement"),
    status_code=201,
    response_model=DeclarationCreee,
    responses=error_responses(Unprocessable, MentionsPerimees, IdempotenceConflit),
    description=(
        "Enregistre la déclaration de consentement à la signification électronique (CPC 748-2) : "
        "identité, coordonnées, natures d'actes, période, mentions affichées, consentement exprès. Rend "
        "une fois le `jeton_gestion` qui prouve ensuite la détention ; envoie un code à l'adresse "
        "électronique déclarée. Elle ne vaut consentement qu'une fois confirmée, soumise et vérifiée par "
        "l'opérateur. `Idempotency-Key` : un renvoi rend la même déclaration."
    ),
)
async def creer(
    request: Request,
    corps: DeclarationCreate,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> DeclarationCreee:
    empreinte = blind_index(
        registre.settings.effective_blind_index_key, (await request.body()).hex(), "consent/idempotence"
    )
    if idempotency_key:
        deja = await idempotence.rejouer(session, registre, idempotency_key, empreinte)
        if deja is not None:
            return deja
    declaration, jeton = await service.declarer(session, registre, corps, now=now)
    if idempotency_key:
        await idempotence.retenir(
            session, registre, idempotency_key, empreinte, declaration.id, jeton, now=now
        )
    return DeclarationCreee(
        id=declaration.id, numero=declaration.numero, statut=declaration.statut, jeton_gestion=jeton
    )


@router.post(
    "/{declaration_id}/confirmation",
    summary=("Confirmer l'adresse électronique (code reçu)"),
    response_model=Confirmee,
    responses=error_responses(CodeInvalide, JetonGestionInvalide, EtatIncompatible),
    description=(
        "Le code envoyé à l'adresse déclarée prouve qu'elle appartient au déclarant : c'est là que "
        "partiront les avis de mise à disposition. 5 essais au plus (422 `code-invalide`, le compteur est"
        " conservé)."
    ),
)
async def confirmer(
    declaration_id: IdChemin,
    corps: Code,
    jeton: JetonDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Confirmee:
    declaration = await _charger(session, declaration_id, jeton, verrou=True)
    await service.confirmer(session, registre, declaration, corps.code, now=now)
    return Confirmee(id=declaration.id, statut=declaration.statut, email_confirme=True)


@router.post(
    "/{declaration_id}/confirmation/renvoi",
    summary=("Recevoir un nouveau code de confirmation"),
    status_code=202,
    response_model=CodeRenvoye,
    responses=error_responses(TropDeRequetes, JetonGestionInvalide, EtatIncompatible),
    description=(
        "Envoie un nouveau code à l'adresse déclarée (l'ancien cesse de valoir) ; un par minute, cinq au "
        "plus (429 `trop-de-requetes`)."
    ),
)
async def renvoyer_code(
    declaration_id: IdChemin, jeton: JetonDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> CodeRenvoye:
    """A new e-mail confirmation code (the previous one no longer works); 5 at most, one a minute."""
    declaration = await _charger(session, declaration_id, jeton, verrou=True)
    return CodeRenvoye(code_expire_le=await service.renvoyer_code(session, registre, declaration, now=now))


@router.post(
    "/{declaration_id}/pieces",
    summary=("Déposer une pièce justificative"),
    status_code=201,
    response_model=PieceLue,
    responses=error_responses(TropVolumineux, TypeNonSupporte, Unprocessable, JetonGestionInvalide),
    description=(
        "Pièce d'identité ou de domicile (PDF, JPEG ou PNG, 5 Mo au plus), chiffrée au repos ; "
        "l'opérateur la vérifie avant d'activer la déclaration. `type` : un code de `types_pieces` (`GET "
        "/consent/v1/mentions`)."
    ),
)
async def deposer_piece(
    declaration_id: IdChemin,
    type: Annotated[str, Form(max_length=48)],
    fichier: Annotated[UploadFile, File()],
    jeton: JetonDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> PieceLue:
    declaration = await _charger(session, declaration_id, jeton, verrou=True)
    piece = await pieces.deposer(session, registre, declaration, type_piece=type, fichier=fichier, now=now)
    return PieceLue.model_validate(piece, from_attributes=True)


@router.post(
    "/{declaration_id}/soumission",
    summary=("Soumettre la déclaration à vérification"),
    response_model=Soumise,
    responses=error_responses(DeclarationIncomplete, EtatIncompatible, JetonGestionInvalide),
    description=(
        "Clôt la déclaration (adresse confirmée, pièces déposées) et la transmet à l'opérateur du "
        "registre ; rend le récépissé scellé (numéro d'enregistrement, instant, JWS). Elle prend effet "
        "(`active`) quand l'opérateur l'accepte."
    ),
)
async def soumettre(
    declaration_id: IdChemin, jeton: JetonDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Soumise:
    declaration = await _charger(session, declaration_id, jeton, verrou=True)
    jws = await soumission.soumettre(session, registre, declaration, now=now)
    return Soumise(
        id=declaration.id,
        statut=declaration.statut,
        recepisse=Recepisse(numero=declaration.numero, soumise_le=now, jws=jws),
    )


@router.get(
    "/{declaration_id}",
    summary=("Lire sa déclaration"),
    response_model=DeclarationLue,
    responses=error_responses(JetonGestionInvalide),
    description=(
        "La vue du déclarant : statut, identité, coordonnées, natures, période, versions et pièces "
        "(métadonnées). Sans effet."
    ),
)
async def lire(
    declaration_id: IdChemin, jeton: JetonDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> DeclarationLue:
    declaration = await _charger(session, declaration_id, jeton)
    return await vue.vue(session, registre, declaration, now)


class RecepisseEmis(BaseModel):
    jws: str = Field(description="Le récépissé scellé (JWS compact) tel qu'émis à la soumission.")
    sha256: str = Field(description="SHA-256 (hex) du JWS, inscrit dans la feuille `declaration.soumise`.")


@router.get(
    "/{declaration_id}/recepisse",
    summary=("Relire le récépissé de sa déclaration, tel qu'émis"),
    response_model=RecepisseEmis,
    responses=error_responses(JetonGestionInvalide, Introuvable),
    description=(
        "Le récépissé est émis une fois, à la soumission, et rendu ensuite à l'identique (jamais scellé "
        "à nouveau) ; son SHA-256 est inscrit au journal du registre. 404 `introuvable` avant la "
        "soumission (ou pour une déclaration soumise avant que le récépissé soit conservé)."
    ),
)
async def recepisse(declaration_id: IdChemin, jeton: JetonDep, session: SessionDep) -> RecepisseEmis:
    declaration = await _charger(session, declaration_id, jeton)
    if declaration.recepisse_jws is None:
        raise Introuvable("Aucun récépissé conservé pour cette déclaration.")
    jws = declaration.recepisse_jws
    return RecepisseEmis(jws=jws, sha256=hashlib.sha256(jws.encode("ascii")).hexdigest())


@router.get(
    "/{declaration_id}/recepisse.pdf",
    summary="Le récépissé en PDF scellé",
    response_class=Response,
    responses={
        **fichier("application/pdf", description="Le récépissé, scellé par le cachet PAdES de la plateforme"),
        **error_responses(JetonGestionInvalide, Introuvable, SceauIndisponible),
    },
    description=(
        "Le récépissé émis à la soumission mis en page (numéro, instant dans l'heure légale du déclarant, "
        "natures, période, version et empreinte des dispositions légales, le JWS en entier) et scellé à "
        "l'instant de la demande. 404 `introuvable` avant la soumission ; 503 `sceau-indisponible` sans "
        "cachet configuré. "
        "Sans effet."
    ),
)
async def recepisse_pdf(
    declaration_id: IdChemin, jeton: JetonDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    declaration = await _charger(session, declaration_id, jeton)
    if declaration.recepisse_jws is None:
        raise Introuvable("Aucun récépissé conservé pour cette déclaration.")
    fuseau = (await repository.version_courante(session, declaration)).fuseau
    pdf = await recepisse_pdf_scelle(registre, declaration, fuseau, now=now)
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store"})


@router.post(
    "/{declaration_id}/revocation",
    summary=("Révoquer le consentement"),
    response_model=Revoquee,
    responses=error_responses(DejaRevoquee, EtatIncompatible, JetonGestionInvalide),
    description=(
        "Révoque la déclaration à l'instant de la requête : tout envoi postérieur est refusé "
        "(`consentement-absent`, motif `revoque`), y compris un envoi déjà programmé. Les significations "
        "faites avant restent valables. La déclaration est détruite cinq ans après (seule une empreinte "
        "reste au journal)."
    ),
)
async def revoquer(
    declaration_id: IdChemin, jeton: JetonDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Revoquee:
    declaration = await _charger(session, declaration_id, jeton, verrou=True)
    await service.revoquer(session, registre, declaration, now=now, acteur="declarant")
    return Revoquee(id=declaration.id, statut="revoquee", revoquee_le=now)


@router.post(
    "/{declaration_id}/versions",
    summary=("Changer ses coordonnées"),
    status_code=201,
    response_model=VersionLue,
    responses={
        202: {"model": ContactEnAttenteLu, "description": "Nouvelle adresse : code envoyé, rien n'a changé"},
        **error_responses(EtatIncompatible, JetonGestionInvalide),
    },
    description=(
        "Même adresse électronique (mobile seul) : la nouvelle version, 201. Nouvelle adresse : 202, "
        "un code part vers elle et rien ne change tant qu'il ne revient pas (`POST "
        ".../versions/confirmation`) ; les avis continuent d'aller à l'adresse déclarée."
    ),
)
async def changer_contact(
    declaration_id: IdChemin,
    corps: ContactChange,
    jeton: JetonDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> VersionLue | JSONResponse:
    """New contact details. Same e-mail address (mobile only): the new version, 201. A new e-mail
    address: 202, a code goes to that address and nothing changes until it comes back through
    `POST /{id}/versions/confirmation`; avis keep going to the declared address meanwhile."""
    declaration = await _charger(session, declaration_id, jeton, verrou=True)
    resultat = await contact.changer_contact(session, registre, declaration, corps, now=now)
    if isinstance(resultat, contact.ContactEnAttente):
        lu = ContactEnAttenteLu(email=resultat.email, code_expire_le=resultat.code_expire_le)
        return JSONResponse(lu.model_dump(mode="json"), status_code=202)
    return VersionLue.model_validate(resultat, from_attributes=True)


@router.post(
    "/{declaration_id}/versions/confirmation",
    summary=("Confirmer la nouvelle adresse électronique"),
    status_code=201,
    response_model=VersionLue,
    responses=error_responses(CodeInvalide, EtatIncompatible, JetonGestionInvalide),
    description=(
        "Le code envoyé à la nouvelle adresse : le changement en attente devient la nouvelle version de "
        "la déclaration, et les avis partent désormais vers cette adresse."
    ),
)
async def confirmer_contact(
    declaration_id: IdChemin,
    corps: Code,
    jeton: JetonDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> VersionLue:
    """The code sent to the new e-mail address: the waiting contact change becomes the new version."""
    declaration = await _charger(session, declaration_id, jeton, verrou=True)
    version = await contact.confirmer_contact(session, registre, declaration, corps.code, now=now)
    return VersionLue.model_validate(version, from_attributes=True)
