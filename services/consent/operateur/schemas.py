"""The operator's decision, one body for a declaration's review and a rectification's
(`POST /operateur/declarations/{id}/decision` and `.../rectifications/{version}/decision`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


# No docstring: it would become the schema's description in the OpenAPI document.
class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["acceptee", "rejetee"]
    motif: Annotated[str, Field(min_length=1, max_length=1000)]
