"""behind_target.md: the summary an executive reads first, with user text made inert in Markdown."""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from pipeline.checks.status import BEHIND, MISSING_ACTUAL, NOT_EVALUABLE
from pipeline.combine.merge import FATES, MergeResult
from pipeline.outputs.frames import (
    behind_rows,
    delayed_policies,
    headline_counts,
    rejected_files,
    table_of,
    warned_policies,
)
from pipeline.outputs.labels import (
    DELAYED_MARKS,
    H_GRADE,
    H_TRAJECTORY,
    H_WARNING,
    L_ACHIEVEMENT,
    L_CODE,
    L_NEXT_ACTION,
    L_PROGRESS,
    L_REASON,
    NONE_LINE,
    NOT_SUBMITTED,
    PROGRESS_MEANING,
    scope_label,
)
from pipeline.outputs.legend import (
    H_ACHIEVEMENT_RATE,
    H_PROGRESS_RATE,
    LEGEND_TITLE,
    Presentation,
    headline,
    legend_lines,
    rate_text,
    value_text,
)
from pipeline.outputs.names import WORKBOOK_NAME
from pipeline.outputs.sheets import ERRORS_SHEET
from pipeline.outputs.summary import summary_dict

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


def _value_md(number: float | None, text: str | None, unit: str | None, *, computed: bool = False) -> str:
    if number is not None:
        return md_escape(value_text(number, unit, computed=computed))
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
        f"- 政策: {summary['policies']} 件（予定通り以上 {summary['policies_on_schedule']} 件）",
        f"- 測定指標: {summary['indicators']} 件",
        f"- 目標達成: {summary['met_target']} 件",
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
        facts = [
            f"目標 {_value_md(row['target'], row['target_text'], unit)}",
            f"実績 {_value_md(row['actual'], row['actual_text'], unit)}",
        ]
        if row.get("direction") == "減少":
            facts.append("方向 減少（少ないほどよい）")
        for header, column in ((H_ACHIEVEMENT_RATE, "achievement_rate"), (H_PROGRESS_RATE, "progress_rate")):
            if rate_text(row.get(column)):
                facts.append(f"{header} {rate_text(row.get(column))}")
        if row["grade"]:
            facts.append(f"{H_GRADE} {md_escape(row['grade'])}")
        lines.append(f"- 指標「{md_escape(row['name'])}」: {'、'.join(facts)}（{_where_md(row)}）")
        if row.get("behind_trajectory"):
            expected = _value_md(row["trajectory_expected"], None, unit, computed=True)
            lines.append(f"  - {H_TRAJECTORY}: 長期目標への直線で今年度の想定値 {expected}")
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


def render_markdown(result: MergeResult, *, presentation: Presentation | None = None) -> str:
    """behind_target.md: the one-sentence result, the counts and the legend, then what is behind target and why
    (grouped by department and division in 組織順), then what is missing or rejected."""
    presentation = presentation or Presentation()
    summary = summary_dict(result, presentation=presentation)
    lines = [f"# 工程表 目標未達の要約 {scope_label(result)}", ""]
    lines += [f"**{headline(headline_counts(result))}**", ""]
    source = [f"作成日 {presentation.created}"] if presentation.created else []
    if presentation.source:
        source.append(f"受付フォルダ: {md_escape(presentation.source)}")
    if source:
        lines += ["　".join(source), ""]
    lines += ["## 集計", "", *_counts_md(result, summary), ""]
    lines += [f"## {LEGEND_TITLE}", "", *(f"- {md_escape(line)}" for line in legend_lines(presentation)), ""]

    behind = behind_rows(result, presentation.grade_basis)
    lines += [f"## {BEHIND}の指標（{behind.height}件）", ""]
    lines += _behind_md(behind) if behind.height else [NONE_LINE, ""]

    delayed = []
    for row in delayed_policies(result).iter_rows(named=True):
        delayed.append(f"- {_who_md(row)} {_policy_heading(row)}: {_judgement_md(row)}")
        delayed.append(f"  - {L_REASON}: {md_escape(row['evaluation_reason'], indent='    ') or '（記入なし）'}")
        delayed.append(f"  - {L_NEXT_ACTION}: {md_escape(row['next_actions'], indent='    ') or '（記入なし）'}")
    lines += _section(f"進捗遅れの政策（{'・'.join(DELAYED_MARKS)}）", delayed)

    indicators = table_of(result, "indicators")
    if "status" in indicators.columns:  # in the tables' order: 組織順
        not_evaluable = [
            f"- {_who_md(row)} 指標「{md_escape(row['name'])}」: {md_escape(row['status_reason'])}（{_where_md(row, 'target_cell')}）"
            for row in indicators.filter(pl.col("status") == NOT_EVALUABLE).iter_rows(named=True)
        ]
        missing = [
            f"- {_who_md(row)} 指標「{md_escape(row['name'])}」: 目標 {_value_md(row['target'], row['target_text'], row['unit'])}（{_where_md(row)}）"
            for row in indicators.filter(pl.col("status") == MISSING_ACTUAL).iter_rows(named=True)
        ]
    else:
        not_evaluable = missing = []
    lines += _section(f"{NOT_EVALUABLE}の指標", not_evaluable)
    lines += _section(f"{MISSING_ACTUAL}の指標", missing)

    warned = [
        f"- {_who_md(row)} {_policy_heading(row)}: {md_escape(row['self_evaluation_warning'], indent='  ')}"
        for row in warned_policies(result).iter_rows(named=True)
    ]
    lines += _section("自己評価と数値の不一致", warned)

    absent = [
        f"- {md_escape(d.department)} {md_escape(d.division)}" + (f"（{L_CODE} {md_escape(d.code)}）" if d.code else "")
        for d in result.not_submitted
    ]
    lines += _section(f"{NOT_SUBMITTED}の所属", absent)

    rejected: list[str] = []
    for fate in ("rejected", "unsupported"):
        for entry in rejected_files(result, fate):
            suffix = f"（{FATES[fate]}）" if fate != "rejected" else ""
            rejected.append(f"- {md_escape(entry['file'])}{suffix}")
            errors = entry["errors"]
            rejected += [f"  - {md_escape(message, indent='    ')}" for message in errors[:3]]
            if len(errors) > 3:
                rejected.append(f"  - ほか {len(errors) - 3} 件（{WORKBOOK_NAME} の{ERRORS_SHEET}シートを参照）")
    lines += _section(f"{FATES['rejected']}・{FATES['unsupported']}のファイル", rejected)
    return "\n".join(lines).rstrip("\n") + "\n"
