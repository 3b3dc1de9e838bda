"""How every figure was computed, in words: the report settings, the one-sentence result, the legend of rates,
grades and 信号, and the text of a rate or a value per unit. Every output that shows a rate or a grade uses these."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pipeline.checks.status import (
    ACHIEVEMENT_RATE,
    BEHIND,
    INPUT_ERROR,
    MET,
    MISSING_ACTUAL,
    NOT_EVALUABLE,
    NOT_YET,
    PROGRESS_RATE,
    RATE_COLUMNS,
)
from pipeline.constants import DEFAULT_GRADE_BANDS, DEFAULT_GRADE_BASIS, DEFAULT_SIGNAL_THRESHOLDS, LOWEST_GRADE
from pipeline.contract import layout

H_ACHIEVEMENT_RATE = "達成率"
H_PROGRESS_RATE = "進捗率（当初値比）"
RATE_HEADERS = {ACHIEVEMENT_RATE: H_ACHIEVEMENT_RATE, PROGRESS_RATE: H_PROGRESS_RATE}
BACKWARDS = "当初値から後退"  # a negative 進捗率: never a bare negative percentage
H_MET_SHARE = "目標達成の割合"
H_MEAN_RATE = "平均達成率"
H_SIGNAL = "信号"
SIGNALS = ("青", "黄", "赤")
NO_SIGNAL = "－"
LEGEND_TITLE = "凡例（数値の計算方法）"
PERCENT_UNITS = frozenset({"%", "％", "パーセント"})
CALC_DECIMALS = 1  # computed values (the long-term line's expected value) show at most this many decimals


@dataclass(frozen=True)
class Presentation:
    """The report settings of a merge's outputs (pipeline.toml), passed from api to the writers."""

    grade_bands: tuple[tuple[str, float], ...] = DEFAULT_GRADE_BANDS
    grade_basis: str = DEFAULT_GRADE_BASIS
    signal_thresholds: tuple[float, float] = DEFAULT_SIGNAL_THRESHOLDS
    departments: tuple[str, ...] = ()  # 組織順 of departments when there is no division master
    source: str = ""  # where the files came from (the inbox folder's name), printed on 概要
    created: str = ""  # the date the outputs were made, e.g. 2026年12月1日
    pdf: bool = False  # also print consolidated.xlsx to consolidated.pdf (LibreOffice)

    @property
    def basis_column(self) -> str:
        return RATE_COLUMNS[self.grade_basis]


def percent(part: int, whole: int) -> str:
    """A share as a whole percentage, ``92%``; ``－`` of nothing."""
    return f"{round(100 * part / whole)}%" if whole else NO_SIGNAL


def headline(counts: dict[str, int]) -> str:
    """The one-sentence result: 「全26政策中、予定通り以上24（92%）。測定指標55件中、目標達成46（84%）、目標未達7、…」.

    ``counts``: policies, on_schedule (◎ and ○), indicators and one count per status."""
    policies, indicators = counts["policies"], counts["indicators"]
    parts = [f"全{policies}政策中、予定通り以上{counts['on_schedule']}（{percent(counts['on_schedule'], policies)}）。"]
    met = counts.get(MET, 0)
    figures = [
        f"測定指標{indicators}件中、目標達成{met}（{percent(met, indicators)}）",
        f"{BEHIND}{counts.get(BEHIND, 0)}",
    ]
    for status in (NOT_EVALUABLE, MISSING_ACTUAL, NOT_YET, INPUT_ERROR):
        if counts.get(status) or status in (NOT_EVALUABLE, MISSING_ACTUAL):
            figures.append(f"{status}{counts.get(status, 0)}")
    return parts[0] + "、".join(figures)


def bands_text(presentation: Presentation) -> str:
    """``A 100%以上、B 80%以上、C 50%以上、D 50%未満``."""
    bands = presentation.grade_bands
    text = "、".join(f"{grade} {_pct(minimum)}以上" for grade, minimum in bands)
    return f"{text}、{LOWEST_GRADE} {_pct(bands[-1][1])}未満" if bands else f"すべて {LOWEST_GRADE}"


def _pct(value: float) -> str:
    return f"{value:g}%"


def legend_lines(presentation: Presentation, *, signal: bool = False) -> list[str]:
    """The legend: how each rate, the grade (and on 概要 the 信号) was computed, one line each."""
    blue, yellow = presentation.signal_thresholds
    lines = [
        f"{H_ACHIEVEMENT_RATE} ＝ 実績 ÷ 目標（方向が「減少」の指標は 目標 ÷ 実績、実績 0 は 100%）。100%以上で{MET}。"
        "目標が 0 以下のときなど割り算に意味がないときは算出しません。",
        f"{H_PROGRESS_RATE} ＝（実績 − 年度当初値）÷（目標 − 年度当初値）。年度当初値がなければ基準値。"
        f"0%未満は「{BACKWARDS}」、目標が当初値と同じときは算出しません。",
        f"評価区分 ＝ {RATE_HEADERS[presentation.grade_basis]}による区分：{bands_text(presentation)}。",
    ]
    if signal:
        lines += [
            f"{H_MET_SHARE} ＝ {MET} ÷（{MET} ＋ {BEHIND}）。{H_MEAN_RATE} ＝ 各指標の{H_ACHIEVEMENT_RATE}"
            f"（100%を上限）の平均。{NOT_EVALUABLE}・{MISSING_ACTUAL}・{INPUT_ERROR}の指標は含めません。",
            f"{H_SIGNAL} ＝ {H_MET_SHARE}が {_pct(blue)}以上 青、{_pct(yellow)}以上 黄、{_pct(yellow)}未満 赤"
            f"（判定できる指標がなければ {NO_SIGNAL}）。",
        ]
    marks = "　".join(f"{mark} {meaning}" for mark, meaning in layout.PROGRESS)
    lines.append(f"進捗評価（{marks}）と達成度の評価（0～10）は所属の自己評価で、再計算していません。")
    return lines


def signal_of(share: float | None, presentation: Presentation) -> str:
    """青, 黄 or 赤 for a department's share of targets met (percent); ``－`` when nothing could be judged."""
    if share is None:
        return NO_SIGNAL
    blue, yellow = presentation.signal_thresholds
    return SIGNALS[0] if share >= blue else SIGNALS[1] if share >= yellow else SIGNALS[2]


def rate_text(value: float | None) -> str:
    """A rate as printed: ``91.6%``; a negative one (only 進捗率 can be) as 当初値から後退; nothing when null."""
    if value is None or not math.isfinite(value):
        return ""
    if value < 0:
        return BACKWARDS
    return f"{value:,.1f}%"


def is_percent(unit: str | None) -> bool:
    return unit is not None and unit.strip() in PERCENT_UNITS


def value_text(value: float | None, unit: str | None, *, computed: bool = False) -> str:
    """A value with its unit, formatted per unit: % with one decimal, others with thousands separators and the
    decimals they were typed with (a computed value at most ``CALC_DECIMALS``); no float artefacts."""
    if value is None or not math.isfinite(value):
        return ""
    suffix = unit or ""
    if is_percent(unit):
        return f"{value:,.1f}{suffix}"
    most = CALC_DECIMALS if computed else 6
    rounded = round(value, most)
    if float(rounded).is_integer():
        return f"{rounded:,.0f}{suffix}"
    return f"{rounded:,.{most}f}".rstrip("0").rstrip(".") + suffix


def rate_value(row: dict[str, Any], column: str) -> float | None:
    value = row.get(column)
    return value if isinstance(value, float) and math.isfinite(value) else None


def computed_columns(presentation: Presentation) -> list[tuple[str, str, str, str]]:
    """(table, column, 名称, 計算方法) of every column the pipeline computes: the legend of the tables."""
    lines = legend_lines(presentation)
    return [
        ("indicators", "status", "状態", f"{MET}・{BEHIND}・{MISSING_ACTUAL}・{NOT_EVALUABLE}・{NOT_YET}・{INPUT_ERROR}"
         "（目標値・実績値がともに数値で、実績が目標に届かない指標が目標未達）"),
        ("indicators", "status_reason", "判定理由", f"{NOT_EVALUABLE}の理由（定性的な値、目標値の未記入）"),
        ("indicators", "behind", "目標未達", "目標未達なら true"),
        ("indicators", "achievement_rate", H_ACHIEVEMENT_RATE + "(%)", lines[0]),
        ("indicators", "progress_rate", H_PROGRESS_RATE + "(%)", lines[1] + "表では負の数のままです。"),
        ("indicators", "grade", "評価区分", lines[2]),
        ("indicators", "trajectory_expected", "長期目標からみた今年度の想定値",
         "基準値（その時点）と長期的目標値（その年度）を結ぶ直線上の今年度の値"),
        ("indicators", "behind_trajectory", "長期目標に対する遅れ", "実績が長期目標からみた今年度の想定値に届かなければ true"),
    ]  # fmt: skip
