"""Settings from pipeline.toml in the working folder, overridden by command-line flags."""

from __future__ import annotations

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


def _bands(value: Any) -> tuple[tuple[str, float], ...]:
    """Grade bands from ``{A = 100, B = 80, C = 50}``, best first; anything below the last is D."""
    if not isinstance(value, dict) or not value:
        raise ConfigError("grade_bands は {A = 100, B = 80, C = 50} のように、区分と下限（%）で書いてください。")
    try:
        bands = sorted(((str(k), float(v)) for k, v in value.items()), key=lambda b: -b[1])
    except (TypeError, ValueError) as exc:
        raise ConfigError("grade_bands の下限（%）は数値で書いてください。") from exc
    return tuple(bands)


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``config`` (default: ./pipeline.toml when it exists), then non-None overrides."""
    path = config if config is not None else CONFIG_FILE
    values: dict[str, Any] = {}
    if config is not None and not path.exists():
        raise ConfigError(f"設定ファイル {path} が見つかりません。")
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"設定ファイル {path} を読めません: {exc}") from exc
        section = data.get("pipeline", data)
        unknown = sorted(set(section) - set(KEYS))
        if unknown:
            raise ConfigError(
                f"設定ファイル {path} に不明な項目があります: {', '.join(unknown)}（使える項目: {', '.join(KEYS)}）"
            )
        base = path.parent
        for key in ("inbox", "outbox", "divisions", "history", "lineage", "renames"):
            if key in section:
                values[key] = base / str(section[key])
        if "fiscal_year" in section:
            values["fiscal_year"] = parse_year_option(str(section["fiscal_year"]))
        if "stage" in section:
            values["stage"] = parse_stage_option(str(section["stage"]))
        if "grade_bands" in section:
            values["grade_bands"] = _bands(section["grade_bands"])
        if "workers" in section:
            values["workers"] = int(section["workers"])
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
