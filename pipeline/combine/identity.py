"""Division identity: which accepted files are the same division, and which contradict the roster or each other.

A division is known by its 所属コード and its names (部局名 + 所属名) together, never by one alone:

- With a roster, a file whose code is another division's in the roster is an error that names both.
- Without one, two files with the same code but different names (or the same names but different codes) are an
  error for each, naming the other; ``1102`` and ``01102`` are the same code (Excel drops a leading zero).
- A file with the code and one without it, for the same names, are the same division.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.model import Code, Issue, Master, code_key, make_issue

Key = tuple[str, ...]


@dataclass(frozen=True)
class Identities:
    """For each file (by display name): the division it belongs to, or the issue that says why none can be told."""

    keys: dict[str, Key]
    conflicts: dict[str, Issue]
    roster_index: dict[str, int]  # the roster row a file was matched to


def same_code(code: str | None) -> str | None:
    """A code as compared: a numeric code without its leading zeros (None for no code)."""
    return code_key(code) if code else None


def _names(record: dict[str, Any]) -> tuple[str, str]:
    return (record.get("department") or "", record.get("division") or "")


def _label(names: tuple[str, str]) -> str:
    return " ".join(n for n in names if n)


def identify(files: Sequence[tuple[str, dict[str, Any]]], master: Master | None = None) -> Identities:
    """The division of each accepted file (display name, record), with a conflict issue where code and names
    disagree with the roster or with another file."""
    keys: dict[str, Key] = {}
    conflicts: dict[str, Issue] = {}
    roster_index: dict[str, int] = {}
    rest: list[tuple[str, dict[str, Any]]] = []
    if master is not None:
        by_code, by_names = master.index.by_code, master.index.by_names
        for display, record in files:
            code, names = same_code(record.get("division_code")), _names(record)
            index = by_code.get(code) if code else None
            if index is not None:
                known = master.divisions[index]
                if (known.department, known.division) != names:
                    conflicts[display] = make_issue(
                        Code.DIVISION_CODE_CONFLICT,
                        file=display,
                        division_code=record.get("division_code"),
                        roster=_label((known.department, known.division)),
                        found=_label(names),
                        quote=False,
                    )
                    continue
            elif names in by_names:
                index = by_names[names]
                listed = same_code(master.divisions[index].code)
                if code and listed and code != listed:
                    conflicts[display] = make_issue(
                        Code.DIVISION_CODE_CONFLICT,
                        file=display,
                        division_code=record.get("division_code"),
                        roster=f"{_label(names)}（所属コード {master.divisions[index].code}）",
                        found=_label(names),
                        quote=False,
                    )
                    continue
            if index is None:
                rest.append((display, record))
                continue
            keys[display] = ("roster", str(index))
            roster_index[display] = index
    else:
        rest = list(files)
    _without_roster(rest, keys, conflicts)
    return Identities(keys, conflicts, roster_index)


def _without_roster(
    files: Sequence[tuple[str, dict[str, Any]]], keys: dict[str, Key], conflicts: dict[str, Issue]
) -> None:
    """Group files by names; a code shared by different names, or names with different codes, is a conflict."""
    names_of_code: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    codes_of_names: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for display, record in files:
        code, names = same_code(record.get("division_code")), _names(record)
        if code:
            names_of_code[code][names].append(display)
            codes_of_names[names][code].append(display)
    for display, record in files:
        code, names = same_code(record.get("division_code")), _names(record)
        if code and len(names_of_code[code]) > 1:
            others = "、".join(
                f"{_label(other)}: {'、'.join(shown)}" for other, shown in names_of_code[code].items() if other != names
            )
            conflicts[display] = make_issue(
                Code.DIVISION_CODE_SHARED,
                file=display,
                division_code=record.get("division_code"),
                found=_label(names),
                others=others,
                quote=False,
            )
        elif code and len(codes_of_names[names]) > 1:
            others = "、".join(
                f"所属コード {other}: {'、'.join(shown)}"
                for other, shown in codes_of_names[names].items()
                if other != code
            )
            conflicts[display] = make_issue(
                Code.DIVISION_CODES_DIFFER,
                file=display,
                division_code=record.get("division_code"),
                found=_label(names),
                others=others,
                quote=False,
            )
        else:
            keys[display] = ("names", *names)
