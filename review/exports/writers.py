"""The export's two file formats, each produced as it is sent: CSV lines, and an .xlsx
written into a zip as the rows come.

openpyxl (which reads and writes .xlsx elsewhere) writes a whole sheet before the zip can
begin, so a province's file started only after every row was read. The .xlsx here is the
few fixed parts of a one-sheet workbook and the sheet's rows as inline strings, written
through the standard library's zipfile into an unseekable stream (zipfile then puts each
entry's sizes after its data): the first bytes leave before the first row is read."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from django.utils.translation import gettext as _

from .rows import ExportRow, export_header

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 does not allow.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_COLUMNS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_EXCEL_EPOCH = datetime(1899, 12, 30)
ROWS_PER_CHUNK = 500


def csv_safe(value) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A write-only file for csv.writer that hands each line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterator[ExportRow], *, lines_per_chunk: int = ROWS_PER_CHUNK):
    # The byte order mark makes Excel (zh-CN) read the file as UTF-8 instead of GBK.
    writer = csv.writer(_Echo())
    buffer = ["\ufeff", writer.writerow(export_header())]
    for row in rows:
        buffer.append(writer.writerow([csv_safe(cell) for cell in row]))
        if len(buffer) >= lines_per_chunk:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


class _Pipe:
    """An unseekable file that keeps what zipfile writes until it is taken."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _fixed_parts(sheet_name: str) -> dict[str, str]:
    """The parts of a one-sheet workbook besides the sheet: what opens it and the one cell
    style it uses (style 1: date and time)."""
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_NS}" xmlns:r="{_DOC_REL}"><sheets>'
            f'<sheet name={quoteattr(sheet_name)} sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_DOC_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{_NS}">'
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
    }


def _cell(ref: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        # Days since Excel's epoch, in the time shown (no time zone in a spreadsheet).
        days = (value.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="1"><v>{days!r}</v></c>'
    # An inline string is text, never a formula, whatever it starts with.
    text = escape(_ILLEGAL_XML.sub("", str(value)))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _row(number: int, values) -> str:
    cells = "".join(_cell(f"{_COLUMNS[i]}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def xlsx_chunks(rows: Iterator[ExportRow], *, rows_per_chunk: int = ROWS_PER_CHUNK):
    """The .xlsx, chunk by chunk: the fixed parts and the sheet's start at once, then the
    rows as they are read."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, xml in _fixed_parts(_("审核结果")).items():
            archive.writestr(name, _XML_HEAD + xml)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'{_XML_HEAD}<worksheet xmlns="{_NS}"><sheetData>'.encode())
            sheet.write(_row(1, export_header()).encode())
            yield pipe.take()
            buffer = []
            for number, row in enumerate(rows, start=2):
                buffer.append(_row(number, row))
                if len(buffer) >= rows_per_chunk:
                    sheet.write("".join(buffer).encode())
                    buffer = []
                    chunk = pipe.take()
                    if chunk:
                        yield chunk
            sheet.write(("".join(buffer) + "</sheetData></worksheet>").encode())
    yield pipe.take()
