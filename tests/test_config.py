"""Settings: pipeline.toml in the working folder, flags override, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import Settings, load_settings
from pipeline.errors import ConfigError


def test_defaults_serve_the_repository_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings() == Settings()
    assert (Settings().inbox, Settings().outbox) == (Path("inbox"), Path("outbox"))
    assert Settings().grade_bands == (("A", 100.0), ("B", 80.0), ("C", 50.0))


def test_pipeline_toml_is_read_and_flags_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pipeline.toml").write_text(
        'inbox = "受付"\noutbox = "出力"\nfiscal_year = "R7"\nstage = "中間"\n'
        "grade_bands = { A = 110, C = 60, B = 90 }\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.inbox == Path("受付") and settings.outbox == Path("出力")
    assert (settings.fiscal_year, settings.stage) == (2025, "中間")
    assert settings.grade_bands == (("A", 110.0), ("B", 90.0), ("C", 60.0))
    assert load_settings(None, stage="最終", inbox=Path("x")).stage == "最終"
    assert load_settings(None, inbox=Path("x")).inbox == Path("x")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('inbx = "a"\n', "不明な項目があります: inbx"),
        ('fiscal_year = "来年"\n', "年度「来年」を読めません。"),
        ('stage = "年度末"\n', "評価時点「年度末」を読めません。"),
        ("grade_bands = 5\n", "grade_bands は {A = 100, B = 80, C = 50} のように"),
        ("inbox = \n", r"の書き方に誤りがあります（1 行目 9 文字目）。"),
        ('workers = "two"\n', r"workers は 1 以上の整数で書いてください（例: workers = 2）。"),
        ("workers = 0\n", r"workers は 1 以上の整数で"),
        ("workers = true\n", r"workers は 1 以上の整数で"),
        ("inbox = 5\n", r"inbox はフォルダやファイルの名前を"),
        ("pipeline = 3\n", r"\[pipeline\] は表"),
    ],
)
def test_bad_settings_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "pipeline.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_merge_with_a_bad_config_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('stage = "年度末"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["merge", "--config", str(path)], prog_name="pipeline")
    assert result.exit_code == 2
    assert "エラー: 評価時点「年度末」を読めません。当初・中間・最終 のいずれかを指定してください。" in result.output
    missing = CliRunner().invoke(main, ["merge", "--config", str(tmp_path / "none.toml")], prog_name="pipeline")
    assert missing.exit_code == 2
    assert f"設定ファイル {tmp_path / 'none.toml'} が見つかりません。" in missing.output


def test_a_utf8_bom_from_notepad_is_read(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.toml"
    path.write_bytes('\ufeffstage = "中間"\nfiscal_year = "H27"\n'.encode())
    settings = load_settings(path)
    assert (settings.fiscal_year, settings.stage) == (2015, "中間")


def test_a_shift_jis_pipeline_toml_is_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.toml"
    path.write_bytes('stage = "中間"\n'.encode("cp932"))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == (
        f"設定ファイル {path} の文字コードが UTF-8 ではありません。Shift_JIS で保存されているようです。"
        "メモ帳などで文字コードを UTF-8 にして保存し直してください。"
    )


def test_workers_beyond_the_cpus_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from pipeline.intake.pool import worker_count

    path = tmp_path / "pipeline.toml"
    path.write_text("workers = 100000\n", encoding="utf-8")
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert load_settings(path).workers == 4
    assert worker_count(100_000, 300) == 4  # the pool caps what the library is asked too
    assert worker_count(None, 3) == 3


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("folder", "はフォルダです。pipeline.toml という名前のファイルに設定を書いてください。"),
        ("sjis", "の文字コードが UTF-8 ではありません。Shift_JIS で保存されているようです。"),
        ("words", "の workers は 1 以上の整数で書いてください（例: workers = 2）。"),
    ],
)
def test_a_bad_pipeline_toml_in_the_working_folder_is_exit_2_in_japanese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: str, expected: str
) -> None:
    config = tmp_path / "pipeline.toml"
    if setup == "folder":
        config.mkdir()
    elif setup == "sjis":
        config.write_bytes('stage = "中間"\n'.encode("cp932"))
    else:
        config.write_text('workers = "two"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["merge"], prog_name="pipeline")
    assert result.exit_code == 2
    assert (
        result.output
        == f"エラー: 設定ファイル pipeline.toml {expected}"
        + ("" if setup != "sjis" else "メモ帳などで文字コードを UTF-8 にして保存し直してください。")
        + "\n"
    )
    assert "予期しない問題" not in result.output
