"""Merge-like tables for the history tests: small polars frames with the merged tables' real columns and types."""

from __future__ import annotations

from typing import Any

import polars as pl

from pipeline.checks.status import with_status
from pipeline.combine.flatten import columns

_DTYPES = {"str": pl.String, "int": pl.Int64, "float": pl.Float64}


def table(name: str, rows: list[dict[str, Any]], *, stage: str = "最終") -> pl.DataFrame:
    """A merged table with the given rows; columns not given are null; indicators get their status columns."""
    schema = {column: _DTYPES[kind] for column, kind in columns(name).items()}
    unknown = {key for row in rows for key in row} - set(schema)
    assert not unknown, f"not a column of {name}: {unknown}"
    frame = pl.DataFrame([{c: row.get(c) for c in schema} for row in rows], schema=schema, orient="row")
    return with_status(frame, stage) if name == "indicators" else frame


def division(year: int, department: str, name: str, code: str | None = None, **extra: Any) -> dict[str, Any]:
    """One row of the divisions table, with the template's cells."""
    return {
        "file": f"{department}/{name}.xlsx",
        "department": department,
        "division": name,
        "division_code": code,
        "sheet": "基本情報",
        "fiscal_year": year,
        "stage": "最終",
        "division_cell": "C7",
        **extra,
    }


def indicator(
    year: int,
    department: str,
    division_name: str,
    name: str,
    *,
    row: int = 26,
    code: str | None = None,
    stage: str = "最終",
    **values: Any,
) -> dict[str, Any]:
    """One row of the indicators table on 政策1 at the given template row; cells as in the standard template."""
    cells = {
        "name": "B",
        "unit": "D",
        "baseline": "F",
        "start": "H",
        "target": "J",
        "actual": "L",
        "long_term_target": "N",
        "long_term_as_of": "O",
    }
    return {
        "file": f"{department}/{division_name}.xlsx",
        "department": department,
        "division": division_name,
        "division_code": code,
        "sheet": "政策1",
        "policy_no": 1,
        "policy_title": "政策",
        "row": row,
        "item_no": row - 25,
        "fiscal_year": year,
        "stage": stage,
        "name": name,
        "direction": "増加",
        **{f"{key}_cell": f"{letter}{row}" for key, letter in cells.items()},
        **values,
    }
