"""組織順 (design §7): the order every output shows departments and divisions in, never Unicode order.

The division master's row order (所属コード order when it has codes), else ``departments`` in pipeline.toml,
else the order the divisions first appear in. The merged tables are put in that order once (`arranged`), so that
every output reads them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import polars as pl

from pipeline.combine.merge import MergeResult
from pipeline.model import DivisionKey

# Tables whose rows belong to a division, arranged in 組織順 (their rows within a division keep their order).
ARRANGED_TABLES = ("divisions", "policies", "indicators", "projects", "results", "challenges", "submissions")
_WHO = ("department", "division", "division_code")
_LAST = 1 << 30  # rank of what has no department or division


def _code_key(code: str) -> tuple[int, int, str]:
    """A 所属コード as it sorts: numbers by value (0101 = 101), other codes after them as text."""
    return (0, int(code), code) if code.isdigit() else (1, 0, code)


def roster_in_order(roster: Sequence[DivisionKey]) -> list[DivisionKey]:
    """The master's divisions in 組織順: by 所属コード when it has codes (a division without one stays after the
    row above it), else in its row order."""
    if not any(d.code for d in roster):
        return list(roster)
    keys: list[tuple[tuple[int, int, str] | tuple[()], int]] = []
    last: tuple[int, int, str] | tuple[()] = ()
    for i, division in enumerate(roster):
        if division.code:
            last = _code_key(division.code)
        keys.append((last, i))
    return [roster[i] for _, i in sorted(keys)]


@dataclass(frozen=True)
class OrgOrder:
    """Where a department and a division come in 組織順."""

    departments: dict[str, int]
    by_code: dict[str, int]
    by_name: dict[tuple[str, str], int]
    appeared: dict[tuple[str, str], int]  # divisions not in the master, in the order they first appear

    def department_rank(self, department: str | None) -> int:
        if department is None:
            return _LAST
        return self.departments.get(department, len(self.departments))

    def key(self, department: str | None, division: str | None, code: str | None = None) -> tuple[int, int]:
        """(department's place, division's place): master divisions first, in its order, then the others."""
        place = None
        if code:
            place = self.by_code.get(code.lstrip("0") if code.isdigit() else code)
        if place is None and department is not None and division is not None:
            place = self.by_name.get((department, division))
        if place is None:
            found = self.appeared.get((department or "", division or ""))
            place = _LAST if found is None else len(self.by_name) + found
        return self.department_rank(department), place

    def department_list(self, present: Iterable[str | None]) -> list[str | None]:
        """The departments given, each once, in 組織順."""
        return sorted(dict.fromkeys(present), key=self.department_rank)


def organisation_order(result: MergeResult, departments: Sequence[str] = ()) -> OrgOrder:
    """The 組織順 of this merge: its master (result.roster), else ``departments``, else first appearance."""
    roster = roster_in_order(result.roster)
    ranks: dict[str, int] = {}
    for name in [d.department for d in roster] + list(departments):
        ranks.setdefault(name, len(ranks))
    seen: list[tuple[str, str]] = []
    divisions = result.tables.get("divisions")
    if divisions is not None and {"department", "division"} <= set(divisions.columns):
        for department, division, _code in _codes_first(divisions):
            if department:
                ranks.setdefault(department, len(ranks))
            seen.append((department or "", division or ""))
    for absent in result.not_submitted:
        ranks.setdefault(absent.department, len(ranks))
    by_code: dict[str, int] = {}
    by_name: dict[tuple[str, str], int] = {}
    for i, d in enumerate(roster):
        if d.code:
            by_code.setdefault(d.code.lstrip("0") if d.code.isdigit() else d.code, i)
        by_name.setdefault((d.department, d.division), i)
    appeared = {key: i for i, key in enumerate(dict.fromkeys(k for k in seen if k not in by_name))}
    return OrgOrder(ranks, by_code, by_name, appeared)


def _codes_first(divisions: pl.DataFrame) -> list[tuple[str | None, str | None, str | None]]:
    """The divisions as they first appear; without a master, those with a 所属コード in code order."""
    rows = divisions.select(_WHO).unique(maintain_order=True).rows()
    coded = sorted((r for r in rows if r[2]), key=lambda r: _code_key(str(r[2])))
    if len(coded) == len(rows):
        return coded
    return rows


def rank_frame(frame: pl.DataFrame, order: OrgOrder) -> pl.DataFrame:
    """The frame with ``_dept_rank`` and ``_div_rank`` (its rows' places in 組織順), rows unchanged."""
    present = [c for c in _WHO if c in frame.columns]
    if not frame.height or not {"department", "division"} <= set(present):
        return frame.with_columns(_dept_rank=pl.lit(_LAST, pl.Int64), _div_rank=pl.lit(_LAST, pl.Int64))
    who = frame.select(present).unique(maintain_order=True)
    keys = [order.key(*row) for row in who.iter_rows()]  # few distinct divisions: a lookup each, then a join
    ranks = who.with_columns(
        _dept_rank=pl.Series([k[0] for k in keys], dtype=pl.Int64),
        _div_rank=pl.Series([k[1] for k in keys], dtype=pl.Int64),
    )
    return frame.join(ranks, on=present, how="left", nulls_equal=True, maintain_order="left")


def in_org_order(frame: pl.DataFrame, order: OrgOrder) -> pl.DataFrame:
    """The frame's rows in 組織順, a division's rows in the order they had (the frame itself when they are in that
    order already: a large table is copied once at most, and only its few key columns are ranked)."""
    keys = [c for c in _WHO if c in frame.columns]
    ranked = rank_frame(frame.select(keys), order).with_row_index("_place")
    places = ranked.sort("_dept_rank", "_div_rank", maintain_order=True).get_column("_place")
    return _gathered(frame, places)


def _gathered(frame: pl.DataFrame, places: pl.Series) -> pl.DataFrame:
    """The frame's rows at these places, in this order; the frame itself when that is the order it has."""
    if frame.height < 2 or places.diff().drop_nulls().eq(1).all():
        return frame
    return frame[places]


def arranged(result: MergeResult, departments: Sequence[str] = (), *, consume: bool = False) -> MergeResult:
    """The merge with its tables in 組織順 (errors in the order of their files in submissions) and its
    未提出 divisions in the master's order. With ``consume``, the given result's tables are handed over (its
    table dict is emptied), so that each table in its former order is let go as soon as its copy is made: a large
    merge holds one table twice at most, not all of them."""
    order = organisation_order(result, departments)
    tables = dict(result.tables)
    if consume:
        result.tables.clear()
    for name in ARRANGED_TABLES:
        if name in tables and tables[name].height:
            tables[name] = in_org_order(tables[name], order)
    errors, submissions = tables.get("errors"), tables.get("submissions")
    if errors is not None and submissions is not None and errors.height and "file" in submissions.columns:
        files = {file: i for i, file in enumerate(submissions.get_column("file").to_list())}
        place = pl.col("file").replace_strict(files, default=len(files), return_dtype=pl.Int64)
        places = errors.select(pl.arg_sort_by([place], maintain_order=True)).to_series()
        tables["errors"] = _gathered(errors, places)
    absent = sorted(result.not_submitted, key=lambda d: order.key(d.department, d.division, d.code))
    return replace(result, tables=tables, not_submitted=tuple(absent))
