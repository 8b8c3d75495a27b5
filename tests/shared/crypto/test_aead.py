from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from shared.crypto import aead
from shared.crypto.aead import DataKey, DecryptionError, LocalKeyProvider, MasterKey
from shared.db import make_engine

SECRET_2025 = SecretStr("s" * 43)
SECRET_2026 = SecretStr("t" * 43)
CONTEXT = "consent/declarations/42/nom"


@pytest.fixture
def dek() -> DataKey:
    return DataKey.generate()


def test_round_trip_and_fresh_nonces(dek: DataKey) -> None:
    first = aead.encrypt_text(dek, "Jean Dupont", context=CONTEXT)
    second = aead.encrypt_text(dek, "Jean Dupont", context=CONTEXT)
    assert first != second
    assert first[0] == 1  # version byte
    assert len(first) == 1 + 12 + len("Jean Dupont") + 16
    assert aead.decrypt_text(dek, first, context=CONTEXT) == "Jean Dupont"
    assert aead.decrypt(dek, aead.encrypt(dek, b"", context=b"ctx"), context=b"ctx") == b""


def test_every_flipped_byte_is_detected(dek: DataKey) -> None:
    envelope = aead.encrypt(dek, b"12 rue de la Paix", context=CONTEXT)
    for position in range(len(envelope)):
        tampered = bytearray(envelope)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            aead.decrypt(dek, bytes(tampered), context=CONTEXT)


@pytest.mark.parametrize("cut", [0, 1, 13, 28])
def test_truncated_envelopes_fail(dek: DataKey, cut: int) -> None:
    envelope = aead.encrypt(dek, b"x", context=CONTEXT)
    with pytest.raises(DecryptionError):
        aead.decrypt(dek, envelope[:cut], context=CONTEXT)


def test_moved_ciphertext_or_wrong_key_fails(dek: DataKey) -> None:
    envelope = aead.encrypt(dek, b"Jean", context="consent/declarations/42/nom")
    with pytest.raises(DecryptionError):
        aead.decrypt(dek, envelope, context="consent/declarations/43/nom")
    with pytest.raises(DecryptionError):
        aead.decrypt(dek, envelope, context="consent/declarations/42/prenoms")
    with pytest.raises(DecryptionError):
        aead.decrypt(DataKey.generate(), envelope, context="consent/declarations/42/nom")


def test_invalid_utf8_plaintext_is_the_same_opaque_error(dek: DataKey) -> None:
    envelope = aead.encrypt(dek, b"\xff\xfe", context=CONTEXT)
    with pytest.raises(DecryptionError) as caught:
        aead.decrypt_text(dek, envelope, context=CONTEXT)
    assert str(caught.value) == "déchiffrement impossible"


def test_wrap_unwrap_binds_the_owner() -> None:
    provider = LocalKeyProvider.from_secrets({"2025": SECRET_2025}, current_kid="2025")
    dek, wrapped = provider.new_data_key(context="consent/declarations/42")
    assert aead.wrapped_kid(wrapped) == "2025"
    unwrapped = provider.unwrap(wrapped, context="consent/declarations/42")
    envelope = aead.encrypt(dek, b"secret", context=CONTEXT)
    assert aead.decrypt(unwrapped, envelope, context=CONTEXT) == b"secret"
    with pytest.raises(DecryptionError):
        provider.unwrap(wrapped, context="consent/declarations/43")
    for position in range(len(wrapped)):
        tampered = bytearray(wrapped)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            provider.unwrap(bytes(tampered), context="consent/declarations/42")


def test_rotation_rewraps_without_touching_the_data() -> None:
    old = LocalKeyProvider.from_secrets({"2025": SECRET_2025}, current_kid="2025")
    dek, wrapped = old.new_data_key(context="owner")
    envelope = aead.encrypt(dek, b"Jean", context=CONTEXT)

    rotated = LocalKeyProvider.from_secrets({"2025": SECRET_2025, "2026": SECRET_2026}, current_kid="2026")
    assert rotated.needs_rewrap(wrapped)
    rewrapped = rotated.rewrap(wrapped, context="owner")
    assert aead.wrapped_kid(rewrapped) == "2026"
    assert not rotated.needs_rewrap(rewrapped)

    retired = LocalKeyProvider.from_secrets({"2026": SECRET_2026}, current_kid="2026")
    assert aead.decrypt(retired.unwrap(rewrapped, context="owner"), envelope, context=CONTEXT) == b"Jean"
    with pytest.raises(DecryptionError):
        retired.unwrap(wrapped, context="owner")  # the 2025 key is gone


def test_same_kid_with_another_secret_fails() -> None:
    provider = LocalKeyProvider.from_secrets({"k": SECRET_2025}, current_kid="k")
    _, wrapped = provider.new_data_key(context="owner")
    impostor = LocalKeyProvider.from_secrets({"k": SECRET_2026}, current_kid="k")
    with pytest.raises(DecryptionError):
        impostor.unwrap(wrapped, context="owner")


def test_key_objects_never_show_their_bytes() -> None:
    dek = DataKey(b"\x41" * 32)
    master = MasterKey("2025", b"\x42" * 32)
    provider = LocalKeyProvider.from_secrets({"2025": SecretStr("secret-value-" * 3)}, current_kid="2025")
    for text in (repr(dek), repr(master), repr(provider), str(master)):
        assert "AAAA" not in text
        assert "BBBB" not in text
        assert "secret-value" not in text
    assert "redacted" in repr(dek)
    assert "2025" in repr(master)


def test_configuration_errors() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        MasterKey.from_secret("k", SecretStr("too short"))
    with pytest.raises(ValueError, match="key id"):
        MasterKey("bad kid!", b"\x00" * 32)
    with pytest.raises(ValueError, match="not among"):
        LocalKeyProvider([MasterKey("a", b"\x00" * 32)], current_kid="b")
    with pytest.raises(ValueError, match="duplicate"):
        LocalKeyProvider([MasterKey("a", b"\x00" * 32), MasterKey("a", b"\x01" * 32)], current_kid="a")
    with pytest.raises(ValueError, match="32 bytes"):
        DataKey(b"\x00" * 16)


async def test_deleting_the_wrapped_key_row_shreds_the_record(database_url: str) -> None:
    metadata = sa.MetaData()
    keys_table = sa.Table(
        "cles",
        metadata,
        sa.Column("owner", sa.String(36), primary_key=True),
        sa.Column("wrapped", sa.LargeBinary),
    )
    fields = sa.Table(
        "champs",
        metadata,
        sa.Column("owner", sa.String(36), primary_key=True),
        sa.Column("nom", sa.LargeBinary),
    )
    provider = LocalKeyProvider.from_secrets({"2025": SECRET_2025}, current_kid="2025")
    owner = str(uuid.uuid4())
    dek, wrapped = provider.new_data_key(context=f"declarations/{owner}")
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(keys_table.insert().values(owner=owner, wrapped=wrapped))
            nom = aead.encrypt_text(dek, "Jean Dupont", context=f"declarations/{owner}/nom")
            await conn.execute(fields.insert().values(owner=owner, nom=nom))
        del dek

        async with engine.begin() as conn:
            stored_key = (await conn.execute(sa.select(keys_table.c.wrapped))).scalar_one()
            stored_nom = (await conn.execute(sa.select(fields.c.nom))).scalar_one()
        readable = provider.unwrap(stored_key, context=f"declarations/{owner}")
        assert aead.decrypt_text(readable, stored_nom, context=f"declarations/{owner}/nom") == "Jean Dupont"

        async with engine.begin() as conn:  # the purge: only the key row goes
            await conn.execute(keys_table.delete().where(keys_table.c.owner == owner))
            assert (await conn.execute(sa.select(keys_table))).first() is None
            leftover = (await conn.execute(sa.select(fields.c.nom))).scalar_one()
        assert b"Jean" not in leftover
        # Neither a fresh data key nor any other owner's key opens what remains.
        other_dek, _ = provider.new_data_key(context=f"declarations/{owner}")
        with pytest.raises(DecryptionError):
            aead.decrypt_text(other_dek, leftover, context=f"declarations/{owner}/nom")
    finally:
        await engine.dispose()
