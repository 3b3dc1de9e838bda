"""Division and indicator identity across fiscal years, from the divisions recorded and the lineage files.

A division keeps one identity (a *line*) from year to year when its 所属コード stays the same (or, without codes,
its 部局名 and 所属名), and through the rows of ``lineage.csv``:

- 改称 (renamed) and 移管 (moved to another 部局): the new division continues the old one's line.
- 統合 (merged, several rows with the same new division): the new division continues every old line, which become
  one line; each predecessor's indicators keep their own history under it (an indicator is its line plus its name).
  Two predecessors with an indicator of the same name are not added up: they are told apart by row order (``#2``)
  and listed for confirmation.
- 分割 (split, several rows with the same old division): each new division starts a new line at the split, linked
  to its predecessor; the predecessor's line ends, so its indicators end there (dropped) and the new divisions'
  indicators start there (new). An indicator continues across a split only when ``indicator_renames.csv`` says so:
  a row in the split's year whose 所属 is the new division and whose 旧指標名 is the predecessor's name.

An indicator's identity is its division's line plus its name, normalised (NFKC, no blanks), with the renames of
``indicator_renames.csv`` followed back to the first name. Line ids look like ``2015:0101`` (the first year and code
of the line, else ``2015:総務部/情報政策課``); they are opaque and stay the same as long as the history's first
year and the lineage do.

Nothing is matched by guesswork: divisions that appear without a lineage row, codes whose name changed without one,
lineage rows that match nothing, and indicator names close to last year's but not equal are listed (`to_confirm`).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipeline.contract.eras import fiscal_year_label
from pipeline.history.lineage import IndicatorRename, LineageRow
from pipeline.model import Code, DivisionKey, Issue, make_issue

SIMILAR_RATIO = 0.8  # difflib ratio from which two different indicator names are listed as possibly the same


# ---------------------------------------------------------------- names and matching


_BLANKS = re.compile(r"\s+")


@functools.lru_cache(maxsize=65536)
def normalised_name(text: str) -> str:
    """The form names are compared in: NFKC (全角 → 半角), every blank removed."""
    return _BLANKS.sub("", unicodedata.normalize("NFKC", text))


def _same_code(a: str, b: str) -> bool:
    return a == b or (a.isdigit() and b.isdigit() and a.lstrip("0") == b.lstrip("0"))


def matches(a: DivisionKey, b: DivisionKey) -> bool:
    """Same division: by code when both have one, else by 所属名 (and 部局名 when both give it)."""
    if a.code and b.code:
        return _same_code(a.code, b.code)
    if not a.division or normalised_name(a.division) != normalised_name(b.division):
        return False
    return not a.department or not b.department or normalised_name(a.department) == normalised_name(b.department)


def key_text(key: DivisionKey) -> str:
    """How a division is quoted in messages: 部局名 所属名（所属コード）."""
    name = " ".join(part for part in (key.department, key.division) if part)
    return f"{name}（{key.code}）" if key.code else name


# ---------------------------------------------------------------- identity


Node = tuple[int, DivisionKey]  # a division as it appears in one fiscal year


@dataclass(frozen=True)
class DivisionLine:
    """One division identity: each year it appears under which name, and the lines it was split from."""

    id: str
    names: tuple[Node, ...]
    predecessors: tuple[str, ...] = ()

    @property
    def current(self) -> DivisionKey:
        """The name of the latest year (of the last of several merged predecessors, in name order)."""
        return self.names[-1][1]

    def former_names(self) -> list[tuple[DivisionKey, int]]:
        """Names used before the current one, each with the last fiscal year it was used, oldest first."""
        out: dict[tuple[str, str], tuple[DivisionKey, int]] = {}
        current = (self.current.department, self.current.division)
        for year, key in self.names:
            if (key.department, key.division) != current:
                out[(key.department, key.division)] = (key, year)
        return sorted(out.values(), key=lambda item: item[1])


@dataclass(frozen=True)
class Identity:
    """Division lines and indicator identities resolved over the fiscal years given, with what to confirm."""

    lines: dict[str, DivisionLine]
    node_lines: dict[Node, str]
    renames: dict[str, tuple[tuple[int, str, str, str | None], ...]]  # line → (year, old, new, predecessor line)
    confirmations: tuple[tuple[int, Issue], ...] = ()  # (fiscal year it concerns, what to confirm)

    def confirmations_of(self, fiscal_year: int) -> list[Issue]:
        """What to confirm about one fiscal year's divisions and the lineage rows that lead to it."""
        return [issue for year, issue in self.confirmations if year == fiscal_year]

    def division_id(self, fiscal_year: int, key: DivisionKey) -> str | None:
        """The line of a division as named in one fiscal year, or None when that year does not have it."""
        exact = self.node_lines.get((fiscal_year, key))
        if exact is not None:
            return exact
        for (year, known), line in self.node_lines.items():
            if year == fiscal_year and matches(known, key):
                return line
        return None

    def indicator_key(self, line: str, fiscal_year: int, name: str) -> tuple[str, str]:
        """(line, first name) of an indicator: its renames followed back, across a split when a rename says so."""
        current = normalised_name(name)
        cursor = fiscal_year
        while True:
            step = next(
                (
                    (year, old, predecessor)
                    for year, old, new, predecessor in self.renames.get(line, ())
                    if year <= cursor and new == current
                ),
                None,
            )
            if step is None:
                return line, current
            cursor, current = step[0] - 1, step[1]
            line = step[2] or line

    def annotate(self, frame: pl.DataFrame, fiscal_year: int | None = None) -> pl.DataFrame:
        """The table with ``division_id`` and, for the indicators table, ``indicator_id``.

        The year comes from the ``fiscal_year`` column, else ``fiscal_year``. The same indicator name twice in one
        division and record (two policies, or two merged predecessors) gets ``#2``, ``#3`` in row order.
        """
        years = frame["fiscal_year"].to_list() if "fiscal_year" in frame.columns else [fiscal_year] * frame.height
        keys = zip(frame["division_code"], frame["department"], frame["division"], strict=True)
        ids = [
            None if year is None else self.division_id(year, DivisionKey(code, department or "", division or ""))
            for year, (code, department, division) in zip(years, keys, strict=True)
        ]
        out = frame.with_columns(division_id=pl.Series(ids, dtype=pl.String))
        if not {"name", "item_no", "actual"} <= set(frame.columns):  # not the indicators table
            return out
        stages = frame["stage"].to_list() if "stage" in frame.columns else [None] * frame.height
        seen: dict[tuple[Any, ...], int] = defaultdict(int)
        indicator_ids: list[str | None] = []
        for year, stage, line, name in zip(years, stages, ids, frame["name"], strict=True):
            if line is None or year is None or not name:
                indicator_ids.append(None)
                continue
            key_line, key_name = self.indicator_key(line, year, name)
            seen[(year, stage, key_line, key_name)] += 1
            n = seen[(year, stage, key_line, key_name)]
            indicator_ids.append(f"{key_line}|{key_name}" + (f"#{n}" if n > 1 else ""))
        return out.with_columns(indicator_id=pl.Series(indicator_ids, dtype=pl.String))


@dataclass
class _Carried:
    """A division carried from earlier years to be matched in the next one."""

    key: DivisionKey
    origins: set[Node]
    from_lineage: bool = False
    matched: bool = False
    rows: list[int] = field(default_factory=list)  # lineage.csv rows that made it


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Node, Node] = {}

    def add(self, node: Node) -> None:
        self.parent.setdefault(node, node)

    def find(self, node: Node) -> Node:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: Node, b: Node) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            first, second = sorted((ra, rb), key=_node_order)
            self.parent[second] = first


def _node_order(node: Node) -> tuple[int, str, str, str]:
    year, key = node
    return (year, key.code or "", key.department, key.division)


def _node_id(node: Node) -> str:
    year, key = node
    return f"{year}:{key.code}" if key.code else f"{year}:{key.department}/{key.division}"


class _Index:
    """Items by division key, found with `matches` without comparing every pair (by code and by 所属名)."""

    def __init__(self) -> None:
        self._by_code: dict[str, list[int]] = defaultdict(list)
        self._by_name: dict[str, list[int]] = defaultdict(list)
        self.keys: list[DivisionKey] = []

    @staticmethod
    def _code(code: str) -> str:
        return code.lstrip("0") if code.isdigit() else code

    def add(self, key: DivisionKey) -> int:
        position = len(self.keys)
        self.keys.append(key)
        if key.code:
            self._by_code[self._code(key.code)].append(position)
        self._by_name[normalised_name(key.division)].append(position)
        return position

    def find(self, key: DivisionKey) -> list[int]:
        """Positions of the items that match ``key``, in the order they were added."""
        candidates = set(self._by_name.get(normalised_name(key.division), ()))
        if key.code:
            candidates.update(self._by_code.get(self._code(key.code), ()))
        return sorted(i for i in candidates if matches(self.keys[i], key))


def _year_nodes(divisions: pl.DataFrame) -> dict[int, list[DivisionKey]]:
    """The divisions of each fiscal year (all stages), one key per division."""
    indexes: dict[int, _Index] = defaultdict(_Index)
    for year, code, department, division in (
        divisions.select("fiscal_year", "division_code", "department", "division")
        .unique(maintain_order=True)
        .iter_rows()
    ):
        key = DivisionKey(code or None, department or "", division or "")
        if not indexes[year].find(key):
            indexes[year].add(key)
    return {year: indexes[year].keys for year in sorted(indexes)}


def resolve(
    divisions: pl.DataFrame, lineage: Sequence[LineageRow] = (), renames: Sequence[IndicatorRename] = ()
) -> Identity:
    """Division lines over every fiscal year of a divisions table (history and this year together).

    ``divisions`` needs ``fiscal_year``, ``division_code``, ``department`` and ``division``.
    """
    by_year = _year_nodes(divisions)
    uf = _UnionFind()
    confirmations: list[tuple[int, Issue]] = []
    split_from: dict[Node, set[Node]] = {}
    carried: list[_Carried] = []
    previous: int | None = None
    for year, keys in by_year.items():
        nodes = [(year, key) for key in keys]
        for node in nodes:
            uf.add(node)
        marks: list[tuple[DivisionKey, set[Node]]] = []
        if previous is not None:
            rows = sorted((r for r in lineage if previous < r.fiscal_year <= year), key=lambda r: r.fiscal_year)
            for row_year in sorted({r.fiscal_year for r in rows}):
                carried, year_marks, unmatched = _apply_rows(carried, [r for r in rows if r.fiscal_year == row_year])
                confirmations.extend((year, issue) for issue in unmatched)
                marks.extend(year_marks)
        index = _Index()
        for carried_entry in carried:
            index.add(carried_entry.key)
        for node in nodes:
            key = node[1]
            entry = next((carried[i] for i in index.find(key) if not carried[i].matched), None)
            if entry is not None:
                entry.matched = True
                for origin in entry.origins:
                    uf.union(node, origin)
                if not entry.from_lineage and key.code and _names(key) != _names(entry.key):
                    confirmations.append(
                        (
                            year,
                            make_issue(
                                Code.DIVISION_RENAMED_WITHOUT_LINEAGE,
                                field="所属名",
                                found=key_text(key),
                                quote=False,
                                year=fiscal_year_label(year),
                                last=key_text(entry.key),
                            ),
                        )
                    )
                continue
            predecessors = {o for k, origins in marks if matches(k, key) for o in origins}
            if predecessors:
                split_from[node] = predecessors
            elif previous is not None:
                issue = make_issue(
                    Code.DIVISION_APPEARED,
                    field="所属名",
                    found=key_text(key),
                    quote=False,
                    year=fiscal_year_label(year),
                )
                confirmations.append((year, issue))
        for entry in carried:
            if entry.from_lineage and not entry.matched:
                issue = make_issue(
                    Code.LINEAGE_ROW_UNMATCHED,
                    field="新所属名",
                    found=key_text(entry.key),
                    quote=False,
                    where=f"{'・'.join(map(str, entry.rows))}行目の新所属",
                )
                confirmations.append((year, issue))
        kept = [c for c in carried if not c.matched and not c.from_lineage]
        carried = [_Carried(node[1], {node}) for node in nodes] + kept
        previous = year

    components: dict[Node, list[Node]] = defaultdict(list)
    for node in uf.parent:
        components[uf.find(node)].append(node)
    node_lines: dict[Node, str] = {}
    lines: dict[str, DivisionLine] = {}
    for root, members in components.items():
        line_id = _node_id(root)
        for member in members:
            node_lines[member] = line_id
    for root, members in components.items():
        line_id = _node_id(root)
        split_lines = sorted({node_lines[o] for m in members for o in split_from.get(m, ())})
        lines[line_id] = DivisionLine(line_id, tuple(sorted(members, key=_node_order)), tuple(split_lines))
    resolved_renames = _resolve_renames(renames, by_year, node_lines, lines, confirmations)
    return Identity(lines, node_lines, resolved_renames, tuple(confirmations))


def _names(key: DivisionKey) -> tuple[str, str]:
    return normalised_name(key.department), normalised_name(key.division)


def _apply_rows(
    carried: list[_Carried], rows: Sequence[LineageRow]
) -> tuple[list[_Carried], list[tuple[DivisionKey, set[Node]]], list[Issue]]:
    """Carry divisions through one year's lineage rows: who continues whom, who was split from whom, and the
    rows whose old division is not carried."""
    unmatched: list[Issue] = []
    removed: set[int] = set()
    continued: list[_Carried] = []
    marks: list[tuple[DivisionKey, set[Node]]] = []
    for row in rows:
        found = [i for i, c in enumerate(carried) if matches(row.old, c.key)]
        if not found:
            unmatched.append(
                make_issue(
                    Code.LINEAGE_ROW_UNMATCHED,
                    field="旧所属名",
                    found=key_text(row.old),
                    quote=False,
                    where=f"{row.line}行目の旧所属",
                )
            )
            continue
        origins = {o for i in found for o in carried[i].origins}
        removed.update(found)
        if row.kind == "分割":
            marks.append((row.new, origins))
            continue
        target = next((c for c in continued if matches(c.key, row.new)), None)
        if target is None:
            target = _Carried(row.new, set(), from_lineage=True)
            continued.append(target)
        target.origins |= origins
        target.rows.append(row.line)
    kept = [c for i, c in enumerate(carried) if i not in removed]
    for entry in continued:  # merged into a division that is carried anyway (統合 into an existing one)
        existing = next((c for c in kept if matches(c.key, entry.key)), None)
        if existing is not None:
            existing.origins |= entry.origins
        else:
            kept.append(entry)
    return kept, marks, unmatched


def _resolve_renames(
    renames: Sequence[IndicatorRename],
    by_year: dict[int, list[DivisionKey]],
    node_lines: dict[Node, str],
    lines: dict[str, DivisionLine],
    confirmations: list[tuple[int, Issue]],
) -> dict[str, tuple[tuple[int, str, str, str | None], ...]]:
    """Indicator renames by line, newest first; a rename in a split-off division's first year crosses the split."""
    out: dict[str, list[tuple[int, str, str, str | None]]] = defaultdict(list)
    for rename in renames:
        wanted = normalised_name(rename.division)
        candidates = [
            key
            for key in by_year.get(rename.fiscal_year, [])
            if (key.code and _same_code(key.code, rename.division)) or normalised_name(key.division) == wanted
        ]
        if len(candidates) != 1:
            issue = make_issue(
                Code.RENAME_ROW_UNMATCHED,
                field="所属",
                found=rename.division,
                quote=False,
                line=rename.line,
                year=fiscal_year_label(rename.fiscal_year),
                problem=f"{len(candidates)}件ある" if candidates else "見つからない",
            )
            confirmations.append((rename.fiscal_year, issue))
            continue
        line = node_lines[(rename.fiscal_year, candidates[0])]
        division_line = lines[line]
        crosses = division_line.names[0][0] == rename.fiscal_year and len(division_line.predecessors) == 1
        predecessor = division_line.predecessors[0] if crosses else None
        out[line].append(
            (rename.fiscal_year, normalised_name(rename.old_name), normalised_name(rename.new_name), predecessor)
        )
    return {line: tuple(sorted(steps, key=lambda s: -s[0])) for line, steps in out.items()}


# ---------------------------------------------------------------- what to confirm between two years


def to_confirm(
    identity: Identity,
    fiscal_year: int,
    last_indicators: pl.DataFrame,
    this_indicators: pl.DataFrame,
    *,
    ratio: float = SIMILAR_RATIO,
) -> list[Issue]:
    """What a person must decide between last year and this year (``fiscal_year``): the identity's own list for this
    year (divisions appearing without a lineage row, codes renamed without one, lineage and rename rows matching
    nothing), indicator names close to last year's but not equal, and one identity on two indicators of one year.

    Both indicator tables are annotated (`Identity.annotate`); each holds one fiscal year and one stage.
    Divisions that disappear are continuity's ``division-missing``.
    """
    out = identity.confirmations_of(fiscal_year)
    last_ids = set(last_indicators["indicator_id"].drop_nulls())
    this_ids = set(this_indicators["indicator_id"].drop_nulls())
    dropped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in last_indicators.filter(~pl.col("indicator_id").is_in(this_ids)).iter_rows(named=True):
        dropped[row["division_id"]].append(row)
    for row in this_indicators.filter(~pl.col("indicator_id").is_in(last_ids)).iter_rows(named=True):
        name = normalised_name(row["name"] or "")
        for old in dropped.get(row["division_id"], []):
            score = difflib.SequenceMatcher(None, normalised_name(old["name"] or ""), name).ratio()
            if score >= ratio:
                out.append(
                    make_issue(
                        Code.INDICATOR_NAME_SIMILAR,
                        file=row["file"],
                        sheet=row["sheet"],
                        cell=row["name_cell"] or "",
                        field="指標名",
                        found=row["name"],
                        quote=False,
                        last_name=old["name"],
                        where=where(old, "name_cell"),
                    )
                )
    out.extend(_duplicates(last_indicators))  # e.g. two merged predecessors with the same indicator name
    out.extend(_duplicates(this_indicators))
    return out


def _duplicates(indicators: pl.DataFrame) -> Iterable[Issue]:
    for row in indicators.filter(pl.col("indicator_id").str.contains("#", literal=True)).iter_rows(named=True):
        yield make_issue(
            Code.INDICATOR_IDENTITY_DUPLICATE,
            file=row["file"],
            sheet=row["sheet"],
            cell=row["name_cell"] or "",
            field="指標名",
            found=row["name"],
            quote=False,
        )


def where(row: dict[str, Any], cell_column: str) -> str:
    """Where a value of a history row came from: 平成27年度（2015年度）最終、file の sheet!cell."""
    cell = row.get(cell_column)
    location = f"{row['sheet']}!{cell}" if cell and row.get("sheet") else row.get("sheet") or ""
    source = f"{row['file']} の {location}" if location else row["file"]
    return f"{fiscal_year_label(int(row['fiscal_year']))}{row.get('stage') or ''}、{source}"
