"""Load the division master list (所属コード, 部局名, 所属名) from CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

from pipeline.checks.normalise import clean_code, clean_text
from pipeline.constants import ROSTER_COLUMNS
from pipeline.errors import MasterError
from pipeline.model import DivisionKey, Master

COLUMNS = ROSTER_COLUMNS

__all__ = ["COLUMNS", "Master", "MasterError", "load_master"]


def _rows_from_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    raise MasterError("所属名簿の文字コードを判別できません。UTF-8 または Shift_JIS の CSV で保存してください。")


def _rows_from_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [
            ["" if v is None else str(v) for v in row]
            for row in sheet.iter_rows(values_only=True)
            if any(v is not None and str(v).strip() for v in row)
        ]
    finally:
        book.close()


def load_master(path: Path) -> Master:
    """The master list at ``path``: a header row with 所属コード, 部局名, 所属名, then one division a row."""
    try:
        rows = _rows_from_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _rows_from_csv(path.read_bytes())
    except MasterError:
        raise
    except Exception as exc:
        raise MasterError(
            f"所属名簿 {path} を読めません（{type(exc).__name__}）。CSV または .xlsx で保存してください。"
        ) from exc
    if not rows:
        raise MasterError(f"所属名簿 {path} が空です。")
    header = [clean_text(h) or "" for h in rows[0]]
    missing = [c for c in COLUMNS[1:] if c not in header]
    if missing:
        raise MasterError(
            f"所属名簿 {path} の見出しに {'・'.join(missing)} がありません（必要な列: {'、'.join(COLUMNS)}）。"
        )
    idx = {c: header.index(c) for c in COLUMNS if c in header}
    divisions = []
    for row in rows[1:]:

        def cell(name: str, row: list[str] = row) -> str | None:
            i = idx.get(name)
            return row[i] if i is not None and i < len(row) else None

        department, division = clean_text(cell("部局名")), clean_text(cell("所属名"))
        if department and division:
            divisions.append(DivisionKey(clean_code(cell("所属コード")), department, division))
    _refuse_duplicates(path, divisions)
    return Master(tuple(divisions))


def _refuse_duplicates(path: Path, divisions: list[DivisionKey]) -> None:
    """A code listed for two divisions (1102 and 01102 are one code), or one division listed twice, makes the
    roster ambiguous: a file could be matched to either."""
    by_code: dict[str, list[DivisionKey]] = defaultdict(list)
    by_names: dict[tuple[str, str], list[DivisionKey]] = defaultdict(list)
    for d in divisions:
        if d.code:
            by_code[(d.code.lstrip("0") or "0") if d.code.isdigit() else d.code].append(d)
        by_names[(d.department, d.division)].append(d)
    problems = [
        f"所属コード {same[0].code}（{'、'.join(f'{d.department} {d.division}' for d in same)}）"
        for same in by_code.values()
        if len(same) > 1
    ]
    problems += [
        f"{department} {division}（{len(same)} 行）"
        for (department, division), same in by_names.items()
        if len(same) > 1
    ]
    if problems:
        raise MasterError(
            f"所属名簿 {path} に重複があります: {'、'.join(problems)}。所属コードと所属名が 1 行に 1 所属ずつになるように直してください。"
        )
