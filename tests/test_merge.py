"""`pipeline merge` end to end: the sample inbox, a mixed inbox, injection, idempotence, real clients."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from pipeline.api import merge_inbox
from pipeline.cli import main
from pipeline.config import load_settings
from scripts.seed import INDICATORS, POLICY_TITLE, seed_entries
from tests.conftest import set_saved_at

ROOT = Path(__file__).resolve().parent.parent
INBOX = ROOT / "inbox"
MASTER = INBOX / "所属名簿.csv"

BEHIND = [  # (department, division, sheet, indicator, target, actual): 組織順 (所属名簿), worst 達成率 first in a division
    ("福祉保健部", "健康政策課", "政策2", "特定健康診査受診率", 45.0, 41.2),
    ("福祉保健部", "長寿社会課", "政策1", "認知症サポーター養成数（累計）", 50000.0, 48312.0),
    ("商工労働部", "産業振興課", "政策2", "県の支援による輸出成約額", 400.0, 372.0),
    ("農林水産部", "生産振興課", "政策1", "鳥取二十世紀梨の輸出量", 300.0, 262.0),
    ("農林水産部", "水産課", "政策1", "新規漁業就業者数", 20.0, 8.0),
    ("農林水産部", "水産課", "政策1", "漁業就業前研修の受講者数", 15.0, 9.0),
    ("県土整備部", "道路企画課", "政策2", "交通事故死者数", 30.0, 35.0),
]


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, str]]:
    """The sample inbox merged once into a temporary outbox."""
    outbox = tmp_path_factory.mktemp("outbox")
    before = digests(INBOX)
    run = merge_inbox(load_settings(None, inbox=INBOX, outbox=outbox, divisions=MASTER))
    assert digests(INBOX) == before  # the inbox is never modified
    return outbox, run, before


def test_sample_inbox_summary_counts(sample: tuple[Path, Any, dict[str, str]]) -> None:
    outbox, _run, _ = sample
    summary = json.loads((outbox / "summary.json").read_text(encoding="utf-8"))
    assert (summary["fiscal_year"], summary["stage"]) == (2015, "最終")
    assert summary["files"] == {
        "seen": 19,
        "accepted": 17,
        "needs_correction": 1,
        "rejected": 1,
        "superseded": 0,
        "out_of_scope": 0,
        "unsupported": 0,
        "skipped": 0,
        "in_transit": 0,
    }
    assert (summary["divisions"], summary["indicators"], summary["behind_target"], summary["missing_actual"]) == (
        18,
        55,
        7,
        1,
    )
    assert summary["not_submitted"] == [
        {"code": "2105", "department": "福祉保健部", "division": "子育て王国推進課"},
        {"code": "5103", "department": "県土整備部", "division": "技術企画課"},
    ]
    assert summary["rejected"] == [
        {
            "file": "総務部/税務課_作業中.xlsx",
            "errors": [
                "部局名が読めないため、どの所属・年度・評価時点の工程表か決められず受理できません。部局名を正しく入力してください",
                "基本情報!C6「部局名」: 入力が必要です。部局名を入力してください（例: 総務部）。",
            ],
        }
    ]
    assert summary["needs_correction"] == [
        {
            "file": "教育委員会/高等学校課.xlsx",
            "errors": ["政策1!C52「達成度の評価」: 0～10の整数を入力してください（入力値: 「11」）"],
        }
    ]


def test_sample_inbox_behind_target_list(sample: tuple[Path, Any, dict[str, str]]) -> None:
    _outbox, run, _ = sample
    behind = (
        run.result.tables["indicators"]
        .filter(pl.col("status") == "目標未達")
        .sort("department", "division", "sheet", "row")
    )
    assert behind.select("department", "division", "sheet", "name", "target", "actual").rows() == sorted(BEHIND)


def test_sample_inbox_special_statuses(sample: tuple[Path, Any, dict[str, str]]) -> None:
    _outbox, run, _ = sample
    ind = run.result.tables["indicators"]
    assert ind.filter(pl.col("status") == "判定不可").select("division", "name", "target_text").rows() == [
        ("福祉保健課", "地域見守り活動の実施市町村数", "全ての市町村で実施する")
    ]
    assert ind.filter(pl.col("status") == "実績未記入").select("division", "name").rows() == [
        ("森林づくり推進課", "間伐実施面積")
    ]
    met_but_behind_line = ind.filter(pl.col("behind_trajectory") & (pl.col("status") == "目標達成"))
    assert met_but_behind_line.select("division", "name", "trajectory_expected").rows() == [
        ("企業立地課", "企業立地に伴う新規雇用創出数（累計）", 725.0)
    ]
    policies = run.result.tables["policies"]
    assert sorted(policies.filter(pl.col("progress").is_in(["△", "×"])).select("division", "progress").rows()) == [
        ("健康政策課", "△"),
        ("水産課", "×"),
    ]
    warned = policies.filter(pl.col("self_evaluation_warning").is_not_null())
    assert warned.select("division", "sheet").rows() == [("産業振興課", "政策2")]


def test_seed_values_survive_into_parquet_and_the_consolidated_workbook(
    sample: tuple[Path, Any, dict[str, str]],
) -> None:
    outbox, _run, _ = sample
    ind = pl.read_parquet(outbox / "tables" / "indicators.parquet").filter(pl.col("division") == "情報政策課")
    assert ind.select(
        "name", "category", "unit", "baseline", "start", "target", "actual", "long_term_target"
    ).rows() == [
        (
            i["name"],
            i["category"],
            i["unit"],
            0.0,
            0.0,
            float(i["target"]),
            float(i["actual"]),
            float(i["long_term_target"]),
        )
        for i in INDICATORS
    ]
    assert ind.select("sheet", "actual_cell", "file").rows() == [
        ("政策1", "L26", "総務部/情報政策課.xlsx"),
        ("政策1", "L27", "総務部/情報政策課.xlsx"),
    ]
    book = load_workbook(outbox / "consolidated.xlsx", read_only=True)
    sheet = book["指標一覧"]
    rows = list(sheet.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if "指標名" in r)  # below the sheet's title and note
    header = rows[at]
    mine = [dict(zip(header, r, strict=False)) for r in rows[at + 1 :] if "情報政策課" in r]
    assert [(m["指標名"], m["今年度目標値"], m["今年度実績値"]) for m in mine] == [
        (INDICATORS[0]["name"], 2, 6),
        (INDICATORS[1]["name"], 0, 0),
    ]
    projects = list(book["主要事業"].iter_rows(values_only=True))
    seed_project = [dict(zip(projects[2], r, strict=False)) for r in projects[3:] if "情報政策課" in r]
    assert [(p["事業名"], p["予算額(千円)"]) for p in seed_project] == [("行政情報システム共同利用等推進事業", 628)]
    policies = list(book["政策・評価"].iter_rows(values_only=True))
    seed_policy = [dict(zip(policies[2], r, strict=False)) for r in policies[3:] if "情報政策課" in r]
    assert [(p["政策内容"], p["進捗評価"], p["達成度の評価"]) for p in seed_policy] == [(POLICY_TITLE, "◎", 9)]
    assert book.sheetnames == [
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
    ]


def test_second_merge_gives_identical_tables(sample: tuple[Path, Any, dict[str, str]], tmp_path: Path) -> None:
    outbox, _run, before = sample
    merge_inbox(load_settings(None, inbox=INBOX, outbox=tmp_path, divisions=MASTER))
    for name in ("indicators", "policies", "submissions", "errors", "projects"):
        assert pl.read_parquet(tmp_path / "tables" / f"{name}.parquet").equals(
            pl.read_parquet(outbox / "tables" / f"{name}.parquet")
        ), name
        assert (tmp_path / "tables" / f"{name}.csv").read_bytes() == (outbox / "tables" / f"{name}.csv").read_bytes()
    assert (tmp_path / "summary.json").read_bytes() == (outbox / "summary.json").read_bytes()
    assert (tmp_path / "behind_target.md").read_bytes() == (outbox / "behind_target.md").read_bytes()
    assert digests(INBOX) == before


def _division(entries: dict[str, Any], department: str, division: str, code: str) -> dict[str, Any]:
    entries = copy.deepcopy(entries)
    entries.update(department=department, division=division, division_code=code)
    return entries


def test_mixed_inbox_every_file_has_its_fate(make_book: Callable[..., Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    seed = seed_entries()
    make_book(seed, "総務部/情報政策課.xlsx", inbox)
    make_book(_division(seed, "総務部", "行政課", "1001"), "総務部/行政課.xlsx", inbox)
    old = make_book(_division(seed, "福祉保健部", "福祉保健課", "2001"), "福祉保健部/福祉保健課_旧.xlsx", inbox)
    new = make_book(_division(seed, "福祉保健部", "福祉保健課", "2001"), "福祉保健部/福祉保健課.xlsx", inbox)
    set_saved_at(old, "2016-03-01T09:00:00Z")
    set_saved_at(new, "2016-03-02T09:00:00Z")
    os.utime(new, (1_600_000_000, 1_600_000_000))  # the workbook's own saved time wins over the file's mtime
    bad = _division(seed, "教育委員会", "小中学校課", "6001")
    bad["policies"][0]["indicators"][0]["actual"] = "6,,0"
    make_book(bad, "教育委員会/小中学校課.xlsx", inbox)
    other_year = _division(seed, "教育委員会", "高等学校課", "6002")
    other_year["fiscal_year"] = "H28"
    make_book(other_year, "教育委員会/高等学校課.xlsx", inbox)
    (inbox / "総務部" / "~$行政課.xlsx").write_bytes(b"\0" * 165)
    (inbox / "古い様式.xls").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504)
    before = digests(inbox)
    outbox = tmp_path / "outbox"
    result = CliRunner().invoke(main, ["merge", "--inbox", str(inbox), "--outbox", str(outbox)], prog_name="pipeline")
    assert result.exit_code == 1, result.output
    assert digests(inbox) == before
    subs = pl.read_parquet(outbox / "tables" / "submissions.parquet")
    # 組織順 without a master: departments as their divisions first appear, files of no division last
    assert subs.select("file", "status", "status_ja").rows() == [
        ("教育委員会/小中学校課.xlsx", "needs-correction", "受理（要修正）"),
        ("教育委員会/高等学校課.xlsx", "out-of-scope", "対象外"),
        ("福祉保健部/福祉保健課.xlsx", "accepted", "受理"),
        ("福祉保健部/福祉保健課_旧.xlsx", "superseded", "置換済み"),
        ("総務部/情報政策課.xlsx", "accepted", "受理"),
        ("総務部/行政課.xlsx", "accepted", "受理"),
        ("古い様式.xls", "unsupported", "形式対象外"),
        ("総務部/~$行政課.xlsx", "skipped", "除外"),
    ]
    book = load_workbook(outbox / "consolidated.xlsx", read_only=True)
    listed = {row[0] for row in book["提出状況"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert set(subs["file"]) <= listed
    summary = json.loads((outbox / "summary.json").read_text(encoding="utf-8"))
    assert summary["files"] == {
        "seen": 8,
        "accepted": 3,
        "needs_correction": 1,
        "rejected": 0,
        "superseded": 1,
        "out_of_scope": 1,
        "unsupported": 1,
        "skipped": 1,
        "in_transit": 0,
    }
    # one wrong value never drops a division: 小中学校課 is in every table, that value marked and not used
    assert summary["rejected"] == []
    assert summary["needs_correction"][0]["file"] == "教育委員会/小中学校課.xlsx"
    assert "政策1!L26「今年度実績値」: 数値を入力してください" in summary["needs_correction"][0]["errors"][0]
    assert "× 教育委員会/小中学校課.xlsx（受理（要修正））" in result.output
    indicators = pl.read_parquet(outbox / "tables" / "indicators.parquet").filter(pl.col("division") == "小中学校課")
    assert indicators.select("actual", "actual_text", "status", "value_error", "achievement_rate").row(0) == (
        None,
        "6,,0",
        "入力エラー",
        "今年度実績値「6,,0」",
        None,
    )
    assert indicators.height == 2 and indicators["status"][1] == "目標達成"
    divisions = pl.read_parquet(outbox / "tables" / "divisions.parquet")
    assert "小中学校課" in divisions["division"].to_list()
    assert "× 古い様式.xls（形式対象外）" in result.output


def test_resubmission_without_saved_time_uses_the_file_mtime(make_book: Callable[..., Path], tmp_path: Path) -> None:
    import zipfile

    inbox = tmp_path / "inbox"
    paths = [make_book(seed_entries(), name, inbox) for name in ("new.xlsx", "old.xlsx")]
    for path in paths:  # drop docProps/core.xml, as some generators do
        with zipfile.ZipFile(path) as archive:
            parts = [(i, archive.read(i.filename)) for i in archive.infolist() if i.filename != "docProps/core.xml"]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, data in parts:
                archive.writestr(info, data)
    os.utime(paths[0], (1_700_000_000, 1_700_000_000))
    os.utime(paths[1], (1_600_000_000, 1_600_000_000))
    run = merge_inbox(load_settings(None, inbox=inbox, outbox=tmp_path / "out"))
    assert run.result.tables["submissions"].select("file", "status").rows() == [
        ("new.xlsx", "accepted"),
        ("old.xlsx", "superseded"),
    ]


def test_resubmission_tie_is_an_error_for_both(make_book: Callable[..., Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    seed = seed_entries()
    a = make_book(seed, "a.xlsx", inbox)
    b = make_book({**seed, "head": "鳥取 次郎"}, "b.xlsx", inbox)  # two versions, not two copies of one file
    for path in (a, b):
        set_saved_at(path, "2016-03-02T09:00:00Z")
    make_book(_division(seed, "総務部", "行政課", "1001"), "c.xlsx", inbox)
    run = merge_inbox(load_settings(None, inbox=inbox, outbox=tmp_path / "out"))
    subs = run.result.tables["submissions"]
    assert subs.select("file", "status").rows() == [
        ("a.xlsx", "rejected"),
        ("b.xlsx", "rejected"),
        ("c.xlsx", "accepted"),
    ]
    errors = run.result.tables["errors"].filter(pl.col("code") == "resubmission-tie")
    assert errors.select("file", "message").rows() == [
        (
            "a.xlsx",
            "同じ所属のファイル（b.xlsx）と保存日時が同じため、どちらを使うか決められません。どちらか一方を削除してください",
        ),
        (
            "b.xlsx",
            "同じ所属のファイル（a.xlsx）と保存日時が同じため、どちらを使うか決められません。どちらか一方を削除してください",
        ),
    ]


INJECTIONS = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "＝1+1"]


def test_user_strings_never_become_formulas(make_book: Callable[..., Path], tmp_path: Path) -> None:
    entries = seed_entries()
    entries["head"] = INJECTIONS[0]
    policy = entries["policies"][0]
    policy["policy_title"] = INJECTIONS[1]
    policy["goals"] = [INJECTIONS[2]]
    policy["challenges"][0]["challenge"] = INJECTIONS[4]
    policy["indicators"][0]["name"] = INJECTIONS[3]
    policy["evaluation_reason"] = INJECTIONS[0]
    policy["results"][0]["outcome"] = INJECTIONS[2]
    policy["projects"][0]["name"] = INJECTIONS[1]
    path = make_book(entries, "inject.xlsx", tmp_path / "inbox")
    # openpyxl wrote these as formulas into the submission; store them as the text a division typed
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    book.save(path)
    outbox = tmp_path / "outbox"
    run = merge_inbox(load_settings(None, inbox=tmp_path / "inbox", outbox=outbox))
    assert run.result.fates == {"accepted": 1}
    with zipfile.ZipFile(outbox / "consolidated.xlsx") as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    values = set()
    out = load_workbook(outbox / "consolidated.xlsx")
    for sheet in out.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in INJECTIONS:
                    assert cell.data_type == "s"
                    values.add(cell.value)
    assert values == set(INJECTIONS)
    csv_text = (outbox / "tables" / "policies.csv").read_text(encoding="utf-8-sig")
    assert "'+1+1" in csv_text and "'@SUM(A1)" in csv_text
    assert "'=HYPERLINK" in (outbox / "tables" / "divisions.csv").read_text(encoding="utf-8-sig")
    parquet = pl.read_parquet(outbox / "tables" / "divisions.parquet")
    assert parquet["head"].to_list() == [INJECTIONS[0]]
    md = (outbox / "behind_target.md").read_text(encoding="utf-8")
    assert "](http://x" not in md


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    result = CliRunner().invoke(
        main,
        ["merge", "--inbox", str(INBOX), "--outbox", str(outbox), "--divisions", str(MASTER), "--dry-run"],
        prog_name="pipeline",
    )
    assert result.exit_code == 1, result.output  # the sample has a 受理（要修正） and a 不受理 file
    assert "（--dry-run のため、何も書き出していません）" in result.output
    assert not outbox.exists()


def test_merge_of_a_missing_inbox_is_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["merge", "--inbox", str(tmp_path / "none")], prog_name="pipeline")
    assert result.exit_code == 2
    assert f"受付フォルダ {tmp_path / 'none'} がありません。" in result.output


def test_merge_closing_summary_on_the_sample_inbox(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["merge", "--inbox", str(INBOX), "--outbox", str(tmp_path), "--divisions", str(MASTER)],
        prog_name="pipeline",
        catch_exceptions=False,
    )
    assert result.exit_code == 1  # all three fates (design §4): exit 1 says some files need attention
    lines = result.output.splitlines()
    assert lines[:4] == [
        "集計対象: 平成27年度（2015年度） 最終（年度末）",
        "ファイル: 受理 17、受理（要修正） 1、不受理 1",
        "所属: 18　指標: 55　目標未達: 7　実績未記入: 1",
        "未提出: 2 所属（福祉保健部 子育て王国推進課、県土整備部 技術企画課）",
    ]
    assert f"出力先: {tmp_path}" in result.output
    assert "検証中" not in result.output  # the progress bar is for terminals only
    assert "処理時間" not in result.output


def test_merge_timings_name_every_stage(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["merge", "--inbox", str(INBOX), "--outbox", str(tmp_path), "--divisions", str(MASTER), "--timings"],
        prog_name="pipeline",
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    match = re.fullmatch(
        r"処理時間（起動後）: 準備 ([0-9.]+) 秒 / 検証 ([0-9.]+) 秒 / 集約 ([0-9.]+) 秒 / 出力 ([0-9.]+) 秒 / 合計 ([0-9.]+) 秒",
        line,
    )
    assert match is not None, line
    stages = [float(x) for x in match.groups()[:4]]
    assert all(seconds > 0 for seconds in stages[1:])
    assert abs(sum(stages) - float(match.group(5))) <= 0.02


@pytest.mark.libreoffice
def test_consolidated_workbook_opens_in_libreoffice(
    sample: tuple[Path, Any, dict[str, str]], libreoffice: Callable[[Path, str, Path], Path], tmp_path: Path
) -> None:
    outbox, _run, _ = sample
    pdf = libreoffice(outbox / "consolidated.xlsx", "pdf", tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "200", str(pdf)], capture_output=True, text=True, check=True)
    sizes = [
        line.split(":", 1)[1].strip() for line in info.stdout.splitlines() if line.startswith("Page") and "size" in line
    ]
    assert sizes, info.stdout
    for size in sizes:  # A4 landscape: 842 x 595 pt
        width, height = (float(x) for x in size.split()[0:3:2])
        assert (round(width), round(height)) == (842, 595), size
    # sheet 2 (目標未達指標) as CSV: LibreOffice's filter options, last token = sheet number
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2"
    csv = libreoffice(outbox / "consolidated.xlsx", csv_filter, tmp_path / "csv")
    assert csv.name == "consolidated-目標未達指標.csv"
    import csv as csv_module

    rows = list(csv_module.reader(csv.read_text(encoding="utf-8").splitlines(keepends=True)))
    at = next(i for i, r in enumerate(rows) if "部局名" in r)  # below the sheet's title and note
    header = rows[at]
    picked = [
        (
            r[header.index("部局名")],
            r[header.index("所属名")],
            r[header.index("所在")].split("!")[0],
            r[header.index("指標名")],
            float(r[header.index("今年度目標値")]),
            float(r[header.index("今年度実績値")]),
        )
        for r in rows[at + 1 :]
        if len(r) == len(header)
    ]
    assert picked == BEHIND


def test_merge_writes_feedback_copies_for_files_with_issues(make_book: Callable[..., Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    make_book(seed_entries(), "ok.xlsx", inbox)
    bad = _division(seed_entries(), "教育委員会", "小中学校課", "6001")
    bad["policies"][0]["achievement"] = 11
    make_book(bad, "小中.xlsx", inbox)
    outbox = tmp_path / "outbox"
    (outbox / "feedback" / "総務部").mkdir(parents=True)
    (outbox / "feedback" / "総務部" / "返信メモ.txt").write_text("office's own note", encoding="utf-8")
    (outbox / "tables").mkdir(parents=True)
    (outbox / "tables" / "自分の集計.csv").write_text("a,b\n", encoding="utf-8")
    run = merge_inbox(load_settings(None, inbox=inbox, outbox=outbox))
    assert sorted(p.relative_to(outbox).as_posix() for p in (outbox / "feedback").rglob("*.xlsx")) == [
        "feedback/教育委員会/小中学校課.xlsx"
    ]
    # the office's own files in the outbox are never touched: only what the pipeline wrote is replaced
    assert (outbox / "feedback" / "総務部" / "返信メモ.txt").read_text(encoding="utf-8") == "office's own note"
    assert (outbox / "tables" / "自分の集計.csv").exists()
    subs = run.result.tables["submissions"]
    assert subs.select("file", "feedback").rows() == [
        ("ok.xlsx", None),
        ("小中.xlsx", "feedback/教育委員会/小中学校課.xlsx"),
    ]
    book = load_workbook(outbox / "feedback" / "教育委員会" / "小中学校課.xlsx")
    assert book.sheetnames[0] == "確認結果"
    assert book["政策1"]["C52"].comment is not None
    assert not [p for p in outbox.iterdir() if p.name.startswith(".tmp-")]


def test_a_feedback_copy_the_pipeline_wrote_goes_when_its_division_is_fixed(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    bad = _division(seed_entries(), "教育委員会", "小中学校課", "6001")
    bad["policies"][0]["achievement"] = 11
    path = make_book(bad, "小中.xlsx", inbox)
    make_book(seed_entries(), "ok.xlsx", inbox)
    merge_inbox(load_settings(None, inbox=inbox, outbox=outbox))
    assert (outbox / "feedback" / "教育委員会" / "小中学校課.xlsx").exists()
    make_book(_division(seed_entries(), "教育委員会", "小中学校課", "6001"), path.name, inbox)  # fixed
    merge_inbox(load_settings(None, inbox=inbox, outbox=outbox))
    assert not (outbox / "feedback").exists()  # its only copy removed, and the folders it left empty


def _code(entries: dict[str, Any], code: str | None) -> dict[str, Any]:
    entries = copy.deepcopy(entries)
    entries["division_code"] = code
    return entries


def _roster(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("所属コード,部局名,所属名\n" + "".join(f"{c},{d},{n}\n" for c, d, n in rows), encoding="utf-8")
    return path


def test_another_divisions_code_is_an_error_naming_both(make_book: Callable[..., Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    make_book(_division(seed_entries(), "総務部", "人事企画課", "1102"), "人事企画課.xlsx", inbox)
    make_book(_division(seed_entries(), "総務部", "財政課", "1102"), "財政課.xlsx", inbox)  # 人事企画課's code
    roster = _roster(
        tmp_path / "名簿.csv",
        [("1102", "総務部", "人事企画課"), ("1103", "総務部", "財政課"), ("1104", "総務部", "税務課")],
    )
    run = merge_inbox(load_settings(None, inbox=inbox, outbox=tmp_path / "out", divisions=roster))
    subs = run.result.tables["submissions"]
    assert subs.select("file", "status").rows() == [("人事企画課.xlsx", "accepted"), ("財政課.xlsx", "rejected")]
    errors = run.result.tables["errors"].filter(pl.col("code") == "division-code-conflict")
    assert errors.select("file", "message").rows() == [
        (
            "財政課.xlsx",
            "所属コード「1102」は所属名簿では 総務部 人事企画課 のコードですが、このファイルの所属は 総務部 財政課 です。"
            "所属コードと所属名を名簿どおりに入力してください",
        )
    ]
    assert [d.division for d in run.result.not_submitted] == ["財政課", "税務課"]


def test_without_a_roster_one_code_under_two_names_is_an_error_for_both(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    make_book(_division(seed_entries(), "総務部", "人事企画課", "1102"), "a.xlsx", inbox)
    make_book(_division(seed_entries(), "総務部", "財政課", "01102"), "b.xlsx", inbox)
    make_book(_division(seed_entries(), "総務部", "税務課", "1104"), "c.xlsx", inbox)
    run = merge_inbox(load_settings(None, inbox=inbox, outbox=tmp_path / "out"))
    assert run.result.tables["submissions"].select("file", "status").rows() == [
        ("a.xlsx", "rejected"),
        ("b.xlsx", "rejected"),
        ("c.xlsx", "accepted"),
    ]
    errors = run.result.tables["errors"].filter(pl.col("code") == "division-code-shared")
    assert errors.select("file", "message").rows() == [
        (
            "a.xlsx",
            "所属コード「1102」のファイルが、別の所属名（総務部 財政課: b.xlsx）でも提出されています（このファイル: 総務部 人事企画課）。"
            "どちらの所属のコードかを確かめて、所属コードか所属名を直してください",
        ),
        (
            "b.xlsx",
            "所属コード「01102」のファイルが、別の所属名（総務部 人事企画課: a.xlsx）でも提出されています（このファイル: 総務部 財政課）。"
            "どちらの所属のコードかを確かめて、所属コードか所属名を直してください",
        ),
    ]


@pytest.mark.parametrize(("first", "second"), [("1102", None), ("1102", "01102"), (None, "1102")])
def test_the_same_division_with_and_without_its_code_is_one_division(
    make_book: Callable[..., Path], tmp_path: Path, first: str | None, second: str | None
) -> None:
    inbox = tmp_path / "inbox"
    old = make_book(_code(seed_entries(), first), "旧.xlsx", inbox)
    new = make_book(_code(seed_entries(), second), "新.xlsx", inbox)
    set_saved_at(old, "2016-03-01T09:00:00Z")
    set_saved_at(new, "2016-03-02T09:00:00Z")
    run = merge_inbox(load_settings(None, inbox=inbox, outbox=tmp_path / "out"))
    assert run.result.tables["submissions"].select("file", "status").rows() == [
        ("新.xlsx", "accepted"),
        ("旧.xlsx", "superseded"),
    ]
    assert run.result.tables["divisions"].height == 1


def test_a_byte_identical_copy_collapses_into_its_original(make_book: Callable[..., Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    original = make_book(seed_entries(), "情報政策課.xlsx", inbox)
    (inbox / "情報政策課 - コピー.xlsx").write_bytes(original.read_bytes())  # Windows' own copy name
    run = merge_inbox(load_settings(None, inbox=inbox, outbox=tmp_path / "out"))
    assert run.result.tables["submissions"].select("file", "status", "status_ja").rows() == [
        ("情報政策課 - コピー.xlsx", "superseded", "置換済み"),
        ("情報政策課.xlsx", "accepted", "受理"),
    ]
    errors = run.result.tables["errors"]
    assert errors.select("file", "code", "message").rows() == [
        (
            "情報政策課 - コピー.xlsx",
            "duplicate-copy",
            "内容がまったく同じファイル（情報政策課.xlsx）があるため、このファイルは使いませんでした（重複したコピー）",
        )
    ]
    assert run.result.tables["divisions"].height == 1


def test_a_saved_time_in_the_future_does_not_beat_a_later_fix(make_book: Callable[..., Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    wrong_clock = make_book(seed_entries(), "時計違い.xlsx", inbox)
    set_saved_at(wrong_clock, "2099-01-01T09:00:00Z")
    os.utime(wrong_clock, (1_600_000_000, 1_600_000_000))  # the file itself was copied long ago
    fixed = make_book(seed_entries(), "修正版.xlsx", inbox)  # saved now
    run = merge_inbox(load_settings(None, inbox=inbox, outbox=tmp_path / "out"))
    assert run.result.tables["submissions"].select("file", "status").rows() == [
        ("修正版.xlsx", "accepted"),
        ("時計違い.xlsx", "superseded"),
    ]
    warned = run.result.tables["errors"].filter(pl.col("code") == "future-saved-time")
    assert warned.select("file", "message").rows() == [
        (
            "時計違い.xlsx",
            "ブックの保存日時（2099-01-01T09:00:00Z）が未来になっています。新旧の判断にはファイルの更新日時を使いました。"
            "パソコンの日付と時刻の設定を確認してください",
        )
    ]
    assert fixed.exists()


def _h27_inbox(make_book: Callable[..., Path], root: Path) -> Path:
    inbox = root / "inbox"
    make_book(seed_entries(), "情報政策課.xlsx", inbox)
    make_book(_division(seed_entries(), "総務部", "行政課", "1001"), "行政課.xlsx", inbox)
    return inbox


@pytest.mark.parametrize(
    ("args", "scope"),
    [(["--stage", "中間"], "年度の指定なし・中間"), (["--year", "R7"], "令和7年度（2025年度）・評価時点の指定なし")],
)
def test_a_run_with_nothing_to_merge_writes_nothing_and_says_what_the_inbox_holds(
    make_book: Callable[..., Path], tmp_path: Path, args: list[str], scope: str
) -> None:
    inbox = _h27_inbox(make_book, tmp_path)
    outbox = tmp_path / "outbox"
    first = CliRunner().invoke(main, ["merge", "--inbox", str(inbox), "--outbox", str(outbox)], prog_name="pipeline")
    assert first.exit_code == 0, first.output
    before = digests(outbox)
    result = CliRunner().invoke(
        main, ["merge", "--inbox", str(inbox), "--outbox", str(outbox), *args], prog_name="pipeline"
    )
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"エラー: 集計できる工程表がありません（集計対象: {scope}）。何も書き出していません。",
        f"受付フォルダ {inbox} の工程表ファイル 2 件の内訳:",
        "  平成27年度（2015年度）・最終: 2 件",
        "--year と --stage（または pipeline.toml の fiscal_year と stage）で、上の年度・評価時点を指定してください。",
    ]
    assert digests(outbox) == before  # the good outputs stay as they were


def test_a_run_where_every_file_is_rejected_writes_nothing(make_book: Callable[..., Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    bad = seed_entries()
    bad["department"] = None  # cannot be placed: 不受理 (a wrong value alone would be 受理（要修正）)
    make_book(bad, "不備.xlsx", inbox)
    outbox = tmp_path / "outbox"
    result = CliRunner().invoke(main, ["merge", "--inbox", str(inbox), "--outbox", str(outbox)], prog_name="pipeline")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "エラー: 集計できる工程表がありません（集計対象: 平成27年度（2015年度）・最終）。何も書き出していません。",
        f"受付フォルダ {inbox} の工程表ファイル 1 件の内訳:",
        "  不受理（読めない・エラーあり）: 1 件",
        "受理できる工程表がありません。各ファイルの指摘は pipeline validate で確認できます。",
    ]
    assert not outbox.exists()


@pytest.mark.parametrize("where", ["same", "inside", "holds-submissions"])
def test_an_outbox_that_would_mix_with_submissions_is_refused(
    make_book: Callable[..., Path], tmp_path: Path, where: str
) -> None:
    inbox = _h27_inbox(make_book, tmp_path)
    make_book(_division(seed_entries(), "総務部", "税務課", "1003"), "総務部/税務課.xlsx", inbox)
    outbox = {"same": inbox, "inside": inbox / "総務部", "holds-submissions": tmp_path / "other"}[where]
    if where == "holds-submissions":
        make_book(seed_entries(), "提出/情報政策課.xlsx", outbox)
    before = digests(tmp_path)
    result = CliRunner().invoke(main, ["merge", "--inbox", str(inbox), "--outbox", str(outbox)], prog_name="pipeline")
    assert result.exit_code == 2
    expected = {
        "same": f"エラー: 出力先 {outbox} が受付フォルダと同じです。",
        "inside": f"エラー: 出力先 {outbox} が受付フォルダ {inbox} の中にあります。",
        "holds-submissions": f"エラー: 出力先 {outbox} に工程表ファイル（提出/情報政策課.xlsx）があります。受付フォルダを出力先にしていませんか。",
    }[where]
    assert result.output.startswith(expected), result.output
    assert digests(tmp_path) == before


def test_the_pipelines_own_outputs_are_never_read_as_submissions(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    bad = seed_entries()
    bad["policies"][0]["achievement"] = 11
    make_book(bad, "不備.xlsx", inbox)
    make_book(_division(seed_entries(), "総務部", "行政課", "1001"), "行政課.xlsx", inbox)
    old_outbox = inbox / "前回の出力"  # written by an older run, before outboxes inside the inbox were refused
    merge_inbox(load_settings(None, inbox=inbox, outbox=tmp_path / "out"))
    import shutil

    shutil.copytree(tmp_path / "out", old_outbox)
    assert list(old_outbox.rglob("*.xlsx"))
    # every file read again (with the cache, nothing changed: the run would rewrite nothing and hold no tables)
    run = merge_inbox(load_settings(None, inbox=inbox, outbox=tmp_path / "out"), use_cache=False)
    assert run.result.tables["submissions"]["file"].to_list() == ["不備.xlsx", "行政課.xlsx"]


def test_os_files_notes_and_a_roster_in_the_inbox_do_not_fail_the_run(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    make_book(seed_entries(), "情報政策課.xlsx", inbox)
    (inbox / "Thumbs.db").write_bytes(b"\0" * 10)
    (inbox / "desktop.ini").write_text("[.ShellClassInfo]\n", encoding="utf-8")
    (inbox / ".DS_Store").write_bytes(b"\0")
    (inbox / "連絡メモ.txt").write_text("memo", encoding="utf-8")
    _roster(inbox / "所属名簿.csv", [("1101", "総務部", "情報政策課")])
    other_roster = _roster(tmp_path / "名簿.csv", [("1101", "総務部", "情報政策課")])
    result = CliRunner().invoke(
        main,
        ["merge", "--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--divisions", str(other_roster)],
        prog_name="pipeline",
    )
    assert result.exit_code == 0, result.output
    subs = pl.read_parquet(tmp_path / "out" / "tables" / "submissions.parquet")
    assert subs.select("file", "status_ja", "note").rows() == [
        ("情報政策課.xlsx", "受理", ""),
        ("所属名簿.csv", "除外", "所属名簿（提出物ではありません）"),
        ("連絡メモ.txt", "対象外", "工程表ではないファイル（拡張子「.txt」）のため、読み込みの対象外です"),
    ]


def test_a_roster_workbook_in_the_inbox_is_not_a_submission(make_book: Callable[..., Path], tmp_path: Path) -> None:
    from openpyxl import Workbook

    inbox = tmp_path / "inbox"
    make_book(seed_entries(), "情報政策課.xlsx", inbox)
    book = Workbook()
    book.active.append(["所属コード", "部局名", "所属名"])
    book.active.append(["1101", "総務部", "情報政策課"])
    book.save(inbox / "所属名簿.xlsx")
    result = CliRunner().invoke(
        main, ["merge", "--inbox", str(inbox), "--outbox", str(tmp_path / "out")], prog_name="pipeline"
    )
    assert result.exit_code == 0, result.output
    subs = pl.read_parquet(tmp_path / "out" / "tables" / "submissions.parquet")
    assert subs.select("file", "status_ja", "note").rows() == [
        ("情報政策課.xlsx", "受理", ""),
        ("所属名簿.xlsx", "除外", "所属名簿のため、提出物としては読み込みませんでした"),
    ]
