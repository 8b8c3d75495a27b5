"""The outbox relay: delivers a service's events to notify, at least once.

The relay job POSTs the outbox row to `POST /notify/v1/evenements` with a service token; notify
deduplicates on the event id, so a relay that crashed after notify answered and before the job was
marked done only causes a harmless replay. Any non-2xx answer (or no answer) is retried with backoff
by the job runner. The job's payload carries a copy of the event (written in the same transaction as
the outbox row), so no transaction is open while notify is called: the job's own transaction starts
with the final `relaye_le` update.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from shared.jobs import Handler, JobContext, JobTables, RetryLater
from shared.service_tokens import ServiceTokens


def rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def make_relay_handler(
    tables: JobTables,
    *,
    source: str,
    notify_url: str,
    tokens: ServiceTokens,
    http: httpx.AsyncClient,
) -> Handler:
    async def relay(ctx: JobContext) -> None:
        event_id = str(ctx.payload["event_id"])
        copie = ctx.payload.get("evenement")
        if isinstance(copie, dict):  # written by `emit_event`: no read, so no lock held while calling
            body = _corps(event_id, source, copie["type"], copie["donnees"], copie["cree_le"])
        else:  # a job enqueued before the copy existed
            outbox = tables.outbox
            row = (await ctx.session.execute(select(outbox).where(outbox.c.id == event_id))).one_or_none()
            if row is None:
                return
            body = _corps(event_id, source, row.type, row.donnees, row.cree_le)
        try:
            response = await http.post(
                f"{notify_url}/notify/v1/evenements",
                json=body,
                headers={"Authorization": f"Bearer {tokens.token_for('notify')}"},
            )
        except httpx.HTTPError as exc:
            raise RetryLater(f"notify unreachable: {type(exc).__name__}") from exc
        if response.status_code // 100 != 2:
            raise RetryLater(f"notify answered {response.status_code}")
        outbox = tables.outbox
        await ctx.session.execute(update(outbox).where(outbox.c.id == event_id).values(relaye_le=ctx.now))

    return relay


def _corps(event_id: str, source: str, type_: str, donnees: Any, cree_le: datetime | str) -> dict[str, Any]:
    instant = datetime.fromisoformat(cree_le) if isinstance(cree_le, str) else cree_le
    return {"id": event_id, "type": type_, "source": source, "cree_le": rfc3339(instant), "donnees": donnees}
