"""Render per-file results for people (Japanese text) and machines (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipeline.model import FileResult, sort_key

SEVERITY_JA = {"blocking": "受理不可", "error": "エラー", "warning": "警告"}
# Marks that every Japanese console can show (cp932 has no ✗ or ✓).
REJECTED_MARK = "×"


def status_of(result: FileResult, *, strict: bool = False) -> str:
    """The file's fate for `pipeline validate`: accepted, needs-correction, rejected or in-transit (design §4)."""
    if result.in_transit:
        return "in-transit"
    if not result.accepted:
        return "rejected"
    if result.needs_correction:
        return "rejected" if strict else "needs-correction"
    return "accepted"


STATUS_JA = {
    "accepted": "受理",
    "needs-correction": "受理（要修正）",
    "rejected": "不受理",
    "in-transit": "保留（書き込み中）",
}


def printable(text: str) -> str:
    """A file name made printable: control characters (newlines, escapes) are shown escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


_SEVERITY_ORDER = {"blocking": 0, "error": 1, "warning": 2}


def render_text(results: Sequence[FileResult], *, strict: bool = False) -> str:
    """One block per file: its fate, then its problems (blocking, errors, warnings) sorted by sheet and cell."""
    blocks = []
    for result in results:
        status = status_of(result, strict=strict)
        errors = len(result.blocking) + len(result.errors)
        lines = [
            f"■ {printable(result.display)}: {STATUS_JA[status]}（エラー {errors} 件、警告 {len(result.warnings)} 件）"
        ]
        for issue in sorted(result.issues, key=lambda i: (_SEVERITY_ORDER[i.severity], *sort_key(i))):
            lines.append(f"  {SEVERITY_JA[issue.severity]} [{issue.code}] {issue.message}")
        if result.feedback:
            lines.append(f"  → 指摘を書き込んだ確認用コピー: {printable(result.feedback)}")
        blocks.append("\n".join(lines))
    fates = [status_of(r, strict=strict) for r in results]
    counts = "、".join(f"{STATUS_JA[s]} {fates.count(s)}" for s in STATUS_JA if fates.count(s))
    blocks.append(f"{len(results)} ファイル: {counts}")
    return "\n\n".join(blocks)


def result_to_dict(result: FileResult, *, strict: bool = False) -> dict[str, Any]:
    """A file's status, issues and normalised record (the schema's shape) as a JSON-ready mapping."""
    return {
        "file": result.display,
        "status": status_of(result, strict=strict),
        "sha256": result.sha256,
        "errors": len(result.blocking) + len(result.errors),
        "warnings": len(result.warnings),
        "issues": [i.to_dict() for i in sorted(result.issues, key=sort_key)],
        "record": result.record,
        "locations": result.locations,
        "feedback": result.feedback,
    }


def render_json(results: Sequence[FileResult], *, strict: bool = False) -> str:
    """The whole validation report as JSON."""
    files = [result_to_dict(r, strict=strict) for r in results]
    return json.dumps({"files": files}, ensure_ascii=False, indent=2)


def render_timings(timings: dict[str, float]) -> str:
    """Seconds per stage of a merge, one line: 処理時間: 準備 0.05 秒 / 検証 3.41 秒 / … / 合計 6.72 秒."""
    parts = [f"{stage} {seconds:.2f} 秒" for stage, seconds in timings.items()]
    return "処理時間（起動後）: " + " / ".join([*parts, f"合計 {sum(timings.values()):.2f} 秒"])


def render_merge(run: Any) -> str:
    """The closing summary of `pipeline merge` in Japanese: fates, figures, rejected files, outputs."""
    from pipeline.combine.merge import FATES
    from pipeline.outputs.labels import scope_label

    result = run.result
    subs = result.tables["submissions"]
    indicators = result.tables["indicators"]
    lines = [
        f"集計対象: {scope_label(result)}" if result.fiscal_year else "集計対象: なし",
        "ファイル: " + "、".join(f"{FATES[k]} {result.fates.get(k, 0)}" for k in FATES if result.fates.get(k)),
        f"所属: {result.tables['divisions'].height}　指標: {indicators.height}　"
        f"目標未達: {int((indicators['status'] == '目標未達').sum())}　"
        f"実績未記入: {int((indicators['status'] == '実績未記入').sum())}",
    ]
    if result.not_submitted:
        names = "、".join(f"{d.department} {d.division}" for d in result.not_submitted)
        lines.append(f"未提出: {len(result.not_submitted)} 所属（{names}）")
    problem = subs.filter(subs["status"].is_in(["rejected", "needs-correction", "unsupported", "in-transit"]))
    if problem.height:
        lines.append("")
        lines.append("受理できなかったファイル・修正が必要なファイル:")
        for row in problem.iter_rows(named=True):
            lines.append(f"  {REJECTED_MARK} {printable(row['file'])}（{row['status_ja']}）: {row['note'] or ''}")
    lines.append("")
    if run.dry_run:
        lines.append("（--dry-run のため、何も書き出していません）")
    elif run.outputs:
        folder = run.outputs[0].parent
        lines.append(f"出力先: {folder}")
        top = [p for p in run.outputs if p.parent == folder]
        tables = [p for p in run.outputs if p.parent.name == "tables"]
        feedback = [p for p in run.outputs if "feedback" in p.relative_to(folder).parts]
        lines.extend(f"  {p.name}" for p in top)
        if tables:
            lines.append(f"  tables/（各表の Parquet と CSV、{len(tables)} ファイル）")
        if feedback:
            lines.append(f"  feedback/（指摘を書き込んだ確認用コピー、{len(feedback)} ファイル）")
    return "\n".join(lines)
