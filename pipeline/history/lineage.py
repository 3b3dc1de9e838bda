"""The planning office's lineage files: lineage.csv (reorganisations) and indicator_renames.csv.

lineage.csv: 年度, 旧所属コード, 旧部局名, 旧所属名, 新所属コード, 新部局名, 新所属名, 種別 (改称 / 統合 / 分割 / 移管),
one row per old → new pair (a merger has a row per predecessor, a split a row per new division); 年度 is the first
fiscal year of the new division. indicator_renames.csv: 年度, 所属 (code or 所属名 in that year), 旧指標名,
新指標名. Both UTF-8 with or without BOM, or cp932 (Excel's Japanese CSV). What the rows do is `identity`'s.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.checks.normalise import clean_code, clean_text, parse_fiscal_year
from pipeline.errors import PipelineError
from pipeline.model import DivisionKey

LINEAGE_COLUMNS = ("年度", "旧所属コード", "旧部局名", "旧所属名", "新所属コード", "新部局名", "新所属名", "種別")
RENAME_COLUMNS = ("年度", "所属", "旧指標名", "新指標名")
KINDS = ("改称", "統合", "分割", "移管")


class LineageError(PipelineError):
    """lineage.csv or indicator_renames.csv cannot be read or has rows that cannot be used."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class LineageRow:
    """One reorganisation: the old division became (part of) the new one in ``fiscal_year``."""

    fiscal_year: int
    old: DivisionKey
    new: DivisionKey
    kind: str
    line: int = 0  # row number in the file, the header being row 1


@dataclass(frozen=True)
class IndicatorRename:
    """An indicator of ``division`` (its code or 所属名 that year) called ``new_name`` from ``fiscal_year`` on."""

    fiscal_year: int
    division: str
    old_name: str
    new_name: str
    line: int = 0


# ---------------------------------------------------------------- reading the two CSV files


def _decode(path: Path, what: str) -> list[list[str]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return list(csv.reader(io.StringIO(text)))
    raise LineageError(
        f"{what} {path.name} の文字コードを判別できません。UTF-8 または Shift_JIS の CSV で保存してください。"
    )


def _table(path: Path, columns: Sequence[str], required: Sequence[str]) -> list[tuple[int, dict[str, str | None]]]:
    """The rows of a CSV file as (row number, {column: cleaned text}), blank rows skipped."""
    rows = _decode(path, path.name)
    if not rows:
        return []
    header = [clean_text(h) or "" for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise LineageError(
            f"{path.name} の見出しに {'・'.join(missing)} がありません（必要な列: {'、'.join(columns)}）。",
            [f"{path.name} 1行目: 見出し {c} がありません" for c in missing],
        )
    index = {c: header.index(c) for c in columns if c in header}
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        out.append((number, {c: clean_text(row[i]) if i < len(row) else None for c, i in index.items()}))
    return out


def _year(path: Path, number: int, text: str | None, problems: list[str]) -> int | None:
    year = parse_fiscal_year(text)
    if year is None:
        problems.append(
            f"{path.name} {number}行目「年度」: 年度として読めません。2016、H28、平成28年度、R7 のように入力してください"
            f"（入力値: 「{text or ''}」）"
        )
    return year


def read_lineage(path: Path) -> tuple[LineageRow, ...]:
    """The rows of lineage.csv (UTF-8 with or without BOM, or cp932); every bad row is reported at once."""
    problems: list[str] = []
    out = []
    for number, row in _table(path, LINEAGE_COLUMNS, ("年度", "旧所属名", "新所属名", "種別")):
        year = _year(path, number, row.get("年度"), problems)
        kind = row.get("種別")
        if kind not in KINDS:
            problems.append(
                f"{path.name} {number}行目「種別」: {'・'.join(KINDS)} のいずれかを入力してください（入力値: 「{kind or ''}」）"
            )
        sides = {}
        for side in ("旧", "新"):
            code, name = clean_code(row.get(f"{side}所属コード")), row.get(f"{side}所属名")
            if not code and not name:
                problems.append(
                    f"{path.name} {number}行目「{side}所属名」: {side}所属コードか{side}所属名を入力してください"
                )
            sides[side] = DivisionKey(code, row.get(f"{side}部局名") or "", name or "")
        if year is not None and kind in KINDS and not problems:
            out.append(LineageRow(year, sides["旧"], sides["新"], kind, number))
    if problems:
        raise LineageError(f"{path.name} に使えない行があります。\n" + "\n".join(problems), problems)
    return tuple(out)


def read_indicator_renames(path: Path) -> tuple[IndicatorRename, ...]:
    """The rows of indicator_renames.csv (年度, 所属, 旧指標名, 新指標名); every bad row is reported at once."""
    problems: list[str] = []
    out = []
    for number, row in _table(path, RENAME_COLUMNS, RENAME_COLUMNS):
        year = _year(path, number, row.get("年度"), problems)
        for column in RENAME_COLUMNS[1:]:
            if not row.get(column):
                problems.append(f"{path.name} {number}行目「{column}」: 入力が必要です")
        division, old, new = row.get("所属"), row.get("旧指標名"), row.get("新指標名")
        if year is not None and division and old and new:
            out.append(IndicatorRename(year, clean_code(division) or division, old, new, number))
    if problems:
        raise LineageError(f"{path.name} に使えない行があります。\n" + "\n".join(problems), problems)
    return tuple(out)
