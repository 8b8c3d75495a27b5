"""Key material as the settings hold it: raw bytes, or a pydantic `SecretStr`/`SecretBytes`."""

from __future__ import annotations

from typing import Protocol


class SecretLike(Protocol):
    def get_secret_value(self) -> str | bytes: ...


KeyMaterial = bytes | SecretLike


def key_bytes(material: KeyMaterial, *, minimum: int, what: str) -> bytes:
    """The secret's bytes (UTF-8 for text), refusing material shorter than `minimum` bytes."""
    value = material if isinstance(material, bytes) else material.get_secret_value()
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(raw) < minimum:
        raise ValueError(f"{what} must be at least {minimum} bytes of secret material, got {len(raw)}")
    return raw
