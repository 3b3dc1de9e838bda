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
        ("inbox = \n", "を読めません"),
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
