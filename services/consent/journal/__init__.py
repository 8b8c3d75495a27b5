"""The registry's verifiable log (RFC 9162 Merkle tree, C2SP checkpoints).

Leaf format: the canonical JSON (UTF-8, sorted keys, no spaces) of an object with `type` (e.g.
`declaration.creee`, `consultation`, `purge`), `le` (RFC 3339 UTC) and ids, hashes and salted
commitments only — never a name, an address, an e-mail or a document. A version's `engagement` is
HMAC-SHA256 keyed by a random 32-byte salt kept inside the version's encrypted envelope: it proves what
was recorded to whoever holds the data, and after the purge (salt shredded) it reveals nothing.
"""
