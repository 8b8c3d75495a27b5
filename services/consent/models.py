"""SQLAlchemy models of the consent service (its own database)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.jobs import define_job_tables
from shared.models import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


JOB_TABLES = define_job_tables(Base.metadata)
