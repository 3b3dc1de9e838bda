"""Reading a few tags of an XML part as bytes, in time linear in the part however hostile it is.

Preflight and the cell notes look at parts that no XML parser has seen yet. Every pattern here is
possessive (it never backtracks) and stops at the next '<', which well-formed XML never has inside
a tag: an attempt never scans past the next tag, so a part full of unclosed tags or quotes, or of
attribute text that never reaches an '=', costs one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# A tag's start with an optional namespace prefix (<x:c>), and an end tag's.
PREFIX = rb"<(?:[A-Za-z_][\w.\-]*:)?"
END_PREFIX = rb"</(?:[A-Za-z_][\w.\-]*:)?"

# The rest of a start tag: its attributes, quotes respected (a '>' may sit in a value), then '>' or '/>'.
_REST = re.compile(rb"((?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*+)>")
# Attribute names start after a blank or a closing quote, so that a long run without '=' is read once.
_ATTRIBUTE = re.compile(rb"(?<![^\s\"'])([^\s=/>\"']++)\s*+=\s*+(?:\"([^\"]*+)\"|'([^']*+)')")


def tag(names: bytes) -> re.Pattern[bytes]:
    """The start of a tag with one of these names (``rb"row|c"``), the name in group 1; the lookahead keeps <c>
    apart from <col> and <cfRule>, <row> from <rowBreaks>."""
    return re.compile(PREFIX + rb"(" + names + rb")(?=[\s/>])")


def name(word: bytes) -> re.Pattern[bytes]:
    """A tag name wherever it is written (a literal search, much faster than `tag` in a large part); `begins_tag`
    then tells the tags from the text."""
    return re.compile(re.escape(word) + rb"(?=[\s/>])")


# A prefix is at most this long; a longer run of name characters before ':' cannot be told from text.
_MAX_PREFIX = 256
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.\-]*:\Z")


def begins_tag(data: bytes, position: int) -> bool | None:
    """Whether the name at ``position`` is a tag's (right after '<' or '<prefix:'); None when a prefix too long to
    read stands before it."""
    before = data[position - 1 : position]
    if before == b"<":
        return True
    if before != b":":
        return False
    window = data[max(0, position - _MAX_PREFIX - 2) : position]
    if _PREFIXED.search(window):
        return True
    return None if b"<" not in window and position > _MAX_PREFIX else False


def rest_of_tag(data: bytes, start: re.Match[bytes]) -> bytes | None:
    """The attribute text of the tag whose name ``start`` matched (up to its '>'), or None when it is not closed as
    a well-formed tag is (an unclosed quote, a '<' inside)."""
    match = _REST.match(data, start.end())
    return None if match is None else match.group(1)


def attributes(text: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(name as written, value) of each attribute in a tag's attribute text."""
    for match in _ATTRIBUTE.finditer(text):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        yield match.group(1), value
