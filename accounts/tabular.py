"""Reading an uploaded XLSX or CSV sheet into rows, for the admin's imports (staff accounts,
rosters). The first row names the columns, in Chinese or by their code name; the columns may
come in any order, and unknown ones are ignored. A file that cannot be read is a
ValidationError with a Chinese message: nothing has been read from it then.

XLSX is read with openpyxl (as the results export writes it), read-only so a large sheet is
streamed; CSV is taken as UTF-8 (with or without the BOM Excel writes) or else GB 18030, the
encoding a Chinese Excel saves "CSV" in."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import load_workbook

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str  # the code name, also accepted as a header
    header: str  # the Chinese header (what the template file has)
    required: bool = True


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row's number in the sheet (the header is row 1)
    values: dict[str, str]


CSV_DELIMITERS = (",", ";", "\t")


def read_sheet(upload, *, columns: tuple[Column, ...], max_rows: int) -> list[SheetRow]:
    """The data rows of the upload, each value a stripped string keyed by column key. Rows
    with no value at all are skipped (an Excel sheet often ends in formatted empty rows)."""
    name = (getattr(upload, "name", "") or "").lower()
    if getattr(upload, "size", 0) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("文件过大（上限 %(mb)d MB），请分批导入。")
            % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024},
            code="too_large",
        )
    data = upload.read()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise ValidationError(_("请上传 .xlsx 或 .csv 文件。"), code="bad_type")
    try:
        header = next(table)
    except StopIteration:
        raise ValidationError(_("文件是空的。"), code="empty") from None
    index = _header_index(header, columns)
    rows: list[SheetRow] = []
    for number, raw in enumerate(table, start=2):
        values = {key: _cell(raw, i) for key, i in index.items()}
        if not any(values.values()):
            continue
        if len(rows) >= max_rows:
            raise ValidationError(
                ngettext(
                    "行数超过上限（每次最多 %(max)d 行），请分批导入。",
                    "行数超过上限（每次最多 %(max)d 行），请分批导入。",
                    max_rows,
                )
                % {"max": max_rows},
                code="too_many_rows",
            )
        rows.append(SheetRow(number=number, values=values))
    if not rows:
        raise ValidationError(_("文件中没有数据行。"), code="empty")
    return rows


def _cell(raw, i: int) -> str:
    if i >= len(raw) or raw[i] is None:
        return ""
    value = raw[i]
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed in Excel: 13912345678.0 is the mobile 13912345678
    return str(value).strip()


def _header_index(header, columns: tuple[Column, ...]) -> dict[str, int]:
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    index: dict[str, int] = {}
    missing = []
    for column in columns:
        for accepted in (column.header.lower(), column.key.lower()):
            if accepted in names:
                index[column.key] = names.index(accepted)
                break
        else:
            if column.required:
                missing.append(column.header)
    if missing:
        raise ValidationError(
            _("第1行（表头）缺少列：%(columns)s。") % {"columns": "、".join(missing)},
            code="missing_columns",
        )
    return index


def _xlsx_rows(data: bytes):
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(
            _("无法读取该 XLSX 文件，请用 Excel 另存后重试。"), code="bad_file"
        ) from exc
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise ValidationError(_("文件是空的。"), code="empty")
    return iter(sheet.iter_rows(values_only=True))


def _csv_rows(data: bytes):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise ValidationError(_("无法识别 CSV 文件的编码，请保存为 UTF-8。"), code="bad_file")
    if "\x00" in text:
        raise ValidationError(_("无法读取该 CSV 文件。"), code="bad_file")
    # Excel saves "CSV" with semicolons where the decimal mark is a comma, and some exports
    # use tabs. The header row (Chinese names, which hold none of these) says which.
    first_line = text.split("\n", 1)[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)  # the first of a tie: the comma
    return iter(csv.reader(io.StringIO(text), delimiter=delimiter))
