"""Write a merge's outputs into the outbox: consolidated.xlsx, behind_target.md, summary.json and tables/.

Every output is first written into a temporary folder inside the outbox and moved
into place only when all of them are complete, so a crash leaves the previous
outputs as they were. User text reaches the workbook only through ``write_string``
and the CSV tables only through `csv_safe`: nothing a division typed can become a
formula or a link. Nothing here depends on the clock, so the same inbox gives the
same outputs.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import json
import math
import os
import re
import secrets
import shutil
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from pipeline.checks.status import BEHIND, MET, MISSING_ACTUAL, NOT_EVALUABLE
from pipeline.combine.merge import FATES, TABLES, MergeResult
from pipeline.constants import DEFAULT_GRADE_BANDS, LOWEST_GRADE
from pipeline.contract import layout
from pipeline.errors import PipelineError
from pipeline.outputs.report import SEVERITY_JA

WORKBOOK_NAME = "consolidated.xlsx"
SUMMARY_MD_NAME = "behind_target.md"
SUMMARY_JSON_NAME = "summary.json"
TABLES_DIR = "tables"
TMP_PREFIX = ".tmp-"
STALE_TMP_SECONDS = 3600.0
KEPT_DIR = "previous"  # inside the temporary folder: the outputs being replaced, until the new ones are in
TABLE_CHUNK = 4096  # rows of tables/ encoded at a time: a parquet row group, a slice of the CSV

SHEETS = (
    "概要",
    "目標未達指標",
    "指標一覧",
    "政策・評価",
    "主要事業",
    "取組と成果",
    "課題と今後の取組",
    "所属一覧",
    "提出状況",
    "検証エラー",
)
# Above this many table rows the workbook is written in xlsxwriter's constant_memory mode (about 2,000
# divisions: below it the in-memory cell table costs < 150 MB; above it memory would grow with the prefecture).
CONSTANT_MEMORY_ROWS = 50_000
FONT_NAME = "Meiryo UI"
FONT_SIZE = 10
NONE_LINE = "（該当なし）"
JST = timezone(timedelta(hours=9), "JST")
EXCEL_MAX_DATA_ROWS = 1_048_576 - 2  # below the title and header rows

# Labels of the template contract, spelt once in layout.
L_DEPARTMENT = layout.label_of("department")
L_DIVISION = layout.label_of("division")
L_CODE = layout.label_of("division_code")
L_YEAR = layout.label_of("fiscal_year")
L_STAGE = layout.label_of("stage")
L_POLICY = layout.label_of("policy_title")
L_PROGRESS = layout.label_of("progress")
L_ACHIEVEMENT = layout.label_of("achievement")
L_REASON = layout.label_of("evaluation_reason")
L_NEXT_ACTION = layout.label_of("challenges.next_action")
L_BUDGET = layout.label_of("projects.budget")
L_UNIT = layout.label_of("indicators.unit")
L_TARGET = layout.label_of("indicators.target")
L_ACTUAL = layout.label_of("indicators.actual")

# Labels of what only the outputs show.
H_STATUS = "状態"
H_STATUS_REASON = "判定理由"
H_RATE = "達成率(%)"
H_GRADE = "評価区分"
H_TRAJECTORY_EXPECTED = "長期目標からみた今年度の想定値"
H_TRAJECTORY = "長期目標に対する遅れ"
H_WARNING = "自己評価の注意"
H_LOCATION = "所在"
H_FILE = "ファイル"
H_FEEDBACK = "指摘付きコピー"
H_ROW = "行"
H_POLICY_NO = "政策番号"
H_BEHIND_COUNT = "目標未達の指標数"
H_INDICATOR_COUNT = "指標数"
H_POLICY_COUNT = "政策数"
H_BUDGET_TOTAL = "予算額合計(千円)"
H_SUBMITTED = "提出"
H_SUBMITTED_COUNT = "提出所属数"
H_EXPECTED_COUNT = "対象所属数"
TRAJECTORY_FLAG = "遅れ"
SUBMITTED = "提出済"
NOT_SUBMITTED = "未提出"
DELAYED_MARKS = ("△", "×")
PROGRESS_MEANING = dict(layout.PROGRESS)

# Excel's own good / bad / neutral cell styles, and two quieter ones.
_GOOD = {"bg_color": "#C6EFCE", "font_color": "#006100"}
_BAD = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
_NEUTRAL = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
_GREY = {"bg_color": "#D9D9D9", "font_color": "#404040"}
_BLUE = {"bg_color": "#DDEBF7", "font_color": "#1F4E78"}
ANY_VALUE = "*"  # palette key: every value that is not blank gets this colour
PALETTES: dict[str, dict[str, dict[str, str]]] = {
    "status": {BEHIND: _BAD, MISSING_ACTUAL: _NEUTRAL, NOT_EVALUABLE: _GREY, MET: _GOOD},
    "mark": {"◎": _GOOD, "○": _BLUE, "△": _NEUTRAL, "×": _BAD},
    "fate": {
        FATES["accepted"]: _GOOD,
        FATES["rejected"]: _BAD,
        FATES["superseded"]: _GREY,
        FATES["out-of-scope"]: _GREY,
        FATES["unsupported"]: _BAD,
        FATES["skipped"]: _GREY,
        FATES["in-transit"]: _NEUTRAL,
    },
    "severity": {SEVERITY_JA["error"]: _BAD, SEVERITY_JA["warning"]: _NEUTRAL},
    "grade": {DEFAULT_GRADE_BANDS[0][0]: _GOOD, LOWEST_GRADE: _BAD},
    "flag": {ANY_VALUE: _BAD},
    "warning": {ANY_VALUE: _NEUTRAL},
    "submitted": {NOT_SUBMITTED: _BAD},
}
CHART_COLOURS = {"◎": "#70AD47", "○": "#5B9BD5", "△": "#FFC000", "×": "#C00000"}

_BASE_FORMAT: dict[str, Any] = {
    "font_name": FONT_NAME,
    "font_size": FONT_SIZE,
    "valign": "top",
    "border": 1,
    "border_color": "#BFBFBF",
}
# What each kind of column looks like: cell format, and the (min, max) width in characters.
_KIND_FORMAT: dict[str, dict[str, Any]] = {
    "key": {"text_wrap": True},
    "text": {"text_wrap": True},
    "long": {"text_wrap": True},
    "note": {"text_wrap": True},
    "code": {"text_wrap": True},
    "value": {"num_format": "#,##0"},
    "calc": {"num_format": "#,##0"},
    "int": {"num_format": "#,##0"},
    "rate": {"num_format": "#,##0.0"},
    "budget": {"num_format": "#,##0"},
    "mark": {"align": "center"},
    "score": {"num_format": "0", "align": "center"},
    "year": {"num_format": "0", "align": "center"},
    "hash": {},  # not wrapped: a 64-digit hash would make its row five lines tall
}
# Decimals a non-integral number shows: a typed value (kind "value") as typed, up to this many places, else in
# General format; a computed one (kind "calc") rounded to at most this many places.
_TYPED_DECIMALS = 6
_CALC_DECIMALS = 2
# Caps keep a table printable one page wide on A4; long text wraps instead of widening its column.
_WIDTHS: dict[str, tuple[int, int]] = {
    "key": (8, 14),
    "text": (6, 22),
    "long": (20, 36),
    "note": (16, 24),  # a remark that is usually blank: narrower than a sentence column
    "code": (6, 16),
    "value": (7, 12),
    "calc": (7, 12),
    "int": (5, 8),
    "rate": (6, 8),
    "budget": (9, 17),  # wide enough for 予算額合計(千円) on one line
    "mark": (4, 8),
    "score": (5, 8),
    "year": (6, 8),
    "hash": (12, 18),
}
_WRAPPED_KINDS = frozenset({"key", "text", "long", "note", "code"})
LINE_HEIGHT = 14.0  # points per line of 10-point Meiryo UI
MAX_ROW_LINES = 28  # Excel's row height limit is 409 points
_WIDTH_SAMPLE = 300
# A header up to SHORT_HEADER wide (4 full-width characters) is kept on one line, up to HEADER_ONE_LINE wide
# (8 characters) if its column may be that wide; a longer one takes two lines or more.
SHORT_HEADER = 8
HEADER_ONE_LINE = 16
DEFAULT_ROW_HEIGHT = 15.0  # points: xlsxwriter's default row height

# Printing: A4 landscape within these margins (inches).
MARGIN_SIDE = 0.4
MARGIN_TOP = 0.6
PRINTABLE_WIDTH = (297 / 25.4 - 2 * MARGIN_SIDE) * 72  # points
PRINTABLE_HEIGHT = (210 / 25.4 - 2 * MARGIN_TOP) * 72
# Points per unit of column width as printed. Taken from the widest renderer seen (LibreOffice, whose stand-in
# for Meiryo UI has wide digits); Excel's own Meiryo UI is narrower, so a page planned with it never overflows.
POINTS_PER_WIDTH = 6.4
WIDTH_PADDING = 0.71  # what xlsxwriter adds to each column width for the cell padding
MIN_PRINT_SCALE = 0.7  # below this, 10-point text is too small to read on paper: the table is split across pages
PIXELS_PER_POINT = 96 / 72


# ---------------------------------------------------------------- small helpers


def fiscal_year_label(year: int | None) -> str:
    """The fiscal year in 和暦 and 西暦, e.g. ``令和7年度（2025年度）``, ``令和元年度（2019年度）``."""
    if year is None:
        return "年度不明"
    for era, first in (("令和", 2019), ("平成", 1989), ("昭和", 1926)):
        if year >= first:
            n = year - first + 1
            return f"{era}{'元' if n == 1 else n}年度（{year}年度）"
    return f"{year}年度"


def stage_label(stage: str | None) -> str:
    """The stage with its meaning, e.g. ``最終（年度末）``."""
    if stage is None:
        return "評価時点不明"
    return layout.STAGE_LABELS.get(stage, stage)


def _scope_label(result: MergeResult) -> str:
    return f"{fiscal_year_label(result.fiscal_year)} {stage_label(result.stage)}"


def text_width(text: str) -> int:
    """Display width of text in half-width columns: full-width (and ambiguous) characters count 2; widest line."""
    if text.isascii():
        return max(len(line) for line in text.split("\n"))
    narrow = _narrow_runs()  # Japanese text has few runs of narrow characters and many wide characters
    return max(2 * len(line) - sum(map(len, narrow.findall(line))) for line in text.split("\n"))


@functools.cache
def _narrow_runs() -> re.Pattern[str]:
    """Runs of characters that East Asian Width calls neither full-width, wide nor ambiguous (one column each).

    Built once (~40 ms) from unicodedata, so that measuring a text is a regex in C rather than a Python loop over
    its characters. Planes 0 and 1 and the tags block are scanned; the rest of planes 2 to 16 is wide.
    """
    wide: list[tuple[int, int]] = []
    for code in itertools.chain(range(0x20000), range(0xE0000, 0xE0100)):
        if unicodedata.east_asian_width(chr(code)) in "FWA":
            if wide and wide[-1][1] == code - 1:
                wide[-1] = (wide[-1][0], code)
            else:
                wide.append((code, code))
    wide += [(0x20000, 0xDFFFF), (0xE0100, 0x10FFFF)]
    return re.compile("[^" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in wide) + "]+")


def _number_text(value: float | None) -> str:
    """A number as people write it: thousands separators, no trailing zeros."""
    if value is None or not math.isfinite(value):
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _finite(value: Any) -> Any:
    """A float made JSON-safe (NaN and infinities become null); other values unchanged."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_FORMULA_START = r"^[=+\-@\t\r＝＋－＠]"


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with text that a spreadsheet would run as a formula prefixed with ``'`` (OWASP CSV injection)."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not texts:
        return frame
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in texts
    )


# Punctuation that starts Markdown or HTML syntax anywhere in a line ("!" is harmless once "[" is escaped).
_MD_INLINE = re.compile(r"([\\`*_{}\[\]()<>#|~&])")
# What makes a list item or a setext heading at the start of a line: "- ", "+ ", "1. ", "2) ", "===".
_MD_LINE_START = re.compile(r"^(?:[-+=](?=\s|[-+=]*$)|\d{1,9}[.)](?=\s|$))")


def md_escape(text: str | None, *, indent: str = "") -> str:
    """User text made inert in Markdown: syntax escaped, line breaks kept as hard breaks indented by ``indent``."""
    if not text:
        return ""
    lines = []
    for raw in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        line = _MD_INLINE.sub(r"\\\1", line)
        line = _MD_LINE_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], line)
        lines.append(line)
    return ("\\\n" + indent).join(lines)


def _location_expr(*cell_columns: str) -> pl.Expr:
    """``政策1!L26`` from the sheet and the first cell column that is set; the sheet alone if none is."""
    cell = pl.coalesce([pl.col(c) for c in cell_columns])
    return (
        pl.when(cell.is_not_null()).then(pl.concat_str([pl.col("sheet"), pl.lit("!"), cell])).otherwise(pl.col("sheet"))
    )


_SORT_KEYS = ("department", "division", "file", "policy_no", "row", "item_no")


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows ordered by department, division, file, policy and row, as executives read them."""
    keys = [k for k in _SORT_KEYS if k in frame.columns]
    return frame.sort(keys, nulls_last=True, maintain_order=True) if keys else frame


def _table(result: MergeResult, name: str) -> pl.DataFrame:
    return result.tables.get(name, pl.DataFrame())


def _count(frame: pl.DataFrame, column: str, value: str) -> int:
    if column not in frame.columns:
        return 0
    return int(frame.get_column(column).eq(value).sum())


def _behind(result: MergeResult) -> pl.DataFrame:
    """The behind-target indicators, ordered."""
    indicators = _table(result, "indicators")
    if "status" not in indicators.columns:
        return indicators.clear()
    return _sorted(indicators.filter(pl.col("status") == BEHIND))


def _table_names(result: MergeResult) -> list[str]:
    """The tables written under tables/: the merge's own in their order, then any others by name."""
    return [n for n in TABLES if n in result.tables] + sorted(n for n in result.tables if n not in TABLES)


def _output_names(result: MergeResult) -> list[str]:
    names = [WORKBOOK_NAME, SUMMARY_MD_NAME, SUMMARY_JSON_NAME]
    for table in _table_names(result):
        names += [f"{TABLES_DIR}/{table}.parquet", f"{TABLES_DIR}/{table}.csv"]
    return names


# ---------------------------------------------------------------- summary.json


def _file_counts(result: MergeResult) -> dict[str, int]:
    submissions = _table(result, "submissions")
    statuses = submissions.get_column("status").to_list() if "status" in submissions.columns else []
    counts = {"seen": len(statuses)}
    for fate in FATES:
        counts[fate.replace("-", "_")] = statuses.count(fate)
    return counts


def _delayed_policies(result: MergeResult) -> pl.DataFrame:
    policies = _table(result, "policies")
    if "progress" not in policies.columns:
        return policies.clear()
    return _sorted(policies.filter(pl.col("progress").is_in(DELAYED_MARKS)))


def _warned_policies(result: MergeResult) -> pl.DataFrame:
    policies = _table(result, "policies")
    if "self_evaluation_warning" not in policies.columns:
        return policies.clear()
    return _sorted(policies.filter(pl.col("self_evaluation_warning").is_not_null()))


def _rejected(result: MergeResult, fate: str = "rejected") -> list[dict[str, Any]]:
    """Files with the given fate and their error messages, in the order the merge saw them."""
    submissions, errors = _table(result, "submissions"), _table(result, "errors")
    if "status" not in submissions.columns:
        return []
    files = submissions.filter(pl.col("status") == fate).get_column("file").to_list()
    by_file: dict[str, list[str]] = defaultdict(list)
    if {"file", "severity", "message"} <= set(errors.columns):
        for file, message in errors.filter(pl.col("severity") == "error").select("file", "message").iter_rows():
            by_file[file].append(message)
    return [{"file": f, "errors": by_file.get(f, [])} for f in files]


def summary_dict(result: MergeResult) -> dict[str, Any]:
    """What summary.json holds: scope, file fates, counts and the lists a machine needs (no timestamps)."""
    indicators = _table(result, "indicators")
    behind = _behind(result)
    behind_list = [
        {
            "file": row["file"],
            "department": row["department"],
            "division": row["division"],
            "sheet": row["sheet"],
            "cell": row["actual_cell"],
            "policy": row["policy_title"],
            "indicator": row["name"],
            "unit": row["unit"],
            "target": _finite(row["target"]),
            "actual": _finite(row["actual"]),
            "rate": _finite(row["achievement_rate"]),
            "grade": row["grade"],
        }
        for row in behind.iter_rows(named=True)
    ]
    return {
        "fiscal_year": result.fiscal_year,
        "stage": result.stage,
        "files": _file_counts(result),
        "divisions": _table(result, "divisions").height,
        "policies": _table(result, "policies").height,
        "indicators": indicators.height,
        "behind_target": behind.height,
        "missing_actual": _count(indicators, "status", MISSING_ACTUAL),
        "not_evaluable": _count(indicators, "status", NOT_EVALUABLE),
        "behind_trajectory": int(indicators.get_column("behind_trajectory").sum())
        if "behind_trajectory" in indicators.columns
        else 0,
        "progress_delayed": _delayed_policies(result).height,
        "evaluation_warnings": _warned_policies(result).height,
        "not_submitted": [
            {"code": d.code, "department": d.department, "division": d.division} for d in result.not_submitted
        ],
        "rejected": _rejected(result),
        "behind_target_indicators": behind_list,
        "outputs": _output_names(result),
    }


# ---------------------------------------------------------------- behind_target.md


def _value_md(number: float | None, text: str | None, unit: str | None) -> str:
    if number is not None:
        return f"{_number_text(number)}{md_escape(unit)}"
    if text:
        return md_escape(text)
    return "（未記入）"


def _where_md(row: dict[str, Any], cell_key: str = "actual_cell") -> str:
    cell = row.get(cell_key) or row.get("name_cell")
    return md_escape(f"{row['sheet']}!{cell}" if cell else row["sheet"])


def _policy_heading(row: dict[str, Any]) -> str:
    return f"{md_escape(row['sheet'])}「{md_escape(row['policy_title'])}」"


def _judgement_md(row: dict[str, Any]) -> str:
    parts = []
    if row.get("progress"):
        mark = row["progress"]
        parts.append(f"{L_PROGRESS} {mark}（{PROGRESS_MEANING.get(mark, '')}）")
    if row.get("achievement") is not None:
        parts.append(f"{L_ACHIEVEMENT} {row['achievement']}")
    return "、".join(parts)


def _counts_md(result: MergeResult, summary: dict[str, Any]) -> list[str]:
    files = summary["files"]
    fates = "、".join(f"{FATES[f]} {files[f.replace('-', '_')]}" for f in FATES)
    return [
        f"- 確認したファイル: {files['seen']} 件（{fates}）",
        f"- 集約した所属: {summary['divisions']} 所属",
        f"- 政策: {summary['policies']} 件",
        f"- 測定指標: {summary['indicators']} 件",
        f"- {BEHIND}: {summary['behind_target']} 件",
        f"- {MISSING_ACTUAL}: {summary['missing_actual']} 件",
        f"- {NOT_EVALUABLE}: {summary['not_evaluable']} 件",
        f"- 進捗遅れ（{L_PROGRESS} {'・'.join(DELAYED_MARKS)}）: {summary['progress_delayed']} 政策",
        f"- {H_TRAJECTORY}: {summary['behind_trajectory']} 件",
        f"- {NOT_SUBMITTED}: {len(result.not_submitted)} 所属",
    ]


def _behind_md(behind: pl.DataFrame) -> list[str]:
    lines: list[str] = []
    department = division = None
    policy: tuple[Any, ...] | None = None
    rows = list(behind.iter_rows(named=True))
    for i, row in enumerate(rows):
        if row["department"] != department:
            department, division = row["department"], None
            lines += [f"### {md_escape(department)}", ""]
        if row["division"] != division:
            division, policy = row["division"], None
            lines += [f"#### {md_escape(division)}", ""]
        key = (row["file"], row["policy_no"])
        if key != policy:
            policy = key
            judgement = _judgement_md(row)
            lines.append(f"**{_policy_heading(row)}**" + (f"（{judgement}）" if judgement else ""))
            lines.append("")
        unit = row["unit"]
        rate = row["achievement_rate"]
        facts = [
            f"目標 {_value_md(row['target'], row['target_text'], unit)}",
            f"実績 {_value_md(row['actual'], row['actual_text'], unit)}",
        ]
        if rate is not None:
            facts.append(f"達成率 {rate:.1f}%")
        if row["grade"]:
            facts.append(f"{H_GRADE} {md_escape(row['grade'])}")
        lines.append(f"- 指標「{md_escape(row['name'])}」: {'、'.join(facts)}（{_where_md(row)}）")
        if row.get("behind_trajectory"):
            expected = _number_text(row["trajectory_expected"])
            lines.append(f"  - {H_TRAJECTORY}: 今年度の想定値 {expected}{md_escape(unit)}")
        last_of_policy = i + 1 == len(rows) or (rows[i + 1]["file"], rows[i + 1]["policy_no"]) != key
        if last_of_policy:
            lines.append(f"- {L_REASON}: {md_escape(row['evaluation_reason'], indent='  ') or '（記入なし）'}")
            lines.append(f"- {L_NEXT_ACTION}: {md_escape(row['next_actions'], indent='  ') or '（記入なし）'}")
            if row.get("self_evaluation_warning"):
                lines.append(f"- {H_WARNING}: {md_escape(row['self_evaluation_warning'], indent='  ')}")
            lines.append("")
    return lines


def _who_md(row: dict[str, Any]) -> str:
    return f"{md_escape(row['department'])} {md_escape(row['division'])}"


def _section(title: str, items: list[str]) -> list[str]:
    return [f"## {title}（{_item_count(items)}件）", "", *(items or [NONE_LINE]), ""]


def _item_count(items: list[str]) -> int:
    return sum(1 for line in items if line.startswith("- "))


def render_markdown(result: MergeResult, *, inbox_label: str = "") -> str:
    """behind_target.md: the counts, then what is behind target and why, then what is missing or rejected."""
    summary = summary_dict(result)
    lines = [f"# 工程表 目標未達の要約 {_scope_label(result)}", ""]
    if inbox_label:
        lines += [f"受付フォルダ: {md_escape(inbox_label)}", ""]
    lines += ["## 集計", "", *_counts_md(result, summary), ""]

    behind = _behind(result)
    lines += [f"## {BEHIND}の指標（{behind.height}件）", ""]
    lines += _behind_md(behind) if behind.height else [NONE_LINE, ""]

    delayed = []
    for row in _delayed_policies(result).iter_rows(named=True):
        delayed.append(f"- {_who_md(row)} {_policy_heading(row)}: {_judgement_md(row)}")
        delayed.append(f"  - {L_REASON}: {md_escape(row['evaluation_reason'], indent='    ') or '（記入なし）'}")
        delayed.append(f"  - {L_NEXT_ACTION}: {md_escape(row['next_actions'], indent='    ') or '（記入なし）'}")
    lines += _section(f"進捗遅れの政策（{'・'.join(DELAYED_MARKS)}）", delayed)

    indicators = _table(result, "indicators")
    if "status" in indicators.columns:  # filtered, then sorted: the same order, without copying every indicator
        not_evaluable = [
            f"- {_who_md(row)} 指標「{md_escape(row['name'])}」: {md_escape(row['status_reason'])}（{_where_md(row, 'target_cell')}）"
            for row in _sorted(indicators.filter(pl.col("status") == NOT_EVALUABLE)).iter_rows(named=True)
        ]
        missing = [
            f"- {_who_md(row)} 指標「{md_escape(row['name'])}」: 目標 {_value_md(row['target'], row['target_text'], row['unit'])}（{_where_md(row)}）"
            for row in _sorted(indicators.filter(pl.col("status") == MISSING_ACTUAL)).iter_rows(named=True)
        ]
    else:
        not_evaluable = missing = []
    lines += _section(f"{NOT_EVALUABLE}の指標", not_evaluable)
    lines += _section(f"{MISSING_ACTUAL}の指標", missing)

    warned = [
        f"- {_who_md(row)} {_policy_heading(row)}: {md_escape(row['self_evaluation_warning'], indent='  ')}"
        for row in _warned_policies(result).iter_rows(named=True)
    ]
    lines += _section("自己評価と数値の不一致", warned)

    absent = [
        f"- {md_escape(d.department)} {md_escape(d.division)}" + (f"（{L_CODE} {md_escape(d.code)}）" if d.code else "")
        for d in result.not_submitted
    ]
    lines += _section(f"{NOT_SUBMITTED}の所属", absent)

    rejected: list[str] = []
    for fate in ("rejected", "unsupported"):
        for entry in _rejected(result, fate):
            suffix = f"（{FATES[fate]}）" if fate != "rejected" else ""
            rejected.append(f"- {md_escape(entry['file'])}{suffix}")
            errors = entry["errors"]
            rejected += [f"  - {md_escape(message, indent='    ')}" for message in errors[:3]]
            if len(errors) > 3:
                rejected.append(f"  - ほか {len(errors) - 3} 件（{WORKBOOK_NAME} の{SHEETS[-1]}シートを参照）")
    lines += _section(f"{FATES['rejected']}・{FATES['unsupported']}のファイル", rejected)
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------- consolidated.xlsx


@dataclass(frozen=True)
class _Col:
    """One output column: header, source column, kind (format and width) and optional palette."""

    header: str
    source: str
    kind: str = "text"
    text: str | None = None  # the text to show when the number is null (qualitative values)
    palette: str | None = None
    # Which printed page (across) the column goes on when the table is too wide for one; None: not printed
    # (technical columns, kept last, for the screen only).
    page: int | None = 0

    def on(self, page: int | None) -> _Col:
        """The same column, printed on this page across (None: not printed)."""
        return replace(self, page=page)


@dataclass(frozen=True)
class _Rows:
    """A sheet's rows: a frame and the order to show them in (row indices; None: as they are).

    A sheet reads its rows a chunk at a time in that order, only the columns it shows, so that a large table is
    never copied whole to be sorted or filtered.
    """

    frame: pl.DataFrame
    order: pl.Series | None = None

    @classmethod
    def sorted(
        cls, frame: pl.DataFrame, by: Sequence[str | pl.Expr] | None = None, *, nulls_last: bool = True
    ) -> _Rows:
        """The rows sorted by ``by``, ties in frame order; by default as `_sorted` orders them."""
        keys = [k for k in _SORT_KEYS if k in frame.columns] if by is None else list(by)
        if not keys or not frame.height:
            return cls(frame)
        order = pl.arg_sort_by(keys, nulls_last=nulls_last, maintain_order=True)
        return cls(frame, frame.select(order).to_series())

    @property
    def height(self) -> int:
        return self.frame.height if self.order is None else self.order.len()

    def where(self, condition: pl.Expr) -> _Rows:
        """The rows that meet the condition, in the same order."""
        keep = self.frame.select(condition.fill_null(False)).to_series()
        if self.order is None:
            return _Rows(self.frame, keep.arg_true())
        return _Rows(self.frame, self.order.filter(keep.gather(self.order)))

    def head(self, n: int) -> _Rows:
        if self.height <= n:
            return self
        return _Rows(self.frame.head(n)) if self.order is None else _Rows(self.frame, self.order.head(n))

    def chunks(self, names: Sequence[str], size: int) -> Iterator[pl.DataFrame]:
        """The rows in order, ``size`` at a time, with these columns only."""
        data = self.frame.select(names)
        for start in range(0, self.height, size):
            yield data.slice(start, size) if self.order is None else data[self.order.slice(start, size)]

    def sample(self, n: int) -> pl.DataFrame:
        """The first ``n`` rows in order, every column."""
        if self.order is None:
            return self.frame.head(n)
        return self.frame[self.order.head(n)]


class _Styles:
    """The workbook's formats, each created once and shared by every cell that uses it."""

    def __init__(self, book: Any) -> None:
        self._book = book
        self._cache: dict[tuple[tuple[str, Any], ...], Any] = {}
        self.title = self.plain(bold=True, font_size=14)
        self.scope = self.plain(bold=True, font_size=11, font_color="#404040")
        self.title_cell = self.plain(text_wrap=True, valign="bottom")
        self.subtitle = self.plain(font_color="#404040")
        self.none_line = self.plain(italic=True, font_color="#7F7F7F")
        self.header = self.get(bold=True, bg_color="#D9E1F2", text_wrap=True, valign="vcenter", align="center")
        self.grid = book.add_format({"border": _BASE_FORMAT["border"], "border_color": _BASE_FORMAT["border_color"]})

    def get(self, **props: Any) -> Any:
        """A bordered cell format with the Japanese font and these properties."""
        return self._make({**_BASE_FORMAT, **props})

    def plain(self, **props: Any) -> Any:
        """A format without borders, for titles and notes."""
        return self._make({"font_name": FONT_NAME, "font_size": FONT_SIZE, **props})

    def _make(self, props: dict[str, Any]) -> Any:
        key = tuple(sorted(props.items()))
        found = self._cache.get(key)
        if found is None:
            found = self._book.add_format(props)
            self._cache[key] = found
        return found

    def cell(self, kind: str, colour: dict[str, str] | None = None, **extra: Any) -> Any:
        """The format of a data cell of this kind, optionally coloured."""
        return self.get(**{**_KIND_FORMAT[kind], **(colour or {}), **extra})


def _decimals(value: float, most: int) -> int | None:
    """The fewest decimal places (1 to ``most``) that show this value exactly; None if it needs more."""
    for places in range(1, most + 1):
        if abs(round(value, places) - value) <= 1e-9 * max(1.0, abs(value)):
            return places
    return None


def _fraction_format(kind: str, value: float) -> str:
    """The number format of a non-integral value: thousands separators and the decimals it needs."""
    if kind == "calc":
        return "#,##0." + "0" * (_decimals(value, _CALC_DECIMALS) or _CALC_DECIMALS)
    places = _decimals(value, _TYPED_DECIMALS)
    return "General" if places is None else "#,##0." + "0" * places  # General: shown as typed, never rounded


# How a column's data cells are written, chosen once per column from its dtype: the hot path of the largest
# sheets decides per cell only between a null and a value.
_GENERIC, _STRING, _PALETTE, _NUMBER, _FRACTION, _BOOL = range(6)
_ROW_CHUNK = 2048  # rows gathered in the sheet's order at a time
_BOOL_TEXT = {True: "はい", False: "いいえ"}


def _fraction_formats(styles: _Styles, kind: str, colour: dict[str, str] | None) -> Callable[[float], Any]:
    """The format of a non-integral number of a typed or computed value column, each made once."""
    made: dict[str, Any] = {}

    def format_of(value: float) -> Any:
        num_format = _fraction_format(kind, value)
        found = made.get(num_format)
        if found is None:
            found = made[num_format] = styles.cell(kind, colour, num_format=num_format)
        return found

    return format_of


def _cell_mode(col: _Col, dtype: pl.DataType) -> int:
    if dtype == pl.String or dtype == pl.Null:
        return _PALETTE if col.palette else _STRING
    if dtype == pl.Boolean:
        return _BOOL
    if dtype.is_float():
        return _FRACTION if col.kind in ("value", "calc") else _NUMBER
    if dtype.is_integer():
        return _NUMBER
    return _GENERIC  # decided per value


_CellPlan = tuple[int, int, int | None, int, Any, dict[Any, Any], Any, Callable[[float], Any] | None]


def _cell_plans(styles: _Styles, cols: Sequence[_Col], frame: pl.DataFrame) -> tuple[list[str], list[_CellPlan]]:
    """The frame columns to read, and for each sheet column: its index, where its value (and fallback text) is in a
    row of them, how it is written, its plain, per-value and text formats, and its fraction formats."""
    names: list[str] = []

    def at(name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    plans: list[_CellPlan] = []
    for c, col in enumerate(cols):
        palette = PALETTES.get(col.palette or "", {})
        anything = palette.get(ANY_VALUE)
        by_value = {value: styles.cell(col.kind, colour) for value, colour in palette.items() if value != ANY_VALUE}
        fractions = _fraction_formats(styles, col.kind, anything) if col.kind in ("value", "calc") else None
        plans.append(
            (
                c,
                at(col.source),
                at(col.text) if col.text else None,
                _cell_mode(col, frame.schema[col.source]),
                styles.cell(col.kind, anything),
                by_value,
                styles.cell("text", anything),
                fractions,
            )
        )
    return names, plans


def _write_rows(
    ws: Any, styles: _Styles, cols: Sequence[_Col], rows: _Rows, first: int, widths: Sequence[float]
) -> float:
    """Write the data rows top to bottom, a chunk of rows at a time, each row's height before its cells
    (constant_memory writes a row out once the next one starts): numbers as numbers, every text with
    write_string, blanks left unwritten (framed by the table's rule). Returns the rows' height in points."""
    names, plans = _cell_plans(styles, cols, rows.frame)
    write_string, write_number, set_row = ws.write_string, ws.write_number, ws.set_row
    isfinite = math.isfinite
    height = 0.0
    r = first - 1
    for chunk in rows.chunks(names, _ROW_CHUNK):
        for row, lines in zip(chunk.rows(), _row_heights(chunk, cols, widths), strict=True):
            r += 1
            if lines > 1:
                points = _row_height(lines)
                set_row(r, points)
                height += points
            else:
                height += DEFAULT_ROW_HEIGHT
            for c, v, t, mode, plain, by_value, text_format, fractions in plans:
                value = row[v]
                if value is None:
                    text = None if t is None else row[t]
                    if text is not None:  # a blank stays unwritten: the table's blanks rule frames it
                        write_string(r, c, text, text_format)
                elif mode == _STRING:
                    write_string(r, c, value, plain)
                elif mode == _PALETTE:
                    write_string(r, c, value, by_value.get(value, plain))
                elif mode == _NUMBER:
                    write_number(r, c, value, plain)
                elif mode == _FRACTION:
                    if fractions is None or value.is_integer() or not isfinite(value):
                        write_number(r, c, value, plain)
                    else:
                        write_number(r, c, value, fractions(value))
                elif mode == _BOOL or isinstance(value, bool):
                    write_string(r, c, _BOOL_TEXT[bool(value)], plain)
                elif isinstance(value, str):
                    write_string(r, c, value, by_value.get(value, plain))
                elif fractions is not None and isinstance(value, float) and isfinite(value) and not value.is_integer():
                    write_number(r, c, value, fractions(value))
                else:
                    write_number(r, c, value, plain)
    return height


def _column_width(col: _Col, frame: pl.DataFrame) -> float:
    """A width that fits the header (wrapped on up to two lines) and a sample of the values, within the kind's caps."""
    low, high = _WIDTHS[col.kind]
    header = text_width(col.header)
    if header <= SHORT_HEADER or header <= min(HEADER_ONE_LINE, high):
        header_need = header + 1  # on one line: a full-width character is a little under 2 units wide
    else:  # on two lines: half the header and a little for the padding, so that it breaks in the middle
        header_need = math.ceil(header / 2) + 1
    sample = frame.get_column(col.source).head(_WIDTH_SAMPLE).drop_nulls().to_list() if frame.height else []
    if col.text and frame.height:
        sample += frame.get_column(col.text).head(_WIDTH_SAMPLE).drop_nulls().to_list()
    need = 0  # the widest value and its padding: 2, or 1 for Japanese text (a full-width character is under 2)
    for value in sample:
        if isinstance(value, str):
            need = max(need, text_width(value) + (2 if value.isascii() else 1))
        elif isinstance(value, int | float):
            need = max(need, len(_number_text(float(value))) + 2)
    return float(max(low, min(high, max(header_need, need))))


def _page_setup(ws: Any, scope: str, header_row: int | None) -> None:
    """A4 landscape, margins, the scope and sheet name above and page numbers below; the header row (if any)
    repeated at the top of every page."""
    ws.set_paper(9)
    ws.set_landscape()
    if header_row is not None:
        ws.repeat_rows(header_row)
    ws.set_margins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=MARGIN_TOP, bottom=MARGIN_TOP)
    ws.set_header(f"&L{scope.replace('&', '&&')}&R&A", {"margin": 0.25})
    ws.set_footer("&C&P / &N", {"margin": 0.25})


def _printed_width(widths: Iterable[float]) -> float:
    """Points that columns of these widths take on paper at 100%."""
    return sum(POINTS_PER_WIDTH * (width + WIDTH_PADDING) for width in widths)


@dataclass(frozen=True)
class _PrintPlan:
    """How a table is printed across: its printed columns, where pages break and at what scale."""

    last_col: int  # the last printed column; those after it are for the screen only
    breaks: tuple[int, ...] = ()  # columns that start a new page across
    repeat: int = 0  # leading columns printed again at the left of every page across
    scale: int | None = None  # percent; None: fitted to one page wide by the printing program


def _print_plan(cols: Sequence[_Col], widths: Sequence[float], repeat: int = 0) -> _PrintPlan:
    """One page wide when the printed columns fit at ``MIN_PRINT_SCALE`` or more; else split at the columns'
    pages across, the first ``repeat`` columns printed on each, at the scale that fits the widest page."""
    printed = [c for c, col in enumerate(cols) if col.page is not None]
    if printed != list(range(len(printed))):
        raise ValueError("printed columns must come first")
    last = printed[-1] if printed else len(cols) - 1
    if PRINTABLE_WIDTH / _printed_width(widths[: last + 1]) >= MIN_PRINT_SCALE:
        return _PrintPlan(last)
    pages = [col.page or 0 for col in cols[: last + 1]]
    if pages != sorted(pages) or any(page != pages[0] for page in pages[:repeat]):
        raise ValueError("columns must be in page order, the repeated ones on the first page")
    breaks = tuple(c for c in range(1, last + 1) if pages[c] != pages[c - 1])
    if not breaks:
        return _PrintPlan(last)
    starts, ends = (0, *breaks), (*breaks, last + 1)
    repeated = _printed_width(widths[:repeat])
    widest = max(_printed_width(widths[a:b]) + (repeated if a else 0.0) for a, b in zip(starts, ends, strict=True))
    scale = max(10, min(100, math.floor(98 * PRINTABLE_WIDTH / widest)))  # 2% to spare for rounding
    return _PrintPlan(last, breaks, repeat, scale)


def _apply_print_plan(ws: Any, plan: _PrintPlan, last_row: int) -> None:
    ws.print_area(0, 0, last_row, plan.last_col)
    if plan.scale is None:
        ws.fit_to_pages(1, 0)
        return
    ws.set_print_scale(plan.scale)
    ws.set_v_pagebreaks(list(plan.breaks))
    ws.print_across()  # each band of rows on its pages across, one after the other
    if plan.repeat:
        ws.repeat_columns(0, plan.repeat - 1)


def _lines(text: str, width: float) -> int:
    """Lines that wrapped text takes in a column of this width."""
    per_line = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(text_width(line) / per_line)) for line in text.split("\n"))


def _row_heights(frame: pl.DataFrame, cols: Sequence[_Col], widths: Sequence[float]) -> list[int]:
    """Estimated lines per data row for wrapped text, line by line, vectorised: full-width characters
    (3 UTF-8 bytes) count 2.

    Row heights are set explicitly because not every client (LibreOffice, printing) fits them to wrapped text.
    """
    estimates = []
    for col, width in zip(cols, widths, strict=True):
        source = col.text if col.kind == "value" else col.source if col.kind in _WRAPPED_KINDS else None
        if source is None or frame.schema.get(source) != pl.String:
            continue
        line = pl.element()
        chars = line.str.len_chars()
        display = (chars + (line.str.len_bytes() - chars) // 2).cast(pl.Float64)
        per_line = max(width - 1.0, 1.0)
        wrapped = (display / per_line).ceil().clip(1)
        estimates.append(pl.col(source).str.split("\n").list.eval(wrapped).list.sum())
    if not estimates or not frame.height:
        return [1] * frame.height
    lines = pl.max_horizontal(estimates).fill_null(1).clip(1, MAX_ROW_LINES).cast(pl.Int64)
    return frame.select(lines).to_series().to_list()


def _row_height(lines: int) -> float:
    """Points of a row with this many lines of text."""
    return min(lines, MAX_ROW_LINES) * LINE_HEIGHT + 3 if lines > 1 else DEFAULT_ROW_HEIGHT


def _set_height(ws: Any, row: int, lines: int) -> float:
    """Set a row's height for its lines of text; return the height in points."""
    if lines > 1:
        ws.set_row(row, _row_height(lines))
    return _row_height(lines)


@dataclass(frozen=True)
class _Written:
    """What _write_table wrote: the last row, the column widths and the height of header and data rows."""

    last: int
    widths: list[float]
    height: float


def _table_widths(cols: Sequence[_Col], rows: _Rows, min_widths: Sequence[float] = ()) -> list[float]:
    """The columns' widths, from the headers and the first rows, at least ``min_widths``; set before writing."""
    sample = rows.sample(_WIDTH_SAMPLE)
    return [
        max(min_widths[c] if c < len(min_widths) else 0.0, _column_width(col, sample)) for c, col in enumerate(cols)
    ]


def _set_widths(ws: Any, widths: Sequence[float]) -> None:
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)


def _write_table(
    ws: Any,
    styles: _Styles,
    cols: Sequence[_Col],
    rows: _Rows,
    header_row: int,
    freeze_cols: int,
    widths: Sequence[float],
) -> _Written:
    """Header, data, row heights, filter and frozen panes of one table, row by row below every row written so far
    (the rows above it are written first: constant_memory cannot go back)."""
    height = _set_height(ws, header_row, max(_lines(col.header, w) for col, w in zip(cols, widths, strict=True)))
    for c, col in enumerate(cols):
        ws.write_string(header_row, c, col.header, styles.header)
    first = header_row + 1
    if rows.height:
        height += _write_rows(ws, styles, cols, rows, first, widths)
        # Empty cells get the table's grid from one rule rather than a formatted blank cell each (~10% of cells).
        blanks = {"type": "blanks", "format": styles.grid}
        ws.conditional_format(first, 0, header_row + rows.height, len(cols) - 1, blanks)
    else:
        ws.write_string(first, 0, NONE_LINE, styles.none_line)
        height += DEFAULT_ROW_HEIGHT
    last = header_row + rows.height
    ws.autofilter(header_row, 0, max(last, header_row), len(cols) - 1)
    ws.freeze_panes(first, freeze_cols)
    return _Written(last, list(widths), height)


def _data_sheet(
    book: Any,
    styles: _Styles,
    name: str,
    cols: Sequence[_Col],
    rows: _Rows,
    scope: str,
    *,
    freeze_cols: int = 2,
    repeat: int = 0,
) -> None:
    """A sheet with a title line, then one table with its header on the second row.

    On paper: the header row on every page; the columns a page wide at a readable scale, else split across
    pages as the columns say with the first ``repeat`` columns on each; technical columns left off.
    """
    ws = book.add_worksheet(name)
    total = rows.height
    rows = rows.head(EXCEL_MAX_DATA_ROWS)
    shown = f"（{total:,}件）" if total == rows.height else f"（{total:,}件中、先頭 {rows.height:,}件）"
    widths = _table_widths(cols, rows)
    _set_widths(ws, widths)
    plan = _print_plan(cols, widths, repeat)
    _sheet_title(ws, styles, f"{name}{shown}", scope, plan.repeat)
    written = _write_table(ws, styles, cols, rows, 1, freeze_cols, widths)
    _page_setup(ws, scope, header_row=1)
    _apply_print_plan(ws, plan, max(written.last, 2))


def _sheet_title(ws: Any, styles: _Styles, title: str, scope: str, span: int) -> None:
    """The title in large type and the scope after it; on two lines within the first ``span`` columns when those
    are printed again on each page across, so that the title is whole on every page."""
    if span > 1:
        ws.set_row(0, 42)
        ws.merge_range(0, 0, 0, span - 1, "", styles.title_cell)
        ws.write_rich_string(0, 0, styles.title, title, styles.scope, f"\n{scope}", styles.title_cell)
    else:
        ws.set_row(0, 24)
        ws.write_rich_string(0, 0, styles.title, title, styles.scope, f" {scope}")


# Template text columns that hold sentences rather than names: wide and wrapped.
_LONG_TEXT = frozenset(
    {
        "indicators.selection_reason",
        "projects.summary",
        "results.action",
        "results.outcome",
        "challenges.challenge",
        "challenges.next_action",
    }
)
_KIND_OF = {
    layout.Kind.BUDGET: "budget",
    layout.Kind.DIRECTION: "code",
    layout.Kind.CATEGORY: "code",
    layout.Kind.CODE: "code",
    layout.Kind.AS_OF: "code",
}


def _value_cols(table: str, keys: Iterable[str]) -> list[_Col]:
    """Columns for template fields of a table, by layout kind: values as numbers with their text fallback."""
    spec = layout.ALL_FIELDS[table]
    cols = []
    for key in keys:
        column = spec.column(key)
        if column.kind is layout.Kind.VALUE:
            cols.append(_Col(column.label, key, "value", text=f"{key}_text"))
        elif f"{table}.{key}" in _LONG_TEXT:
            cols.append(_Col(column.label, key, "long"))
        else:
            cols.append(_Col(column.label, key, _KIND_OF.get(column.kind, "text")))
    return cols


_WHO = [_Col(L_DEPARTMENT, "department", "key"), _Col(L_DIVISION, "division", "key")]
_POLICY = _Col(L_POLICY, "policy_title", "text")
# Where a row came from: for whoever checks a figure on screen, not printed.
_WHERE = [_Col(H_LOCATION, "_location", "code", page=None), _Col(H_FILE, "file", "code", page=None)]


def _indicator_rows(result: MergeResult) -> _Rows:
    frame = _table(result, "indicators")
    if not frame.columns:
        return _Rows(frame)
    has_start = pl.col("start").is_not_null() | pl.col("start_text").is_not_null()
    frame = frame.with_columns(
        _location=_location_expr("actual_cell", "target_cell", "name_cell"),
        _trajectory=pl.when(pl.col("behind_trajectory")).then(pl.lit(TRAJECTORY_FLAG)).otherwise(None),
        _start_or_baseline=pl.when(has_start).then(pl.col("start")).otherwise(pl.col("baseline")),
        _start_or_baseline_text=pl.when(has_start).then(pl.col("start_text")).otherwise(pl.col("baseline_text")),
    )
    return _Rows.sorted(frame)


def _behind_cols() -> list[_Col]:
    """Who and which policy (repeated on each printed page), then the indicator's figures, then the policy's
    evaluation (the second page when printed)."""
    indicator_labels = {k: layout.label_of(f"indicators.{k}") for k in ("name", "direction")}
    return [
        *_WHO,
        _POLICY,
        _Col(indicator_labels["name"], "name", "text"),
        _Col(L_UNIT, "unit", "code"),
        _Col(indicator_labels["direction"], "direction", "code"),
        _Col(
            f"{layout.label_of('indicators.start')}/{layout.label_of('indicators.baseline')}",
            "_start_or_baseline",
            "value",
            text="_start_or_baseline_text",
        ),
        _Col(L_TARGET, "target", "value", text="target_text"),
        _Col(L_ACTUAL, "actual", "value", text="actual_text", palette="flag"),
        _Col(H_RATE, "achievement_rate", "rate"),
        _Col(H_GRADE, "grade", "mark", palette="grade"),
        _Col(H_TRAJECTORY, "_trajectory", "mark", palette="flag"),
        _Col(L_PROGRESS, "progress", "mark", palette="mark", page=1),
        _Col(L_ACHIEVEMENT, "achievement", "score", page=1),
        _Col(L_REASON, "evaluation_reason", "long", page=1),
        _Col(L_NEXT_ACTION, "next_actions", "long", page=1),
        _Col(H_WARNING, "self_evaluation_warning", "note", palette="warning", page=1),
        *_WHERE,
    ]


# The leading columns that say which row it is (部局名, 所属名, 政策内容): frozen on screen, and printed on every
# page across when the sheet is too wide for one.
KEY_COLUMNS = 3


def _indicator_cols() -> list[_Col]:
    """By importance: who, which indicator, its figures and status (printed, one page wide), then the status
    reason, category and long-term view, then what only a checker needs (the screen only)."""
    fields = {col.source: col for col in _value_cols("indicators", [c.key for c in layout.INDICATOR_COLUMNS])}
    figures = [fields.pop(key) for key in ("name", "unit", "direction", "baseline", "start", "target", "actual")]
    category, long_term = fields.pop("category"), fields.pop("long_term_target")
    as_of = [fields.pop(key) for key in list(fields) if key.endswith("_as_of")]
    return [
        *_WHO,
        _POLICY,
        *figures,
        _Col(H_RATE, "achievement_rate", "rate"),
        _Col(H_GRADE, "grade", "mark", palette="grade"),
        _Col(H_STATUS, "status", "code", palette="status"),
        _Col(H_TRAJECTORY, "_trajectory", "mark", palette="flag"),
        _Col(H_STATUS_REASON, "status_reason", "text", page=None),
        category.on(None),
        long_term.on(None),
        _Col(H_TRAJECTORY_EXPECTED, "trajectory_expected", "calc", page=None),
        _Col(L_PROGRESS, "progress", "mark", palette="mark", page=None),
        _Col(H_POLICY_NO, "policy_no", "int", page=None),
        *(col.on(None) for col in fields.values()),  # the plan, the other plan's name, why this indicator
        *(col.on(None) for col in as_of),
        *_WHERE[:1],
        _Col(H_ROW, "row", "int", page=None),
        *_WHERE[1:],
    ]


def _policy_rows(result: MergeResult) -> _Rows:
    policies = _table(result, "policies")
    if not policies.columns:
        return _Rows(policies)
    indicators = _table(result, "indicators")
    if "status" in indicators.columns and indicators.height:
        behind = indicators.group_by("file", "policy_no").agg((pl.col("status") == BEHIND).sum().alias("_behind"))
        # joined on the keys alone, so that the policies are not copied: one count per policy, in its order
        counts = policies.select("file", "policy_no").join(
            behind, on=["file", "policy_no"], how="left", maintain_order="left"
        )
        policies = policies.with_columns(counts.get_column("_behind"))
    else:
        policies = policies.with_columns(_behind=pl.lit(None, pl.UInt32))
    frame = policies.with_columns(
        _behind=pl.col("_behind").fill_null(0).cast(pl.Int64),
        _location=_location_expr("policy_title_cell"),
    )
    return _Rows.sorted(frame)


def _policy_cols() -> list[_Col]:
    """Who and which policy (repeated on each printed page), the evaluation, then the policy's budget and aims
    (the second page when printed), then references (not printed)."""
    return [
        *_WHO,
        _POLICY,
        _Col(L_PROGRESS, "progress", "mark", palette="mark"),
        _Col(L_ACHIEVEMENT, "achievement", "score"),
        _Col(H_INDICATOR_COUNT, "indicator_count", "int"),
        _Col(H_BEHIND_COUNT, "_behind", "int"),
        _Col(L_REASON, "evaluation_reason", "long"),
        _Col(L_NEXT_ACTION, "next_actions", "long"),
        _Col(H_WARNING, "self_evaluation_warning", "note", palette="warning", page=1),
        _Col(H_BUDGET_TOTAL, "budget_total", "budget", page=1),
        _Col(layout.label_of("goals"), "goals", "long", page=1),
        _Col(layout.label_of("long_term_goal"), "long_term_goal", "long", page=1),
        _Col(layout.label_of("related_plans"), "related_plans", "text", page=None),
        _Col(layout.label_of("related_plans_note"), "related_plans_note", "text", page=None),
        _Col(H_POLICY_NO, "policy_no", "int", page=None),
        *_WHERE,
    ]


def _item_rows(result: MergeResult, table: str) -> _Rows:
    frame = _table(result, table)
    if not frame.columns:
        return _Rows(frame)
    cells = [f"{column.key}_cell" for column in layout.ALL_FIELDS[table].columns]
    return _Rows.sorted(frame.with_columns(_location=_location_expr(*cells)))


def _item_cols(table: str) -> list[_Col]:
    keys = [c.key for c in layout.ALL_FIELDS[table].columns]
    return [*_WHO, _POLICY, *_value_cols(table, keys), *_WHERE]


def _division_rows(result: MergeResult) -> _Rows:
    divisions = _table(result, "divisions")
    indicators = _table(result, "indicators")
    if not divisions.columns:
        return _Rows(divisions)
    if indicators.height:
        counts = indicators.group_by("file").agg(pl.len().cast(pl.Int64).alias("_indicators"))
        joined = divisions.select("file").join(counts, on="file", how="left", maintain_order="left")
        divisions = divisions.with_columns(joined.get_column("_indicators"))
    else:
        divisions = divisions.with_columns(_indicators=pl.lit(None, pl.Int64))
    divisions = divisions.with_columns(_indicators=pl.col("_indicators").fill_null(0), _submitted=pl.lit(SUBMITTED))
    absent = pl.DataFrame(
        {
            "department": [d.department for d in result.not_submitted],
            "division": [d.division for d in result.not_submitted],
            "division_code": [d.code for d in result.not_submitted],
            "_submitted": [NOT_SUBMITTED] * len(result.not_submitted),
        },
        schema={"department": pl.String, "division": pl.String, "division_code": pl.String, "_submitted": pl.String},
    )
    merged = pl.concat([divisions, absent], how="diagonal_relaxed")
    return _Rows.sorted(merged, ["department", "division", "file"])


def _division_cols() -> list[_Col]:
    return [
        *_WHO,
        _Col(L_CODE, "division_code", "code"),
        _Col(H_SUBMITTED, "_submitted", "mark", palette="submitted"),
        _Col(layout.label_of("head"), "head", "text"),
        _Col(layout.label_of("phone"), "phone", "code"),
        _Col(layout.label_of("missions"), "missions", "long"),
        _Col(H_POLICY_COUNT, "policy_count", "int"),
        _Col(H_INDICATOR_COUNT, "_indicators", "int"),
        _WHERE[1],
    ]


def local_time(stamp: str | None) -> str | None:
    """An ISO 8601 save time (UTC when it has no offset) as Japanese local time ``2016-03-30 19:00``; else as is."""
    if not stamp:
        return stamp
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def _submission_frame(result: MergeResult) -> pl.DataFrame:
    submissions = _table(result, "submissions")
    if "saved_at" not in submissions.columns:
        return submissions
    local = [local_time(s) for s in submissions.get_column("saved_at").to_list()]
    return submissions.with_columns(_saved_at=pl.Series(local, dtype=pl.String))


def _submission_cols(frame: pl.DataFrame) -> list[_Col]:
    """Each file, its fate and why, then when it was saved; its hash for the screen only."""
    cols = [
        _Col(H_FILE, "file", "code"),
        _Col(H_STATUS, "status_ja", "code", palette="fate"),
        _Col(L_DEPARTMENT, "department", "key"),
        _Col(L_DIVISION, "division", "key"),
        _Col("備考", "note", "long"),
        _Col("エラー数", "errors", "int"),
        _Col("警告数", "warnings", "int"),
    ]
    if "feedback" in frame.columns:  # the annotated copy to send back to the division
        cols.append(_Col(H_FEEDBACK, "feedback", "code"))
    return [
        *cols,
        _Col("保存日時", "_saved_at", "code"),
        _Col(L_YEAR, "fiscal_year", "year"),
        _Col(L_STAGE, "stage", "mark"),
        _Col("SHA-256", "sha256", "hash", page=None),
    ]


def _error_rows(result: MergeResult) -> _Rows:
    """Every issue, errors before warnings, each in the order of the files on the 提出状況 sheet."""
    errors = _table(result, "errors")
    if not errors.columns:
        return _Rows(errors)
    submissions = _table(result, "submissions")
    files = submissions.get_column("file").to_list() if "file" in submissions.columns else []
    order = {file: i for i, file in enumerate(files)}
    frame = errors.with_columns(
        _severity=pl.col("severity").replace_strict(SEVERITY_JA, default=pl.col("severity")),
        _order=pl.col("file").replace_strict(order, default=len(order), return_dtype=pl.Int64),
    )
    return _Rows.sorted(frame, [pl.col("severity") != "error", pl.col("_order")], nulls_last=False)


def _error_cols() -> list[_Col]:
    return [
        _Col(H_FILE, "file", "code"),
        _Col("重要度", "_severity", "mark", palette="severity"),
        _Col("メッセージ", "message", "long"),
        _Col("入力値", "found", "text"),
        _Col("項目", "field", "text"),
        _Col("シート", "sheet", "code"),
        _Col("セル", "cell", "code"),
        _Col("コード", "code", "code", page=None),
    ]


# ------------------------------------------------ 概要


OVERVIEW_HEADER_ROW = 8


def _department_frame(result: MergeResult) -> pl.DataFrame:
    """One row per department: divisions submitted / expected, indicator statuses, ◎○△× and budget."""
    stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    divisions = _table(result, "divisions")
    if divisions.height:
        for dept, n in divisions.group_by("department").len().iter_rows():
            stats[dept]["submitted"] += n
            stats[dept]["expected"] += n
    for absent in result.not_submitted:
        stats[absent.department]["expected"] += 1
    indicators = _table(result, "indicators")
    if indicators.height and "status" in indicators.columns:
        for dept, status, n in indicators.group_by("department", "status").len().iter_rows():
            stats[dept]["indicators"] += n
            stats[dept][status] += n
    policies = _table(result, "policies")
    if policies.height:
        for dept, mark, n in policies.group_by("department", "progress").len().iter_rows():
            stats[dept][f"mark:{mark}"] += n
    projects = _table(result, "projects")
    if projects.height:
        for dept, budget in projects.group_by("department").agg(pl.col("budget").sum()).iter_rows():
            stats[dept]["budget"] += budget or 0.0
    rows = []
    for dept in sorted(stats, key=lambda d: (d is None, d or "")):
        s = stats[dept]
        row: dict[str, Any] = {"department": dept}
        for key in ("submitted", "expected", "indicators", BEHIND, MISSING_ACTUAL, NOT_EVALUABLE):
            row[key] = int(s.get(key, 0))
        for mark in layout.PROGRESS_MARKS:
            row[f"mark:{mark}"] = int(s.get(f"mark:{mark}", 0))
        row["budget"] = float(s.get("budget", 0.0))
        rows.append(row)
    schema: dict[str, Any] = {c.source: pl.Int64 for c in _department_cols()}
    schema.update(department=pl.String, budget=pl.Float64)
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _department_cols() -> list[_Col]:
    return [
        _Col(L_DEPARTMENT, "department", "key"),
        _Col(H_SUBMITTED_COUNT, "submitted", "int"),
        _Col(H_EXPECTED_COUNT, "expected", "int"),
        _Col(H_INDICATOR_COUNT, "indicators", "int"),
        _Col(BEHIND, BEHIND, "int"),
        _Col(MISSING_ACTUAL, MISSING_ACTUAL, "int"),
        _Col(NOT_EVALUABLE, NOT_EVALUABLE, "int"),
        *(_Col(mark, f"mark:{mark}", "int") for mark in layout.PROGRESS_MARKS),
        _Col(H_BUDGET_TOTAL, "budget", "budget"),
    ]


def _key_figures(result: MergeResult, summary: dict[str, Any]) -> list[list[tuple[str, int]]]:
    files = summary["files"]
    return [
        [("確認したファイル", files["seen"]), *((FATES[f], files[f.replace("-", "_")]) for f in FATES)],
        [
            ("集約した所属", summary["divisions"]),
            (f"{NOT_SUBMITTED}の所属", len(result.not_submitted)),
            (H_POLICY_COUNT, summary["policies"]),
            (H_INDICATOR_COUNT, summary["indicators"]),
            (BEHIND, summary["behind_target"]),
            (MISSING_ACTUAL, summary["missing_actual"]),
            (NOT_EVALUABLE, summary["not_evaluable"]),
            (f"進捗遅れの政策（{'・'.join(DELAYED_MARKS)}）", summary["progress_delayed"]),
            (H_TRAJECTORY, summary["behind_trajectory"]),
        ],
    ]


def _overview_sheet(book: Any, styles: _Styles, result: MergeResult, scope: str, inbox_label: str) -> None:
    """Key figures, the table per department and its chart: one A4 landscape page, written top to bottom."""
    ws = book.add_worksheet(SHEETS[0])
    summary = summary_dict(result)
    cols = _department_cols()
    frame = _department_frame(result)
    # the key-figure labels above the table share its columns
    widths = _table_widths(cols, _Rows(frame), [16.0] + [10.0] * (len(cols) - 1))
    _set_widths(ws, widths)
    ws.set_row(0, 24)
    ws.write_string(0, 0, f"工程表 集約結果 {scope}", styles.title)
    height = 24.0 + 2 * DEFAULT_ROW_HEIGHT  # the title, the inbox line and a blank row
    if inbox_label:
        ws.write_string(1, 0, f"受付フォルダ: {inbox_label}", styles.subtitle)
    label_format = styles.get(bold=True, bg_color="#F2F2F2", text_wrap=True, valign="vcenter", align="center")
    value_format = styles.get(num_format="#,##0", align="center", bold=True)
    for band, figures in enumerate(_key_figures(result, summary)):
        row = 3 + band * 2
        lines = max(_lines(label, w) for (label, _), w in zip(figures, widths, strict=False))
        height += _set_height(ws, row, lines) + DEFAULT_ROW_HEIGHT
        for c, (label, _) in enumerate(figures):
            ws.write_string(row, c, label, label_format)
        for c, (_, value) in enumerate(figures):
            ws.write_number(row + 1, c, value, value_format)
    written = _write_table(ws, styles, cols, _Rows(frame), OVERVIEW_HEADER_ROW, 1, widths)
    height += DEFAULT_ROW_HEIGHT + written.height  # the blank row above the table, and the table
    _page_setup(ws, scope, header_row=None)
    ws.fit_to_pages(1, 1)  # key figures, table and chart on one page; nothing repeated
    if not frame.height:
        return
    total_row = written.last + 1
    totals: list[Any] = ["合計"] + [int(frame.get_column(c.source).sum()) for c in cols[1:-1]]
    totals.append(float(frame.get_column("budget").sum()))
    total_format: dict[str, Any] = {"bold": True, "top": 2, "bg_color": "#F2F2F2"}
    ws.write_string(total_row, 0, totals[0], styles.cell("key", **total_format))
    for c, value in enumerate(totals[1:], start=1):
        ws.write_number(total_row, c, value, styles.cell(cols[c].kind, **total_format))
    height += 2 * DEFAULT_ROW_HEIGHT  # the total row and a blank row
    _overview_chart(book, ws, cols, frame, total_row + 2, written.widths, PRINTABLE_HEIGHT - height)


CHART_HEIGHTS = (200, 360)  # pixels: the chart's least and greatest height
CHART_OFFSET = 4  # pixels from the top left corner of its cell


def _overview_chart(
    book: Any,
    ws: Any,
    cols: Sequence[_Col],
    frame: pl.DataFrame,
    at_row: int,
    widths: Sequence[float],
    room: float,
) -> None:
    """Stacked columns of ◎○△× per department, below the table so that it covers nothing and prints with it:
    as wide as the table and as tall as the ``room`` (points) left on the page, within ``CHART_HEIGHTS``.

    The cells' values are given as the chart's cached data: in constant_memory mode xlsxwriter cannot read them
    back from the sheet, and a reader that does not recompute a chart shows its cache."""
    first, last = OVERVIEW_HEADER_ROW + 1, OVERVIEW_HEADER_ROW + frame.height
    departments = frame.get_column("department").to_list()
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    font = {"name": FONT_NAME, "size": 9}
    for c, col in enumerate(cols):
        if col.header in CHART_COLOURS:
            chart.add_series(
                {
                    "name": [SHEETS[0], OVERVIEW_HEADER_ROW, c],
                    "name_data": [col.header],
                    "categories": [SHEETS[0], first, 0, last, 0],
                    "categories_data": departments,
                    "values": [SHEETS[0], first, c, last, c],
                    "values_data": frame.get_column(col.source).to_list(),
                    "fill": {"color": CHART_COLOURS[col.header]},
                    "gap": 80,
                }
            )
    chart.set_title({"name": f"{L_PROGRESS}の部局別内訳（政策数）", "name_font": {"name": FONT_NAME, "size": 11}})
    chart.set_x_axis({"num_font": font})
    chart.set_y_axis({"name": H_POLICY_COUNT, "name_font": font, "num_font": font, "min": 0})
    chart.set_legend({"position": "right", "font": font})
    # xlsxwriter's own column pixels: 7 per unit of width and 5 of padding
    width = sum(int(w * 7 + 0.5) + 5 for w in widths) - 2 * CHART_OFFSET
    lowest, highest = CHART_HEIGHTS
    height = int(max(lowest, min(highest, room * PIXELS_PER_POINT - 2 * CHART_OFFSET)))
    chart.set_size({"width": width, "height": height})
    ws.insert_chart(at_row, 0, chart, {"x_offset": CHART_OFFSET, "y_offset": CHART_OFFSET, "object_position": 1})


def _created(result: MergeResult) -> datetime:
    """A creation date derived from the data (the latest accepted save), so that the same inbox gives the same file."""
    submissions = _table(result, "submissions")
    latest: datetime | None = None
    if {"status", "saved_at"} <= set(submissions.columns):
        for text in submissions.filter(pl.col("status") == "accepted").get_column("saved_at").drop_nulls():
            try:
                stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                continue
            stamp = stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
            latest = stamp if latest is None else max(latest, stamp)
    if latest is not None:
        return latest
    return datetime(result.fiscal_year or 2000, 4, 1, tzinfo=UTC)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: xlsxwriter allocates objects per cell, which sets off full collections
    of the whole heap (~0.25 s of a 1,000-file merge) that find no garbage; reference counting still frees."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _large(result: MergeResult) -> bool:
    """Whether the merge is large enough that memory, not speed, decides how it is written."""
    return sum(frame.height for frame in result.tables.values()) > CONSTANT_MEMORY_ROWS


def write_workbook(result: MergeResult, path: Path, *, inbox_label: str = "", tmpdir: Path | None = None) -> Path:
    """consolidated.xlsx: ten sheets for executives; user text only ever written as strings."""
    with _collector_paused():
        return _write_workbook(result, path, inbox_label, tmpdir)


def _write_workbook(result: MergeResult, path: Path, inbox_label: str, tmpdir: Path | None) -> Path:
    options: dict[str, Any] = {
        # Each sheet is written row by row, top to bottom. For a large merge each row goes to a temporary file
        # as soon as the next one starts, so memory stays flat however many rows (strings inline, not shared);
        # a smaller one keeps shared strings, which xlsxwriter writes about 1.4 times faster.
        "constant_memory": _large(result),
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": True,
        "default_format_properties": {"font_name": FONT_NAME, "font_size": FONT_SIZE},
    }
    if tmpdir is not None:
        options["tmpdir"] = str(tmpdir)
    book = xlsxwriter.Workbook(str(path), options)
    scope = _scope_label(result)
    book.set_properties({"title": f"工程表 集約結果 {scope}", "author": "工程表 pipeline", "created": _created(result)})
    styles = _Styles(book)
    _overview_sheet(book, styles, result, scope, inbox_label)
    indicators = _indicator_rows(result)
    behind = indicators.where(pl.col("status") == BEHIND) if "status" in indicators.frame.columns else indicators
    _data_sheet(book, styles, SHEETS[1], _behind_cols(), behind, scope, freeze_cols=KEY_COLUMNS, repeat=KEY_COLUMNS)
    _data_sheet(book, styles, SHEETS[2], _indicator_cols(), indicators, scope)
    policies = _policy_rows(result)
    _data_sheet(book, styles, SHEETS[3], _policy_cols(), policies, scope, freeze_cols=KEY_COLUMNS, repeat=KEY_COLUMNS)
    _data_sheet(book, styles, SHEETS[4], _item_cols("projects"), _item_rows(result, "projects"), scope)
    _data_sheet(book, styles, SHEETS[5], _item_cols("results"), _item_rows(result, "results"), scope)
    _data_sheet(book, styles, SHEETS[6], _item_cols("challenges"), _item_rows(result, "challenges"), scope)
    _data_sheet(book, styles, SHEETS[7], _division_cols(), _division_rows(result), scope)
    submissions = _submission_frame(result)
    _data_sheet(book, styles, SHEETS[8], _submission_cols(submissions), _Rows(submissions), scope, freeze_cols=1)
    _data_sheet(book, styles, SHEETS[9], _error_cols(), _error_rows(result), scope, freeze_cols=1)
    book.close()
    if options["constant_memory"]:
        # xlsxwriter's sheets hold bound methods of their workbook: a cycle, freed only by the collector, that
        # keeps every row height set (~300 bytes a row). For a large merge, freed now rather than at some later
        # collection; a small one leaves it to the collector (a full collection here costs ~0.2 s).
        del book, styles
        gc.collect()
    return path


# ---------------------------------------------------------------- atomic writing


def _fsync(path: Path) -> None:
    """Flush a file (or, on POSIX, a folder) to disk, so that a rename never exposes unwritten data."""
    if path.is_dir():
        if os.name != "posix":
            return
        fd = os.open(path, os.O_RDONLY)
    else:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    """The frame as CSV with a BOM, guarded by `csv_safe` a chunk of rows at a time (not copied whole)."""
    with path.open("wb") as handle:
        for start in range(0, max(frame.height, 1), TABLE_CHUNK):
            first = start == 0
            csv_safe(frame.slice(start, TABLE_CHUNK)).write_csv(handle, include_bom=first, include_header=first)


def _write_tables(result: MergeResult, folder: Path) -> None:
    folder.mkdir()
    for name in _table_names(result):
        frame = result.tables[name]
        frame.write_parquet(folder / f"{name}.parquet", row_group_size=TABLE_CHUNK)
        _write_csv(frame, folder / f"{name}.csv")


def _stage(result: MergeResult, staging: Path, inbox_label: str) -> None:
    """Write every output into the staging folder and flush it to disk."""
    scratch = staging / "xlsxwriter"
    scratch.mkdir()
    # The tables are written on a second core meanwhile (polars writes without holding the GIL); for a large
    # merge after the workbook instead, so that their memory peaks do not add up.
    with ThreadPoolExecutor(max_workers=1) as pool:
        alongside = None if _large(result) else pool.submit(_write_tables, result, staging / TABLES_DIR)
        write_workbook(result, staging / WORKBOOK_NAME, inbox_label=inbox_label, tmpdir=scratch)
        if alongside is None:
            _write_tables(result, staging / TABLES_DIR)
        else:
            alongside.result()
    shutil.rmtree(scratch, ignore_errors=True)
    _write_text(staging / SUMMARY_MD_NAME, render_markdown(result, inbox_label=inbox_label))
    summary = json.dumps(summary_dict(result), ensure_ascii=False, indent=2, allow_nan=False)
    _write_text(staging / SUMMARY_JSON_NAME, summary + "\n")
    for path in _files_under(staging):
        _fsync(path)
    _fsync(staging / TABLES_DIR)
    _fsync(staging)


def _files_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path


def _move(source: Path, target: Path) -> None:
    """os.replace, retried briefly on Windows sharing violations; a file held open becomes a clear message."""
    last: PermissionError | None = None
    for delay in (0.0, 0.2, 0.5, 1.0):
        if delay:
            time.sleep(delay)
        try:
            source.replace(target)
            return
        except PermissionError as exc:
            last = exc
    raise PipelineError(
        f"出力 {target} を置き換えられません（{last}）。Excel などで開いている場合は閉じてから、もう一度実行してください。"
    ) from last


Undo = Callable[[], None]


def _keep(target: Path, kept: Path) -> None:
    """Keep the current version of an output (a hard link, else a copy) so that it can be put back."""
    try:
        os.link(target, kept)
    except OSError:
        shutil.copy2(target, kept)


def _replace_file(new: Path, target: Path, kept: Path) -> Undo:
    """Replace one output file atomically; return how to put the previous version back."""
    existed = target.exists()
    if existed:
        _keep(target, kept)
    _move(new, target)

    def undo() -> None:
        if existed:
            kept.replace(target)
        else:
            target.unlink(missing_ok=True)

    return undo


def _swap_folder(new: Path, target: Path, kept: Path) -> Undo:
    """Replace the tables/ folder: the old one aside, the new one in; return how to swap back."""
    existed = target.exists()
    if existed:
        _move(target, kept)
    try:
        _move(new, target)
    except BaseException:
        if existed and not target.exists():
            kept.replace(target)
        raise

    def undo() -> None:
        target.replace(new)
        if existed:
            kept.replace(target)

    return undo


def _publish(staging: Path, outbox: Path) -> None:
    """Move the staged outputs into place, the workbook first (Excel may hold it) and summary.json last.

    If any step fails (a file held open on Windows, a full disk), the steps already done are
    undone, so the outbox keeps the previous outputs as a set.
    """
    kept = staging / KEPT_DIR
    kept.mkdir()
    undo: list[Undo] = []
    try:
        for name in (WORKBOOK_NAME, SUMMARY_MD_NAME):
            undo.append(_replace_file(staging / name, outbox / name, kept / name))
        undo.append(_swap_folder(staging / TABLES_DIR, outbox / TABLES_DIR, kept / TABLES_DIR))
        undo.append(_replace_file(staging / SUMMARY_JSON_NAME, outbox / SUMMARY_JSON_NAME, kept / SUMMARY_JSON_NAME))
    except BaseException:
        for step in reversed(undo):
            with contextlib.suppress(OSError):
                step()
        raise
    _fsync(outbox)


def _recover_tables(outbox: Path) -> None:
    """Put back a tables/ folder that a crash left aside between the two renames of the swap."""
    if (outbox / TABLES_DIR).exists():
        return
    aside = sorted(outbox.glob(f"{TMP_PREFIX}*/{KEPT_DIR}/{TABLES_DIR}"), key=lambda p: p.stat().st_mtime, reverse=True)
    if aside:
        aside[0].replace(outbox / TABLES_DIR)


def _remove_stale(outbox: Path) -> None:
    """Delete temporary folders that crashed runs left behind more than an hour ago."""
    now = time.time()
    for path in outbox.iterdir():
        if path.name.startswith(TMP_PREFIX) and path.is_dir():
            try:
                stale = now - path.stat().st_mtime > STALE_TMP_SECONDS
            except OSError:
                continue
            if stale:
                shutil.rmtree(path, ignore_errors=True)


def write_outputs(result: MergeResult, outbox: Path, *, inbox_label: str = "") -> list[Path]:
    """Write consolidated.xlsx, behind_target.md, summary.json and tables/*.parquet|csv; atomically.

    Callers hold the outbox lock (pipeline.outputs.lock). Returns the paths written, workbook first.
    """
    outbox.mkdir(parents=True, exist_ok=True)
    _recover_tables(outbox)
    _remove_stale(outbox)
    staging = outbox / f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        _stage(result, staging, inbox_label)
        _publish(staging, outbox)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [outbox / name for name in _output_names(result)]
