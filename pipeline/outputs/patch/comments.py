"""Comments and their legacy VML shapes, merged with what the division already has."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

from pipeline.contract.cells import address
from pipeline.outputs.marks import (
    _COMMENT_WIDTH_PX,
    _ORIGINAL_COMMENT,
    _ORIGINAL_COMMENT_RE,
    AUTHOR,
    SEVERITY_LABELS,
    _clean,
    _comment_height,
)
from pipeline.outputs.patch.common import (
    _CT_COMMENTS,
    _CT_VML,
    _MAIN_NS,
    _PHONETIC,
    _REL_NS,
    _RT_COMMENTS,
    _RT_VML,
    _TEXT,
    _XML_DECLARATION,
    PatchError,
)
from pipeline.outputs.patch.package import (
    _add_rel,
    _attr,
    _attrs,
    _cell_of,
    _element,
    _end,
    _ensure_default,
    _esc,
    _ns_prefix,
    _Package,
    _rels,
    _remove_rel,
    _root_prefix,
    _set_attr,
    _set_override,
    _start,
)


@dataclass
class _Comment:
    cell: tuple[int, int]
    author: str
    text: str
    raw: str | None  # the division's comment as written, kept byte for byte; None for one made here


def _comment(package: _Package, part: str, text: str, p: str, notes: dict[tuple[int, int], str]) -> str:
    """Put the pipeline's comments on a sheet, replacing its earlier ones and keeping the division's."""
    rels = _rels(package, part)
    comments_part = next((rel.target for rel in rels if rel.type == _RT_COMMENTS and package.has(rel.target)), None)
    existing = package.text(comments_part) if comments_part else ""
    if not notes and AUTHOR not in existing and not any(marker in existing for marker in _OWN_MARKERS):
        return text
    cp = _root_prefix(existing, "comments") if existing else ""
    authors, comments = _read_comments(existing, cp) if existing else ([], [])
    changed: set[tuple[int, int]] = set()
    kept: list[_Comment] = []
    division: dict[tuple[int, int], _Comment] = {}
    for comment in comments:
        if _is_own(comment):
            changed.add(comment.cell)
            original = _ORIGINAL_COMMENT_RE.search(comment.text)
            if original is not None:
                division[comment.cell] = _Comment(comment.cell, original["author"], original["text"], None)
        else:
            division.setdefault(comment.cell, comment)
            kept.append(comment)
    final: dict[tuple[int, int], _Comment] = {c.cell: c for c in kept}
    for cell, restored in division.items():
        if restored.raw is None and cell not in notes:
            final[cell] = restored
    for cell, note in notes.items():
        own = division.get(cell)
        if own is not None and own.author.startswith("tc="):
            continue  # a threaded comment (Excel 365) stays: its thread would no longer match a replaced note
        if own is not None:
            note += "\n\n" + _ORIGINAL_COMMENT.format(author=own.author) + "\n" + own.text
        final[cell] = _Comment(cell, AUTHOR, _clean(note), None)
        changed.add(cell)
    ordered = [final[cell] for cell in sorted(final)]
    if not ordered:  # the last pipeline comment went: the sheet has no comments part, as before the first round
        if comments_part is not None:
            package.remove(comments_part)
            _set_override(package, comments_part, None)
            _remove_rel(package, part, next(rel.id for rel in rels if rel.target == comments_part))
        return _shapes(package, part, text, p, ordered, changed)
    if comments_part is None:
        comments_part = package.free("xl/comments{}.xml")
        _set_override(package, comments_part, _CT_COMMENTS)
        _add_rel(package, part, _RT_COMMENTS, comments_part)
        existing = f'{_XML_DECLARATION}<comments xmlns="{_MAIN_NS}"><authors/><commentList/></comments>'
    package.put(comments_part, _write_comments(existing, cp, authors, ordered))
    return _shapes(package, part, text, p, ordered, changed)


# A pipeline comment starts with a severity label: LibreOffice re-saves comments without their author.
_OWN_MARKERS = tuple(f"【{label}】" for label in SEVERITY_LABELS.values())


def _is_own(comment: _Comment) -> bool:
    """Whether a comment is the pipeline's: by its author, or by its first line when the author was lost."""
    return comment.author == AUTHOR or (not comment.author.strip() and comment.text.startswith(_OWN_MARKERS))


def _read_comments(text: str, p: str) -> tuple[list[str], list[_Comment]]:
    authors_block = _element(p, "authors").search(text)
    authors = [
        unescape(m["body"] or "") for m in _element(p, "author").finditer(authors_block[0] if authors_block else "")
    ]
    found = []
    for match in _element(p, "comment").finditer(text):
        attrs = _attrs(match[1])
        cell = _cell_of(attrs.get("ref", ""))
        author_id = attrs.get("authorId", "")
        author = authors[int(author_id)] if author_id.isdigit() and int(author_id) < len(authors) else ""
        body = _PHONETIC.sub("", match["body"] or "")
        words = "".join(unescape(m[1] or "") for m in _TEXT.finditer(body))
        if cell is not None:
            found.append(_Comment(cell, author, words, match[0]))
    return authors, found


def _write_comments(text: str, p: str, authors: list[str], comments: list[_Comment]) -> str:
    """The comments part with this list of comments; the authors list only grows, so kept comments keep their ids."""
    authors = list(authors)
    out = []
    for comment in comments:
        if comment.raw is not None:
            out.append(comment.raw)
            continue
        if comment.author not in authors:
            authors.append(comment.author)
        body = _esc(comment.text).replace("\r", "&#13;")
        out.append(
            f'<{p}comment ref="{address(*comment.cell)}" authorId="{authors.index(comment.author)}" shapeId="0">'
            f'<{p}text><{p}t xml:space="preserve">{body}</{p}t></{p}text></{p}comment>'
        )
    names = "".join(f"<{p}author>{_esc(name)}</{p}author>" for name in authors)
    for name, inner in (("authors", names), ("commentList", "".join(out))):
        match = _element(p, name).search(text)
        element = f"<{p}{name}>{inner}</{p}{name}>"
        if match is None:
            raise PatchError(f"comments part without <{name}>")
        text = text[: match.start()] + element + text[match.end() :]
    return text


_VML_NS = {"v": "urn:schemas-microsoft-com:vml", "o": "urn:schemas-microsoft-com:office:office"}
_VML_NS["x"] = "urn:schemas-microsoft-com:office:excel"
# Any prefix: openpyxl writes ns0/ns1/ns2 where Excel writes o/v/x.
_SHAPE = re.compile(r"<([\w.\-]+):shape(?=[\s>])[^>]*>.*?</\1:shape\s*>", re.S)
_SHAPE_ID = re.compile(r"_x0000_s(\d+)")
_ROW = re.compile(r"<(?:[\w.\-]+:)?Row>\s*(\d+)\s*</(?:[\w.\-]+:)?Row>")
_COLUMN = re.compile(r"<(?:[\w.\-]+:)?Column>\s*(\d+)\s*</(?:[\w.\-]+:)?Column>")
_IDMAP = re.compile(r"<(?:[\w.\-]+:)?idmap\s[^>]*>")
_EMPTY_VML = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout></xml>'
)


def _note_cell(shape: str) -> tuple[int, int] | None:
    """The cell (1-based) of a VML comment shape, or None for another shape (a form control, a picture)."""
    if not re.search(r"ObjectType\s*=\s*[\"']Note[\"']", shape):
        return None
    row, col = _ROW.search(shape), _COLUMN.search(shape)
    return None if row is None or col is None else (int(row[1]) + 1, int(col[1]) + 1)


def _shapes(
    package: _Package, part: str, text: str, p: str, comments: list[_Comment], changed: set[tuple[int, int]]
) -> str:
    """Give every comment a VML box: the sheet's drawing keeps its other shapes, the changed comments get new boxes."""
    drawing = re.search(rf"<{re.escape(p)}legacyDrawing\s[^>]*>", text)
    r = _ns_prefix(text, _REL_NS)
    rel = None
    if drawing is not None and r is not None:
        rel = next((x for x in _rels(package, part) if x.id == _attr(drawing[0], f"{r}:id")), None)
    vml_part = rel.target if rel is not None and package.has(rel.target) else None
    if vml_part is None:
        if not comments:
            return text
        block = 1 + max((int(n) for v in package.parts(".vml") for n in _idmaps(package.text(v))), default=0)
        vml = _EMPTY_VML.format(block=block)
        changed = {c.cell for c in comments}
    else:
        vml = package.text(vml_part)
        block = int(next(iter(_idmaps(vml)), "1"))
    vml, prefixes = _declare_vml_prefixes(vml)
    present: set[tuple[int, int]] = set()
    commented = {c.cell for c in comments}

    def keep(match: re.Match[str]) -> str:
        cell = _note_cell(match[0])
        if cell is not None and (cell in changed or cell not in commented):
            return ""
        if cell is not None:
            present.add(cell)
        return match[0]

    vml = _SHAPE.sub(keep, vml)
    if vml_part is not None and rel is not None and drawing is not None and not _SHAPE.search(vml):
        # No shape left (the pipeline's comments were the only ones): the drawing goes, as before the first round.
        package.remove(vml_part)
        _remove_rel(package, part, rel.id)
        return text[: drawing.start()] + text[drawing.end() :]
    next_id = max([block * 1024, *(int(n) for n in _SHAPE_ID.findall(vml))]) + 1
    shapes = []
    for comment in comments:
        if comment.cell in present:
            continue
        shapes.append(_shape(next_id, comment, prefixes))
        next_id += 1
    if shapes and "_x0000_t202" not in vml:
        v, o = prefixes["v"], prefixes["o"]
        shapes.insert(
            0,
            f'<{v}:shapetype id="_x0000_t202" coordsize="21600,21600" {o}:spt="202" path="m,l,21600r21600,l21600,xe">'
            f'<{v}:stroke joinstyle="miter"/><{v}:path gradientshapeok="t" {o}:connecttype="rect"/></{v}:shapetype>',
        )
    end = vml.rfind("</xml>")
    if end < 0:
        raise PatchError("VML drawing without </xml>")
    vml = vml[:end] + "".join(shapes) + vml[end:]
    if vml_part is not None:
        package.put(vml_part, vml)
        return text
    vml_part = package.free("xl/drawings/vmlDrawing{}.vml")
    package.put(vml_part, vml)
    _ensure_default(package, "vml", _CT_VML)
    rid = _add_rel(package, part, _RT_VML, vml_part)
    if drawing is not None:  # a legacyDrawing pointing nowhere: point it at the new drawing
        return text[: drawing.start()] + _set_attr(drawing[0], f"{r}:id", rid) + text[drawing.end() :]
    declare = "" if r else f' xmlns:r="{_REL_NS}"'
    return _insert_legacy_drawing(text, p, f'<{p}legacyDrawing{declare} {r or "r"}:id="{rid}"/>')


def _declare_vml_prefixes(vml: str) -> tuple[str, dict[str, str]]:
    """The prefixes the drawing binds to the VML, Office and Excel namespaces, declaring those it lacks on its root."""
    prefixes: dict[str, str] = {}
    missing = []
    for usual, namespace in _VML_NS.items():
        found = _ns_prefix(vml, namespace)
        if found is None:
            found = usual if not re.search(rf"xmlns:{usual}\s*=", vml) else f"pl{usual}"
            missing.append(f' xmlns:{found}="{namespace}"')
        prefixes[usual] = found
    if missing:
        root = re.search(r"<xml(?=[\s>])[^>]*?(/?)>", vml)
        if root is None or root[1]:
            raise PatchError("VML drawing without its <xml> root")
        at = root.end() - 1
        vml = vml[:at] + "".join(missing) + vml[at:]
    return vml, prefixes


def _idmaps(vml: str) -> list[str]:
    found = []
    for match in _IDMAP.finditer(vml):
        found += re.findall(r"\d+", _attr(match[0], "data"))
    return found


def _shape(shape_id: int, comment: _Comment, prefixes: dict[str, str]) -> str:
    """A hidden comment box beside its cell, sized for its text."""
    v, o, x = prefixes["v"], prefixes["o"], prefixes["x"]
    row, col = comment.cell[0] - 1, comment.cell[1] - 1
    height = _comment_height(comment.text)
    anchor = f"{col + 1}, 15, {max(row - 1, 0)}, 10, {col + 8}, 15, {row + 2 + height // 20}, 4"
    return (
        f'<{v}:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
        f'margin-top:1.5pt;width:{_COMMENT_WIDTH_PX}px;height:{height}px;z-index:1;visibility:hidden"'
        f' fillcolor="#ffffe1" {o}:insetmode="auto"><{v}:fill color2="#ffffe1"/>'
        f'<{v}:shadow on="t" color="black" obscured="t"/><{v}:path {o}:connecttype="none"/>'
        f'<{v}:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></{v}:textbox>'
        f'<{x}:ClientData ObjectType="Note"><{x}:MoveWithCells/><{x}:SizeWithCells/><{x}:Anchor>{anchor}</{x}:Anchor>'
        f"<{x}:AutoFill>False</{x}:AutoFill><{x}:Row>{row}</{x}:Row><{x}:Column>{col}</{x}:Column></{x}:ClientData>"
        f"</{v}:shape>"
    )


# CT_Worksheet's children after <legacyDrawing>, in schema order: the new element goes before the first present.
_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts")


def _insert_legacy_drawing(text: str, p: str, element: str) -> str:
    end = text.rfind(f"</{p}worksheet")
    if end < 0:
        raise PatchError("worksheet without its end tag")
    start = max(text.rfind(f"</{p}sheetData>"), 0)
    after = re.compile(rf"<{re.escape(p)}(?:{'|'.join(_AFTER_LEGACY)})(?=[\s/>])").search(text, start)
    position = after.start() if after else _top_level_ext_list(text, p, end)
    return text[:position] + element + text[position:]


def _top_level_ext_list(text: str, p: str, end: int) -> int:
    """Where the worksheet's own <extLst> starts (its last child), or its end tag when it has none."""
    close = _end(p, "extLst")
    closes = list(close.finditer(text, 0, end))
    if not closes or text[closes[-1].end() : end].strip():
        return end
    marks = sorted(
        [(m.start(), 1) for m in _start(p, "extLst").finditer(text, 0, end)] + [(m.start(), -1) for m in closes]
    )
    depth = 0
    for position, step in reversed(marks):
        depth -= step
        if depth == 0:
            return position
    return end
