"""Discovery: workbooks recursively, every other file classified, names made readable."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pipeline.intake.discover import discover, display_name


def test_discovery_classifies_every_file(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "総務部").mkdir(parents=True)
    (inbox / ".hidden_dir").mkdir()
    for name in [
        "総務部/情報政策課.xlsx",
        "総務部/~$情報政策課.xlsx",
        "a.xlsm",
        "old.xls",
        "calc.ods",
        "list.csv",
        ".DS_Store",
        "Thumbs.db",
        "desktop.ini",
        "copy.tmp",
        "notes.txt",
        "README",
        ".hidden_dir/x.xlsx",
    ]:
        (inbox / name).write_bytes(b"x")
    found = {f.display: (f.kind, f.detail) for f in discover(inbox)}
    assert found == {
        "a.xlsm": ("workbook", ""),
        "old.xls": ("unsupported", "Excel 97-2003 (.xls)"),
        "calc.ods": ("unsupported", "OpenDocument (.ods)"),
        "list.csv": ("unsupported", "CSV"),
        "copy.tmp": ("skipped", "一時ファイル"),
        "notes.txt": ("other", "工程表ではないファイル（拡張子「.txt」）のため、読み込みの対象外です"),
        "README": ("other", "工程表ではないファイル（拡張子なし）のため、読み込みの対象外です"),
        "総務部/情報政策課.xlsx": ("workbook", ""),
        "総務部/~$情報政策課.xlsx": ("skipped", "Office のロックファイル（編集中の一時ファイル）"),
    }


def test_outbox_inside_the_inbox_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "consolidated.xlsx").write_bytes(b"x")
    (tmp_path / "a.xlsx").write_bytes(b"x")
    assert [f.display for f in discover(tmp_path, exclude=(tmp_path / "out",))] == ["a.xlsx"]


def test_display_names_are_nfc_and_printable() -> None:
    nfd = "情報政策課_ガイド.xlsx".replace("ガ", "カ\u3099")
    assert display_name(nfd) == "情報政策課_ガイド.xlsx"
    assert display_name("a\nb.xlsx") == "a\\nb.xlsx"


@pytest.mark.skipif(sys.platform == "win32" or sys.platform == "darwin", reason="needs arbitrary bytes in names")
def test_shift_jis_file_names_are_decoded(tmp_path: Path) -> None:
    name = "情報政策課.xlsx".encode("cp932")
    with open(os.path.join(os.fsencode(tmp_path), name), "wb") as handle:  # noqa: PTH118, PTH123 - a bytes path on purpose
        handle.write(b"x")
    [found] = discover(tmp_path)
    assert found.display == "情報政策課.xlsx"
    assert Path(found.path).read_bytes() == b"x"


def test_a_roster_csv_is_recognised_as_a_roster(tmp_path: Path) -> None:
    (tmp_path / "名簿.csv").write_bytes("所属コード,部局名,所属名\n1101,総務部,情報政策課\n".encode("cp932"))
    (tmp_path / "集計.csv").write_text("a,b\n", encoding="utf-8")
    found = {f.display: (f.kind, f.detail) for f in discover(tmp_path)}
    assert found == {"名簿.csv": ("roster", "所属名簿（提出物ではありません）"), "集計.csv": ("unsupported", "CSV")}


def test_a_folder_the_pipeline_published_to_is_never_read(tmp_path: Path) -> None:
    from pipeline.constants import MANIFEST_NAME
    from pipeline.outputs.publish import MANIFEST

    assert MANIFEST_NAME == MANIFEST
    (tmp_path / "出力" / "feedback").mkdir(parents=True)
    (tmp_path / "出力" / MANIFEST).write_text("[]", encoding="utf-8")
    (tmp_path / "出力" / "feedback" / "a.xlsx").write_bytes(b"x")
    (tmp_path / "a.xlsx").write_bytes(b"x")
    assert [f.display for f in discover(tmp_path)] == ["a.xlsx"]
