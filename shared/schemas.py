"""Response bodies every service shares: health, JWKS (RFC 7517 / RFC 8037 Ed25519 keys)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"


class Jwk(BaseModel):
    """A public Ed25519 key (RFC 8037); `kid` is its RFC 7638 thumbprint."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": "Une clé publique Ed25519 (RFC 8037) ; `kid` : son empreinte RFC 7638."
        },
    )

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str = Field(description="La clé publique, base64url sans remplissage.")
    kid: str
    use: Literal["sig"]
    alg: Literal["EdDSA"]


class Jwks(BaseModel):
    """A JWK set: the keys in force and those retired (signatures made with them stay verifiable)."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Un jeu de clés (JWKS) : celles en vigueur et celles retirées, dont les "
            "signatures restent vérifiables.",
            "examples": [
                {
                    "keys": [
                        {
                            "kty": "OKP",
                            "crv": "Ed25519",
                            "x": _X,
                            "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
                            "use": "sig",
                            "alg": "EdDSA",
                        }
                    ]
                }
            ],
        }
    )

    keys: list[Jwk]


class Sante(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"statut": "ok", "service": "coffre"}]})

    statut: Literal["ok", "pret"]
    service: str
