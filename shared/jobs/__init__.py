"""Transactional outbox and durable jobs.

Modules: `tables` (the outbox and jobs tables), `queue` (`enqueue`, `emit_event`, waking at commit),
`runner` (`JobRunner`: claim, lease, run, retry), `waker` (PostgreSQL LISTEN for other processes' commits).

A state change and the event announcing it commit together: `emit_event` writes an outbox row and
the job that relays it in the caller's transaction. Everything that must happen later (scheduled
sendings, end-of-day mode decisions, webhook retries, purges, audits, relays) is a row in `jobs`.

Claiming: one short transaction selects due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so any
number of workers share the table; SQLite serialises writers with BEGIN IMMEDIATE) and leases them
to the worker. The handler then runs in its own transaction, which also marks the job done only if
the lease is still ours: a job's effects and its completion commit atomically, and a worker that
died mid-job leaves a lease that expires and is taken again: leases last `JobRunner.lease_seconds`
(30 s, `SIGNIF_JOBS_BAIL_SECONDES`) and are renewed while the handler runs, so a killed worker's job
is retried within that bound. Leases use the wall clock (they guard against crashed processes); due
dates use the injectable legal clock (so tests travel in time).

A runner runs several claimed jobs at once (`JobRunner.concurrency`), each in its own session and
transaction, so one slow webhook endpoint does not hold the others back. Handlers therefore must not
hold their job's transaction open across a slow call on SQLite (its first statement takes the write
lock): read what they need in a short transaction of their own, call out, then write in `ctx.session`.

Waking: a commit that enqueued a job wakes the runners of the same database in this process at once
(`after_commit`). On PostgreSQL, a transaction that enqueued a job due now (an outbox event's relay
job included) also sends `NOTIFY` on the jobs table's channel (`jobs_channel`) just before it
commits, so other processes' runners (the distributed deployment's workers) hear of it if and when it
commits; each `run_forever` keeps one asyncpg connection of its own LISTENing (`_listen`). Polling
every `interval` remains underneath: a lost notification or connection costs latency, never a job.
"""

from shared.jobs.queue import RELAY_KIND, emit_event, enqueue
from shared.jobs.runner import (
    DEFAULT_CONCURRENCY,
    Handler,
    JobContext,
    JobRunner,
    RetryLater,
    exponential_backoff,
)
from shared.jobs.tables import JobTables, count_jobs, define_job_tables, jobs_channel

__all__ = [
    "DEFAULT_CONCURRENCY",
    "RELAY_KIND",
    "Handler",
    "JobContext",
    "JobRunner",
    "JobTables",
    "RetryLater",
    "count_jobs",
    "define_job_tables",
    "emit_event",
    "enqueue",
    "exponential_backoff",
    "jobs_channel",
]
