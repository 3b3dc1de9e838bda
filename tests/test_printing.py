"""The consolidated workbook on paper, as LibreOffice prints it: 概要 on exactly one A4 landscape page, every sheet
one page wide, the whole sample inbox under 20 pages; and `pipeline merge --pdf`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from pipeline import api
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.outputs import bundle, pdf
from pipeline.outputs.legend import Presentation
from pipeline.outputs.sheets import SHEETS

ROOT = Path(__file__).resolve().parent.parent
INBOX = ROOT / "inbox"
MASTER = INBOX / "所属名簿.csv"
A4_LANDSCAPE = (842, 595)  # points


def _pdf_pages(pdf_path: Path) -> list[str]:
    """Each page's text (pdftotext keeps the page order; the header line names the sheet)."""
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.fail("poppler (pdftotext, pdfinfo) is needed to read the printed pages")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return text.split("\f")[:-1]


def _page_sizes(pdf_path: Path, pages: int) -> set[tuple[int, int]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(pages), str(pdf_path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return {(round(float(w)), round(float(h))) for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts", info)}


def _sheet_of(page: str) -> str:
    """The sheet a page belongs to: the page header's right part (&A)."""
    first = next(line for line in page.splitlines() if line.strip())
    return first.split()[-1]


def _check_print(pdf_path: Path) -> list[str]:
    """Every page A4 landscape; 概要 exactly one page, first; every page of a data sheet starts with its title,
    which is in column A: a sheet split across pages would print pages without it."""
    pages = _pdf_pages(pdf_path)
    assert _page_sizes(pdf_path, len(pages)) == {A4_LANDSCAPE}
    sheets = [_sheet_of(page) for page in pages]
    assert sheets[0] == "概要" and sheets.count("概要") == 1, sheets
    assert set(sheets) <= set(SHEETS), sheets
    for page, sheet in zip(pages, sheets, strict=True):
        if sheet != "概要":
            assert re.search(rf"{re.escape(sheet)}（[\d,]+件", page), (sheet, page[:300])
    return pages


@pytest.fixture(scope="module")
def sample_outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outbox = tmp_path_factory.mktemp("printing") / "outbox"
    api.merge_inbox(Settings(inbox=INBOX, outbox=outbox, divisions=MASTER, pdf=True))
    return outbox


@pytest.mark.libreoffice
def test_sample_inbox_prints_under_twenty_pages_one_page_wide_with_the_answer_on_page_one(
    sample_outbox: Path, libreoffice: Callable[[Path, str, Path], Path]
) -> None:
    printed = sample_outbox / "consolidated.pdf"  # `merge --pdf` printed it with the same LibreOffice
    assert printed.is_file()
    pages = _check_print(printed)
    assert len(pages) < 20, len(pages)
    first = pages[0]
    for words in (
        "工程表 集約結果 平成27年度（2015年度） 最終（年度末）",
        "全26政策中、予定通り以上24（92%）。測定指標55件中、目標達成46（84%）、目標未達7、判定不可1、実績未記入1",
        "部局別 達成状況",
        "信号",
        "目標未達の指標と進捗遅れ（△×）の政策（7件）",
        "健康政策課",  # the named list: the worst first, in 組織順
        "凡例（数値の計算方法）",
        "達成率 ＝ 実績 ÷ 目標",
        "出典: 各所属の工程表",
    ):
        assert words in re.sub(r"\s+", " ", first) or words in first, words
    order = [first.find(d) for d in ("総務部", "福祉保健部", "商工労働部", "農林水産部", "県土整備部", "教育委員会")]
    assert order == sorted(order) and -1 not in order  # 組織順 of the 所属名簿, not Unicode order
    assert _sheet_of(pages[1]) == "目標未達指標"
    # the behind-target page carries the figures and the division's own evaluation side by side
    assert "91.6%" in pages[1] and "評価理由" in pages[1] and "今後の取組" in pages[1]
    assert "凡例（数値の計算方法）" in pages[1]


@pytest.mark.libreoffice
def test_overview_stays_one_page_for_many_departments(
    tmp_path: Path, libreoffice: Callable[[Path, str, Path], Path]
) -> None:
    """Eighteen departments and three times the indicators: 概要 still one page, the list cut with ほかN件."""
    run = api.merge_inbox(Settings(inbox=INBOX, outbox=tmp_path / "first", divisions=MASTER), dry_run=True)
    result = run.result
    tables = {}
    for name, frame in result.tables.items():
        if "department" in frame.columns and name not in ("submissions", "errors"):
            copies = [
                frame.with_columns(
                    department=pl.col("department") + pl.lit(suffix), file=pl.col("file") + pl.lit(suffix)
                )
                for suffix in ("", "（北）", "（南）")
            ]
            tables[name] = pl.concat(copies)
        else:
            tables[name] = frame
    bundle.write_outputs(replace(result, tables=tables, roster=()), tmp_path / "outbox", presentation=Presentation())
    printed = libreoffice(tmp_path / "outbox" / "consolidated.xlsx", "pdf", tmp_path / "pdf")
    pages = _check_print(printed)
    assert "ほか" in pages[0] and "→ 目標未達指標シート" in pages[0]
    assert _sheet_of(pages[1]) == "目標未達指標"


def test_merge_pdf_without_libreoffice_says_so_and_still_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "libreoffice", lambda: None)
    outbox = tmp_path / "outbox"
    result = CliRunner().invoke(
        main,
        ["merge", "--inbox", str(INBOX), "--outbox", str(outbox), "--divisions", str(MASTER), "--pdf"],
        prog_name="pipeline",
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output  # the sample inbox has a 受理（要修正） and a 不受理 file
    assert "LibreOffice（soffice）が見つからないため、PDF（consolidated.pdf）は作りませんでした。" in result.output
    assert "集約そのものは完了しています" in result.output
    assert (outbox / "consolidated.xlsx").is_file() and not (outbox / "consolidated.pdf").exists()
    summary = json.loads((outbox / "summary.json").read_text(encoding="utf-8"))
    assert "consolidated.pdf" not in summary["outputs"]


@pytest.mark.libreoffice
def test_merge_pdf_is_published_with_the_other_outputs(
    sample_outbox: Path, libreoffice: Callable[[Path, str, Path], Path]
) -> None:
    summary = json.loads((sample_outbox / "summary.json").read_text(encoding="utf-8"))
    assert summary["outputs"][:2] == ["consolidated.xlsx", "consolidated.pdf"]
    manifest = json.loads((sample_outbox / ".pipeline-manifest.json").read_text(encoding="utf-8"))
    assert "consolidated.pdf" in json.dumps(manifest, ensure_ascii=False)  # the pipeline's own: replaced next time
    assert not list(sample_outbox.glob(".tmp-*"))


def test_print_pdf_runs_libreoffice_with_list_arguments_and_a_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], dict[str, object]]] = []

    def fake_run(command: list[str], **options: object) -> subprocess.CompletedProcess[bytes]:
        calls.append((command, options))
        outdir = Path(command[command.index("--outdir") + 1])
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / "book.pdf").write_bytes(b"%PDF-1.4")
        return subprocess.CompletedProcess(command, 0, b"", b"")

    monkeypatch.setattr(pdf, "libreoffice", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(pdf.subprocess, "run", fake_run)
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"xlsx")
    assert pdf.print_pdf(book, tmp_path / "out.pdf", scratch=tmp_path) is None
    assert (tmp_path / "out.pdf").read_bytes() == b"%PDF-1.4"
    command, options = calls[0]
    assert isinstance(command, list) and command[0] == "/usr/bin/soffice" and command[-1] == str(book)
    assert options.get("timeout") and not options.get("shell")

    def slow(command: list[str], **options: object) -> subprocess.CompletedProcess[bytes]:
        raise subprocess.TimeoutExpired(command, 1.0)

    monkeypatch.setattr(pdf.subprocess, "run", slow)
    message = pdf.print_pdf(book, tmp_path / "late.pdf", scratch=tmp_path)
    assert message is not None and message.startswith("LibreOffice で PDF（late.pdf）を作れませんでした")
