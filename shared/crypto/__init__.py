"""Cryptographic primitives: AEAD envelopes, secrets and blind indexes, EdDSA JWS, key files."""
