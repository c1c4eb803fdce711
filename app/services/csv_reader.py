"""Reading CSV exports as real tools write them: encodings, delimiters, header names, values.

Decisions a user may notice:

- Encoding: a UTF-8 (or UTF-16) byte-order mark wins; otherwise the file is checked as
  strict UTF-8 in one streaming pass, and read as Windows-1252 (what Excel writes on
  Windows) if that fails. The five bytes Windows-1252 leaves undefined read as Latin-1.
- Delimiter: ',' unless the header only makes sense split on ';' or a tab (European Excel
  writes ';').
- Amounts: '.' is the decimal point and ',' or a space groups thousands, so "$1,234.50",
  "1 234.50", "€12" and "(12.50)" (negative) are read. "1 234,50" or "12,50" is refused as
  ambiguous in a comma-separated file. In a ';'-separated file the convention flips:
  ',' is the decimal point and '.' or a space groups thousands ("1.234,50").
- Dates: YYYY-MM-DD (a time after it is ignored), YYYY/MM/DD, MM/DD/YYYY (US order, as
  QuickBooks US writes it) and DD.MM.YYYY. Two-digit years are refused as ambiguous.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, TextIO

SNIFF_CHUNK = 1 << 20
DELIMITERS = (",", ";", "\t")
LARGEST_NUMBER = Decimal("1e12")  # far above any order, far below what the columns hold

# Active ISO 4217 currency codes (and the few that linger in old exports).
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
    MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL
    THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG
    XOF XPF YER ZAR ZMW ZWG ZWL
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())


class UnusableFile(Exception):
    """The file as a whole cannot be imported (missing, not CSV, required columns absent)."""


class CellError(ValueError):
    """A value that cannot be read; the message says why, in the user's terms."""


# --- encoding and delimiter -------------------------------------------------------------


def _read_undefined_as_latin1(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("bookbridge.latin1", _read_undefined_as_latin1)


def detect_encoding(path: Path) -> str:
    """The encoding to read `path` with, found in one pass over bounded chunks."""
    with path.open("rb") as stream:
        head = stream.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        stream.seek(0)
        first = stream.read(SNIFF_CHUNK)
        if b"\x00" in first:
            raise UnusableFile(
                "this is not a text file (a spreadsheet or an archive?): save it as CSV first"
            )
        return "utf-8" if _is_utf8(first, stream) else "cp1252"


def _is_utf8(first: bytes, rest: BinaryIO) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    chunk = first
    try:
        while chunk:
            pending = decoder.getstate()[0]  # a character cut at the end of the last chunk
            if pending or not chunk.isascii():
                decoder.decode(chunk)
            chunk = rest.read(SNIFF_CHUNK)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _text_errors(encoding: str) -> str:
    return "bookbridge.latin1" if encoding == "cp1252" else "strict"


def _choose_delimiter(first_line: str, known_columns: Collection[str]) -> str:
    """The delimiter that splits the header into the most columns we know (',' on a tie)."""

    def known_count(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(normalize_header(cell) in known_columns for cell in cells)

    return max(DELIMITERS, key=known_count)


# --- the file ---------------------------------------------------------------------------


@dataclass
class CsvSource:
    """An open CSV file: how it is read, its header, and its records (as often as needed)."""

    path: Path
    encoding: str
    delimiter: str
    stream: TextIO
    header: list[str] = field(default_factory=list)
    header_line: int = 0

    @property
    def decimal_comma(self) -> bool:
        """Whether amounts use ',' as the decimal point (';'-separated European exports)."""
        return self.delimiter == ";"

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(first physical line, cells) of each non-blank record after the header.

        Each call reads the file again from its start.
        """
        return self._all_records(after=self.header_line)

    def _all_records(self, after: int = 0) -> Iterator[tuple[int, list[str]]]:
        self.stream.seek(0)
        reader = csv.reader(self.stream, delimiter=self.delimiter)
        previous_end = 0
        try:
            for cells in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                # Not blank: the common case decided by the first cell alone.
                if cells and (cells[0].strip() or not _is_blank(cells)) and start > after:
                    yield start, cells
        except csv.Error as exc:
            raise UnusableFile(_csv_error_message(exc, previous_end + 1)) from exc
        except UnicodeDecodeError as exc:
            raise UnusableFile(
                f"line {previous_end + 1}: the text is not valid {self.encoding}"
            ) from exc


def _is_blank(cells: list[str]) -> bool:
    if not cells:
        return True
    if cells[0].strip():
        return False
    return not "".join(cells).strip()


def _csv_error_message(exc: csv.Error, line: int) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f"line {line}: a value is longer than {csv.field_size_limit()} characters; "
            "a quote is probably left open near this line"
        )
    return f"line {line}: this is not readable CSV ({exc})"


@contextmanager
def open_csv(path: Path, known_columns: Collection[str]) -> Iterator[CsvSource]:
    """Open a CSV export, detect its encoding and delimiter, and read its header row."""
    _check_is_file(path)
    encoding = detect_encoding(path)
    errors = _text_errors(encoding)
    with path.open(encoding=encoding, errors=errors, newline="") as stream:
        delimiter = _choose_delimiter(_first_nonblank_line(stream, path), known_columns)
        source = CsvSource(path, encoding, delimiter, stream)
        source.header_line, source.header = next(source._all_records(), (0, []))
        if not source.header:
            raise UnusableFile("the file has no header row")
        yield source


def _check_is_file(path: Path) -> None:
    if not path.exists():
        raise UnusableFile(f"no such file: {path}")
    if not path.is_file():
        raise UnusableFile(f"{path} is not a file")


def _first_nonblank_line(stream: TextIO, path: Path) -> str:
    try:
        for line in stream:
            if line.strip(" \t\r\n,;"):
                return line
    except UnicodeDecodeError as exc:
        raise UnusableFile(f"{path.name} is not readable text ({exc.reason})") from exc
    raise UnusableFile("the file is empty")


# --- header -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """A column a kind of file can have: its name, the other names it goes by, whether needed."""

    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass
class HeaderMap:
    """Where each known column sits in the file (absent columns are simply not there)."""

    positions: dict[str, int] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.positions


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_header(text: str) -> str:
    """'Order #' -> 'order_number', ' Unit Price ' -> 'unit_price', 'E-mail' -> 'e_mail'."""
    lowered = text.strip().lstrip("\ufeff").lower().replace("#", " number ")
    return _NON_ALNUM.sub("_", lowered).strip("_")


def map_header(header: Sequence[str], columns: Sequence[ColumnSpec], what: str) -> HeaderMap:
    """Find each column in the header; refuse the file if a required one is missing."""
    names = _names_to_columns(columns)
    mapping = HeaderMap()
    claimed_by: dict[str, str] = {}
    unclaimed: list[str] = []
    for position, text in enumerate(header):
        canonical = names.get(normalize_header(text))
        if canonical is None:
            if text.strip():
                unclaimed.append(text.strip())
            continue
        if canonical in mapping.positions:
            raise UnusableFile(
                f'columns "{claimed_by[canonical]}" and "{text.strip()}" both mean '
                f'"{canonical}": keep only one of them'
            )
        mapping.positions[canonical] = position
        claimed_by[canonical] = text.strip()
    missing = [c.name for c in columns if c.required and c.name not in mapping]
    if missing:
        raise UnusableFile(_missing_columns_message(what, missing, unclaimed))
    return mapping


def _names_to_columns(columns: Sequence[ColumnSpec]) -> dict[str, str]:
    names: dict[str, str] = {}
    for column in columns:
        for name in (column.name, *column.aliases):
            names[normalize_header(name)] = column.name
    return names


def _missing_columns_message(what: str, missing: list[str], unclaimed: list[str]) -> str:
    parts = []
    for name in missing:
        guess = suggest_column(name, unclaimed)
        hint = f' (is "{guess}" meant to be it? rename that column to "{name}")' if guess else ""
        parts.append(f'"{name}"{hint}')
    plural = "s" if len(missing) > 1 else ""
    return f"this {what} file lacks the required column{plural} " + ", ".join(parts)


def suggest_column(wanted: str, candidates: Sequence[str]) -> str | None:
    """The header that looks like a renamed `wanted` column: 'Qty' for quantity, 'Price'..."""
    best: tuple[float, str] | None = None
    for text in candidates:
        score = _likeness(wanted, normalize_header(text))
        if score >= 0.6 and (best is None or score > best[0]):
            best = (score, text)
    return best[1] if best else None


def _likeness(wanted: str, candidate: str) -> float:
    if not candidate:
        return 0.0
    if candidate in wanted.split("_") or wanted in candidate.split("_"):
        return 0.9  # 'price' for 'unit_price', 'order_number_ref' for 'order_number'
    if len(candidate) >= 2 and candidate[0] == wanted[0] and _is_subsequence(candidate, wanted):
        return 0.8  # abbreviations: 'qty' for 'quantity', 'desc' for 'description'
    return difflib.SequenceMatcher(None, wanted, candidate).ratio()


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(letter in letters for letter in short)


# --- values -----------------------------------------------------------------------------

_CURRENCY_PREFIX = re.compile(r"(?:[A-Z]{1,3})?[$€£¥₹]\s*")
_CURRENCY_SUFFIX = re.compile(r"\s*[$€£¥₹]")
_GROUPS = "[,\u00a0\u202f ']"
_POINT_GROUPED = re.compile(rf"\d{{1,3}}(?P<sep>{_GROUPS})\d{{3}}(?:(?P=sep)\d{{3}})*(?:\.\d*)?")
_POINT_DECIMAL_COMMA = re.compile(r"\d{1,3}(?:[ .\u00a0\u202f']\d{3})*,\d+|\d+,\d{1,2}")
_COMMA_PLAIN = re.compile(r"\d+(?:,\d*)?|,\d+")
_COMMA_GROUPED = re.compile(r"\d{1,3}(?P<sep>[.\u00a0\u202f '])\d{3}(?:(?P=sep)\d{3})*(?:,\d*)?")
_POINT_PLAIN = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def parse_amount(text: str, *, decimal_comma: bool = False, places: int = 4) -> Decimal:
    """An amount from its text, exactly: '$1,234.50', '(12.00)', '€12' (see the module notes)."""
    if not decimal_comma and _plain_number(places).fullmatch(text):
        return Decimal(text)  # the common case: no symbols, no grouping, within limits
    number = _parse_decorated_number(text, decimal_comma, allow_symbol=True)
    _check_size(number, text, places)
    return number


def parse_quantity(text: str, *, decimal_comma: bool = False, places: int = 5) -> Decimal:
    """A quantity: a number that is not negative, with at most `places` decimals."""
    if not decimal_comma and text[0] != "-" and _plain_number(places).fullmatch(text):
        return Decimal(text)
    number = _parse_decorated_number(text, decimal_comma, allow_symbol=False)
    if number < 0:
        raise CellError(
            f'"{text}" is negative: a quantity must be 0 or more '
            "(enter returns as a refund, not as a negative line)"
        )
    _check_size(number, text, places)
    return number


_PLAIN_NUMBERS: dict[int, re.Pattern[str]] = {}


def _plain_number(places: int) -> re.Pattern[str]:
    """A number without decoration, below LARGEST_NUMBER, with at most `places` decimals."""
    pattern = _PLAIN_NUMBERS.get(places)
    if pattern is None:
        pattern = re.compile(rf"-?\d{{1,12}}(?:\.\d{{0,{places}}})?")
        _PLAIN_NUMBERS[places] = pattern
    return pattern


def _parse_decorated_number(text: str, decimal_comma: bool, *, allow_symbol: bool) -> Decimal:
    body = text.strip()
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    sign, body = _take_sign(body)
    if allow_symbol:
        body = _CURRENCY_PREFIX.sub("", body, count=1) if _CURRENCY_PREFIX.match(body) else body
        if not sign:
            sign, body = _take_sign(body)
        body = _CURRENCY_SUFFIX.sub("", body) if _CURRENCY_SUFFIX.search(body) else body
    digits = _canonical_digits(body, decimal_comma, text)
    try:
        number = Decimal(digits)
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit only digits
        raise CellError(f'"{text}" is not a number') from exc
    return -number if negative != (sign == "-") else number


def _take_sign(body: str) -> tuple[str, str]:
    if body[:1] in ("-", "+", "\u2212"):
        return ("+" if body[0] == "+" else "-"), body[1:].strip()
    return "", body


def _canonical_digits(body: str, decimal_comma: bool, text: str) -> str:
    if decimal_comma:
        if _COMMA_PLAIN.fullmatch(body):
            return body.replace(",", ".")
        if _COMMA_GROUPED.fullmatch(body):
            return re.sub(r"[.\u00a0\u202f ']", "", body).replace(",", ".")
        if _POINT_PLAIN.fullmatch(body):
            return body  # '12.50' cannot be thousands grouping (groups have 3 digits)
        raise CellError(f'"{text}" is not a number')
    if _POINT_PLAIN.fullmatch(body):
        return body
    if _POINT_GROUPED.fullmatch(body):
        return re.sub(_GROUPS, "", body)
    if _POINT_DECIMAL_COMMA.fullmatch(body):
        raise CellError(
            f'"{text}" uses a decimal comma, which is ambiguous in a comma-separated file: '
            "write it with a decimal point, e.g. 1234.50"
        )
    raise CellError(f'"{text}" is not a number')


def _check_size(number: Decimal, text: str, places: int) -> None:
    if abs(number) >= LARGEST_NUMBER:
        raise CellError(f'"{text}" is too large')
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places and number != round(number, places):
        raise CellError(f'"{text}" has more than {places} decimal places')


_TIME_OF_DAY = r"(?:[T ]\d{1,2}:\d{2}\S*(?: ?[+-]\d{2}:?\d{2})?)?"
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME_OF_DAY)
_SLASH_ISO_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AP]M)?)?")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_TWO_DIGIT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}")
DATE_HELP = "use YYYY-MM-DD (MM/DD/YYYY and DD.MM.YYYY are read too)"


def parse_date(text: str) -> dt.date:
    """A date from the forms listed in the module notes; anything else is refused."""
    value: dt.date | None = None
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            value = None  # explained below
    if value is None:
        value = _date_from_parts(text)
    if not 1900 <= value.year <= 2199:
        raise CellError(f'"{text}" is not a plausible date: {DATE_HELP}')
    return value


def _date_from_parts(text: str) -> dt.date:
    year_month_day = _date_parts(text.strip().upper())
    if year_month_day is None:
        if _TWO_DIGIT_YEAR.fullmatch(text.strip()):
            raise CellError(f'"{text}" has a two-digit year, which is ambiguous: {DATE_HELP}')
        raise CellError(f'"{text}" is not a date: {DATE_HELP}')
    year, month, day = year_month_day
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        how = " (read as MM/DD/YYYY)" if _US_DATE.fullmatch(text.strip().upper()) else ""
        raise CellError(f'"{text}" is not a real date{how}: {exc}; {DATE_HELP}') from exc


def _date_parts(text: str) -> tuple[int, int, int] | None:
    for pattern in (_ISO_DATE, _SLASH_ISO_DATE):
        match = pattern.fullmatch(text)
        if match:
            return int(match[1]), int(match[2]), int(match[3])
    match = _US_DATE.fullmatch(text)
    if match:
        return int(match[3]), int(match[1]), int(match[2])
    match = _DOTTED_DATE.fullmatch(text)
    if match:
        return int(match[3]), int(match[2]), int(match[1])
    return None


def parse_currency(text: str) -> str:
    """An ISO 4217 code such as USD or EUR, in any letter case."""
    code = text.strip().upper()
    if code not in ISO_4217:
        raise CellError(f'"{text}" is not a known ISO 4217 currency code (such as USD, EUR)')
    return code


def parse_email(text: str) -> str:
    """An e-mail address, checked only for the shape name@domain."""
    if "@" not in text or text.startswith("@") or text.endswith("@") or " " in text.strip():
        raise CellError(f'"{text}" is not an e-mail address')
    return text


def choice_parser(choices: dict[str, str], what: str) -> Callable[[str], str]:
    """A parser that maps spellings (case-insensitive) to the stored value."""
    accepted = " | ".join(dict.fromkeys(choices.values()))

    def parse(text: str) -> str:
        value = choices.get(normalize_header(text))
        if value is None:
            raise CellError(f'"{text}" is not a known {what}: use {accepted}')
        return value

    return parse


def text_parser(max_length: int) -> Callable[[str], str]:
    """A parser for free text: kept as written, refused when longer than the column holds."""

    def parse(text: str) -> str:
        if len(text) > max_length:
            raise CellError(f"is {len(text)} characters long; at most {max_length} fit")
        return text

    return parse


def cached(parse: Callable[[str], object], limit: int = 4096) -> Callable[[str], object]:
    """Remember the answers of a parser for repeated texts (dates, currencies, amounts)."""
    answers: dict[str, object] = {}

    def parse_with_memory(text: str) -> object:
        answer = answers.get(text)
        if answer is None:
            try:
                answer = parse(text)
            except CellError as exc:
                answer = exc
            if len(answers) >= limit:
                answers.clear()
            answers[text] = answer
        if isinstance(answer, CellError):
            raise CellError(str(answer))
        return answer

    return parse_with_memory
