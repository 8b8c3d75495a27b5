"""Destinataire accounts: argon2id password chosen at declaration, e-mail proven by code, sign-in with
password + one-time code, lock-out, reset, and the signed destinataire tokens the coffre accepts."""
