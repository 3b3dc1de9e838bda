"""The outbox's guards: never the inbox or a folder of submissions; a refused run leaves no folder behind; and, when
there is nothing to merge, what the inbox does hold."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import UsageProblem

if TYPE_CHECKING:
    from pipeline.combine.merge import MergeResult


def remove_empty_outbox(outbox: Path) -> None:
    """Remove an outbox this run created, when it holds nothing but the lock file (and the cache the run began)."""
    from pipeline.intake.cache import clear
    from pipeline.outputs.lock import LOCK_NAME

    clear(outbox)
    try:
        if {p.name for p in outbox.iterdir()} <= {LOCK_NAME}:
            (outbox / LOCK_NAME).unlink(missing_ok=True)
            outbox.rmdir()
    except OSError:
        pass


def check_outbox(inbox: Path, outbox: Path) -> None:
    """Refuse an outbox that would mix outputs with submissions: the inbox itself, a folder inside it (whose
    submissions discovery would skip), or a folder holding workbooks that the pipeline did not write."""
    inside, there = inbox.resolve(), outbox.resolve()
    if there == inside:
        raise UsageProblem(
            f"出力先 {outbox} が受付フォルダと同じです。出力が提出物に混ざるため書き出しません。受付フォルダの外のフォルダを --outbox で指定してください。"
        )
    if inside in there.parents:
        raise UsageProblem(
            f"出力先 {outbox} が受付フォルダ {inbox} の中にあります。出力が提出物に混ざるため書き出しません。受付フォルダの外のフォルダを --outbox で指定してください。"
        )
    held = _submission_in(outbox)
    if held is not None:
        raise UsageProblem(
            f"出力先 {outbox} に工程表ファイル（{held}）があります。受付フォルダを出力先にしていませんか。提出物のない出力用のフォルダを --outbox で指定してください。"
        )


def _submission_in(outbox: Path, limit: int = 20_000) -> str | None:
    """A workbook in the outbox that the pipeline did not publish there (relative name), or None."""
    from pipeline.constants import FEEDBACK_FOLDER, WORKBOOK_SUFFIXES
    from pipeline.outputs.publish import read_manifest

    if not outbox.is_dir():
        return None
    own = read_manifest(outbox)
    seen = 0
    for folder, subfolders, names in os.walk(outbox):
        relative = Path(folder).relative_to(outbox)
        subfolders[:] = sorted(
            d for d in subfolders if not d.startswith(".") and not (relative == Path() and d == FEEDBACK_FOLDER)
        )
        for name in sorted(names):
            seen += 1
            entry = (relative / name).as_posix()
            ours = entry in own or entry == "consolidated.xlsx"
            if name.lower().endswith(WORKBOOK_SUFFIXES) and not name.startswith(("~$", ".")) and not ours:
                return entry
        if seen > limit:
            break
    return None


def nothing_to_merge(inbox: Path, merged: MergeResult) -> str:
    """Why a merge has nothing to merge, and what the inbox does hold: years and stages with their counts."""
    from collections import Counter

    from pipeline.constants import WORKBOOK_SUFFIXES
    from pipeline.contract.eras import fiscal_year_label

    books = [
        row
        for row in merged.tables["submissions"].iter_rows(named=True)
        if row["file"].lower().endswith(WORKBOOK_SUFFIXES) and row["status"] != "skipped"
    ]
    scope = Counter(
        (row["fiscal_year"], row["stage"])
        for row in books
        if row["status"] in ("accepted", "needs-correction", "superseded", "out-of-scope")
        and row["fiscal_year"] is not None
    )
    chosen = "なし"
    if merged.fiscal_year is not None or merged.stage is not None:
        year = fiscal_year_label(merged.fiscal_year) if merged.fiscal_year is not None else "年度の指定なし"
        chosen = f"{year}・{merged.stage or '評価時点の指定なし'}"
    lines = [
        f"集計できる工程表がありません（集計対象: {chosen}）。何も書き出していません。",
        f"受付フォルダ {inbox} の工程表ファイル {len(books)} 件の内訳:",
    ]
    for (year, stage), count in sorted(scope.items(), key=lambda item: (-item[0][0], str(item[0][1]))):
        lines.append(f"  {fiscal_year_label(year)}・{stage}: {count} 件")
    for status, label in (("rejected", "不受理（読めない・エラーあり）"), ("in-transit", "保留（コピー中・保存中）")):
        count = sum(1 for row in books if row["status"] == status)
        if count:
            lines.append(f"  {label}: {count} 件")
    if scope:
        lines.append(
            "--year と --stage（または pipeline.toml の fiscal_year と stage）で、上の年度・評価時点を指定してください。"
        )
    else:
        lines.append("受理できる工程表がありません。各ファイルの指摘は pipeline validate で確認できます。")
    return "\n".join(lines)
