"""The workbook part: its sheets, the 確認結果 sheet put first, sheet-scoped names and the selected tab."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

from pipeline.outputs.marks import (
    SHEET_RESULTS,
)
from pipeline.outputs.patch.common import (
    _CT_MAIN,
    _CT_WORKSHEET,
    _INTO_RESULTS,
    _LOCAL_SHEET_ID,
    _MAIN_NS,
    _REL_NS,
    _RT_EXTENDED,
    _RT_OFFICE_DOCUMENT,
    _RT_STYLES,
    _RT_VBA,
    _RT_WORKSHEET,
    _WORKSHEETS_HEADINGS,
    PatchError,
)
from pipeline.outputs.patch.package import (
    _add_rel,
    _attr,
    _attrs,
    _content_type,
    _element,
    _ns_prefix,
    _Package,
    _rels,
    _rels_part,
    _remove_rel,
    _root_prefix,
    _set_attr,
    _set_override,
    _start,
)


@dataclass(frozen=True)
class _Sheet:
    name: str
    rid: str
    kind: str  # the relationship type: worksheet, chartsheet, dialogsheet…
    part: str | None


class _Book:
    """workbook.xml, its relationships and its list of sheets, in tab order."""

    def __init__(self, package: _Package) -> None:
        self.package = package
        main = [rel.target for rel in _rels(package, "") if rel.type == _RT_OFFICE_DOCUMENT]
        if not main or main[0] is None or not package.has(main[0]):
            raise PatchError("no workbook part")
        self.part = main[0]
        text = package.text(self.part)
        self.p = _root_prefix(text, "workbook")
        if _ns_prefix(text, _MAIN_NS) is None and f'xmlns="{_MAIN_NS}"' not in text:
            raise PatchError("not a transitional SpreadsheetML workbook")
        self.r = _ns_prefix(text, _REL_NS)
        self.rels = {rel.id: rel for rel in _rels(package, self.part)}
        self.sheets = self._read_sheets()

    @property
    def text(self) -> str:
        return self.package.text(self.part)

    def _read_sheets(self) -> list[_Sheet]:
        found = []
        for match in _start(self.p, "sheet").finditer(self.text):
            attrs = _attrs(match[0])
            rid = attrs.get(f"{self.r}:id", "")
            rel = self.rels.get(rid)
            found.append(_Sheet(attrs.get("name", ""), rid, rel.type if rel else "", rel.target if rel else None))
        return found

    def styles_part(self) -> str:
        found = [rel.target for rel in self.rels.values() if rel.type == _RT_STYLES and rel.target]
        if not found or not self.package.has(found[0]):
            raise PatchError("no styles part")
        return found[0]

    def drop_macros(self) -> None:
        """A copy is always .xlsx: a macro-enabled (or template) workbook becomes a plain one, its VBA left out."""
        if _content_type(self.package, self.part) in (None, _CT_MAIN):
            return
        _set_override(self.package, self.part, _CT_MAIN)
        for rel in list(self.rels.values()):
            if rel.type == _RT_VBA and rel.target:
                for sub in _rels(self.package, rel.target):
                    if sub.target:
                        self._drop_part(sub.target)
                self._drop_part(rel.target)
                _remove_rel(self.package, self.part, rel.id)

    def _drop_part(self, part: str) -> None:
        self.package.remove(part)
        self.package.remove(_rels_part(part))
        if _content_type(self.package, part) is not None:
            _set_override(self.package, part, None)

    def drop_results_sheet(self) -> bool:
        """Remove an earlier 確認結果 sheet (a resubmitted copy), its part and every name on or in it; say if there was one."""
        index = next((i for i, sheet in enumerate(self.sheets) if sheet.name == SHEET_RESULTS), None)
        if index is None:
            return False
        sheet = self.sheets.pop(index)
        text = _element(self.p, "sheet").sub(
            lambda m: "" if _attrs(m[1]).get("name") == SHEET_RESULTS else m[0], self.text
        )
        self.package.put(self.part, text)
        self._renumber(lambda local: None if local == index else local - (local > index))
        if sheet.part is not None:
            self._drop_part(sheet.part)
        _remove_rel(self.package, self.part, sheet.rid)
        return True

    def _renumber(self, new_index: Callable[[int], int | None]) -> None:
        """Give sheet-scoped names their sheet's new index; drop names of a dropped sheet or pointing into 確認結果."""

        def renumber(match: re.Match[str]) -> str:
            start, body = match[1], match["body"] or ""
            if SHEET_RESULTS in body and _INTO_RESULTS.search(unescape(body)):
                return ""
            local = _attr(start, "localSheetId")
            if not local.strip().isdigit():
                return match[0]
            index = new_index(int(local))
            return "" if index is None else _set_attr(start, "localSheetId", str(index)) + match[0][len(start) :]

        def shift(match: re.Match[str]) -> str:
            index = new_index(int(match[2]))
            assert index is not None
            return f"{match[1]}{index}{match[3]}"

        if SHEET_RESULTS in self.text or any(new_index(i) is None for i in range(len(self.sheets) + 1)):
            self.package.put(self.part, _element(self.p, "definedName").sub(renumber, self.text))
        else:  # nothing to drop: only the indices move (a plain substitution, names are many in a template)
            self.package.put(self.part, _LOCAL_SHEET_ID.sub(shift, self.text))

    def add_results_sheet(self, xml: str) -> None:
        """Put the 確認結果 sheet first: its part, relationship, content type, entry in workbook.xml and app.xml."""
        part = self.package.free("xl/worksheets/sheet{}.xml")
        self.package.put(part, xml)
        _set_override(self.package, part, _CT_WORKSHEET)
        rid = _add_rel(self.package, self.part, _RT_WORKSHEET, part)
        ids = [int(v) for v in re.findall(r"\ssheetId\s*=\s*[\"'](\d+)[\"']", self.text)]
        r_prefix = self.r or "r"
        declare = "" if self.r else f' xmlns:r="{_REL_NS}"'
        entry = f'<{self.p}sheet name="{SHEET_RESULTS}" sheetId="{max(ids, default=0) + 1}"{declare} {r_prefix}:id="{rid}"/>'
        text, count = re.subn(rf"<{re.escape(self.p)}sheets(?=[\s>])[^>]*>", lambda m: m[0] + entry, self.text, count=1)
        if not count:
            raise PatchError("no <sheets> element")
        self.package.put(self.part, text)
        self._renumber(lambda local: local + 1)
        self.sheets.insert(0, _Sheet(SHEET_RESULTS, rid, _RT_WORKSHEET, part))
        self._add_title()

    def _add_title(self) -> None:
        """List 確認結果 first among the worksheet titles of docProps/app.xml, when the file keeps them."""
        app = next((rel.target for rel in _rels(self.package, "") if rel.type == _RT_EXTENDED), None)
        if app is None or not self.package.has(app):
            return
        text = self.package.text(app)
        titles = re.search(r"<(\w+:)?TitlesOfParts>\s*<(\w+:)?vector\b([^>]*)>", text)
        pairs = re.search(
            r"<(?:\w+:)?HeadingPairs>\s*<(?:\w+:)?vector\b[^>]*>\s*<(?:\w+:)?variant>\s*<(?:\w+:)?lpstr>([^<]*)<.*?"
            r"<(?:\w+:)?i4>(\d+)</(?:\w+:)?i4>",
            text,
            re.S,
        )
        if titles is None or pairs is None or pairs[1] not in _WORKSHEETS_HEADINGS or f">{SHEET_RESULTS}<" in text:
            return
        vt = titles[2] or ""
        size = _attrs(titles[3]).get("size", "0")
        start = _set_attr(titles[0][titles.start(2) - titles.start() - 1 :], "size", str(int(size) + 1))
        head = titles[0][: titles.start(2) - titles.start() - 1]
        text = (
            text[: pairs.start(2)]
            + str(int(pairs[2]) + 1)
            + text[pairs.end(2) : titles.start()]
            + head
            + start
            + f"<{vt}lpstr>{SHEET_RESULTS}</{vt}lpstr>"
            + text[titles.end() :]
        )
        self.package.put(app, text)

    def select_first(self) -> None:
        """Open on the first tab (確認結果) alone: every other sheet's tabSelected goes, since Excel groups them."""
        text = re.sub(r"(<(?:\w+:)?workbookView(?=[\s/>])[^>]*>)", lambda m: _first_tab(m[1]), self.text)
        self.package.put(self.part, text)
        for sheet in self.sheets[1:]:
            if sheet.part is None or not self.package.has(sheet.part):
                continue
            sheet_text = self.package.text(sheet.part)
            edited = _deselect(sheet_text)
            if edited != sheet_text:
                self.package.put(sheet.part, edited)


def _deselect(text: str) -> str:
    """A sheet's XML with its sheet views' tabSelected removed (found by a plain search: sheets are large)."""
    position = text.find("tabSelected")
    while position >= 0:
        start, end = text.rfind("<", 0, position), text.find(">", position)
        tag = text[start : end + 1]
        if start >= 0 and end >= 0 and re.match(r"<(?:[\w.\-]+:)?sheetView\s", tag):
            tag = _set_attr(tag, "tabSelected", None)
            text = text[:start] + tag + text[end + 1 :]
            end = start + len(tag)
        position = text.find("tabSelected", end)
    return text


def _first_tab(tag: str) -> str:
    return _set_attr(_set_attr(tag, "activeTab", "0"), "firstSheet", None)
