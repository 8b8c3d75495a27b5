"""RFC 9457 problem details with stable machine codes.

Every expected failure is a `ServiceError` subclass carrying its HTTP status and a stable `code`
that integrators match on (the codes are part of the API contract). One set of handlers renders
them, plus FastAPI's validation errors and Starlette's routing errors, as
`application/problem+json`; nothing expected ever becomes a 500.
"""

from __future__ import annotations

import email.message
import errno
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.validation_fr import message_fr

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://signif.example/problemes/"
PROBLEME_REF = "#/components/schemas/Probleme"

logger = logging.getLogger("signif.errors")


class ServiceError(Exception):
    """Base of every expected failure: subclasses fix `status_code`, `code` and a French `title`."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "requete-invalide"
    title: ClassVar[str] = "Requête invalide"
    #: A failure that is itself a fact to keep (a wrong code counts an attempt): `Database.transaction`
    #: commits the work done so far before letting the error through, where any other error rolls back.
    commits: ClassVar[bool] = False

    def __init__(self, detail: str | None = None, *, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra: dict[str, Any] = dict(extra or {})

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status_code,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class BadRequest(ServiceError):
    status_code = 400
    code = "requete-invalide"
    title = "Requête invalide"


class Authentification(ServiceError):
    status_code = 401
    code = "authentification"
    title = "Authentification requise"


class Interdit(ServiceError):
    status_code = 403
    code = "interdit"
    title = "Accès interdit"


class Introuvable(ServiceError):
    status_code = 404
    code = "introuvable"
    title = "Ressource introuvable"


class MethodeNonAutorisee(ServiceError):
    status_code = 405
    code = "methode-non-autorisee"
    title = "Méthode non autorisée"


class Conflit(ServiceError):
    status_code = 409
    code = "conflit"
    title = "Conflit avec l'état de la ressource"


class IdempotenceConflit(Conflit):
    code = "idempotence-conflit"
    title = "Clé d'idempotence déjà utilisée avec un autre contenu"


class TropVolumineux(ServiceError):
    status_code = 413
    code = "trop-volumineux"
    title = "Contenu trop volumineux"


class TypeNonSupporte(ServiceError):
    status_code = 415
    code = "type-non-supporte"
    title = "Type de contenu non supporté"


class Unprocessable(ServiceError):
    status_code = 422
    code = "validation"
    title = "Données invalides"


class TropDeRequetes(ServiceError):
    status_code = 429
    code = "trop-de-requetes"
    title = "Trop de tentatives"


class ServiceIndisponible(ServiceError):
    status_code = 503
    code = "indisponible"
    title = "Service momentanément indisponible"


class DelaiDepasse(ServiceError):
    """The client sent its request too slowly (a body trickling in, a connection held open)."""

    status_code = 408
    code = "delai-depasse"
    title = "Requête reçue trop lentement"


class UriTropLongue(ServiceError):
    status_code = 414
    code = "uri-trop-longue"
    title = "Adresse de la requête trop longue"


class EntetesTropVolumineux(ServiceError):
    status_code = 431
    code = "entetes-trop-volumineux"
    title = "En-têtes de la requête trop volumineux"


class ErreurIntegrite(ServiceError):
    """A stored object no longer matches its recorded hash: an alarm, never silent bytes."""

    status_code = 500
    code = "integrite"
    title = "Erreur d'intégrité"


_STATUS_ERRORS: dict[int, type[ServiceError]] = {
    400: BadRequest,
    401: Authentification,
    403: Interdit,
    404: Introuvable,
    405: MethodeNonAutorisee,
    409: Conflit,
    408: DelaiDepasse,
    413: TropVolumineux,
    414: UriTropLongue,
    415: TypeNonSupporte,
    422: Unprocessable,
    429: TropDeRequetes,
    431: EntetesTropVolumineux,
    503: ServiceIndisponible,
}


_DETAILS_FR: dict[int, str] = {
    400: "Le corps de la requête est illisible.",
    405: "Cette méthode n'est pas acceptée à cette adresse.",
}


def problem_response(error: ServiceError, request: Request | None = None) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if isinstance(error, Authentification):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        error.to_problem(request.url.path if request is not None else None),
        status_code=error.status_code,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def champs_invalides(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """pydantic's errors as the `errors` of a problem: the field, a French message, pydantic's type."""
    out: list[dict[str, Any]] = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        # Never echo the rejected input back: it may be a password or personal data.
        out.append({"champ": ".".join(loc), "message": message_fr(err), "type": err.get("type")})
    return out


_FORMULAIRES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _type_attendu(request: Request) -> str | None:
    """The body type the route expects when the request declares another one, else None."""
    route = request.scope.get("route")
    body_field = getattr(route, "body_field", None)
    declared = request.headers.get("content-type")
    if body_field is None or not declared:
        return None
    message = email.message.Message()
    message["content-type"] = declared
    media = message.get_content_type()
    if isinstance(body_field.field_info, params.Form):
        return None if media in _FORMULAIRES else "multipart/form-data"
    subtype = message.get_content_subtype()
    json = message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
    return None if json else "application/json"


async def _service_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ServiceError):  # pragma: no cover - registered for this type only
        raise exc
    if exc.status_code >= 500:
        logger.error("service error", extra={"code": exc.code, "path_template": _route_template(request)})
    return problem_response(exc, request)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # pragma: no cover
        raise exc
    attendu = _type_attendu(request)
    if attendu is not None:
        # The same fault answers the same everywhere: an unsupported body type is 415 (docs/fr/contrat.md).
        declared = request.headers.get("content-type", "").split(";")[0].strip()[:100]
        return problem_response(TypeNonSupporte(f"Corps attendu en {attendu}, reçu {declared}."), request)
    fields = champs_invalides(exc.errors())
    error = Unprocessable("La requête contient des champs invalides.", extra={"errors": fields})
    return problem_response(error, request)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):  # pragma: no cover
        raise exc
    cls = _STATUS_ERRORS.get(exc.status_code, BadRequest if exc.status_code < 500 else ServiceIndisponible)
    # The services raise `ServiceError`s only: an HTTPException comes from the framework, whose English
    # `detail` is replaced by the French title of its status (or a French word for a known case).
    detail = _DETAILS_FR.get(exc.status_code)
    response = problem_response(cls(detail), request)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


class StockagePlein(ServiceError):
    """The local blob volume (or the database's disk) is full: nothing was recorded."""

    status_code = 507
    code = "stockage-plein"
    title = "Espace de stockage insuffisant"


#: OS errors that say a dependency (database, S3 endpoint) cannot be reached right now.
_INJOIGNABLE = {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}


def panne(exc: BaseException) -> ServiceError | None:
    """The problem a failure of a dependency deserves (503 `indisponible`, 507 `stockage-plein`), or
    None for a genuine bug. The database's connection errors (server down, backend terminated,
    connections refused, pool exhausted) and network errors are temporary: the client retries."""
    for cause in _chaine(exc):
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return StockagePlein("L'espace de stockage est insuffisant ; rien n'a été enregistré.")
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return _indisponible()
        if isinstance(cause, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
            return _indisponible()
        if isinstance(cause, ConnectionError | TimeoutError) or (
            isinstance(cause, OSError) and cause.errno in _INJOIGNABLE
        ):
            return _indisponible()
        etat = getattr(cause, "sqlstate", None)
        if isinstance(etat, str) and (etat.startswith("08") or etat in _SQLSTATES_INDISPONIBLE):
            return _indisponible()
        if type(cause).__name__ == "ConnectionDoesNotExistError":  # asyncpg: the backend went away
            return _indisponible()
    return None


#: PostgreSQL SQLSTATEs of a server that cannot serve now (besides class 08, connection exceptions):
#: admin/crash shutdown, cannot connect now, too many connections, a database not accepting
#: connections (55000 on connect) or not there (3D000).
_SQLSTATES_INDISPONIBLE = {"57P01", "57P02", "57P03", "53300", "55000", "3D000"}


def _indisponible() -> ServiceIndisponible:
    return ServiceIndisponible("Une dépendance du service est momentanément injoignable ; réessayez.")


def _chaine(exc: BaseException) -> list[BaseException]:
    vues: list[BaseException] = []
    courant: BaseException | None = exc
    while courant is not None and courant not in vues and len(vues) < 10:
        vues.append(courant)
        orig = getattr(courant, "orig", None)
        courant = orig if isinstance(orig, BaseException) else (courant.__cause__ or courant.__context__)
    return vues


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    erreur = panne(exc)
    if erreur is not None:
        logger.warning(
            "dependency unavailable",
            extra={
                "code": erreur.code,
                "error": type(exc).__name__,
                "path_template": _route_template(request),
            },
        )
        reponse = problem_response(erreur, request)
        reponse.headers["Retry-After"] = "5"
        return reponse
    logger.exception("unexpected error", extra={"path_template": _route_template(request)})
    body = {
        "type": TYPE_BASE + "erreur-interne",
        "title": "Erreur interne",
        "status": 500,
        "detail": "Une erreur interne est survenue ; elle a été journalisée.",
        "code": "erreur-interne",
    }
    return JSONResponse(body, status_code=500, media_type=PROBLEM_JSON)


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "<unmatched>"))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


def probleme_de(erreur: type[ServiceError]) -> dict[str, Any]:
    """The problem body of `erreur` as its handler renders it (the detail being its title)."""
    return {
        "type": TYPE_BASE + erreur.code,
        "title": erreur.title,
        "status": erreur.status_code,
        "detail": erreur.title,
        "code": erreur.code,
    }


def description_refus(exemples: Mapping[str, Any]) -> str:
    return "Refus : " + " ; ".join(f"`{code}` — {e['value']['title']}" for code, e in exemples.items())


def error_responses(*errors: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem codes a route can return: one
    `application/problem+json` response per status, one named example per code, all built from the
    classes (`shared.openapi` adds those the route's shape implies)."""
    by_status: dict[int, dict[str, Any]] = {}
    for err in errors:
        exemple = {"summary": err.title, "value": probleme_de(err)}
        by_status.setdefault(err.status_code, {}).setdefault(err.code, exemple)
    return {
        status: {
            "description": description_refus(exemples),
            "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEME_REF}, "examples": exemples}},
        }
        for status, exemples in by_status.items()
    }
