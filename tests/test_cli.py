"""The command line: help in Japanese, exit codes, text and JSON output of validate, template."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline import __version__
from pipeline.api import validate_files
from pipeline.cli import main
from pipeline.outputs.report import render_json

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["template", "validate", "merge", "prefill"]


def invoke(args: list[str], **kwargs: Any) -> Any:
    """Run the CLI in-process as `pipeline …`."""
    return CliRunner().invoke(main, args, prog_name="pipeline", **kwargs)


def test_version() -> None:
    result = invoke(["--version"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.strip() == f"pipeline {__version__}"


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_japanese_help(command: list[str]) -> None:
    result = invoke([*command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith("使い方: pipeline")
    assert "オプション:" in result.output
    assert "この説明を表示して終了します。" in result.output
    assert re.search(r"[ぁ-んァ-ン一-龥]", result.output.split("\n", 2)[2])


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"pipeline {command}" in readme, command


def test_validate_accepts_the_seed(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    path = make_book(seed, "情報政策課.xlsx")
    result = invoke(["validate", str(path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == (f"■ {path}: 受理（エラー 0 件、警告 0 件）\n\n1 ファイル: 受理 1\n")


def test_validate_rejects_with_sorted_messages_and_exit_1(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    good = make_book(seed, "good.xlsx")
    seed["department"] = None
    seed["policies"][0]["indicators"][0]["actual"] = "6,,0"
    seed["policies"][0]["indicators"][1]["target"] = "未定"
    bad = make_book(seed, "bad.xlsx")
    result = invoke(["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert result.output.splitlines()[2:8] == [
        f"■ {bad}: 不受理（エラー 3 件、警告 1 件）",
        "  受理不可 [unplaceable] 部局名が読めないため、どの所属・年度・評価時点の工程表か決められず受理できません。部局名を正しく入力してください",
        "  エラー [missing-field] 基本情報!C6「部局名」: 入力が必要です。部局名を入力してください（例: 総務部）。",
        "  エラー [not-a-number] 政策1!L26「今年度実績値」: 数値を入力してください。桁区切りのカンマは3桁ごとに付けるか、"
        "付けずに入力してください（例: 1,234 または 1234）（入力値: 「6,,0」）",
        "  警告 [qualitative-value] 政策1!J27「今年度目標値」: 数値でないため達成状況を判定できません（判定不可）。"
        "数値で表せる場合は数値を入力してください（入力値: 「未定」）",
        "",
    ]
    assert result.output.rstrip().endswith("2 ファイル: 受理 1、不受理 1")


def test_validate_a_wrong_value_is_accepted_for_correction_and_strict_rejects_it(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    seed["policies"][0]["achievement"] = 11
    path = make_book(seed, "bad.xlsx")
    lenient = invoke(["validate", str(path)])
    assert lenient.exit_code == 1
    assert lenient.output.splitlines()[0] == f"■ {path}: 受理（要修正）（エラー 1 件、警告 0 件）"
    assert lenient.output.rstrip().endswith("1 ファイル: 受理（要修正） 1")
    strict = invoke(["validate", "--strict", str(path)])
    assert strict.exit_code == 1
    assert strict.output.splitlines()[0] == f"■ {path}: 不受理（エラー 1 件、警告 0 件）"


def test_validate_json_equals_the_library_report(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    seed["policies"][0]["achievement"] = 11
    path = make_book(seed)
    result = invoke(["validate", "--format", "json", str(path)])
    assert result.exit_code == 1
    assert result.output.strip() == render_json(validate_files([path]))
    data = json.loads(result.output)
    [entry] = data["files"]
    assert entry["status"] == "needs-correction"  # 受理（要修正）: merged, the wrong value not used
    assert entry["issues"][0]["cell"] == "C52"
    assert entry["record"]["policies"][0]["achievement"] is None
    assert entry["record"]["division"] == "情報政策課"


def test_validate_a_file_that_is_not_a_workbook_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "memo.xlsx"
    path.write_text("所属名,部局名\n情報政策課,総務部\n", encoding="utf-8")
    result = invoke(["validate", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "[unsupported-format]" in result.output


def test_validate_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(["validate", str(tmp_path / "none.xlsx")])
    assert result.exit_code == 2
    assert f"エラー: ファイル {tmp_path / 'none.xlsx'} が見つかりません。パスを確認してください。" in result.output


def test_validate_without_files_is_a_usage_error() -> None:
    result = invoke(["validate"])
    assert result.exit_code == 2


def test_template_command_writes_the_template(tmp_path: Path) -> None:
    target = tmp_path / "t.xlsx"
    result = invoke(["template", "-o", str(target)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == f"テンプレートを書き出しました: {target}\n"
    [checked] = validate_files([target])
    assert [i.code for i in checked.errors][:3] == ["missing-field", "missing-field", "missing-field"]


def test_validate_annotate_writes_a_marked_copy_named_after_the_file(
    make_book: Callable[..., Path], seed: dict[str, Any], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    seed["policies"][0]["indicators"][0]["actual"] = "6,,0"
    bad = make_book(seed, "情報政策課.xlsx")
    good = make_book(seed_ok(), "good.xlsx")
    before = bad.read_bytes()
    out = tmp_path / "確認"
    result = invoke(["validate", "--annotate", str(out), str(bad), str(good)])
    assert result.exit_code == 1
    copy = out / "情報政策課.xlsx"
    assert f"  → 指摘を書き込んだ確認用コピー: {copy}" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["情報政策課.xlsx"]  # the clean file gets none
    book = load_workbook(copy)
    assert book.sheetnames[0] == "確認結果"
    assert "数値を入力してください" in book["政策1"]["L26"].comment.text
    assert bad.read_bytes() == before


def seed_ok() -> dict[str, Any]:
    from scripts.seed import seed_entries

    return seed_entries()
