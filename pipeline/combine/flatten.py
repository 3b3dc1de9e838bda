"""The table rows one accepted submission contributes, and the columns of every merged table.

Pure Python, no polars: a worker flattens its file as soon as it is validated and sends back
compact columns instead of the whole record, so the merging process only appends them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pipeline.contract import layout
from pipeline.contract.layout import Kind
from pipeline.model import Code, FileResult, Issue

ColumnType = Literal["str", "int", "float"]

# The six value tables, in the order the merge builds them.
VALUE_TABLES = ("divisions", "policies", "indicators", "projects", "results", "challenges")

# What the merge still needs of an accepted file's record once its rows are flattened (scope, identity).
RECORD_KEPT = ("template_version", "fiscal_year", "stage", "department", "division", "division_code")

_POLICY_CELLS = ("policy_title", "progress", "achievement", "evaluation_reason")
# A wrong value (an error, design §4) is not used: its column is empty, the row says what was typed where, and an
# indicator whose figures are wrong is judged 入力エラー, never counted in a rate, grade or count.
INPUT_ERROR = "input_error"  # every wrong value of the row: 項目「入力値」, one per line
VALUE_ERROR = "value_error"  # indicators: the wrong figures (基準値, 年度当初値, 目標値, 実績値) alone
# The policy fields that become columns of the policies table: all but the tables with rows of their own
# (related_plans is a two-column range, but a policy's marked plans are one list of labels).
_POLICY_SCALARS = tuple(
    f for f in layout.POLICY_FIELDS if f.shape is not layout.Shape.TABLE or f.name == "related_plans"
)
_DIVISION_COMPUTED: dict[str, ColumnType] = {"mission_count": "int", "policy_count": "int"}
_POLICY_COMPUTED: dict[str, ColumnType] = {
    "indicator_count": "int",
    "budget_total": "float",
    "next_actions": "str",
    "self_evaluation_warning": "str",
}
_INTEGER_KINDS = frozenset({Kind.FISCAL_YEAR, Kind.SCORE, Kind.VERSION})


def _field_type(field: layout.Field) -> ColumnType:
    """The column type of a workbook or policy field: lists become one text (a line each)."""
    return "int" if field.shape is layout.Shape.CELL and field.kind in _INTEGER_KINDS else "str"


def _field_value(field: layout.Field, value: Any) -> Any:
    """A field's value as its column holds it: a list one line each, marked plans their labels."""
    if field.name == "related_plans":
        return "、".join(plan["label"] for plan in value if plan["marked"])
    if field.shape is layout.Shape.LIST:
        return "\n".join(value)
    return value


def columns(table: str) -> dict[str, ColumnType]:
    """The columns of a merged table and their types, in order (also for an empty merge)."""
    if table == "submissions":
        return {
            "file": "str",
            "status": "str",
            "status_ja": "str",
            "sha256": "str",
            "size": "int",
            "saved_at": "str",
            "fiscal_year": "int",
            "stage": "str",
            "department": "str",
            "division": "str",
            "division_code": "str",
            "errors": "int",
            "warnings": "int",
            "note": "str",
            "feedback": "str",
        }
    if table == "errors":
        return dict.fromkeys(("file", "sheet", "cell", "field", "code", "severity", "message", "found"), "str")
    common: dict[str, ColumnType] = {
        "file": "str",
        "department": "str",
        "division": "str",
        "division_code": "str",
        "sheet": "str",
    }
    if table == "divisions":  # every workbook field, then what is computed from them, then where each was
        cols: dict[str, ColumnType] = {**common}
        cols.update({f.name: _field_type(f) for f in layout.BASIC_FIELDS if f.name not in common})
        cols.update(_DIVISION_COMPUTED)
        cols.update({f"{f.name}_cell": "str" for f in layout.BASIC_FIELDS})
        cols[INPUT_ERROR] = "str"
        return cols
    policy_cols: dict[str, ColumnType] = {**common, "policy_no": "int", "policy_title": "str"}
    if table == "policies":  # every policy field that is not a table of its own, then the computed ones
        cols = {**policy_cols}
        cols.update({f.name: _field_type(f) for f in _POLICY_SCALARS if f.name not in cols})
        cols.update(_POLICY_COMPUTED)
        cols.update({f"{k}_cell": "str" for k in _POLICY_CELLS})
        cols[INPUT_ERROR] = "str"
        return cols
    spec = layout.ALL_FIELDS[table]
    cols = {**policy_cols, "row": "int", "item_no": "int"}
    if table == "indicators":
        cols.update(
            fiscal_year="int",
            stage="str",
            progress="str",
            achievement="int",
            evaluation_reason="str",
            next_actions="str",
            self_evaluation_warning="str",
        )
    for column in spec.columns:
        cols.update({f"{column.key}{suffix}": kind for suffix, kind, _ in _PARTS.get(column.kind, _AS_IS)})
        cols[f"{column.key}_cell"] = "str"
    cols[INPUT_ERROR] = "str"
    if table == "indicators":
        cols[VALUE_ERROR] = "str"
    return cols


# The columns a record value of each kind becomes: (name suffix, type, how to take it from the value). Numbers as
# floats with qualitative text apart, 時点 as text, normalised form and fiscal year; any other kind as it is.
_Part = tuple[str, ColumnType, Callable[[Any], Any]]
_PARTS: dict[Kind, tuple[_Part, ...]] = {
    Kind.VALUE: (
        ("", "float", lambda v: float(v) if isinstance(v, int | float) else None),
        ("_text", "str", lambda v: v if isinstance(v, str) else None),
    ),
    Kind.BUDGET: (("", "float", lambda v: None if v is None else float(v)),),
    Kind.AS_OF: (
        ("", "str", lambda v: v["text"] if v else None),
        ("_normalised", "str", lambda v: v["normalised"] if v else None),
        ("_fiscal_year", "int", lambda v: v["fiscal_year"] if v else None),
    ),
}
_AS_IS: tuple[_Part, ...] = (("", "str", lambda v: v),)


def _value_columns(spec: layout.Field, row: dict[str, Any], cells: dict[str, str]) -> dict[str, Any]:
    """Flatten one table row into its columns (`_PARTS`) and the cell of each value."""
    out: dict[str, Any] = {}
    for column in spec.columns:
        value = row.get(column.key)
        for suffix, _, take in _PARTS.get(column.kind, _AS_IS):
            out[f"{column.key}{suffix}"] = take(value)
        out[f"{column.key}_cell"] = cells.get(column.key)
    return out


def _cells(locations: dict[str, str], pointer: str, keys: Sequence[str]) -> dict[str, str]:
    """Cell addresses (without the sheet) of the given keys under a record pointer."""
    out = {}
    for key in keys:
        location = locations.get(f"{pointer}/{key}")
        if location:
            out[key] = location.rpartition("!")[2]
    return out


def _mark_errors(row: dict[str, Any], errors: dict[tuple[str, str], Issue], value_keys: Sequence[str] = ()) -> None:
    """Say in the row which of its cells hold a wrong value, and keep a wrong figure's typed text beside it."""
    sheet = row.get("sheet") or ""
    found: list[str] = []
    figures: list[str] = []
    for name, cell in list(row.items()):
        if not name.endswith("_cell") or not cell:
            continue
        issue = errors.get((sheet, cell))
        if issue is None:
            continue
        found.append(f"{issue.field}「{issue.found}」" if issue.found else issue.field)
        key = name.removesuffix("_cell")
        if key in value_keys:
            figures.append(found[-1])
            if f"{key}_text" in row and issue.found:
                row[f"{key}_text"] = issue.found  # shown as typed, marked 入力エラー
    row[INPUT_ERROR] = "\n".join(found) or None
    if value_keys:
        row[VALUE_ERROR] = "\n".join(figures) or None


_FIGURES = tuple(c.key for c in layout.INDICATOR_COLUMNS if c.kind is Kind.VALUE)


def rows_of_result(result: FileResult) -> dict[str, list[dict[str, Any]]]:
    """The table rows one accepted file contributes, each row a dict by column."""
    rec, loc = result.record or {}, result.locations
    errors = {(i.sheet, i.cell): i for i in result.issues if i.severity == "error" and i.cell}
    source = {
        "file": result.display,
        "department": rec["department"],
        "division": rec["division"],
        "division_code": rec.get("division_code"),
    }
    basic_keys = [f.name for f in layout.BASIC_FIELDS]
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    division = {**source, "sheet": layout.SHEET_BASIC}
    division.update({f.name: _field_value(f, rec[f.name]) for f in layout.BASIC_FIELDS if f.name not in division})
    division.update(mission_count=len(rec["missions"]), policy_count=len(rec["policies"]))
    division.update({f"{k}_cell": c for k, c in _cells(loc, "", basic_keys).items()})
    division["sheet"] = loc.get("/division", layout.SHEET_BASIC).rpartition("!")[0]
    if errors:
        _mark_errors(division, errors)
    rows["divisions"].append(division)
    for pi, policy in enumerate(rec["policies"]):
        p = f"/policies/{pi}"
        base = {**source, "sheet": policy["sheet"], "policy_no": pi + 1, "policy_title": policy["policy_title"]}
        row = {**base, **{f.name: _field_value(f, policy[f.name]) for f in _POLICY_SCALARS if f.name not in base}}
        row.update(
            {
                "indicator_count": len(policy["indicators"]),
                "budget_total": _budget_total(policy["projects"]),
                "next_actions": "\n".join(c["next_action"] for c in policy["challenges"] if c["next_action"]),
                "self_evaluation_warning": _contradiction(result, policy["sheet"]),
            }
        )
        row.update({f"{k}_cell": c for k, c in _cells(loc, p, _POLICY_CELLS).items()})
        if errors:
            _mark_errors(row, errors)
        rows["policies"].append(row)
        for table in ("indicators", "projects", "results", "challenges"):
            spec = layout.ALL_FIELDS[table]
            keys = [c.key for c in spec.columns]
            for ri, item in enumerate(policy[table]):
                cells = _cells(loc, f"{p}/{table}/{ri}", keys)
                first = next(iter(cells.values()), "")
                number = int("".join(ch for ch in first if ch.isdigit()) or 0)
                extra: dict[str, Any] = {"row": number, "item_no": ri + 1}
                if table == "indicators":
                    extra.update(
                        fiscal_year=rec["fiscal_year"],
                        stage=rec["stage"],
                        progress=policy["progress"],
                        achievement=policy["achievement"],
                        evaluation_reason=policy["evaluation_reason"],
                        next_actions=row["next_actions"],
                        self_evaluation_warning=row["self_evaluation_warning"],
                    )
                item_row = {**base, **extra, **_value_columns(spec, item, cells)}
                if errors:
                    _mark_errors(item_row, errors, _FIGURES if table == "indicators" else ())
                rows[table].append(item_row)
    return rows


_COLUMN_NAMES = {table: tuple(columns(table)) for table in VALUE_TABLES}


def columns_of_result(result: FileResult) -> dict[str, dict[str, list[Any]]]:
    """The same rows column by column (every column of every value table, in order): compact to send and append."""
    rows = rows_of_result(result)
    out: dict[str, dict[str, list[Any]]] = {}
    for table in VALUE_TABLES:
        table_rows = rows.get(table, [])
        out[table] = {name: [row.get(name) for row in table_rows] for name in _COLUMN_NAMES[table]}
    return out


def slim_record(record: dict[str, Any] | None) -> dict[str, Any]:
    """The part of a record the merge needs once the record's rows are flattened."""
    record = record or {}
    return {key: record.get(key) for key in RECORD_KEPT}


def _budget_total(projects: list[dict[str, Any]]) -> float | None:
    """Sum of the budgets given; None when no project states one (blank is not zero)."""
    budgets = [p["budget"] for p in projects if p["budget"] is not None]
    return float(sum(budgets)) if budgets else None


def _contradiction(result: FileResult, sheet: str) -> str | None:
    for issue in result.issues:
        if issue.code == Code.EVALUATION_CONTRADICTION and issue.sheet == sheet:
            return issue.body
    return None
