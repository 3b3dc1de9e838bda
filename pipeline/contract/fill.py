"""Fill the 工程表 template through its defined names, and edit it the way an Excel user would.

Used by the tests, the sample-inbox generator and the benchmark to produce realistic
submissions: every value is placed by resolving a defined name in the workbook, never
by a hard-coded cell position, so the files exercise the same contract as the reader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from copy import copy, deepcopy
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.contract.layout import BASIC_FIELDS, META_FIELDS, POLICY_FIELDS, SHEET_POLICY, Field, Shape
from pipeline.contract.template import build_template

Entries = Mapping[str, Any]

_SCALARS = (str, int, float, dt.date, dt.datetime, dt.time)
_WORKBOOK_FIELDS = {f.name: f for f in (*META_FIELDS, *BASIC_FIELDS)}
_POLICY_FIELDS = {f.name: f for f in POLICY_FIELDS}
_SHEET_KEY = "sheet"  # optional policy key: the title of its sheet (default 政策1, 政策2, …)
_POLICY_SHEET_PREFIX = SHEET_POLICY.removesuffix("1")


def fill_template(entries: Entries, path: Path, *, template: Path | None = None) -> Path:
    """Write `entries` into a copy of the template (built in memory unless `template` is given) and save it at `path`."""
    wb = build_template() if template is None else load_workbook(template)
    fill_workbook(wb, entries)
    wb.save(Path(path))
    return Path(path)


def fill_workbook(wb: Workbook, entries: Entries) -> None:
    """Write `entries` into an open template workbook, adding one copied policy sheet per extra policy."""
    _write_workbook_fields(wb, entries)
    policies: Sequence[Entries] = entries.get("policies") or ()
    source = wb[SHEET_POLICY]
    sheets = [source]
    # Copy the pristine sheet before anything is written into it, as a user copies a blank 政策1.
    for number in range(2, len(policies) + 1):
        title = str(policies[number - 1].get(_SHEET_KEY) or f"{_POLICY_SHEET_PREFIX}{number}")
        sheets.append(copy_policy_sheet(wb, source, title, after=sheets[-1]))
    if policies and policies[0].get(_SHEET_KEY):
        rename_sheet(wb, source, str(policies[0][_SHEET_KEY]))
    for ws, policy in zip(sheets, policies, strict=False):
        unknown = set(policy) - set(_POLICY_FIELDS) - {_SHEET_KEY}
        if unknown:
            raise ValueError(f"unknown policy entries: {sorted(unknown)}; expected {sorted(_POLICY_FIELDS)}")
        for name, value in policy.items():
            if name != _SHEET_KEY:
                _write_field(wb, ws, _POLICY_FIELDS[name], value)


def _write_workbook_fields(wb: Workbook, entries: Entries) -> None:
    """Write the entries that are workbook fields (all but ``policies``); an entry of no field is refused."""
    unknown = set(entries) - set(_WORKBOOK_FIELDS) - {"policies"}
    if unknown:
        raise ValueError(f"unknown entries: {sorted(unknown)}; expected defined names or 'policies'")
    for name, value in entries.items():
        if name != "policies":
            _write_field(wb, None, _WORKBOOK_FIELDS[name], value)


def type_into(path: Path, entries: Entries) -> Path:
    """Type values into a filled workbook through its names, as a division updates a prefilled 工程表; saves in place.

    Only what ``entries`` gives is written: workbook fields, and per policy (matched to the workbook's policy sheets
    in order) its fields; a table row given as a mapping writes only its keys, a row given as None is left alone.
    """
    wb = load_workbook(path)
    _write_workbook_fields(wb, entries)
    sheets = [ws for ws in wb.worksheets if "policy_title" in ws.defined_names]
    policies: Sequence[Entries] = entries.get("policies") or ()
    if len(policies) > len(sheets):
        raise ValueError(f"{len(policies)} policies given but the workbook has {len(sheets)} policy sheets")
    for ws, policy in zip(sheets, policies, strict=False):
        for name, value in policy.items():
            if name not in _POLICY_FIELDS:
                raise ValueError(f"unknown policy entry {name!r}; expected {sorted(_POLICY_FIELDS)}")
            _write_field(wb, ws, _POLICY_FIELDS[name], value)
    wb.save(Path(path))
    return Path(path)


def copy_policy_sheet(wb: Workbook, source: Worksheet, title: str, *, after: Worksheet | None = None) -> Worksheet:
    """Copy a policy sheet as Excel's 移動またはコピー does: cells, styles, merges, validations, print setup and page
    breaks, local names."""
    target = wb.copy_worksheet(source)
    target.title = title
    anchor = after if after is not None else source
    wb.move_sheet(target, offset=wb.index(anchor) + 1 - wb.index(target))
    # copy_worksheet leaves merged ranges bound to the source; re-merge them on the copy.
    target.merged_cells = MultiCellRange()
    for merged in source.merged_cells.ranges:
        target.merge_cells(merged.coord)
    for dv in source.data_validations.dataValidation:
        target.add_data_validation(deepcopy(dv))
    target.print_area = source.print_area
    target.print_title_rows = source.print_title_rows
    target.print_title_cols = source.print_title_cols
    target.row_breaks = RowBreak(brk=[Break(id=b.id) for b in source.row_breaks.brk])
    target.HeaderFooter = copy(source.HeaderFooter)
    target.views = copy(source.views)
    for view in target.views.sheetView:
        view.tabSelected = False
    for name, defined in source.defined_names.items():
        target.defined_names[name] = DefinedName(name, attr_text=_retarget(defined.attr_text, source.title, title))
    return target


def rename_sheet(wb: Workbook, ws: Worksheet, title: str) -> None:
    """Rename a sheet and re-point every defined name that refers to it, as Excel does."""
    old = ws.title
    ws.title = title
    for names in (wb.defined_names, *(sheet.defined_names for sheet in wb.worksheets)):
        for name, defined in list(names.items()):
            names[name] = DefinedName(name, attr_text=_retarget(defined.attr_text, old, title))


def insert_rows_in_range(path: Path, sheet: str, name: str, at_offset: int, count: int) -> None:
    """Insert `count` rows inside the named range, `at_offset` rows below its first row, as Excel does; saves in place."""
    wb = load_workbook(path)
    ws = wb[sheet]
    ref = _find_range(wb, ws, name)
    if not 0 <= at_offset < ref.size["rows"]:
        raise ValueError(f"{name}: offset {at_offset} is outside the range {ref.coord} ({ref.size['rows']} rows)")
    if count < 1:
        raise ValueError(f"{name}: count must be at least 1, not {count}")
    at = ref.min_row + at_offset
    ws.insert_rows(at, count)
    # openpyxl moves the cells only; Excel also moves or grows names, merges, validations and heights.
    for names in (wb.defined_names, *(other.defined_names for other in wb.worksheets)):
        for key, defined in list(names.items()):
            names[key] = DefinedName(key, attr_text=_shift_ref_text(defined.attr_text, sheet, at, count))
    old_merges = [_shifted(CellRange(m.coord), at, count) for m in ws.merged_cells.ranges]
    ws.merged_cells = MultiCellRange()
    for merged in old_merges:
        ws.merge_cells(merged.coord)
    for dv in ws.data_validations.dataValidation:
        dv.sqref = MultiCellRange([_shifted(CellRange(r.coord), at, count) for r in dv.sqref.ranges])
    dims = {row: ws.row_dimensions[row] for row in list(ws.row_dimensions)}
    ws.row_dimensions.clear()
    for row, dim in sorted(dims.items()):
        new_row = row + count if row >= at else row
        dim.index = new_row
        ws.row_dimensions[new_row] = dim
    if ws.print_area:
        ws.print_area = [_shifted(CellRange(r.coord), at, count).coord for r in ws._print_area.ranges]
    # a manual page break after row `id` moves down with the rows below it
    ws.row_breaks = RowBreak(brk=[Break(id=b.id + count if b.id >= at else b.id) for b in ws.row_breaks.brk])
    if at > 1:
        _format_like_row_above(ws, at, count)
    wb.save(Path(path))


# --- writing ----------------------------------------------------------------


def _write_field(wb: Workbook, ws: Worksheet | None, f: Field, value: Any) -> None:
    """Write one field's value(s) at the range its defined name points to."""
    target, ref = _resolve(wb, ws, f.name)
    where = f"{target.title}!{ref.coord}"
    if f.shape is Shape.CELL:
        target.cell(row=ref.min_row, column=ref.min_col).value = _scalar(f.name, value)
    elif f.shape is Shape.LIST and ref.size["columns"] > 1:
        _write_marks(target, ref, f.name, where, value)
    elif f.shape is Shape.LIST:
        items = _rows(f.name, value)
        _check_capacity(f.name, where, len(items), ref.size["rows"])
        for offset, item in enumerate(items):
            target.cell(row=ref.min_row + offset, column=ref.min_col).value = _scalar(f.name, item)
    else:
        _write_table(target, ref, f, where, value)


def _write_marks(ws: Worksheet, ref: CellRange, name: str, where: str, value: Any) -> None:
    """Write label → mark pairs into a two-column range, matching labels in its first column."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name}: give a mapping of label to mark, not {type(value).__name__}")
    rows = {
        str(ws.cell(row=row, column=ref.min_col).value).strip(): row
        for row in range(ref.min_row, ref.max_row + 1)
        if ws.cell(row=row, column=ref.min_col).value is not None
    }
    for label, mark in value.items():
        if label not in rows:
            raise ValueError(f"{name}: no row labelled {label!r} in {where}; labels are {sorted(rows)}")
        ws.cell(row=rows[label], column=ref.min_col + 1).value = _scalar(name, mark)


def _write_table(ws: Worksheet, ref: CellRange, f: Field, where: str, value: Any) -> None:
    """Write rows of a table range, locating each column by its header label in the range's first row."""
    rows = _rows(f.name, value)
    _check_capacity(f.name, where, len(rows), ref.size["rows"] - 1)
    headers: dict[str, int] = {}
    for col in range(ref.min_col, ref.max_col + 1):
        header = ws.cell(row=ref.min_row, column=col).value
        if isinstance(header, str) and header.strip():
            headers.setdefault(header.strip(), col)
    labels = {col.key: col.label for col in f.columns} | {col.label: col.label for col in f.columns}
    for offset, row in enumerate(rows, start=1):
        if row is None:
            continue
        if not isinstance(row, Mapping):
            raise TypeError(f"{f.name}: row {offset} must be a mapping of column key to value")
        for key, cell_value in row.items():
            label = labels.get(key)
            if label is None:
                raise ValueError(f"{f.name}: unknown column {key!r}; expected one of {[c.key for c in f.columns]}")
            if label not in headers:
                raise ValueError(f"{f.name}: no header {label!r} in the first row of {where}")
            ws.cell(row=ref.min_row + offset, column=headers[label]).value = _scalar(f"{f.name}.{key}", cell_value)


def _rows(name: str, value: Any) -> list[Any]:
    """The rows given for a list or table field."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise TypeError(f"{name}: give a list of rows, not {type(value).__name__}")
    return list(value)


def _check_capacity(name: str, where: str, given: int, capacity: int) -> None:
    """Refuse more rows than the named range holds."""
    if given > capacity:
        raise ValueError(
            f"{name}: {given} rows given but {where} holds only {capacity}; insert rows inside the range first"
        )


def _scalar(name: str, value: Any) -> Any:
    """A value openpyxl can write as is (a string starting with '=' is a formula, as in openpyxl)."""
    if value is None or isinstance(value, _SCALARS):
        return value
    raise TypeError(f"{name}: cannot write a {type(value).__name__} into a cell")


# --- names and ranges -------------------------------------------------------


def _resolve(wb: Workbook, ws: Worksheet | None, name: str) -> tuple[Worksheet, CellRange]:
    """The sheet and range a defined name points to (sheet-scoped on `ws`, else workbook-scoped)."""
    names = wb.defined_names if ws is None else ws.defined_names
    defined = names.get(name)
    scope = "the workbook" if ws is None else f"sheet {ws.title!r}"
    if defined is None:
        raise ValueError(f"defined name {name!r} not found in {scope}")
    destinations = list(defined.destinations)
    if len(destinations) != 1:
        raise ValueError(f"defined name {name!r} in {scope} does not point at one range: {defined.attr_text!r}")
    title, coord = destinations[0]
    return wb[title], CellRange(coord.replace("$", ""))


def _find_range(wb: Workbook, ws: Worksheet, name: str) -> CellRange:
    """The range of a name on `ws`, sheet-scoped first, else a workbook-scoped name pointing at it."""
    for scoped in (ws, None):
        names = wb.defined_names if scoped is None else scoped.defined_names
        if name in names:
            target, ref = _resolve(wb, scoped, name)
            if target is ws:
                return ref
    raise ValueError(f"no defined name {name!r} points at sheet {ws.title!r}")


def _retarget(attr_text: str, old: str, new: str) -> str:
    """Rewrite a single-area reference on sheet `old` to sheet `new`; other texts stay as they are."""
    destinations = list(DefinedName("x", attr_text=attr_text).destinations)
    if len(destinations) != 1 or destinations[0][0] != old:
        return attr_text
    return f"{quote_sheetname(new)}!{destinations[0][1]}"


def _shift_ref_text(attr_text: str, sheet: str, at: int, count: int) -> str:
    """Move or grow a single-area reference on `sheet` for `count` rows inserted at row `at`."""
    destinations = list(DefinedName("x", attr_text=attr_text).destinations)
    if len(destinations) != 1 or destinations[0][0] != sheet:
        return attr_text
    moved = _shifted(CellRange(destinations[0][1].replace("$", "")), at, count)
    first = f"${get_column_letter(moved.min_col)}${moved.min_row}"
    last = f"${get_column_letter(moved.max_col)}${moved.max_row}"
    return f"{quote_sheetname(sheet)}!{first}" + ("" if first == last else f":{last}")


def _shifted(ref: CellRange, at: int, count: int) -> CellRange:
    """The range after inserting `count` rows at row `at`: moved when below, grown when it contains the row."""
    if ref.min_row >= at:
        return CellRange(
            min_col=ref.min_col, min_row=ref.min_row + count, max_col=ref.max_col, max_row=ref.max_row + count
        )
    if ref.max_row >= at:
        return CellRange(min_col=ref.min_col, min_row=ref.min_row, max_col=ref.max_col, max_row=ref.max_row + count)
    return CellRange(ref.coord)


def _format_like_row_above(ws: Worksheet, at: int, count: int) -> None:
    """Give inserted rows the style, height and one-row merges of the row above (Excel's 「上と同じ書式」)."""
    above = at - 1
    height = ws.row_dimensions[above].height
    row_merges = [m for m in ws.merged_cells.ranges if m.min_row == m.max_row == above]
    for row in range(at, at + count):
        for col in range(1, ws.max_column + 1):
            source = ws.cell(row=above, column=col)
            if source.has_style:
                ws.cell(row=row, column=col)._style = copy(source._style)
        if height is not None:
            ws.row_dimensions[row].height = height
        for merged in row_merges:
            candidate = CellRange(min_col=merged.min_col, min_row=row, max_col=merged.max_col, max_row=row)
            if not any(_overlaps(candidate, m) for m in ws.merged_cells.ranges):
                ws.merge_cells(candidate.coord)


def _overlaps(a: CellRange, b: CellRange) -> bool:
    """Whether two ranges share a cell."""
    return not a.isdisjoint(b)
