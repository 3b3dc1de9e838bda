"""Turn the raw cells of one workbook into a normalised record and check it: schema, then rules.

Both layers report together and never stop at the first problem. Every issue names
the file, sheet, cell, the field's Japanese label and what was found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.checks import normalise as nz
from pipeline.checks.rules import short_of
from pipeline.checks.shape import hint_for_path, label_for_path, schema_detail, schema_validator
from pipeline.contract import layout
from pipeline.contract.layout import Kind
from pipeline.intake.read import Cell, RawPolicy, RawSubmission, Row
from pipeline.model import Code, DivisionKey, Issue, Master, make_issue

# The note read beside a value (18%(=3/16施設) → 18, "=3/16施設") is the record key of the value plus this suffix.
NOTE_SUFFIX = "_note"
# What a budget is counted in: the unit in the label 予算額(千円).
BUDGET_UNIT = re.sub(r".*\((?P<unit>[^()]+)\)$", r"\g<unit>", layout.label_of("projects.budget"))
_VALUE_KINDS = (Kind.VALUE, Kind.BUDGET)
# Why a value is qualitative (normalise.QUALITATIVE_REASONS) -> the warning that says what would make it evaluable.
_QUALITATIVE_CODES = {
    "words": Code.QUALITATIVE_VALUE,
    "text": Code.VALUE_IN_TEXT,
    "relative": Code.RELATIVE_VALUE,
    "several": Code.SEVERAL_VALUES,
    "fraction": Code.FRACTION_VALUE,
}
_EXAMPLE_VALUE = "6件"


@dataclass(frozen=True)
class Validated:
    """A normalised record (None when the workbook is not a template), where each value came from, the issues."""

    record: dict[str, Any] | None
    locations: dict[str, str]
    issues: tuple[Issue, ...]


class _Builder:
    """Collects issues and cell locations while one record is normalised."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[Issue] = []
        self.locations: dict[str, str] = {}
        self._formula_errors: set[tuple[str, str]] = set()  # cells whose value is a formula's error
        self.fiscal_year: int | None = None  # the file's, once read: era-less 時点 are read in its era
        self.declared_no_indicators: set[int] = set()  # policies whose indicator name says 測定指標なし

    def issue(self, code: Code, cell: Cell, label: str, found: Any = "", **params: Any) -> None:
        where = (cell.sheet, cell.address)
        if code is Code.FORMULA_ERROR:
            self._formula_errors.add(where)
        elif where in self._formula_errors:
            return  # the value was taken as missing: the formula error already says what to mend
        self.issues.append(
            make_issue(code, file=self.file, sheet=cell.sheet, cell=cell.address, field=label, found=found, **params)
        )

    def at(self, pointer: str, cell: Cell) -> None:
        self.locations[pointer] = cell.location

    def convert(self, kind: Kind, cell: Cell, label: str, pointer: str, *, future: bool = False) -> Any:
        """The normalised value of one cell; problems become issues and the value None.

        Indicator values and budgets are read with their row (`_row_record`), not here. `future` marks a 時点 that is
        expected to lie ahead (a long-term target's year) for reading an era-less year.
        """
        self.at(pointer, cell)
        raw = cell.text
        if cell.error:
            self.issue(Code.FORMULA_ERROR, cell, label, raw)
            return None
        if kind is Kind.TEXT:  # most cells: nothing to report, so no need for `found`
            return nz.clean_text(raw)
        found = nz.clean_text(raw) or ""
        if kind is Kind.CODE:
            return nz.clean_code(raw)
        if kind is Kind.VERSION:
            code = nz.clean_code(raw)
            return int(code) if code is not None and code.isdigit() else code
        if kind is Kind.FISCAL_YEAR:
            year = nz.parse_fiscal_year(raw)
            if year is None and found:
                self.issue(Code.INVALID_FISCAL_YEAR, cell, label, found)
            return year
        if kind is Kind.STAGE:
            return self._choice(nz.parse_stage(raw), cell, label, found, layout.STAGES)
        if kind is Kind.CATEGORY:
            return self._choice(nz.parse_choice(raw, layout.CATEGORIES), cell, label, found, layout.CATEGORIES)
        if kind is Kind.DIRECTION:
            direction = self._choice(nz.parse_choice(raw, layout.DIRECTIONS), cell, label, found, layout.DIRECTIONS)
            return direction or layout.DEFAULT_DIRECTION
        if kind is Kind.PROGRESS:
            return self._choice(nz.parse_progress(raw), cell, label, found, layout.PROGRESS_CHOICES)
        if kind is Kind.PHONE:
            phone = nz.parse_phone(raw)
            if isinstance(phone, nz.Invalid):
                self.issue(Code.INVALID_PHONE, cell, label, found)
                return None
            return phone
        if kind is Kind.SCORE:
            score = nz.parse_score(raw)
            bounds = {"low": layout.ACHIEVEMENT_MIN, "high": layout.ACHIEVEMENT_MAX}
            if isinstance(score, nz.NotAnInteger):
                self.issue(Code.NOT_AN_INTEGER, cell, label, found, **bounds)
                return None
            if isinstance(score, nz.OutOfRange):
                self.issue(Code.OUT_OF_RANGE, cell, label, found, **bounds)
                return None
            return score
        if kind is Kind.MARK:
            mark = nz.parse_mark(raw)
            if isinstance(mark, nz.Invalid):
                self.issue(Code.INVALID_MARK, cell, label, found)
                return False
            return mark
        if kind is Kind.AS_OF:
            return self._as_of(cell, label, found, future=future)
        raise AssertionError(kind)

    def _choice(self, parsed: Any, cell: Cell, label: str, found: str, choices: tuple[str, ...]) -> str | None:
        if isinstance(parsed, nz.Invalid):
            self.issue(Code.INVALID_CHOICE, cell, label, found, choices="・".join(choices))
            return None
        return parsed if isinstance(parsed, str) else None

    def _as_of(self, cell: Cell, label: str, found: str, *, future: bool) -> dict[str, Any] | None:
        as_of = nz.parse_as_of(cell.text, fiscal_year=self.fiscal_year, future=future)
        if isinstance(as_of, nz.NotAnAsOf):
            self.issue(Code.INVALID_AS_OF, cell, label, found)
            return None
        if as_of is None:
            return None
        if as_of.parts:
            if as_of.normalised is None:
                detail = (
                    "・".join(nz.describe_as_of(part) for part in as_of.parts) + "と異なるため、時点として使いません"
                )
            else:
                detail = f"{nz.describe_as_of(as_of.normalised)}として読み取りました"
            self.issue(Code.SEVERAL_AS_OF, cell, label, found, detail=detail)
        elif as_of.read_as is not None and as_of.normalised is not None:
            self.issue(
                Code.ERA_INFERRED, cell, label, found, read_as=as_of.read_as, as_of=nz.describe_as_of(as_of.normalised)
            )
        return {"text": as_of.text, "normalised": as_of.normalised, "fiscal_year": as_of.fiscal_year}

    def settle(
        self, column: layout.Column, cell: Cell, reading: nz.Number | nz.Qualitative | nz.NotANumber, unit: RowUnit
    ) -> tuple[int | float | str | None, str | None]:
        """The record value and note of one value cell, read in its row's unit; what was interpreted is reported."""
        label, found = column.label, nz.clean_text(cell.text) or ""
        budget = column.kind is Kind.BUDGET
        if isinstance(reading, nz.NotANumber):
            self.issue(Code.NOT_A_NUMBER, cell, label, found, what=reading.hint)
            return None, None
        if isinstance(reading, nz.Qualitative):
            if budget:
                self.issue(Code.BUDGET_NOT_A_NUMBER, cell, label, found)
                return None, None
            code = _QUALITATIVE_CODES[reading.reason]
            self.issue(code, cell, label, found, example=reading.example or _EXAMPLE_VALUE)
            return reading.text, None
        exact, told = reading.exact, False
        if reading.unit and unit.name:
            converted = nz.convert(reading, unit.name)
            if converted is None and (split := nz.split_unit_words(reading, unit.name)) is not None:
                reading, converted = split, split.exact  # 100%達成 in a % row
            if converted is None:
                code = Code.BUDGET_UNIT if budget else Code.UNIT_MISMATCH
                self.issue(code, cell, label, found, value_unit=reading.unit, unit=unit.name, unit_source=unit.source)
                return (None if budget else found), None
            if not nz.unit_matches(reading.unit, unit.name):
                value = nz.format_number(converted)
                self.issue(
                    Code.UNIT_CONVERTED, cell, label, found, value=value, unit=unit.name, value_unit=reading.unit
                )
                told = True
            exact = converted
        if budget and exact < 0:
            self.issue(Code.NEGATIVE_NUMBER, cell, label, found)
            return None, None
        if not told and (reading.approximate or reading.note):
            code = Code.APPROXIMATE_VALUE if reading.approximate else Code.VALUE_NOTE
            value = nz.format_number(exact)
            # the value is in the row's unit now: 約6 in a 部会 row reads as 6部会
            self.issue(code, cell, label, found, value=value, unit=unit.name or "", note=reading.note or "")
        return nz.json_number(exact), reading.note


@dataclass(frozen=True)
class RowUnit:
    """The unit a row's values are read in, and where it came from (for messages)."""

    name: str | None
    source: str = "「単位」欄"
    inferred: bool = False


def _row_unit(spec: layout.Field, row: Row, readings: Mapping[str, Any]) -> RowUnit:
    """The 単位 of an indicator row, else the first unit typed with one of its values; a budget's is 千円."""
    if spec.name != "indicators":
        return RowUnit(BUDGET_UNIT)
    unit_cell = row.get("unit")
    typed = nz.clean_text(unit_cell.text) if unit_cell is not None and not unit_cell.error else None
    if typed is not None:
        return RowUnit(typed)
    units = [reading.unit for reading in readings.values() if isinstance(reading, nz.Number) and reading.unit]
    if not units:
        return RowUnit(None)
    # the first unit typed, or a shorter one it begins with: % rather than %達成
    first = min((u for u in units if units[0].startswith(u)), key=len)
    return RowUnit(first, "値から読み取り", inferred=True)


def _row_record(b: _Builder, spec: layout.Field, row: Row, pointer: str) -> dict[str, Any]:
    """Normalise one table row; a value column gets its note beside it (``target`` and ``target_note``).

    The values are read first, so that the row's unit is known (its 単位, else the unit typed with its values),
    then every cell is converted in column order, so that issues come in the order of the cells.
    """
    readings: dict[str, Any] = {}
    for column in spec.columns:
        cell = row.get(column.key)
        if column.kind in _VALUE_KINDS and cell is not None and not cell.error:
            read = nz.parse_budget(cell.text) if column.kind is Kind.BUDGET else nz.parse_value(cell.text)
            if read is not None:
                readings[column.key] = read
    unit = _row_unit(spec, row, readings)
    record: dict[str, Any] = {}
    for column in spec.columns:
        key, cell = column.key, row.get(column.key)
        if column.kind in _VALUE_KINDS:
            record[key] = record[key + NOTE_SUFFIX] = None
        if cell is None:  # header missing: already reported by the reader
            record[key] = None if key != "direction" else layout.DEFAULT_DIRECTION
            continue
        if column.kind not in _VALUE_KINDS:
            future = key == "long_term_as_of"
            record[key] = b.convert(column.kind, cell, column.label, f"{pointer}/{key}", future=future)
            if key == "unit" and unit.inferred and record[key] is None and not cell.error:
                record[key] = unit.name
                b.issue(Code.UNIT_INFERRED, cell, column.label, unit=unit.name)
            continue
        b.at(f"{pointer}/{key}", cell)
        if cell.error:
            b.issue(Code.FORMULA_ERROR, cell, column.label, cell.text)
        elif key in readings:
            record[key], record[key + NOTE_SUFFIX] = b.settle(column, cell, readings[key], unit)
    if unit.inferred and spec.name == "indicators" and row.get("unit") is None:
        record["unit"] = unit.name  # no 単位 column at all: the reader reported the missing header
    return record


def _table(b: _Builder, spec: layout.Field, rows: list[Row], pointer: str) -> list[dict[str, Any]]:
    """Normalise a table; rows whose every value is blank or not-applicable are dropped."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if all(nz.clean_text(c.text) is None for c in row.values()):
            continue
        out.append(_row_record(b, spec, row, f"{pointer}/{len(out)}"))
    return out


def _list(b: _Builder, cells: list[Cell], pointer: str, label: str) -> list[str]:
    """Normalise a one-column list; blank and not-applicable rows are dropped."""
    out: list[str] = []
    for cell in cells:
        if cell.error:
            b.issue(Code.FORMULA_ERROR, cell, label, cell.text)
            continue
        text = nz.clean_text(cell.text)
        if text is not None:
            b.at(f"{pointer}/{len(out)}", cell)
            out.append(text)
    return out


def _policy(b: _Builder, raw: RawPolicy, index: int) -> dict[str, Any]:
    """Normalise one policy sheet."""
    p = f"/policies/{index}"
    policy: dict[str, Any] = {"sheet": raw.sheet}
    for spec in layout.POLICY_FIELDS:
        pointer = f"{p}/{spec.name}"
        if spec.name in raw.anchors:
            b.at(pointer, raw.anchors[spec.name])
        if spec.shape is layout.Shape.CELL:
            cell = raw.cells.get(spec.name)
            policy[spec.name] = b.convert(spec.kind, cell, spec.label, pointer) if cell else None
        elif spec.shape is layout.Shape.TABLE:
            rows = raw.tables.get(spec.name, [])
            if spec.name == "indicators":
                kept = [row for row in rows if not _says_no_indicators(row)]
                if len(kept) < len(rows):
                    b.declared_no_indicators.add(index)
                rows = kept
            policy[spec.name] = _table(b, spec, rows, pointer)
        elif spec.columns:
            plans: list[dict[str, Any]] = []
            label_col, mark_col = spec.columns
            for label_cell, mark_cell in raw.pairs.get(spec.name, []):
                if label_cell.error:
                    b.issue(Code.FORMULA_ERROR, label_cell, spec.label, label_cell.text)
                    continue
                label = nz.clean_text(label_cell.text)
                if label is None:
                    continue
                i = len(plans)
                marked = b.convert(mark_col.kind, mark_cell, f"{spec.label}（{label}）", f"{pointer}/{i}/marked")
                b.at(f"{pointer}/{i}/label", label_cell)
                plans.append({label_col.key: label, mark_col.key: bool(marked)})
            policy[spec.name] = plans
        else:
            policy[spec.name] = _list(b, raw.lists.get(spec.name, []), pointer, spec.label)
    return policy


def _says_no_indicators(row: Row) -> bool:
    """Whether an indicator row's name is 測定指標なし: the policy has no indicators on purpose."""
    name = row.get("name")
    return name is not None and not name.error and nz.says_no_indicators(name.text)


def _anchor(raw_cells: Mapping[str, Cell], anchors: Mapping[str, Cell], name: str) -> Cell | None:
    return raw_cells.get(name) or anchors.get(name)


def _check_required(b: _Builder, record: dict[str, Any], raw: RawSubmission, stage: str | None) -> None:
    """Required fields, and evaluation fields required at the record's stage."""
    for name in layout.REQUIRED_FIELDS:
        spec = layout.ALL_FIELDS[name]
        if name in layout.WORKBOOK_NAMES:
            cell = _anchor(raw.cells, raw.anchors, name)
            if cell is None:
                continue  # the name itself is missing: reported as not-a-template
            _require(b, spec, record.get(name), cell)
    for index, policy in enumerate(record["policies"]):
        raw_policy = raw.policies[index]
        for name in layout.REQUIRED_FIELDS:
            if name in layout.POLICY_NAMES and (cell := _anchor(raw_policy.cells, raw_policy.anchors, name)):
                _require(b, layout.ALL_FIELDS[name], policy.get(name), cell)
        for name, stages in layout.REQUIRED_AT_STAGE.items():
            cell = _anchor(raw_policy.cells, raw_policy.anchors, name)
            if stage in stages and cell is not None and policy.get(name) is None and not _has_issue(b, cell):
                spec = layout.ALL_FIELDS[name]
                b.issue(Code.MISSING_FIELD, cell, spec.label, what=f"評価時点が「{stage}」のときは必ず入力してください")


def _has_issue(b: _Builder, cell: Cell) -> bool:
    return any(i.sheet == cell.sheet and i.cell == cell.address for i in b.issues)


def _require(b: _Builder, spec: layout.Field, value: Any, cell: Cell) -> None:
    if value is None and not _has_issue(b, cell):
        b.issue(Code.MISSING_FIELD, cell, spec.label, what=spec.hint)
    elif isinstance(value, list) and not value:
        b.issue(Code.MISSING_ROW, cell, spec.label)


def _check_indicators(b: _Builder, record: dict[str, Any]) -> None:
    """Indicator rules: a name for every row, long-term year not before this year, no duplicate names."""
    year = record.get("fiscal_year")
    for pi, policy in enumerate(record["policies"]):
        seen: dict[str, str] = {}
        for ii, ind in enumerate(policy["indicators"]):
            base = f"/policies/{pi}/indicators/{ii}"
            name_cell = _cell_at(b, f"{base}/name")
            if ind["name"] is None and name_cell is not None:
                b.issue(
                    Code.MISSING_FIELD,
                    name_cell,
                    layout.label_of("indicators.name"),
                    what="指標の名称を入力してください",
                )
            elif ind["name"] is not None and name_cell is not None:
                if ind["name"] in seen:
                    b.issue(
                        Code.DUPLICATE_INDICATOR,
                        name_cell,
                        layout.label_of("indicators.name"),
                        ind["name"],
                        quote=False,
                        other=seen[ind["name"]],
                    )
                else:
                    seen[ind["name"]] = name_cell.location
            long_term = ind["long_term_as_of"]
            cell = _cell_at(b, f"{base}/long_term_as_of")
            long_term_year = long_term["fiscal_year"] if long_term else None
            if isinstance(long_term_year, int) and isinstance(year, int) and long_term_year < year and cell is not None:
                b.issue(
                    Code.LONG_TERM_BEFORE_FISCAL_YEAR,
                    cell,
                    layout.label_of("indicators.long_term_as_of"),
                    long_term["text"],
                    found_year=long_term["fiscal_year"],
                    fiscal_year=year,
                )


def _check_final(b: _Builder, record: dict[str, Any]) -> None:
    """At 最終, warnings for what a division should have written: an actual for every target (実績未記入), and an
    indicator for every policy, or 測定指標なし where it has none on purpose."""
    if record.get("stage") != "最終":
        return
    for pi, policy in enumerate(record["policies"]):
        if not policy["indicators"] and pi not in b.declared_no_indicators:
            cell = _cell_at(b, f"/policies/{pi}/indicators")
            if cell is not None:
                b.issue(Code.NO_INDICATORS, cell, layout.label_of("indicators"))
        for ii, ind in enumerate(policy["indicators"]):
            cell = _cell_at(b, f"/policies/{pi}/indicators/{ii}/actual")
            if ind["target"] is not None and ind["actual"] is None and cell is not None and not _has_issue(b, cell):
                b.issue(Code.MISSING_ACTUAL, cell, layout.label_of("indicators.actual"))


def _cell_at(b: _Builder, pointer: str) -> Cell | None:
    location = b.locations.get(pointer)
    if location is None:
        return None
    sheet, _, address = location.rpartition("!")
    return Cell(sheet, address, None)


def behind_target(ind: Mapping[str, Any]) -> bool | None:
    """True when both target and actual are numbers and the actual falls short in the indicator's direction."""
    target, actual = ind.get("target"), ind.get("actual")
    if not isinstance(target, int | float) or not isinstance(actual, int | float):
        return None
    return bool(short_of(ind.get("direction"), actual, target))


def _check_self_evaluation(b: _Builder, record: dict[str, Any]) -> None:
    """A judgement that contradicts the numbers is a warning (design §5); it is never recomputed."""
    for pi, policy in enumerate(record["policies"]):
        verdicts = [behind_target(ind) for ind in policy["indicators"]]
        judged = [v for v in verdicts if v is not None]
        if not judged:
            continue
        behind = sum(judged)
        progress, score = policy.get("progress"), policy.get("achievement")
        optimistic = progress == "◎" or score == layout.ACHIEVEMENT_MAX
        pessimistic = progress == "×" or (isinstance(score, int) and score <= 5)
        facts = None
        if optimistic and behind:
            facts = f"目標未達 {behind} 件"
        elif pessimistic and behind == 0 and len(judged) == len(verdicts):
            facts = "すべての指標が目標達成"
        if facts is None:
            continue
        judgement = "、".join(
            part
            for part in (f"進捗評価 {progress}" if progress else "", f"達成度 {score}" if score is not None else "")
            if part
        )
        cell = _cell_at(b, f"/policies/{pi}/progress") or _cell_at(b, f"/policies/{pi}/achievement")
        if cell is not None:
            b.issue(Code.EVALUATION_CONTRADICTION, cell, layout.label_of("progress"), judgement=judgement, facts=facts)


def _check_master(b: _Builder, record: dict[str, Any], raw: RawSubmission, master: Master) -> None:
    key = DivisionKey(record.get("division_code"), record.get("department") or "", record.get("division") or "")
    if not key.division:
        return
    known = master.find(key)
    if known is None:
        cell = _anchor(raw.cells, raw.anchors, "division")
        if cell is not None:
            found = " ".join(x for x in (key.code, key.department, key.division) if x)
            b.issue(Code.UNKNOWN_DIVISION, cell, layout.label_of("division"), found, quote=False)
    elif key.code and known.code and key.code != known.code:
        record["division_code"] = known.code  # as the master writes it (0101, not the 101 Excel kept)


def _schema_issues(b: _Builder, record: dict[str, Any]) -> None:
    """Shape errors from the compiled schema, located through the record's cell locations."""
    for error in schema_validator().iter_errors(record):
        path = list(error.instance_path)
        pointer = "/" + "/".join(str(p) for p in path)
        cell = None
        probe = pointer
        while probe and cell is None:
            cell = _cell_at(b, probe)
            probe = probe.rpartition("/")[0]
        if cell is not None and _has_issue(b, cell):
            continue  # a value problem at this cell is already reported more precisely
        label = label_for_path(path)
        if cell is not None and error.instance is None and type(error.kind).__name__ == "Type":
            # a value the data model requires left blank (a project row without its name): say so, as for fields
            b.issue(Code.MISSING_FIELD, cell, label, what=hint_for_path(path) or f"{label}を入力してください。")
            continue
        detail = schema_detail(error)
        if cell is not None:
            b.issue(Code.SCHEMA, cell, label, detail=detail)
        else:
            b.issues.append(make_issue(Code.SCHEMA, file=b.file, field=label, detail=detail))


def validate_raw(
    raw: RawSubmission,
    *,
    file: str = "",
    master: Master | None = None,
) -> Validated:
    """Normalise and validate the raw cells of one workbook."""
    b = _Builder(file)
    b.issues.extend(raw.issues)
    if not raw.anchors and not raw.policies:
        b.issues.append(make_issue(Code.NOT_A_TEMPLATE, file=file))
        return Validated(None, {}, tuple(b.issues))
    record: dict[str, Any] = {}
    for spec in (*layout.META_FIELDS, *layout.BASIC_FIELDS):
        pointer = f"/{spec.name}"
        if spec.shape is layout.Shape.LIST:
            record[spec.name] = _list(b, raw.lists.get(spec.name, []), pointer, spec.label)
            if spec.name in raw.anchors:
                b.at(pointer, raw.anchors[spec.name])
        else:
            cell = raw.cells.get(spec.name)
            record[spec.name] = b.convert(spec.kind, cell, spec.label, pointer) if cell else None
    b.fiscal_year = record.get("fiscal_year")
    for spec in (*layout.META_FIELDS, *layout.BASIC_FIELDS):
        if spec.name not in raw.anchors:
            b.issues.append(make_issue(Code.MISSING_NAME, file=file, field=spec.label, name=spec.name))
    version = record.get("template_version")
    if "template_version" in raw.anchors and version not in layout.SUPPORTED_TEMPLATE_VERSIONS:
        cell = raw.cells["template_version"]
        b.issue(Code.UNSUPPORTED_TEMPLATE_VERSION, cell, layout.label_of("template_version"), cell.text or "空欄")
    record["policies"] = [_policy(b, p, i) for i, p in enumerate(raw.policies)]
    if not raw.policies:
        b.issues.append(make_issue(Code.NO_POLICY_SHEET, file=file))
    _check_required(b, record, raw, record.get("stage"))
    _check_indicators(b, record)
    _check_final(b, record)
    _check_self_evaluation(b, record)
    if master is not None:
        _check_master(b, record, raw, master)
    _schema_issues(b, record)
    _check_placeable(b, record)
    return Validated(record, b.locations, tuple(b.issues))


# Without these a file cannot be placed: whose 工程表 it is, of which year and stage (design §4: blocking).
_PLACING = ("department", "division", "fiscal_year", "stage")


def _check_placeable(b: _Builder, record: dict[str, Any]) -> None:
    missing = [layout.label_of(key) for key in _PLACING if record.get(key) in (None, "")]
    if missing:
        b.issues.append(make_issue(Code.UNPLACEABLE, file=b.file, what="・".join(missing)))
