"""Words and formats every output shares: the template's labels, the outputs' own headings, eras, widths."""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pipeline.combine.merge import MergeResult
from pipeline.contract import layout
from pipeline.contract.eras import fiscal_year_label

NONE_LINE = "（該当なし）"


JST = timezone(timedelta(hours=9), "JST")
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
ON_SCHEDULE_MARKS = ("◎", "○")  # 予定通り以上
PROGRESS_MEANING = dict(layout.PROGRESS)


def stage_label(stage: str | None) -> str:
    """The stage with its meaning, e.g. ``最終（年度末）``."""
    if stage is None:
        return "評価時点不明"
    return layout.STAGE_LABELS.get(stage, stage)


def scope_label(result: MergeResult) -> str:
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


def number_text(value: float | None) -> str:
    """A number as people write it: thousands separators, no trailing zeros."""
    if value is None or not math.isfinite(value):
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def finite(value: Any) -> Any:
    """A float made JSON-safe (NaN and infinities become null); other values unchanged."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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
