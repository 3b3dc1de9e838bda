"""Read a workbook's defined names and the cells they point at, with calamine (fastexcel).

The reader never depends on cell positions: it resolves every name of the template
contract (workbook-scoped ones on 基本情報, sheet-scoped ones on each policy sheet),
reads the ranges, finds table columns by their header label and keeps the sheet and
cell address of every value. It does not interpret values: that is normalisation.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.contract import layout
from pipeline.contract.cells import address, column_letters, column_number
from pipeline.intake.cellnotes import CellNotes, as_shown
from pipeline.model import Code, Issue, make_issue

_REF = re.compile(
    r"^=?(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!]+))!"
    r"\$?(?P<c1>[A-Za-z]{1,3})\$?(?P<r1>\d{1,7})(?::\$?(?P<c2>[A-Za-z]{1,3})\$?(?P<r2>\d{1,7}))?$"
)


@dataclass(frozen=True)
class NameRef:
    """Where a defined name points: a rectangle on one sheet (1-based, inclusive)."""

    name: str
    sheet: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @property
    def first_cell(self) -> str:
        """Top-left address of the range."""
        return address(self.min_row, self.min_col)


@functools.lru_cache(maxsize=1024)
def parse_ref(name: str, formula: str) -> NameRef | None:
    """The rectangle a defined name's formula refers to, or None when it is not one plain range."""
    match = _REF.match(formula.strip())
    if not match:
        return None
    sheet = match["quoted"].replace("''", "'") if match["quoted"] else match["plain"]
    c1, r1 = column_number(match["c1"]), int(match["r1"])
    c2 = column_number(match["c2"]) if match["c2"] else c1
    r2 = int(match["r2"]) if match["r2"] else r1
    return NameRef(name, sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


@dataclass(frozen=True)
class Cell:
    """The text of one cell (None when blank) and where it is; ``error`` when the text is a formula's error
    (``#DIV/0!``), not a value."""

    sheet: str
    address: str
    text: str | None
    error: bool = False

    @property
    def location(self) -> str:
        """``sheet!cell``."""
        return f"{self.sheet}!{self.address}"


Row = dict[str, Cell]


@dataclass(frozen=True)
class RawPolicy:
    """The cells of one policy sheet, by defined name."""

    sheet: str
    cells: dict[str, Cell]  # CELL fields
    lists: dict[str, list[Cell]]  # LIST fields (one column)
    pairs: dict[str, list[tuple[Cell, Cell]]]  # two-column LIST fields (label, mark)
    tables: dict[str, list[Row]]  # TABLE fields: rows keyed by column key
    anchors: dict[str, Cell]  # first cell of every name, to point at a missing value


@dataclass(frozen=True)
class RawSubmission:
    """Everything the contract's names point at in one workbook, before normalisation."""

    cells: dict[str, Cell]
    lists: dict[str, list[Cell]]
    anchors: dict[str, Cell]
    policies: list[RawPolicy]
    issues: list[Issue] = field(default_factory=list)


class _Grid:
    """The cell texts of one sheet, addressable by 1-based row and column."""

    def __init__(
        self, sheet: str, rows: list[tuple[Any, ...]], col_offsets: list[int], errors: frozenset[str] = frozenset()
    ) -> None:
        self.sheet = sheet
        self._rows = rows
        self._col_index = {absolute + 1: i for i, absolute in enumerate(col_offsets)}
        self._errors = errors  # A1 references of cells whose text is a formula error

    def text(self, row: int, col: int) -> str | None:
        """The cell's text, None when blank or outside the used area."""
        i = self._col_index.get(col)
        if i is None or row < 1 or row > len(self._rows):
            return None
        return _text(self._rows[row - 1][i])

    def texts(self, first_row: int, last_row: int, cols: list[int]) -> Iterator[tuple[int, list[str | None]]]:
        """(row, texts of these columns) for each row from ``first_row`` to ``last_row`` within the used area."""
        indexes = [self._col_index.get(col) for col in cols]
        last = min(last_row, len(self._rows))
        for row in range(max(first_row, 1), last + 1):
            values = self._rows[row - 1]
            yield row, [None if i is None else _text(values[i]) for i in indexes]

    def cell(self, row: int, col: int, text: str | None = None, *, known: bool = False) -> Cell:
        """The Cell at a 1-based row and column (``text`` given when already read)."""
        address = f"{column_letters(col)}{row}"
        text = text if known else self.text(row, col)
        if self._errors and address in self._errors:
            return Cell(self.sheet, address, text, error=True)
        return Cell(self.sheet, address, text)


def _text(value: Any) -> str | None:
    """A cell value as text; None when blank (nothing, or only spaces)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def _load_grid(reader: Any, sheet: str, notes: CellNotes | None) -> _Grid:
    """Load one sheet as text, keeping absolute row and column positions; numbers whose format scales them as they
    are shown (80%), formula errors as the error (cells marked as such)."""
    try:
        loaded = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
    except Exception as exc:
        if "empty" in str(exc).lower() or "no column" in str(exc).lower():
            return _Grid(sheet, [], [])
        raise
    offsets = [info.absolute_index for info in loaded.available_columns()]
    rows: list[Any] = loaded.to_polars().rows()
    scaled = notes.scaled.get(sheet, {}) if notes else {}
    errors = notes.errors.get(sheet, {}) if notes else {}
    if scaled or errors:
        index = {absolute + 1: i for i, absolute in enumerate(offsets)}
        for ref, scale in scaled.items():
            at = _position(ref, index, len(rows))
            if at is not None and rows[at[0]][at[1]] is not None:
                _set(rows, at, as_shown(str(rows[at[0]][at[1]]), scale))
        for ref, error in errors.items():  # calamine reads them as blanks
            at = _position(ref, index, len(rows))
            if at is not None:
                _set(rows, at, error)
    return _Grid(sheet, rows, offsets, frozenset(errors))


_A1 = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


def _position(ref: str, col_index: Mapping[int, int], height: int) -> tuple[int, int] | None:
    """(row, column) indexes in the loaded rows of an A1 reference, or None outside them."""
    match = _A1.fullmatch(ref)
    if match is None:
        return None
    row, i = int(match[2]), col_index.get(column_number(match[1]))
    return None if i is None or not 1 <= row <= height else (row - 1, i)


def _set(rows: list[Any], at: tuple[int, int], value: str) -> None:
    """Set one value; the row becomes a list the first time (a row of a frame is a tuple)."""
    row = rows[at[0]]
    if isinstance(row, tuple):
        row = rows[at[0]] = list(row)
    row[at[1]] = value


@functools.lru_cache(maxsize=1024)
def _header_key(text: str | None) -> str:
    """Header text compared loosely: NFKC, without blanks and line breaks (memoised: every file has the same)."""
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _read_table(grid: _Grid, ref: NameRef, spec: layout.Field, file: str, issues: list[Issue]) -> list[Row]:
    """Rows of a table range (header row first), columns found by header label; blank rows dropped."""
    wanted = {_header_key(col.label): col.key for col in spec.columns}
    found: dict[str, int] = {}
    for col in range(ref.min_col, ref.max_col + 1):
        key = wanted.get(_header_key(grid.text(ref.min_row, col)))
        if key is not None and key not in found:
            found[key] = col
    for column in spec.columns:
        if column.key not in found:
            issues.append(
                make_issue(
                    Code.MISSING_HEADER,
                    file=file,
                    sheet=ref.sheet,
                    cell=ref.first_cell,
                    field=spec.label,
                    header=column.label,
                )
            )
    rows: list[Row] = []
    columns = list(found.items())
    for r, texts in grid.texts(ref.min_row + 1, ref.max_row, [col for _key, col in columns]):
        if any(text is not None for text in texts):  # Cells only for rows with content: most rows are blank
            rows.append(
                {key: grid.cell(r, col, text, known=True) for (key, col), text in zip(columns, texts, strict=True)}
            )
    return rows


def _read_field(
    grid: _Grid,
    ref: NameRef,
    spec: layout.Field,
    file: str,
    issues: list[Issue],
    cells: dict[str, Cell],
    lists: dict[str, list[Cell]],
    pairs: dict[str, list[tuple[Cell, Cell]]],
    tables: dict[str, list[Row]],
) -> None:
    """Read one named range into the right collection according to its shape."""
    if spec.shape is layout.Shape.CELL:
        cells[spec.name] = grid.cell(ref.min_row, ref.min_col)
    elif spec.shape is layout.Shape.TABLE:
        tables[spec.name] = _read_table(grid, ref, spec, file, issues)
    elif spec.columns:  # two-column list: label, mark
        pairs[spec.name] = [
            (grid.cell(r, ref.min_col), grid.cell(r, ref.min_col + 1)) for r in range(ref.min_row, ref.max_row + 1)
        ]
    else:
        lists[spec.name] = [
            c for r in range(ref.min_row, ref.max_row + 1) if (c := grid.cell(r, ref.min_col)).text is not None
        ]


def _resolve_names(defined: Iterable[Any], file: str, issues: list[Issue]) -> list[NameRef]:
    """The contract's names as rectangles; a contract name that is not a plain range is an issue."""
    refs: list[NameRef] = []
    for item in defined:
        name = str(item.name)
        if name not in layout.ALL_FIELDS:
            continue
        ref = parse_ref(name, str(item.formula))
        if ref is None:
            spec = layout.ALL_FIELDS[name]
            issues.append(make_issue(Code.BROKEN_NAME, file=file, field=spec.label, name=name, found=item.formula))
            continue
        refs.append(ref)
    return refs


def read_submission(data: bytes, file: str = "", notes: CellNotes | None = None) -> RawSubmission:
    """Open workbook bytes with calamine and read every contract name into a RawSubmission.

    ``notes`` (from preflight) name the numbers whose format scales them, read as shown (``80%``, not the 0.8
    stored; 628 under ``#,##0,``, not 628000), and the formula errors, read as the error (``#DIV/0!``) on a cell
    marked ``error``.
    """
    import fastexcel  # imported here: the CLI's start-up stays fast

    reader = fastexcel.read_excel(data)
    issues: list[Issue] = []
    sheet_order = {name: i for i, name in enumerate(reader.sheet_names)}
    refs = [r for r in _resolve_names(reader.defined_names(), file, issues) if r.sheet in sheet_order]
    grids: dict[str, _Grid] = {}

    def grid(sheet: str) -> _Grid:
        if sheet not in grids:
            grids[sheet] = _load_grid(reader, sheet, notes)
        return grids[sheet]

    cells: dict[str, Cell] = {}
    lists: dict[str, list[Cell]] = {}
    anchors: dict[str, Cell] = {}
    unused_pairs: dict[str, list[tuple[Cell, Cell]]] = {}
    unused_tables: dict[str, list[Row]] = {}
    for ref in refs:
        if ref.name in layout.WORKBOOK_NAMES and ref.name not in anchors:
            spec = layout.ALL_FIELDS[ref.name]
            anchors[ref.name] = Cell(ref.sheet, ref.first_cell, None)
            _read_field(grid(ref.sheet), ref, spec, file, issues, cells, lists, unused_pairs, unused_tables)

    policy_sheets = sorted({r.sheet for r in refs if r.name == "policy_title"}, key=sheet_order.__getitem__)
    policies = []
    for sheet in policy_sheets:
        p_cells: dict[str, Cell] = {}
        p_lists: dict[str, list[Cell]] = {}
        p_pairs: dict[str, list[tuple[Cell, Cell]]] = {}
        p_tables: dict[str, list[Row]] = {}
        p_anchors: dict[str, Cell] = {}
        for ref in refs:
            if ref.sheet != sheet or ref.name not in layout.POLICY_NAMES or ref.name in p_anchors:
                continue
            spec = layout.ALL_FIELDS[ref.name]
            p_anchors[ref.name] = Cell(sheet, ref.first_cell, None)
            _read_field(grid(sheet), ref, spec, file, issues, p_cells, p_lists, p_pairs, p_tables)
        for spec in layout.POLICY_FIELDS:
            if spec.name not in p_anchors:
                issues.append(make_issue(Code.MISSING_NAME, file=file, sheet=sheet, field=spec.label, name=spec.name))
        policies.append(RawPolicy(sheet, p_cells, p_lists, p_pairs, p_tables, p_anchors))
    return RawSubmission(cells, lists, anchors, policies, issues)
