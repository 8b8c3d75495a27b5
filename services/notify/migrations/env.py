"""Alembic environment of the notify service (run through `signif migrate`)."""

from services.notify.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
