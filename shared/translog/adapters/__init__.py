"""Fast paths of the log store, each replacing one write of `shared.translog.reference` on one engine.

- `asyncpg`: on PostgreSQL, a batch's rows in one statement, and the post-commit integration on the
  asyncpg driver directly (four round trips, statements compiled once, one kept connection).
- `sqlite`: on SQLite, a queued leaf is appended in the caller's transaction at once.

`TransparencyLog(adapters=False)` runs the reference alone; the property tests
(`tests/shared/translog/test_adapters.py`) require both to store identical logs.
"""
