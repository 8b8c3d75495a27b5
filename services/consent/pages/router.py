"""The consent service's pages (HTML, French), one module per page family; this module gathers
their routers in the order their paths must be matched (fixed paths before `/espace/{declaration_id}`).

- `declaration`: the home page `/` and the declaration's steps (form, code, proofs, récépissé);
- `connexion`: signing in to the personal space, the forgotten password, the list of declarations;
- `passage`: the way in from the destinataire's space (`/coffre/retrait`) without a second sign-in;
- `espace`: one declaration's space (data, history, contact change, revocation);
- `rectification`: rectifying the identity or domicile with new proofs (reviewed by the operator).
"""

from __future__ import annotations

from fastapi import APIRouter

from services.consent.pages import connexion, declaration, espace, passage, rectification
from services.consent.pages.declaration import accueil

router = APIRouter(include_in_schema=False)
router.include_router(declaration.router)
router.include_router(connexion.router)
router.include_router(passage.router)
router.include_router(espace.router)
router.include_router(rectification.router)

__all__ = ["accueil", "router"]
