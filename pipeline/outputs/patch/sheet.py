"""One marked worksheet: which cells get which marks, and their cell formats (missing cells inserted in order)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from pipeline.contract.cells import address, column_number
from pipeline.model import Issue
from pipeline.outputs.marks import (
    SEVERITY_LABELS,
    _by_severity,
    _parse_cell,
)
from pipeline.outputs.patch.book import _Sheet
from pipeline.outputs.patch.comments import _comment
from pipeline.outputs.patch.common import _MAX_MARKED_AREA, PatchError
from pipeline.outputs.patch.package import (
    _attr,
    _attrs,
    _cell_of,
    _Package,
    _root_prefix,
    _set_attr,
    _start,
)
from pipeline.outputs.patch.styles import _Styles


@dataclass(frozen=True)
class _Area:
    """A marked cell, or the merged range that holds it, with the issues on it."""

    first: tuple[int, int]
    last: tuple[int, int]
    issues: tuple[Issue, ...]


def _plan(
    package: _Package, sheets: Sequence[_Sheet], issues: Iterable[Issue]
) -> tuple[dict[str, dict[tuple[int, int], _Area]], set[tuple[str, str]]]:
    """Group the issues by sheet and marked area; return the groups and the (sheet, cell) pairs that exist."""
    parts = {sheet.name: sheet.part for sheet in sheets if sheet.part}
    merges: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    groups: dict[str, dict[tuple[tuple[int, int], tuple[int, int]], list[Issue]]] = {}
    placed: set[tuple[str, str]] = set()
    for issue in issues:
        part = parts.get(issue.sheet) if issue.sheet else None
        where = _parse_cell(issue.cell) if part else None
        if part is None or where is None:
            continue
        if issue.sheet not in merges:
            merges[issue.sheet] = _merged_ranges(package.text(part))
        area = next(
            ((a, b) for a, b in merges[issue.sheet] if a[0] <= where[0] <= b[0] and a[1] <= where[1] <= b[1]),
            (where, where),
        )
        groups.setdefault(issue.sheet, {}).setdefault(area, []).append(issue)
        placed.add((issue.sheet, issue.cell))
    marks = {
        sheet: {a: _Area(a, b, tuple(found)) for (a, b), found in areas.items()} for sheet, areas in groups.items()
    }
    return marks, placed


_MERGE_REF = re.compile(r"<(?:\w+:)?mergeCell\s[^>]*?ref\s*=\s*[\"']\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?[\"']")


def _merged_ranges(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    found: list[tuple[tuple[int, int], tuple[int, int]]] = []
    start = text.find("mergeCells")
    if start < 0:
        return found
    for first_col, first_row, last_col, last_row in _MERGE_REF.findall(text, start - 10):
        a = (int(first_row), column_number(first_col))
        b = (int(last_row), column_number(last_col)) if last_row else a
        if a[0] > b[0] or a[1] > b[1]:  # written bottom-right first
            a, b = (min(a[0], b[0]), min(a[1], b[1])), (max(a[0], b[0]), max(a[1], b[1]))
        found.append((a, b))
    return found


def _patch_sheet(
    package: _Package,
    styles: _Styles,
    part: str,
    areas: dict[tuple[int, int], _Area],
    clear: frozenset[int],
) -> None:
    """Mark the areas of one worksheet and clear the marks of an earlier annotation."""
    text = package.text(part)
    p = _root_prefix(text, "worksheet")
    targets: dict[tuple[int, int], str] = {}
    for area in areas.values():
        severity = "warning" if all(issue.severity == "warning" for issue in area.issues) else "error"
        last = area.last
        if (last[0] - area.first[0] + 1) * (last[1] - area.first[1] + 1) > _MAX_MARKED_AREA:
            last = area.first  # a huge merged area: Excel paints it with its first cell's fill alone
        for row in range(area.first[0], last[0] + 1):
            for col in range(area.first[1], last[1] + 1):
                targets[(row, col)] = severity
    if targets or clear:
        text = _restyle(text, p, styles, targets, clear)
    notes = {first: _note_text(area.issues) for first, area in areas.items()}
    text = _comment(package, part, text, p, notes)
    if text != package.text(part):
        package.put(part, text)


def _note_text(issues: Sequence[Issue]) -> str:
    return "\n".join(f"【{SEVERITY_LABELS[issue.severity]}】{issue.message}" for issue in _by_severity(issues))


def _restyle(text: str, p: str, styles: _Styles, targets: dict[tuple[int, int], str], clear: frozenset[int]) -> str:
    """Give the target cells their mark's format and cleared cells theirs back, inserting cells that are missing."""
    data = _start(p, "sheetData").search(text)
    if data is None:
        raise PatchError("worksheet without sheetData")
    if data[0].endswith("/>"):
        text = f"{text[: data.start()]}{data[0][:-2].rstrip()}></{p}sheetData>{text[data.end() :]}"
        data = _start(p, "sheetData").search(text)
        assert data is not None
    end = text.find(f"</{p}sheetData>", data.end())
    if end < 0:
        raise PatchError("sheetData without its end tag")
    column_styles = _ColumnStyles(text[: data.start()], p)
    by_row: dict[int, dict[int, str]] = {}
    for (row, col), severity in targets.items():
        by_row.setdefault(row, {})[col] = severity
    pending = sorted(by_row)
    cleared = _cleared_positions(text, data.end(), end, clear)
    row_end = f"</{p}row>"
    out: list[str] = [text[: data.end()]]
    position, implicit = data.end(), 0
    bounds: list[tuple[int, int]] = []

    def new_row(row: int) -> str:
        cells = "".join(
            f'<{p}c r="{address(row, col)}" s="{styles.marked(column_styles.get(col, 0), sev)}"/>'
            for col, sev in sorted(by_row[row].items())
        )
        bounds.extend((row, col) for col in by_row[row])
        return f'<{p}row r="{row}">{cells}</{p}row>'

    # Only start tags are matched (writers put r first): a row is read further only when it changes.
    for match in _row_start(p).finditer(text, data.end(), end):
        start = match[0]
        number = match[1] or _attr(start, "r")
        row = int(number) if number.isdigit() else implicit + 1
        implicit = row
        while pending and pending[0] < row:
            out += [text[position : match.start()], new_row(pending.pop(0))]
            position = match.start()
        if not cleared and row not in by_row and number.isdigit():
            continue
        empty = start.endswith("/>")
        close = match.end() if empty else text.find(row_end, match.end(), end)
        if close < 0:
            raise PatchError("row without its end tag")
        wanted = by_row.get(row, {})
        if pending and pending[0] == row:
            pending.pop(0)
        has_cleared = bool(cleared) and bisect.bisect_left(cleared, match.end()) < bisect.bisect_left(cleared, close)
        if not wanted and not has_cleared and number.isdigit():
            continue
        out.append(text[position : match.start()])
        position = close if empty else close + len(row_end)
        if not number.isdigit():
            start = _set_attr(start, "r", str(row))
        if not wanted and not has_cleared:
            out.append(text[match.start() : position].replace(match[0], start, 1))
            continue
        base = int(_attr(start, "s", "0")) if _attr(start, "customFormat") in ("1", "true") else None
        body = "" if empty else text[match.end() : close]
        cells, inserted = _restyle_row(body, row, p, styles, wanted, clear, base, column_styles)
        bounds.extend((row, col) for col in inserted)
        if inserted:
            start = _set_attr(start, "spans", None)
        if empty:
            start = start[:-2].rstrip() + ">"
        out.append(f"{start}{cells}</{p}row>")
    out.append(text[position:end])
    out.extend(new_row(row) for row in pending)
    out.append(text[end:])
    text = "".join(out)
    return _widen_dimension(text, p, bounds) if bounds else text


@cache
def _row_start(p: str) -> re.Pattern[str]:
    return re.compile(rf"<{re.escape(p)}row(?=[\s/>])(?:\s+r\s*=\s*[\"'](\d+)[\"'])?[^>]*>")


def _cleared_positions(text: str, start: int, end: int, clear: frozenset[int]) -> list[int]:
    """Where cells with a marked format stand in sheetData (sorted), to tell the rows that need clearing."""
    if not clear:
        return []
    pattern = re.compile(r"\ss\s*=\s*[\"'](?:" + "|".join(map(str, sorted(clear))) + r")[\"']")
    return [m.start() for m in pattern.finditer(text, start, end)]


def _restyle_row(
    inner: str,
    row: int,
    p: str,
    styles: _Styles,
    wanted: dict[int, str],
    clear: frozenset[int],
    base: int | None,
    column_styles: _ColumnStyles,
) -> tuple[str, list[int]]:
    """A row's cells with new formats, and the columns of the cells inserted."""
    pending = sorted(wanted)
    out: list[str] = []
    inserted: list[int] = []
    position, implicit = 0, 0

    def new_cell(col: int) -> str:
        inserted.append(col)
        xf = base if base is not None else column_styles.get(col, 0)
        return f'<{p}c r="{address(row, col)}" s="{styles.marked(xf, wanted[col])}"/>'

    # Only start tags are matched (a cell's content holds no '<c'): a cell is rewritten only when it changes.
    for match in _cell_start(p).finditer(inner):
        start = match[0]
        col = column_number(match[1]) if match[1] else implicit + 1
        if not match[1] and (where := _cell_of(_attr(start, "r"))) is not None:
            col = where[1]
        implicit = col
        while pending and pending[0] < col:
            out += [inner[position : match.start()], new_cell(pending.pop(0))]
            position = match.start()
        if pending and pending[0] == col:
            pending.pop(0)
        xf = int(_attr(start, "s") or 0) if col in wanted or clear else 0
        if col in wanted:
            new = _set_attr(start, "s", str(styles.marked(xf, wanted[col])))
        elif xf in clear:
            new = _set_attr(start, "s", str(styles.restored(xf)))
        elif _attr(start, "r"):
            continue
        else:
            new = start
        if not _attr(new, "r"):
            new = _set_attr(new, "r", address(row, col))
        out += [inner[position : match.start()], new]
        position = match.end()
    out.append(inner[position:])
    out.extend(new_cell(col) for col in pending)
    return "".join(out), inserted


@cache
def _cell_start(p: str) -> re.Pattern[str]:
    """A cell's start tag, the letters of its reference in group 1 when r comes first (as every writer puts it)."""
    return re.compile(rf"<{re.escape(p)}c(?=[\s/>])(?:\s+r\s*=\s*[\"']\$?([A-Za-z]{{1,3}})\$?\d+[\"'])?[^>]*>")


class _ColumnStyles:
    """The cell formats of <col style> ranges: what a cell the row does not hold yet looks like."""

    def __init__(self, head: str, p: str) -> None:
        self.head, self.p = head, p
        self._ranges: list[tuple[int, int, int]] | None = None  # read when a cell is inserted, which is rare

    def get(self, column: int, default: int) -> int:
        if self._ranges is None:
            self._ranges = []
            for match in _start(self.p, "col").finditer(self.head):
                tag = match[0]
                low, high, style = _attr(tag, "min"), _attr(tag, "max"), _attr(tag, "style")
                if low.isdigit() and high.isdigit() and style.isdigit():
                    self._ranges.append((int(low), int(high), int(style)))
        return next((style for low, high, style in self._ranges if low <= column <= high), default)


def _widen_dimension(text: str, p: str, cells: list[tuple[int, int]]) -> str:
    match = _start(p, "dimension").search(text)
    if match is None:
        return text
    ref = _attrs(match[0]).get("ref", "")
    first, _, last = ref.partition(":")
    a, b = _cell_of(first), _cell_of(last or first)
    if a is None or b is None:
        return text
    rows = [a[0], b[0], *(c[0] for c in cells)]
    cols = [a[1], b[1], *(c[1] for c in cells)]
    new = f"{address(min(rows), min(cols))}:{address(max(rows), max(cols))}"
    if new == ref or (a == b and new == f"{first}:{first}"):
        return text
    return text[: match.start()] + _set_attr(match[0], "ref", new) + text[match.end() :]
