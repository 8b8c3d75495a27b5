"""Alembic environment of the consent service (run through `signif migrate`)."""

from services.consent.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
