"""Reading an owner register file (CSV or XLSX) into checked rows; every problem names its row and column.

The first row is the header. Columns are recognised by name, in Chinese or English, in any order;
unknown columns are ignored. See README.md, "Register import", and the upload page for the list.
Everything is checked and every problem is reported at once: a file with any bad row yields no rows.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from vote.domain.roster.records import OwnerRecord, RegisterRow, normalize_id_number
from vote.lib.i18n import _
from vote.lib.masking import mask_name
from vote.rules import parse_area

MAX_ROWS = 20_000
MAX_LENGTHS = {"building": 64, "number": 32, "name": 100}
REQUIRED = ("building", "number", "kind", "area", "area_source", "names", "id_numbers")
OPTIONAL = ("phones", "developer")

# Header spellings, compared after ``_header_key`` (lower case; no spaces, brackets, units or punctuation).
ALIASES: dict[str, tuple[str, ...]] = {
    "building": ("building", "楼栋", "楼号", "楼幢", "幢号", "楼栋名称"),
    "number": ("unitnumber", "unitno", "unit", "number", "房号", "室号", "房间号", "房屋编号", "编号"),
    "kind": ("unittype", "type", "kind", "类型", "房屋类型", "用途", "专有部分类型"),
    "area": ("area", "面积", "专有部分面积", "专有面积", "建筑面积"),
    "area_source": ("areasource", "source", "面积来源", "面积依据"),
    "names": ("ownernames", "ownername", "owners", "owner", "业主姓名", "业主", "姓名", "产权人", "权利人"),
    "id_numbers": ("owneridnumbers", "owneridnumber", "idnumbers", "idnumber", "ids", "证件号码", "证件号",
                   "身份证号", "身份证号码"),
    "phones": ("phones", "phone", "mobile", "mobiles", "手机号", "手机号码", "手机", "电话", "联系电话"),
    "developer": ("developerheld", "developer", "开发商持有", "开发商", "开发建设单位持有"),
}
KINDS = {
    "flat": "flat", "住宅": "flat", "residential": "flat", "apartment": "flat", "住房": "flat",
    "shop": "shop", "商铺": "shop", "商业": "shop", "商用": "shop", "commercial": "shop",
    "parking": "parking", "车位": "parking", "停车位": "parking", "车库": "parking",
}
SOURCES = {
    "registry": "registry", "不动产登记": "registry", "登记": "registry", "产权登记": "registry",
    "不动产登记簿": "registry",
    "survey": "survey", "测绘": "survey", "实测": "survey",
    "contract": "contract", "合同": "contract", "购房合同": "contract",
}
FLAGS = {
    "是": True, "yes": True, "y": True, "1": True, "true": True,
    "否": False, "no": False, "n": False, "0": False, "false": False, "": False,
}

_HEADER_NOISE = re.compile(r"[\s_\-()（）\[\]【】:：*]|m²|m2|㎡|平方米")
_SEPARATORS = re.compile(r"[;；、,，/\n]")
_AREA = re.compile(r"(?P<sign>[-−]?)(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]+))?")
_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")
_PERMIT = re.compile(r"[A-Z][A-Z0-9]{5,11}")
_DIGIT_PERMIT = re.compile(r"[0-9]{8,9}")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def column_labels() -> dict[str, str]:
    """The documented name of each column, in the current language."""
    return {
        "building": _("Building"),
        "number": _("Unit number"),
        "kind": _("Unit type"),
        "area": _("Area"),
        "area_source": _("Area source"),
        "names": _("Owner names"),
        "id_numbers": _("Owner ID numbers"),
        "phones": _("Phones"),
        "developer": _("Developer-held"),
    }


@dataclass(frozen=True)
class ImportIssue:
    """One problem: the spreadsheet row (the header is row 1) and the column as headed in the file."""

    row: int | None
    column: str | None
    message: str

    @property
    def text(self) -> str:
        """The problem in one sentence, e.g. 第 5 行「面积」：必须大于 0."""
        if self.row is not None and self.column is not None:
            return _("Row {row}, “{column}”: {message}").format(row=self.row, column=self.column, message=self.message)
        if self.row is not None:
            return _("Row {row}: {message}").format(row=self.row, message=self.message)
        return self.message


@dataclass
class ParsedRegister:
    """The rows of a file that passed every check, or the problems (then ``rows`` is empty)."""

    rows: list[RegisterRow] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)


class UnreadableFile(ValueError):
    """The upload is not a CSV or XLSX file we can read."""


def _header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text; numbers exactly as Excel shows their shortest form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _read_csv(content: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(_("The file is neither UTF-8 nor GB18030 text."))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return iter(list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))
    except csv.Error as exc:
        raise UnreadableFile(_("The CSV file is malformed.")) from exc


def _read_xlsx(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds of errors for a bad file
        raise UnreadableFile(_("The file is not a readable Excel .xlsx workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return iter([[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)])
    except Exception as exc:  # noqa: BLE001 - a damaged sheet inside a valid zip
        raise UnreadableFile(_("The file is not a readable Excel .xlsx workbook.")) from exc
    finally:
        workbook.close()


def read_table(source_name: str, content: bytes) -> Iterator[list[str]]:
    """The rows of the file's first sheet as lists of text, header first."""
    name = source_name.lower()
    if name.endswith(".xls"):
        raise UnreadableFile(_("Old .xls workbooks cannot be read: save the file as .xlsx or CSV."))
    if name.endswith((".xlsx", ".xlsm")) or content.startswith(b"PK\x03\x04"):
        return _read_xlsx(content)
    if name.endswith((".csv", ".txt")):
        return _read_csv(content)
    raise UnreadableFile(_("Upload a CSV file or an Excel .xlsx workbook."))


def id_number_problem(id_number: str) -> str | None:
    """Why a normalized ID number is not acceptable, or None.

    Accepted: an 18-character resident ID number with a matching check digit and a real birth date
    (居民身份证; also 港澳台居民居住证 and 外国人永久居留身份证, which share the format); or a
    passport / travel permit number: a letter and 5 to 11 more letters or digits, at least 5 of them
    digits (E12345678, H1234567801); or 8 or 9 digits (台湾居民来往大陆通行证, some passports).
    """
    if _RESIDENT_ID.fullmatch(id_number):
        total = sum(int(digit) * weight for digit, weight in zip(id_number[:17], _ID_WEIGHTS, strict=True))
        if _ID_CHECK[total % 11] != id_number[17]:
            return _("the check digit does not match (a typo?)")
        try:
            date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        except ValueError:
            return _("the birth date in it is not a real date")
        return None
    if _PERMIT.fullmatch(id_number) and sum(c.isdigit() for c in id_number) >= 5:
        return None
    if _DIGIT_PERMIT.fullmatch(id_number):
        return None
    return _("not an 18-character resident ID number, nor a passport or permit number")


def normalize_phone(phone: str) -> str:
    """Digits only, without a +86 / 0086 country prefix."""
    digits = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", phone))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            return digits[len(prefix):]
    return digits


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def _parse_area(text: str) -> tuple[int | None, str | None]:
    """Hundredths of m² parsed exactly, or the problem."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None, _("required")
    match = _AREA.fullmatch(text)
    if match is None:
        return None, _("must be a number such as 89.50")
    if match["frac"] and len(match["frac"]) > 2:
        return None, _("at most 2 decimals")
    if match["sign"] or int(match["whole"]) == 0 and int(match["frac"] or "0") == 0:
        return None, _("must be greater than 0")
    try:
        return parse_area(match["whole"] + (f".{match['frac']}" if match["frac"] else "")), None
    except ValueError:
        return None, _("is too large")


class _RowChecker:
    """Checks data rows one by one, remembering what later rows must not repeat."""

    def __init__(self, columns: dict[str, int], headers: list[str]) -> None:
        self.columns = columns
        self.headers = headers
        self.issues: list[ImportIssue] = []
        self.units: dict[str, int] = {}
        self.people: dict[str, tuple[int, str]] = {}

    def cell(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def problem(self, row: int, name: str, message: str) -> None:
        self.issues.append(ImportIssue(row, self.headers[self.columns[name]], message))

    def check(self, row: int, cells: list[str]) -> RegisterRow | None:
        """The row as a RegisterRow, or None after recording its problems."""
        before = len(self.issues)
        building, number = self.cell(cells, "building"), self.cell(cells, "number")
        for name, value in (("building", building), ("number", number)):
            if not value:
                self.problem(row, name, _("required"))
            elif len(value) > MAX_LENGTHS[name]:
                self.problem(row, name, _("too long (at most {limit} characters)").format(limit=MAX_LENGTHS[name]))
        if building and number:
            key = f"{building}\x1f{number}"
            first = self.units.setdefault(key, row)
            if first != row:
                self.problem(row, "number", _("duplicate unit: the same building and number as row {row}").format(row=first))
        kind_text = self.cell(cells, "kind")
        kind = KINDS.get(kind_text.lower())
        if kind is None:
            self.problem(row, "kind", _("required") if not kind_text else _(
                "unknown unit type “{value}”: use flat/住宅, shop/商铺 or parking/车位").format(value=kind_text))
        area, area_problem = _parse_area(self.cell(cells, "area"))
        if area_problem:
            self.problem(row, "area", area_problem)
        source_text = self.cell(cells, "area_source")
        source = SOURCES.get(source_text.lower())
        if source is None:
            self.problem(row, "area_source", _("required") if not source_text else _(
                "unknown area source “{value}”: use registry/不动产登记, survey/测绘 or contract/合同"
            ).format(value=source_text))
        developer_text = self.cell(cells, "developer")
        developer = FLAGS.get(developer_text.lower())
        if developer is None:
            self.problem(row, "developer", _("must be yes/是 or no/否"))
        owners = () if developer else self.owners(row, cells)
        if len(self.issues) > before:
            return None
        assert kind is not None and area is not None and source is not None and owners is not None
        return RegisterRow(building, number, kind, area, source, owners, bool(developer))

    def owners(self, row: int, cells: list[str]) -> tuple[OwnerRecord, ...] | None:
        """The owners of a unit that is not the developer's, or None after recording problems."""
        before = len(self.issues)
        names = _split(self.cell(cells, "names"))
        id_numbers = [normalize_id_number(unicodedata.normalize("NFKC", i)) for i in _split(self.cell(cells, "id_numbers"))]
        phones = [normalize_phone(p) for p in _split(self.cell(cells, "phones"))]
        if not names:
            self.problem(row, "names", _("missing owner (only developer-held units may have none)"))
            return None
        for name in names:
            if len(name) > MAX_LENGTHS["name"]:
                self.problem(row, "names", _("too long (at most {limit} characters)").format(limit=MAX_LENGTHS["name"]))
        if len(id_numbers) != len(names):
            self.problem(row, "id_numbers", _(
                "{ids} ID numbers for {names} owners: give one per owner, in the same order"
            ).format(ids=len(id_numbers), names=len(names)))
        for position, id_number in enumerate(id_numbers, start=1):
            problem = id_number_problem(id_number)
            if problem:
                self.problem(row, "id_numbers", self._nth(position, len(id_numbers), problem))
            elif id_numbers.index(id_number) != position - 1:
                self.problem(row, "id_numbers", _("the same ID number is listed twice"))
            elif len(id_numbers) == len(names):
                self.same_person(row, id_number, names[position - 1])
        if phones and len(phones) != len(names):
            self.problem(row, "phones", _(
                "{phones} phone numbers for {names} owners: leave it empty or give one per owner, in the same order"
            ).format(phones=len(phones), names=len(names)))
        for position, phone in enumerate(phones, start=1):
            if not _MOBILE.fullmatch(phone):
                self.problem(row, "phones", self._nth(position, len(phones), _("not an 11-digit mainland mobile number")))
        if len(self.issues) > before:
            return None
        return tuple(
            OwnerRecord(name=name, id_number=id_number, phone=phones[index] if phones else None)
            for index, (name, id_number) in enumerate(zip(names, id_numbers, strict=True))
        )

    def same_person(self, row: int, id_number: str, name: str) -> None:
        """One ID number, one person: the same number under another name is a mistake somewhere."""
        compact = re.sub(r"\s+", "", name)
        first_row, first_name = self.people.setdefault(id_number, (row, compact))
        if first_name != compact:
            self.problem(row, "id_numbers", _("the same ID number is on row {row} under another name ({name})").format(
                row=first_row, name=mask_name(first_name)))

    @staticmethod
    def _nth(position: int, count: int, problem: str) -> str:
        return problem if count == 1 else _("owner {n}: {problem}").format(n=position, problem=problem)


def _columns(header: list[str]) -> tuple[dict[str, int], list[ImportIssue]]:
    """Field name -> column index, from the header row."""
    lookup = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    issues: list[ImportIssue] = []
    for index, text in enumerate(header):
        name = lookup.get(_header_key(text))
        if name is None:
            continue
        if name in columns:
            issues.append(ImportIssue(1, text, _("this column appears twice (also column {n})").format(n=columns[name] + 1)))
        else:
            columns[name] = index
    labels = column_labels()
    issues.extend(
        ImportIssue(None, None, _("Missing required column “{column}”.").format(column=labels[name]))
        for name in REQUIRED if name not in columns
    )
    return columns, issues


def parse_register(source_name: str, content: bytes) -> ParsedRegister:
    """Read and check a whole register file; rows only when every check passed."""
    if not content:
        return ParsedRegister(issues=[ImportIssue(None, None, _("Choose a CSV or Excel file to upload."))])
    try:
        table = read_table(source_name, content)
        header = next(table, [])
    except UnreadableFile as exc:
        return ParsedRegister(issues=[ImportIssue(None, None, str(exc))])
    header = [cell.strip() for cell in header]
    columns, issues = _columns(header)
    if issues:
        return ParsedRegister(issues=issues)
    checker = _RowChecker(columns, header)
    rows: list[RegisterRow] = []
    data_rows = 0
    for row_number, cells in enumerate(table, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            return ParsedRegister(issues=[ImportIssue(None, None, _(
                "The file has too many rows: at most {limit} units per import.").format(limit=MAX_ROWS))])
        row = checker.check(row_number, cells)
        if row is not None:
            rows.append(row)
    if checker.issues:
        return ParsedRegister(issues=checker.issues)
    if not rows:
        return ParsedRegister(issues=[ImportIssue(None, None, _("The file has no units below the header row."))])
    return ParsedRegister(rows=rows)
