"""Retention purge (legal.md R7, G3): 5 years after revocation (or after `fin`), destroy everything.

`destruction_le` is set when the clock starts: revocation → `date_destruction(day of revocation)`,
acceptance of a fixed-term declaration → `date_destruction(fin)`, rejection → `date_destruction(day of
rejection)` (calendar-exact, 29 February → 28 February). On or after that day (Paris date), the purge
deletes the declaration's versions, proofs, events, idempotency record, its account when the person
has no other declaration, and the wrapped data key (crypto-shredding: any surviving copy of the
encrypted rows, e.g. in a backup, can no longer be opened). Only a log leaf `declaration.purgee` with
the id remains. On SQLite the purge turns `secure_delete` on, so freed pages are zeroed.
"""
