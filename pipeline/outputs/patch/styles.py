"""xl/styles.xml: mark fills, borders and cell formats appended, each derived from the cell's own format."""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.contract.layout import FONT_NAME
from pipeline.outputs.patch.common import (
    _ATTRIBUTE,
    _INPUT_EDGE,
    _INPUT_RGB,
    _MARK_EDGES,
    _MARK_PAIRS,
    _MARKS,
    _SIDES,
    _TAG,
    PatchError,
)
from pipeline.outputs.patch.package import _attr, _attrs, _element, _esc, _Package, _root_prefix, _set_attr, _start


class _List:
    """One list of styles.xml (fonts, fills, borders, cellXfs, numFmts): its entries and those appended."""

    def __init__(self, text: str, p: str, name: str, item: str) -> None:
        match = _element(p, name).search(text)
        if match is None:
            raise PatchError(f"styles.xml has no <{name}>")
        self.span = match.span()
        self.start, self.inner = match[1], match["body"] or ""
        self.p, self.name = p, name
        self.items = [m[0] for m in _element(p, item).finditer(self.inner)]
        self.added: list[str] = []
        self._keys: dict[object, int] | None = None
        self.thorough = False
        self.meaning: Callable[[str], object] = _canon  # what entries are compared by, when thorough

    def _key(self, item: str) -> object:
        return self.meaning(item) if self.thorough else item

    def index(self, item: str) -> int:
        """The index of an equal entry, appending this one when there is none.

        Entries are compared as written; after ``compare_thoroughly()`` (a copy annotated before, perhaps
        re-saved by Excel or openpyxl, which write the same entry differently) by what they mean.
        """
        keys = self._known()
        key = self._key(item)
        if key not in keys:
            keys[key] = len(self.items) + len(self.added)
            self.added.append(item)
        return keys[key]

    def first_equal(self, index: int) -> int:
        """The first entry equal to this one (openpyxl keeps duplicates apart: two fills 'none' at 0 and 7)."""
        item = self.get(index)
        return index if item is None else self._known().get(self._key(item), index)

    def _known(self) -> dict[object, int]:
        if self._keys is None:
            self._keys = {}
            for i, existing in enumerate(self.items):
                self._keys.setdefault(self._key(existing), i)
        return self._keys

    def get(self, index: int) -> str | None:
        all_items = self.items + self.added
        return all_items[index] if 0 <= index < len(all_items) else None

    def render(self) -> str:
        start = self.start.removesuffix("/>").rstrip() + ">" if self.start.endswith("/>") else self.start
        start = _set_attr(start, "count", str(len(self.items) + len(self.added)))
        return f"{start}{self.inner}{''.join(self.added)}</{self.p}{self.name}>"


_DEFAULTS = frozenset({("pivotButton", "0"), ("quotePrefix", "0"), ("patternType", "none")})
_FLAGS = frozenset({"b", "i", "strike", "outline", "shadow", "condense", "extend"})


def _canon(element: str) -> tuple[object, ...]:
    """What a style entry means rather than how it is written, so that an entry re-saved by openpyxl or Excel (other
    attribute and child order, ``<b val="1"/>`` for ``<b/>``, alpha in colours, defaults and apply flags written or
    left out) is found again instead of appended once more."""
    tags = []
    for closing, name, attributes, empty in _TAG.findall(element):
        local = name.rpartition(":")[2]
        items = []
        for key, double, single in _ATTRIBUTE.findall(attributes):
            value = double or single
            value = {"true": "1", "false": "0"}.get(value, value)
            if key.startswith("apply") or (key, value) in _DEFAULTS:
                continue
            if key == "val" and ((local in _FLAGS and value == "1") or (local == "u" and value == "single")):
                continue
            items.append((key, value[-6:].upper() if key == "rgb" else value))
        tags.append((closing, local, tuple(sorted(items)), empty))
    inner = tags[1:-1] if len(tags) > 1 and tags[-1][0] == "/" else tags[1:]
    if all(tag[3] for tag in inner):  # children without children of their own (a font's, an xf's): order is free
        inner = sorted(inner)
    return (tags[0], *inner) if tags else ()


class _Styles:
    """styles.xml: finds or appends the fills, borders, fonts, number formats and cell formats the marks need."""

    def __init__(self, package: _Package, part: str) -> None:
        self.package, self.part = package, part
        text = package.text(part)
        self.p = p = _root_prefix(text, "styleSheet")
        self.fonts = _List(text, p, "fonts", "font")
        self.fills = _List(text, p, "fills", "fill")
        self.borders = _List(text, p, "borders", "border")
        self.xfs = _List(text, p, "cellXfs", "xf")
        self.formats = _List(text, p, "numFmts", "numFmt") if _start(p, "numFmts").search(text) else None
        self._new_formats: list[str] = []
        self._marks: dict[tuple[int, str], int] = {}
        self._restored: dict[int, int] = {}
        self._fill_list: list[str | None] | None = None
        self._edge_list: list[tuple[tuple[str, str] | None, ...]] | None = None

    def fill(self, rgb: str | None) -> int:
        """A solid fill of this colour (None: no fill)."""
        p = self.p
        if rgb is None:
            return self.fills.index(f'<{p}fill><{p}patternFill patternType="none"/></{p}fill>')
        if rgb in self._fill_colours():
            return self._fill_colours().index(rgb)
        return self.fills.index(
            f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="FF{rgb}"/><{p}bgColor indexed="64"/>'
            f"</{p}patternFill></{p}fill>"
        )

    def border(self, edge: tuple[str, str] | None) -> int:
        """A border of this style and colour on all four sides (None: no border)."""
        p = self.p
        if edge is None:
            sides = "".join(f"<{p}{side}/>" for side in (*_SIDES, "diagonal"))
            return self.borders.index(f"<{p}border>{sides}</{p}border>")
        if (edge,) * 4 in self._edges():
            return self._edges().index((edge,) * 4)
        style, rgb = edge
        sides = "".join(f'<{p}{side} style="{style}"><{p}color rgb="FF{rgb}"/></{p}{side}>' for side in _SIDES)
        return self.borders.index(f"<{p}border>{sides}<{p}diagonal/></{p}border>")

    def _fill_colours(self) -> list[str | None]:
        if self._fill_list is None:
            self._fill_list = [_fill_rgb(item) for item in self.fills.items]
        return self._fill_list

    def _edges(self) -> list[tuple[tuple[str, str] | None, ...]]:
        if self._edge_list is None:
            self._edge_list = [_border_edges(item) for item in self.borders.items]
        return self._edge_list

    def font(self, *, size: int = 10, bold: bool = False, link: bool = False) -> int:
        p = self.p
        parts = [f"<{p}b/>" if bold else "", f'<{p}u val="single"/>' if link else "", f'<{p}sz val="{size}"/>']
        parts += [f'<{p}color rgb="FF0563C1"/>' if link else "", f'<{p}name val="{FONT_NAME}"/>']
        parts += [f'<{p}family val="3"/>', f'<{p}charset val="128"/>']
        return self.fonts.index(f"<{p}font>{''.join(parts)}</{p}font>")

    def number_format(self, code: str) -> int:
        """The id of a custom number format, declared when the file lacks it."""
        if code == "@":
            return 49
        existing = self.formats.items if self.formats else []
        ids = [163]
        for item in [*existing, *self._new_formats]:
            attrs = _attrs(item)
            if attrs.get("formatCode") == code:
                return int(attrs.get("numFmtId", "0"))
            ids.append(int(attrs.get("numFmtId", "0")))
        new_id = max(ids) + 1
        self._new_formats.append(f'<{self.p}numFmt numFmtId="{new_id}" formatCode="{_esc(code)}"/>')
        return new_id

    def cell_format(
        self, *, font: int, fill: int, border: int, horizontal: str, wrap: bool, number_format: int = 0
    ) -> int:
        """A cell format of the 確認結果 sheet."""
        p = self.p
        wrapped = ' wrapText="1"' if wrap else ""
        return self.xfs.index(
            f'<{p}xf numFmtId="{number_format}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
            f' applyNumberFormat="1" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">'
            f'<{p}alignment horizontal="{horizontal}" vertical="top"{wrapped}/></{p}xf>'
        )

    def marked(self, xf: int, severity: str) -> int:
        """The cell format ``xf`` with the fill and border of a mark of this severity."""
        key = (xf, severity)
        if key not in self._marks:
            rgb, edge_rgb = _MARKS[severity]
            self._marks[key] = self._derive(xf, self.fill(rgb), self.border(("medium", edge_rgb)))
        return self._marks[key]

    def restored(self, xf: int) -> int:
        """A marked cell format given back the template's input look (fill and border; the rest kept)."""
        if xf not in self._restored:
            self._restored[xf] = self._derive(xf, self.fill(_INPUT_RGB), self.border(_INPUT_EDGE))
        return self._restored[xf]

    def _derive(self, xf: int, fill: int, border: int) -> int:
        item = self.xfs.get(xf) or self.xfs.get(0)
        if item is None:
            raise PatchError("styles.xml has no cell formats")
        start = _start(self.p, "xf").match(item)
        assert start is not None
        tag = start[0]
        for name, value in (("fillId", fill), ("borderId", border), ("applyFill", 1), ("applyBorder", 1)):
            tag = _set_attr(tag, name, str(value))
        return self.xfs.index(tag + item[start.end() :])

    def compare_thoroughly(self) -> None:
        """Find equal entries however they are written (before any is looked up)."""
        for entries in (self.fonts, self.fills, self.borders, self.xfs):
            entries.thorough = True
        self.xfs.meaning = self._xf_meaning

    def _xf_meaning(self, item: str) -> object:
        """A cell format's meaning, its font, fill and border compared by theirs."""
        head, *rest = _canon(item)
        assert isinstance(head, tuple)
        closing, name, attributes, empty = head
        lists = {"fontId": self.fonts, "fillId": self.fills, "borderId": self.borders}
        attributes = tuple(
            (key, str(lists[key].first_equal(int(value)))) if key in lists and value.isdigit() else (key, value)
            for key, value in attributes
        )
        return ((closing, name, attributes, empty), *rest)

    def marked_formats(self) -> frozenset[int]:
        """The cell formats that carry a mark: a mark's fill with its edge colour (a pair no division applies by
        hand), or no fill and only mark edges (a merged area's inner cells once openpyxl or Excel re-saved the copy)."""
        text = self.package.text(self.part).upper()
        if not any(rgb in text for rgb in _MARK_EDGES):
            return frozenset()  # a workbook never annotated: no need to read every fill and border
        fills = self._fill_colours()
        edges = self._edges()
        found = set()
        for i, item in enumerate(self.xfs.items):
            tag = item.split(">", 1)[0]
            fill_id, border_id = int(_attr(tag, "fillId") or 0), int(_attr(tag, "borderId") or 0)
            fill = fills[fill_id] if fill_id < len(fills) else None
            drawn = {edge for edge in (edges[border_id] if border_id < len(edges) else ()) if edge is not None}
            if not drawn or any(style != "medium" for style, _ in drawn):
                continue
            colours = {rgb for _, rgb in drawn}
            if (fill is not None and any((fill, rgb) in _MARK_PAIRS for rgb in colours)) or (
                fill is None and colours <= _MARK_EDGES
            ):
                found.add(i)
        return frozenset(found)

    def save(self) -> None:
        if not (self.fonts.added or self.fills.added or self.borders.added or self.xfs.added or self._new_formats):
            return
        text = self.package.text(self.part)
        lists = [self.fonts, self.fills, self.borders, self.xfs]
        if self.formats is not None:
            self.formats.added = self._new_formats
            lists.append(self.formats)
        out, position = [], 0
        for item in sorted(lists, key=lambda x: x.span):
            out += [text[position : item.span[0]], item.render()]
            position = item.span[1]
        out.append(text[position:])
        text = "".join(out)
        if self.formats is None and self._new_formats:
            p = self.p
            formats = f'<{p}numFmts count="{len(self._new_formats)}">{"".join(self._new_formats)}</{p}numFmts>'
            text = re.sub(rf"<{re.escape(p)}styleSheet(?=[\s>])[^>]*>", lambda m: m[0] + formats, text, count=1)
        self.package.put(self.part, text)


def _fill_rgb(fill: str) -> str | None:
    """The colour of a solid fill (last six hex digits, upper case), else None."""
    pattern = re.search(r"<(?:\w+:)?patternFill(?=[\s/>])[^>]*>", fill)
    if pattern is None or _attrs(pattern[0]).get("patternType") != "solid":
        return None
    colour = re.search(r"<(?:\w+:)?fgColor(?=[\s/>])[^>]*>", fill)
    rgb = _attrs(colour[0]).get("rgb") if colour else None
    return rgb[-6:].upper() if rgb else None


def _border_edges(border: str) -> tuple[tuple[str, str] | None, ...]:
    """(style, colour) of the left, right, top and bottom edges."""
    edges: list[tuple[str, str] | None] = []
    plain = re.sub(r"<(/?)\w+:", r"<\1", border)
    for side in _SIDES:
        match = _element("", side).search(plain)
        if match is None or "style" not in _attrs(match[1]):
            edges.append(None)
            continue
        colour = re.search(r"<color(?=[\s/>])[^>]*>", match["body"] or "")
        rgb = _attrs(colour[0]).get("rgb", "") if colour else ""
        edges.append((_attrs(match[1])["style"], rgb[-6:].upper()))
    return tuple(edges)
