from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from pydantic import SecretStr

from shared.crypto import tokens

PEPPER = SecretStr("p" * 32)
INDEX_KEY = b"k" * 32


def _reference_hmac(key: bytes, label: bytes, *fields: bytes) -> str:
    """The documented format, written independently: label, then each field length-prefixed."""
    message = label + b"".join(len(f).to_bytes(4, "big") + f for f in fields)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def test_tokens_are_urlsafe_random_and_at_least_128_bits() -> None:
    drawn = {tokens.new_token() for _ in range(200)}
    assert len(drawn) == 200
    for token in drawn:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 bytes, unpadded
    assert len(tokens.new_token(16)) == 22
    with pytest.raises(ValueError, match="at least 16"):
        tokens.new_token(15)


def test_token_hash_is_sha256_and_verifies_in_constant_time() -> None:
    token = tokens.new_token()
    stored = tokens.hash_token(token)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert tokens.verify_token(token, stored)
    assert not tokens.verify_token(token + "x", stored)
    assert not tokens.verify_token(tokens.new_token(), stored)


def test_codes_are_six_zero_padded_digits_covering_the_range() -> None:
    codes = [tokens.new_code() for _ in range(3000)]
    assert all(re.fullmatch(r"\d{6}", c) for c in codes)
    # With 3,000 uniform draws, every leading digit shows up (a bias to e.g. >= 100000 would not).
    assert {c[0] for c in codes} == set("0123456789")
    assert len(tokens.new_code(8)) == 8
    with pytest.raises(ValueError, match="at least 6 digits"):
        tokens.new_code(4)


def test_code_hash_is_peppered_and_bound_to_its_context() -> None:
    stored = tokens.hash_code("004217", pepper=PEPPER, context="lien/1")
    assert stored == _reference_hmac(b"p" * 32, b"signif/code/v1", b"lien/1", b"004217")
    assert tokens.verify_code("004217", stored, pepper=PEPPER, context="lien/1")
    assert not tokens.verify_code("004218", stored, pepper=PEPPER, context="lien/1")
    assert not tokens.verify_code("004217", stored, pepper=PEPPER, context="lien/2")
    assert not tokens.verify_code("004217", stored, pepper=SecretStr("q" * 32), context="lien/1")
    assert stored != hashlib.sha256(b"004217").hexdigest()


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="pepper"):
        tokens.hash_code("123456", pepper=b"short", context="c")
    with pytest.raises(ValueError, match="blind-index key"):
        tokens.blind_index(SecretStr("short"), "v", "d")


def test_blind_index_format_is_pinned() -> None:
    # Stored indexes depend on this exact format: changing it orphans every row.
    index = tokens.blind_index(INDEX_KEY, "jean.dupont@example.fr", "consent/email")
    assert index == "d32c671f5547c5b27c90afd2080a2d79186c072e0b955cc04cbda7cba714f56d"
    assert index == _reference_hmac(
        INDEX_KEY, b"signif/blind-index/v1", b"consent/email", b"jean.dupont@example.fr"
    )


def test_blind_index_separates_domains_keys_and_field_boundaries() -> None:
    value = "0612345678"
    assert tokens.blind_index(INDEX_KEY, value, "consent/mobile") == tokens.blind_index(
        SecretStr("k" * 32), value, "consent/mobile"
    )
    assert tokens.blind_index(INDEX_KEY, value, "consent/mobile") != tokens.blind_index(
        INDEX_KEY, value, "consent/email"
    )
    assert tokens.blind_index(INDEX_KEY, value, "consent/mobile") != tokens.blind_index(
        b"K" * 32, value, "consent/mobile"
    )
    # Without length prefixes these two would hash the same bytes.
    assert tokens.blind_index(INDEX_KEY, "bc", "a") != tokens.blind_index(INDEX_KEY, "c", "ab")
    with pytest.raises(ValueError, match="domain"):
        tokens.blind_index(INDEX_KEY, value, "")


def test_constant_time_equals() -> None:
    assert tokens.constant_time_equals("abc", b"abc")
    assert not tokens.constant_time_equals("abc", "abd")
    assert not tokens.constant_time_equals("abc", "abcd")
