"""The JSON Schema of the normalised record (the documented data model), wherever the package is installed."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA_NAME = "submission.schema.json"
# In a source checkout the schema is the repository's schemas/ folder; an installed package carries it as the
# package pipeline.schemas (pyproject maps that folder into the wheel).
_SOURCE = Path(__file__).resolve().parents[2] / "schemas" / SCHEMA_NAME


def schema_text() -> str:
    """The schema's JSON text, from the installed package, else from the source checkout."""
    try:
        return resources.files("pipeline.schemas").joinpath(SCHEMA_NAME).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        return _SOURCE.read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The schema as a mapping."""
    schema: dict[str, Any] = json.loads(schema_text())
    return schema
