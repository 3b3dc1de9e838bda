"""Settings from pipeline.toml in the working folder, overridden by command-line flags."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.constants import (
    CONFIG_FILE,
    DEFAULT_GRADE_BANDS,
    DEFAULT_GRADE_BASIS,
    DEFAULT_INBOX,
    DEFAULT_OUTBOX,
    DEFAULT_SIGNAL_THRESHOLDS,
)
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
    "grade_basis",
    "signal_thresholds",
    "departments",
    "history",
    "lineage",
    "renames",
    "strict",
)
GRADE_BASES = ("達成率", "進捗率")


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
    grade_basis: str = DEFAULT_GRADE_BASIS  # the rate 評価区分 is taken from: 達成率 or 進捗率
    signal_thresholds: tuple[float, float] = DEFAULT_SIGNAL_THRESHOLDS  # 信号 青 / 黄 from (%) of targets met
    departments: tuple[str, ...] = ()  # 部局 in the organisation's order, when there is no division master
    pdf: bool = False  # also print the consolidated workbook to PDF with LibreOffice (merge --pdf)
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


def _grade_basis(value: Any) -> str:
    if value not in GRADE_BASES:
        raise ConfigError(
            f"grade_basis は {' または '.join(GRADE_BASES)} のどちらかを書いてください（入力値: {value}）。"
        )
    return str(value)


def _signal_thresholds(value: Any) -> tuple[float, float]:
    """信号 thresholds, ``[90, 70]`` or ``{"青" = 90, "黄" = 70}``: the share of targets met (%) from which a
    department is 青, 黄."""
    message = (
        "signal_thresholds は [90, 70] のように、青と黄になる目標達成の割合（%）の下限を書いてください（青 ≥ 黄）。"
    )
    if isinstance(value, dict) and set(value) == {"青", "黄"}:
        value = [value["青"], value["黄"]]
    if not isinstance(value, list) or len(value) != 2:
        raise ConfigError(message)
    try:
        blue, yellow = float(value[0]), float(value[1])
    except (TypeError, ValueError) as exc:
        raise ConfigError(message) from exc
    if blue < yellow:
        raise ConfigError(message)
    return blue, yellow


def _departments(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError('departments は ["総務部", "福祉保健部"] のように、部局名を組織順に並べて書いてください。')
    return tuple(v.strip() for v in value)


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
        if "grade_basis" in section:
            values["grade_basis"] = _grade_basis(section["grade_basis"])
        if "signal_thresholds" in section:
            values["signal_thresholds"] = _signal_thresholds(section["signal_thresholds"])
        if "departments" in section:
            values["departments"] = _departments(section["departments"])
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
