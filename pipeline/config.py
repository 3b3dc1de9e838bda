"""Settings from pipeline.toml in the working folder, overridden by command-line flags."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.constants import CONFIG_FILE, DEFAULT_GRADE_BANDS, DEFAULT_INBOX, DEFAULT_OUTBOX
from pipeline.contract import layout
from pipeline.errors import ConfigError

KEYS = (
    "inbox",
    "outbox",
    "divisions",
    "fiscal_year",
    "stage",
    "grade_bands",
    "workers",
    "history",
    "lineage",
    "renames",
    "strict",
)


@dataclass(frozen=True)
class Settings:
    """Everything a merge needs to know besides the files."""

    inbox: Path = DEFAULT_INBOX
    outbox: Path = DEFAULT_OUTBOX
    divisions: Path | None = None
    fiscal_year: int | None = None
    stage: str | None = None
    grade_bands: tuple[tuple[str, float], ...] = DEFAULT_GRADE_BANDS
    workers: int | None = None
    history: Path | None = None  # the history store (design §10); None: this merge is not recorded or compared
    lineage: Path | None = None  # lineage.csv: renamed, merged and split divisions
    renames: Path | None = None  # indicator_renames.csv: indicators whose name changed
    strict: bool = False  # a file with a wrong value is rejected too (the year's final merge), not 受理（要修正）


def _bands(value: Any) -> tuple[tuple[str, float], ...]:
    """Grade bands from ``{A = 100, B = 80, C = 50}``, best first; anything below the last is D."""
    if not isinstance(value, dict) or not value:
        raise ConfigError("grade_bands は {A = 100, B = 80, C = 50} のように、区分と下限（%）で書いてください。")
    try:
        bands = sorted(((str(k), float(v)) for k, v in value.items()), key=lambda b: -b[1])
    except (TypeError, ValueError) as exc:
        raise ConfigError("grade_bands の下限（%）は数値で書いてください。") from exc
    return tuple(bands)


def _read_toml(path: Path) -> dict[str, Any]:
    """pipeline.toml as a table: UTF-8 with or without a BOM (Notepad adds one); anything else is a clear message."""
    if path.is_dir():
        raise ConfigError(
            f"設定ファイル {path} はフォルダです。pipeline.toml という名前のファイルに設定を書いてください。"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"設定ファイル {path} を開けません（{exc.strerror or exc}）。") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            data.decode("cp932")
            hint = "Shift_JIS で保存されているようです。"
        except UnicodeDecodeError:
            pass
        raise ConfigError(
            f"設定ファイル {path} の文字コードが UTF-8 ではありません。{hint}メモ帳などで文字コードを UTF-8 にして保存し直してください。"
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        place = f"（{where.group(1)} 行目 {where.group(2)} 文字目）" if where else ""
        raise ConfigError(
            f'設定ファイル {path} の書き方に誤りがあります{place}。項目ごとに 1 行で、inbox = "inbox" のように書いてください（文字列は "" で囲みます）。'
        ) from exc


def _workers(value: Any, path: Path) -> int:
    """The worker count: a positive integer, capped at the CPUs (more workers only use more memory)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"設定ファイル {path} の workers は 1 以上の整数で書いてください（例: workers = 2）。")
    return min(value, os.cpu_count() or 1)


def _folder(value: Any, key: str, path: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f'設定ファイル {path} の {key} はフォルダやファイルの名前を "" で囲んで書いてください（例: {key} = "inbox"）。'
        )
    return path.parent / value


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``config`` (default: ./pipeline.toml when it exists), then non-None overrides."""
    path = config if config is not None else CONFIG_FILE
    values: dict[str, Any] = {}
    if config is not None and not path.exists():
        raise ConfigError(f"設定ファイル {path} が見つかりません。")
    if path.exists():
        data = _read_toml(path)
        section = data.get("pipeline", data)
        if not isinstance(section, dict):
            raise ConfigError(f"設定ファイル {path} の [pipeline] は表（項目 = 値 の並び）で書いてください。")
        unknown = sorted(set(section) - set(KEYS))
        if unknown:
            raise ConfigError(
                f"設定ファイル {path} に不明な項目があります: {', '.join(unknown)}（使える項目: {', '.join(KEYS)}）"
            )
        for key in ("inbox", "outbox", "divisions", "history", "lineage", "renames"):
            if key in section:
                values[key] = _folder(section[key], key, path)
        if "fiscal_year" in section:
            values["fiscal_year"] = parse_year_option(str(section["fiscal_year"]))
        if "stage" in section:
            values["stage"] = parse_stage_option(str(section["stage"]))
        if "grade_bands" in section:
            values["grade_bands"] = _bands(section["grade_bands"])
        if "strict" in section:
            if not isinstance(section["strict"], bool):
                raise ConfigError("strict は true または false で書いてください。")
            values["strict"] = section["strict"]
        if "workers" in section:
            values["workers"] = _workers(section["workers"], path)
    settings = replace(Settings(), **values)
    return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def parse_year_option(text: str) -> int:
    """A fiscal year given as an option (2015, H27, 令和7年度…)."""
    from pipeline.checks.normalise import parse_fiscal_year

    year = parse_fiscal_year(text)
    if year is None:
        raise ConfigError(f"年度「{text}」を読めません。2015、H27、R7 のように指定してください。")
    return year


def parse_stage_option(text: str) -> str:
    """An evaluation stage given as an option."""
    from pipeline.checks.normalise import parse_stage

    stage = parse_stage(text)
    if not isinstance(stage, str):
        raise ConfigError(f"評価時点「{text}」を読めません。{'・'.join(layout.STAGES)} のいずれかを指定してください。")
    return stage
