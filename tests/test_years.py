"""Two fiscal years through `pipeline merge --history`: one history, identities across a rename, continuity
warnings on their cells (in the errors table and the feedback copy), 指標の推移 and the year-over-year summary."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl

from pipeline.api import merge_inbox
from pipeline.config import Settings
from pipeline.history import store
from scripts.seed import seed_entries


def _next_year(entries: dict[str, Any]) -> dict[str, Any]:
    """The seed division a year on, renamed, with a start value that does not match last year's actual."""
    later = copy.deepcopy(entries)
    later.update(fiscal_year="H28", division="デジタル推進課")
    first = later["policies"][0]["indicators"][0]
    first.update(start=5, target=8, actual=7)  # last year's actual was 6
    return later


def test_two_years_merge_into_one_history_across_a_rename(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    history, lineage = tmp_path / "history", tmp_path / "lineage.csv"
    lineage.write_text(
        "年度,旧所属コード,旧部局名,旧所属名,新所属コード,新部局名,新所属名,種別\n"
        "H28,,総務部,情報政策課,,総務部,デジタル推進課,改称\n",
        encoding="utf-8-sig",
    )
    make_book(seed_entries(), "情報政策課.xlsx", tmp_path / "y1")
    merge_inbox(Settings(inbox=tmp_path / "y1", outbox=tmp_path / "out1", history=history))
    make_book(_next_year(seed_entries()), "デジタル推進課.xlsx", tmp_path / "y2")
    run = merge_inbox(Settings(inbox=tmp_path / "y2", outbox=tmp_path / "out2", history=history, lineage=lineage))

    assert store.records(history) == [(2015, "最終"), (2016, "最終")]
    indicators = store.load(history, "indicators")
    first = indicators.filter(pl.col("name") == "システム共同化に向けた具体的な検討を行う部会の設置数")
    assert first.select("fiscal_year", "start", "actual").rows() == [(2015, 0.0, 6.0), (2016, 5.0, 7.0)]
    assert first["indicator_id"].n_unique() == 1  # the renamed division's indicator is one identity

    errors = run.result.tables["errors"].filter(pl.col("code") == "start-differs-from-last-actual")
    assert errors.select("sheet", "cell", "found").rows() == [("政策1", "H26", "5部会")]
    message = errors["message"][0]
    assert "昨年度の実績値（6" in message and "平成27年度（2015年度）" in message

    out = tmp_path / "out2"
    feedback = openpyxl.load_workbook(out / "feedback" / "総務部" / "デジタル推進課.xlsx")
    comment = feedback["政策1"]["H26"].comment
    assert comment is not None and "昨年度の実績値" in comment.text

    book = openpyxl.load_workbook(out / "consolidated.xlsx")
    trend = book["指標の推移"]
    header = [c.value for c in trend[3]]  # below the sheet's title and note
    assert header[4:7] == ["基準値", "平成27年度実績", "平成28年度実績"]
    row = next(
        [c.value for c in r]
        for r in trend.iter_rows(min_row=4)
        if r[2].value and r[2].value.startswith("システム共同化")
    )
    assert row[1] == "デジタル推進課" and row[5:7] == [6, 7]
    assert "情報政策課" in (row[header.index("旧名称")] or "")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["history"]["years"] == [2015, 2016]
    assert summary["history"]["continuing"] == 2 and summary["history"]["new"] == 0


def test_no_history_compares_and_records_nothing(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    make_book(seed_entries(), "情報政策課.xlsx", tmp_path / "y1")
    run = merge_inbox(Settings(inbox=tmp_path / "y1", outbox=tmp_path / "out"))
    assert run.years is None
    assert "指標の推移" not in openpyxl.load_workbook(tmp_path / "out" / "consolidated.xlsx").sheetnames
