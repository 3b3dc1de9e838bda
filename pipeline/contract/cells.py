"""A1 cell-address arithmetic, the one place it is written: column letters ⇄ numbers, and addresses."""

from __future__ import annotations

from functools import lru_cache


def column_number(letters: str | bytes) -> int:
    """1-based column number of column letters (``A`` → 1, ``XFD`` → 16384), given as text or bytes."""
    number = 0
    for code in letters.upper().encode() if isinstance(letters, str) else letters.upper():
        number = number * 26 + code - 64
    return number


@lru_cache(maxsize=4096)  # the reader asks for the same few columns thousands of times
def column_letters(number: int) -> str:
    """Column letters of a 1-based column number (1 → ``A``)."""
    letters = ""
    while number > 0:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def address(row: int, col: int) -> str:
    """A1-style address of a 1-based row and column."""
    return f"{column_letters(col)}{row}"
