"""The shared constants of patched feedback copies: the marks, and the error that stops a patch."""

from __future__ import annotations

import re

from pipeline.errors import PipelineError
from pipeline.outputs.marks import (
    _ERROR_EDGE_RGB,
    _ERROR_RGB,
    _WARNING_EDGE_RGB,
    _WARNING_RGB,
    SHEET_RESULTS,
)

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_RT_OFFICE_DOCUMENT = f"{_REL_NS}/officeDocument"
_RT_WORKSHEET = f"{_REL_NS}/worksheet"
_RT_STYLES = f"{_REL_NS}/styles"
_RT_COMMENTS = f"{_REL_NS}/comments"
_RT_VML = f"{_REL_NS}/vmlDrawing"
_RT_EXTENDED = f"{_REL_NS}/extended-properties"
_RT_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_CONTENT_TYPES = "[Content_Types].xml"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_INPUT_RGB, _INPUT_EDGE = "FFF2CC", ("thin", "808080")  # the template's input look, given back to fixed cells
_MARKS = {
    "blocking": (_ERROR_RGB, _ERROR_EDGE_RGB),
    "error": (_ERROR_RGB, _ERROR_EDGE_RGB),
    "warning": (_WARNING_RGB, _WARNING_EDGE_RGB),
}
_MARK_PAIRS = frozenset(_MARKS.values())
_MARK_EDGES = frozenset(edge for _, edge in _MARKS.values())
_SIDES = ("left", "right", "top", "bottom")
_MAX_MARKED_AREA = 1_000  # cells of a merged area given the mark's border (beyond it only the first cell is)
_ATTRIBUTE = re.compile(r"([\w:.\-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TAG = re.compile(r"<(/?)([\w:.\-]+)((?:\s+[\w:.\-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")
_TEXT = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t\s*>|<(?:\w+:)?t\s*/>", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh[\s>].*?</(?:\w+:)?rPh\s*>", re.S)
# A reference into 確認結果 (not into a sheet whose name merely ends so, like 旧確認結果).
_INTO_RESULTS = re.compile(rf"(?<![\w.'\]]){SHEET_RESULTS}!|'{SHEET_RESULTS}'!")
_LOCAL_SHEET_ID = re.compile(r"(\slocalSheetId\s*=\s*[\"'])(\d+)([\"'])")
_WORKSHEETS_HEADINGS = frozenset({"Worksheets", "ワークシート"})  # app.xml's first heading, as Excel writes it
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")


class PatchError(PipelineError):
    """The workbook's package is built in a way the patcher does not handle; annotate's re-save can stand in."""
