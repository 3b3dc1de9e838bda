"""Continuity with last year (design §10): warnings where this year's 工程表 does not carry on from last year's.

Each warning is a catalogue issue on the cell of this year's value (so it can go on the feedback copy) and quotes
last year's value with where it came from: 平成27年度（2015年度）最終, the file, the cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline.contract.eras import fiscal_year_label
from pipeline.contract.layout import label_of
from pipeline.history.identity import (
    Identity,
    key_text,
    normalised_name,
    resolve,
    to_confirm,
    where,
)
from pipeline.history.lineage import IndicatorRename, LineageRow
from pipeline.history.store import latest_of_year
from pipeline.model import Code, DivisionKey, Issue, make_issue

BLANK = "空欄"
# The columns of the indicators tables the checks read (iterating rows of all 70-odd columns is what costs).
_USED = (
    "file",
    "sheet",
    "fiscal_year",
    "stage",
    "division_id",
    "indicator_id",
    "name",
    "name_cell",
    "unit",
    *(f"{key}{part}" for key in ("start", "actual", "long_term_target") for part in ("", "_text", "_cell")),
    "long_term_as_of",
    "long_term_as_of_fiscal_year",
    "long_term_as_of_cell",
)


@dataclass(frozen=True)
class Comparison:
    """This year against the history: identities, this year's tables with their identity keys, and the findings."""

    identity: Identity
    divisions: pl.DataFrame  # this year's, with division_id
    indicators: pl.DataFrame  # this year's, with division_id and indicator_id
    last_divisions: pl.DataFrame  # the previous fiscal year's latest stage, with division_id
    last_indicators: pl.DataFrame
    warnings: tuple[Issue, ...]  # continuity, on this year's cells
    to_confirm: tuple[Issue, ...]  # identity questions for the planning office (継続性の確認)


def compare(
    history_divisions: pl.DataFrame,
    history_indicators: pl.DataFrame,
    divisions: pl.DataFrame,
    indicators: pl.DataFrame,
    fiscal_year: int,
    lineage: Sequence[LineageRow] = (),
    renames: Sequence[IndicatorRename] = (),
) -> Comparison:
    """Compare this year's merged divisions and indicators with the latest stage of the previous recorded year.

    ``history_*`` are `store.load` tables; rows of ``fiscal_year`` itself in them are ignored (this year's merge
    replaces them). The previous year is the latest fiscal year before this one that the history holds.
    """
    this_divisions = divisions.with_columns(fiscal_year=pl.lit(fiscal_year, pl.Int64))
    this_indicators = indicators.with_columns(fiscal_year=pl.lit(fiscal_year, pl.Int64))
    earlier = history_divisions.filter(pl.col("fiscal_year") < fiscal_year) if history_divisions.height else None
    previous = earlier["fiscal_year"].max() if earlier is not None and earlier.height else None
    if isinstance(previous, int) and earlier is not None:
        last_divisions = latest_of_year(earlier, previous)
        last_indicators = latest_of_year(history_indicators, previous)
        known = earlier
    else:  # no earlier year: nothing to compare with
        last_divisions, last_indicators, known = this_divisions.clear(), this_indicators.clear(), this_divisions.clear()
    columns = ["fiscal_year", "division_code", "department", "division"]
    identity = resolve(pl.concat([known.select(columns), this_divisions.select(columns)]), lineage, renames)
    this_divisions, this_indicators = identity.annotate(this_divisions), identity.annotate(this_indicators)
    last_divisions, last_indicators = identity.annotate(last_divisions), identity.annotate(last_indicators)
    warnings = check(identity, last_divisions, last_indicators, this_divisions, this_indicators)
    confirm = to_confirm(identity, fiscal_year, last_indicators, this_indicators) if previous is not None else []
    return Comparison(
        identity, this_divisions, this_indicators, last_divisions, last_indicators, tuple(warnings), tuple(confirm)
    )


def check(
    identity: Identity,
    last_divisions: pl.DataFrame,
    last_indicators: pl.DataFrame,
    divisions: pl.DataFrame,
    indicators: pl.DataFrame,
) -> list[Issue]:
    """Continuity warnings of this year against last year; all four tables annotated (`Identity.annotate`).

    年度当初値 against last year's 実績, 長期的目標値 and its year against last year's, indicators new and dropped
    (in divisions that reported both years), and divisions that reported last year and are missing now (unless
    the lineage split them).
    """
    if last_divisions.is_empty():
        return []
    indicators = indicators.select(c for c in _USED if c in indicators.columns)
    last_indicators = last_indicators.select(c for c in _USED if c in last_indicators.columns)
    last_year = int(last_divisions["fiscal_year"][0])
    last_by_id = {row["indicator_id"]: row for row in last_indicators.iter_rows(named=True) if row["indicator_id"]}
    last_lines = set(last_divisions["division_id"].drop_nulls())
    this_lines = set(divisions["division_id"].drop_nulls())
    this_ids = set(indicators["indicator_id"].drop_nulls())
    out: list[Issue] = []
    for row in indicators.iter_rows(named=True):
        last = last_by_id.get(row["indicator_id"])
        if last is not None:
            out.extend(_value_changes(row, last))
        elif row["division_id"] in last_lines:
            out.append(
                _issue(
                    row,
                    Code.INDICATOR_NEW,
                    "name",
                    found=row["name"],
                    last_year=fiscal_year_label(last_year),
                    field="指標名",
                )
            )
    division_row = {row["division_id"]: row for row in divisions.iter_rows(named=True)}
    for last in last_indicators.iter_rows(named=True):
        if last["indicator_id"] in this_ids or last["division_id"] not in this_lines:
            continue
        here = division_row[last["division_id"]]
        out.append(
            make_issue(
                Code.INDICATOR_DROPPED,
                file=here["file"],
                sheet=here["sheet"] or "",
                cell=here["division_cell"] or "",
                field="測定指標",
                found=last["name"],
                quote=False,
                last=_shown(last, "actual"),
                where=where(last, "actual_cell"),
            )
        )
    split = {p for line in identity.lines.values() if line.names[0][0] > last_year for p in line.predecessors}
    for last in last_divisions.unique("division_id", keep="first", maintain_order=True).iter_rows(named=True):
        if last["division_id"] in this_lines or last["division_id"] in split:
            continue
        key = DivisionKey(last["division_code"], last["department"] or "", last["division"] or "")
        out.append(
            make_issue(
                Code.DIVISION_MISSING,
                field="所属名",
                found=key_text(key),
                quote=False,
                where=where(last, "division_cell"),
            )
        )
    return out


def _value_changes(row: dict[str, Any], last: dict[str, Any]) -> Iterable[Issue]:
    """年度当初値 against last year's 実績; 長期的目標値 and its year against last year's."""
    start, last_actual = _value(row, "start"), _value(last, "actual")
    if start is not None and last_actual is not None and not _same(start, last_actual):
        yield _issue(row, Code.START_DIFFERS_FROM_LAST_ACTUAL, "start", found=_shown(row, "start"), last_row=last)
    target, last_target = _value(row, "long_term_target"), _value(last, "long_term_target")
    if last_target is not None and (target is None or not _same(target, last_target)):
        yield _issue(
            row,
            Code.LONG_TERM_TARGET_CHANGED,
            "long_term_target",
            found=_shown(row, "long_term_target"),
            last_row=last,
            last=_shown(last, "long_term_target"),
        )
    year, last_year = row.get("long_term_as_of_fiscal_year"), last.get("long_term_as_of_fiscal_year")
    if last_year is not None and year != last_year:
        yield _issue(
            row,
            Code.LONG_TERM_YEAR_CHANGED,
            "long_term_as_of",
            found=row.get("long_term_as_of") or BLANK,
            last_row=last,
            last=last.get("long_term_as_of") or fiscal_year_label(int(last_year)),
        )


def _issue(
    row: dict[str, Any],
    code: Code,
    key: str,
    *,
    found: str,
    last_row: dict[str, Any] | None = None,
    field: str | None = None,
    **params: Any,
) -> Issue:
    """An issue on this year's cell of ``key``, quoting last year's value and its cell when given."""
    if last_row is not None:
        params.setdefault("last", _shown(last_row, "actual"))
        last_key = "actual" if code is Code.START_DIFFERS_FROM_LAST_ACTUAL else key
        params["where"] = where(last_row, f"{last_key}_cell")
    return make_issue(
        code,
        file=row["file"],
        sheet=row["sheet"] or "",
        cell=row.get(f"{key}_cell") or "",
        field=field or label_of(f"indicators.{key}"),
        found=found,
        quote=False,
        **params,
    )


def _value(row: dict[str, Any], key: str) -> float | str | None:
    """The number of a value column, else its qualitative text, else None (blank)."""
    number = row.get(key)
    if number is not None:
        return float(number)
    text = row.get(f"{key}_text")
    return normalised_name(text) if text else None


def _same(a: float | str, b: float | str) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def _number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def _shown(row: dict[str, Any], key: str) -> str:
    """A value as it is quoted in a message: 1,200人, the text as typed, or 空欄."""
    number = row.get(key)
    if number is not None:
        return f"{_number(float(number))}{row.get('unit') or ''}"
    return row.get(f"{key}_text") or BLANK
