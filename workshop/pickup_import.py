"""Import of past pickups from the spreadsheet the workshop kept before the app.

A CSV (`;` or `,`, UTF-8 or the Latin-1/Windows-1252 of a French Excel) or an XLSX
file; one row per pickup: date, market, crates counted per kind, and optionally a
weighed sample (crates weighed, kg). Columns are mapped to fields (guessed from the
headers, the user can change it). Every row goes through `pickups.log_pickup`, so
imported pickups obey the same rules as typed ones and get normal lot codes and
audit events. All or nothing: a single bad row and nothing is written. A row
identical to a pickup already recorded (same market, date and counts) is skipped
and reported, so importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from workshop import audit, pickups, textfiles
from workshop.accounts import Permission, require
from workshop.errors import DomainError, InvalidInput
from workshop.models import CrateKind, Lot, LotLine, Market, User

MAX_ROWS = 5000
MAX_BYTES = 20 * 1024 * 1024
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug)
EXCEL_SERIALS = (20_000, 80_000)  # 1954 to 2119: a bare number in a date column
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")

# Fields a column can be mapped to. Counts are `count:<crate kind id>`.
DATE, MARKET, SAMPLE_COUNT, SAMPLE_KG, SAMPLE_KIND, NOTE = (
    "date",
    "market",
    "sample_count",
    "sample_kg",
    "sample_kind",
    "note",
)
COUNT_PREFIX = "count:"


class ImportRejected(InvalidInput):
    """Some rows are wrong: nothing was imported (the rows and reasons are in `errors`)."""

    key = "error.import.rejected"

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(n=len(errors))
        self.errors = errors


@dataclass(frozen=True)
class Table:
    """A sheet as read: its header and its rows, with their row numbers in the file."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    source: str = ""  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""


@dataclass(frozen=True)
class RowError:
    """Why one row cannot be imported: a message key and its parameters."""

    row: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PickupRow:
    """One row read as a pickup."""

    row: int
    market_id: int
    market: str
    pickup_date: date
    counts: dict[int, int]
    sample: pickups.Sample | None
    note: str


@dataclass
class ImportReport:
    """What an import did (or, for a preview, would do)."""

    imported: list[PickupRow] = field(default_factory=list)
    skipped: list[PickupRow] = field(default_factory=list)  # already recorded
    errors: list[RowError] = field(default_factory=list)
    lot_codes: list[str] = field(default_factory=list)
    blank_rows: int = 0


# --- reading the file ---------------------------------------------------------------


def read_table(data: bytes, filename: str) -> Table:
    """Read a CSV or XLSX file into a header and rows; InvalidInput if it cannot be read."""
    if len(data) > MAX_BYTES:
        raise InvalidInput("error.import.too_large", max_mb=MAX_BYTES // (1024 * 1024))
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    if name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidInput("error.import.old_excel")
    return _read_csv(data)


def _read_csv(data: bytes) -> Table:
    text, encoding = textfiles.decode(data)
    if "\x00" in text:
        raise InvalidInput("error.import.unreadable")
    delimiter = textfiles.separator(text)
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InvalidInput("error.import.unreadable") from exc
    return _table([(n, row) for n, row in enumerate(lines, start=1)], "csv", encoding, delimiter)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InvalidInput("error.import.unreadable") from exc
    except Exception as exc:  # noqa: BLE001 - openpyxl raises its own kinds for broken files
        raise InvalidInput("error.import.unreadable") from exc
    try:
        sheet = book.worksheets[0]
        numbered = []
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            numbered.append((n, list(values)))
            if len(numbered) > MAX_ROWS + 50:
                break
    finally:
        book.close()
    return _table(numbered, "xlsx", "", "")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(numbered: list[tuple[int, list[Any]]], source: str, encoding: str, sep: str) -> Table:
    filled = [(n, row) for n, row in numbered if not all(_blank(v) for v in row)]
    if not filled:
        raise InvalidInput("error.import.empty")
    (_, header), body = filled[0], filled[1:]
    if len(body) > MAX_ROWS:
        raise InvalidInput("error.import.too_many_rows", max=MAX_ROWS)
    headers = [str(h).strip() if h is not None else "" for h in header]
    width = max([len(headers), *(len(row) for _, row in body)])
    # Unnamed columns still get a name to be mapped by.
    headers = [h or f"#{i + 1}" for i, h in enumerate(headers + [""] * (width - len(headers)))]
    rows = [(n, row + [None] * (width - len(row))) for n, row in body]
    return Table(headers=headers, rows=rows, source=source, encoding=encoding, delimiter=sep)


# --- mapping columns to fields ------------------------------------------------------


def _norm(text: Any) -> str:
    """Lower case, no accents, words separated by single spaces."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def fields(kinds: Sequence[CrateKind]) -> list[str]:
    """Every field a column can be mapped to, in the order the page shows them."""
    return [DATE, MARKET, *(f"{COUNT_PREFIX}{k.id}" for k in kinds)] + [
        SAMPLE_COUNT,
        SAMPLE_KG,
        SAMPLE_KIND,
        NOTE,
    ]


_KIND_WORDS = (  # words that name the seeded crate kinds in old spreadsheets
    ("plateau", "tray", "flat"),
    ("grande", "grand", "large", "caisse", "big"),
    ("cagette", "standard", "crate"),
)


def guess_mapping(headers: Sequence[str], kinds: Sequence[CrateKind]) -> dict[str, int | None]:
    """Field → column index (None: not in the file), guessed from the headers."""
    normed = [_norm(h) for h in headers]
    taken: set[int] = set()

    def find(*tests: Any) -> int | None:
        for test in tests:
            for i, h in enumerate(normed):
                if i not in taken and h and test(h):
                    taken.add(i)
                    return i
        return None

    def words(*ws: str) -> Any:
        return lambda h: any(w in h.split() for w in ws)

    mapping: dict[str, int | None] = {}
    # Sample columns first: "cagettes pesées" must not be taken for a crate count.
    mapping[SAMPLE_KG] = find(words("kg", "kilos", "poids", "weight", "kgs"), lambda h: "kg" in h)
    mapping[SAMPLE_COUNT] = find(
        lambda h: (
            ("pese" in h or "weighed" in h or "echantillon" in h or "sample" in h)
            and "type" not in h
            and "kind" not in h
        )
    )
    mapping[SAMPLE_KIND] = find(
        lambda h: (
            ("pese" in h or "sample" in h or "echantillon" in h) and ("type" in h or "kind" in h)
        )
    )
    mapping[DATE] = find(words("date", "jour", "day"), lambda h: "date" in h)
    mapping[MARKET] = find(
        words("marche", "market", "lieu", "place", "marches", "markets"), lambda h: "march" in h
    )
    for kind in kinds:
        exact = {_norm(kind.name), _norm(kind.name_en)} - {""}
        mapping[f"{COUNT_PREFIX}{kind.id}"] = find(lambda h, exact=exact: h in exact)
    for kind in kinds:
        key = f"{COUNT_PREFIX}{kind.id}"
        if mapping[key] is not None:
            continue
        kind_words = set(_norm(f"{kind.name} {kind.name_en}").split())
        for group in _KIND_WORDS:
            if kind_words & set(group):
                # Word starts: "plateaux", "grandes caisses", "trays" all count.
                mapping[key] = find(
                    lambda h, group=group: any(w.startswith(group) for w in h.split())
                )
                break
    mapping[NOTE] = find(words("note", "notes", "remarque", "remarques", "comment", "commentaire"))
    return {f: mapping.get(f) for f in fields(kinds)}


def check_mapping(mapping: Mapping[str, int | None], table: Table) -> None:
    """Raise InvalidInput when the mapping cannot work (a required field, a column twice…)."""
    for name in (DATE, MARKET):
        if mapping.get(name) is None:
            raise InvalidInput(f"error.import.map_{name}")
    if not any(v is not None for k, v in mapping.items() if k.startswith(COUNT_PREFIX)):
        raise InvalidInput("error.import.map_counts")
    if mapping.get(SAMPLE_KG) is not None and mapping.get(SAMPLE_COUNT) is None:
        raise InvalidInput("error.import.map_sample")
    used = Counter(v for v in mapping.values() if v is not None)
    for index, n in used.items():
        if n > 1:
            raise InvalidInput("error.import.map_twice", column=table.headers[index])
    if any(not 0 <= v < len(table.headers) for v in used):
        raise InvalidInput("error.import.map_unknown_column")


# --- reading values -----------------------------------------------------------------


def parse_date(value: Any) -> date:
    """A date cell: a real date, dd/mm/yyyy, ISO, or an Excel day number."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1]:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(?:[.,]0+)?", text):
        return parse_date(int(re.split(r"[.,]", text)[0]))
    # ISO with a time part ("2024-05-03 00:00:00", "2024-05-03T08:00") keeps the date.
    if re.match(r"\d{4}-\d{2}-\d{2}[ T]", text):
        text = text[:10]
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def parse_number(value: Any) -> float | None:
    """A number cell: `12`, `12,5`, `1 234,5` (French), `1,234.5`; None when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not text or text in ("-", "—"):
        return None
    if "," in text and "." in text:
        # The last separator is the decimal one: 1.234,5 or 1,234.5.
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal == "," else ",", "")
    text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise ValueError(value)
    return float(text)


def _shown(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()[:60]


def _markets_by_name(markets: Sequence[Market]) -> dict[str, Market]:
    found: dict[str, Market] = {}
    for market in markets:
        name = _norm(market.name)
        found[name] = market
        # "Marché Davout", "Davout" and "marche davout" all name the same market.
        for prefix in ("marche des ", "marche du ", "marche de la ", "marche de ", "marche "):
            if name.startswith(prefix):
                found.setdefault(name.removeprefix(prefix), market)
                found.setdefault(name.removeprefix("marche "), market)
    return found


def _kinds_by_name(kinds: Sequence[CrateKind]) -> dict[str, CrateKind]:
    found: dict[str, CrateKind] = {}
    for kind in kinds:
        for name in (kind.name, kind.name_en):
            if name:
                found[_norm(name)] = kind
    return found


def parse_rows(
    table: Table,
    mapping: Mapping[str, int | None],
    *,
    markets: Sequence[Market],
    kinds: Sequence[CrateKind],
) -> tuple[list[PickupRow], list[RowError]]:
    """Read every row as a pickup; rows that cannot be read give a RowError instead."""
    check_mapping(mapping, table)
    by_name = _markets_by_name(markets)
    kind_names = _kinds_by_name(kinds)
    count_columns = {
        int(k.removeprefix(COUNT_PREFIX)): v
        for k, v in mapping.items()
        if k.startswith(COUNT_PREFIX) and v is not None
    }
    good: list[PickupRow] = []
    bad: list[RowError] = []
    for number, row in table.rows:
        try:
            good.append(_parse_row(number, row, table, mapping, by_name, kind_names, count_columns))
        except _RowProblem as problem:
            bad.append(RowError(number, problem.key, problem.params))
    return good, bad


class _RowProblem(Exception):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params


def _parse_row(
    number: int,
    row: list[Any],
    table: Table,
    mapping: Mapping[str, int | None],
    by_name: dict[str, Market],
    kind_names: dict[str, CrateKind],
    count_columns: dict[int, int],
) -> PickupRow:
    def cell(name: str) -> Any:
        index = mapping.get(name)
        return None if index is None else row[index]

    raw_date = cell(DATE)
    if _blank(raw_date):
        raise _RowProblem("error.import.no_date")
    try:
        pickup_date = parse_date(raw_date)
    except ValueError:
        raise _RowProblem("error.import.bad_date", value=_shown(raw_date)) from None
    raw_market = cell(MARKET)
    if _blank(raw_market):
        raise _RowProblem("error.import.no_market")
    market = by_name.get(_norm(raw_market))
    if market is None:
        raise _RowProblem("error.import.unknown_market", value=_shown(raw_market))
    counts: dict[int, int] = {}
    for kind_id, index in count_columns.items():
        raw = row[index]
        try:
            number_value = parse_number(raw)
        except ValueError:
            raise _RowProblem(
                "error.import.bad_count", column=table.headers[index], value=_shown(raw)
            ) from None
        if number_value is None:
            continue
        if not number_value.is_integer():
            raise _RowProblem(
                "error.import.bad_count", column=table.headers[index], value=_shown(raw)
            )
        counts[kind_id] = int(number_value)
    sample = _sample(table, mapping, row, counts, kind_names)
    note = cell(NOTE)
    return PickupRow(
        row=number,
        market_id=market.id or 0,
        market=market.name,
        pickup_date=pickup_date,
        counts=counts,
        sample=sample,
        note="" if _blank(note) else str(note).strip(),
    )


def _sample(
    table: Table,
    mapping: Mapping[str, int | None],
    row: list[Any],
    counts: dict[int, int],
    kind_names: dict[str, CrateKind],
) -> pickups.Sample | None:
    values: dict[str, float | None] = {}
    for name in (SAMPLE_COUNT, SAMPLE_KG):
        index = mapping.get(name)
        if index is None:
            values[name] = None
            continue
        try:
            values[name] = parse_number(row[index])
        except ValueError:
            raise _RowProblem(
                "error.import.bad_number", column=table.headers[index], value=_shown(row[index])
            ) from None
    n, kg = values[SAMPLE_COUNT], values[SAMPLE_KG]
    if n is None and kg is None:
        return None
    if n is None or kg is None:
        raise _RowProblem("error.import.sample_incomplete")
    if not n.is_integer():
        raise _RowProblem(
            "error.import.sample_count_whole", value=_shown(row[mapping[SAMPLE_COUNT] or 0])
        )
    kind_index = mapping.get(SAMPLE_KIND)
    if kind_index is not None and not _blank(row[kind_index]):
        kind = kind_names.get(_norm(row[kind_index]))
        if kind is None:
            raise _RowProblem("error.import.unknown_kind", value=_shown(row[kind_index]))
        kind_id = kind.id or 0
    else:
        # No kind given: the sample was taken from the kind the row has most of.
        kind_id = max(counts, key=lambda k: (counts[k], -k)) if counts else 0
    return pickups.Sample(kind_id=kind_id, count=int(n), kg=kg)


# --- importing ------------------------------------------------------------------------


def _key(market_id: int, on: date, counts: Mapping[int, int]) -> tuple[Any, ...]:
    return (market_id, on, frozenset((k, v) for k, v in counts.items() if v))


def _recorded(session: Session, rows: list[PickupRow]) -> Counter[tuple[Any, ...]]:
    """How many pickups already recorded match each (market, date, counts)."""
    if not rows:
        return Counter()
    dates = {r.pickup_date for r in rows}
    lots = session.exec(
        select(col(Lot.id), col(Lot.market_id), col(Lot.pickup_date)).where(
            col(Lot.pickup_date).in_(dates), col(Lot.market_id).in_({r.market_id for r in rows})
        )
    ).all()
    lines: dict[int, dict[int, int]] = {}
    if lots:
        for line in session.exec(
            select(LotLine).where(col(LotLine.lot_id).in_([lot_id for lot_id, _, _ in lots]))
        ):
            lines.setdefault(line.lot_id, {})[line.crate_kind_id] = line.count
    return Counter(_key(m, d, lines.get(i or 0, {})) for i, m, d in lots)


def _run(
    session: Session,
    actor: User,
    table: Table,
    mapping: Mapping[str, int | None],
    today: date | None,
) -> ImportReport:
    require(actor, Permission.pickups)
    markets = list(session.exec(select(Market)))
    kinds = pickups.crate_kinds(session=session, active_only=False)
    rows, errors = parse_rows(table, mapping, markets=markets, kinds=kinds)
    report = ImportReport(errors=errors)
    # Each pickup already recorded absorbs one identical row: a file with two
    # identical rows imports both once, and nothing a second time.
    recorded = _recorded(session, rows)
    for row in rows:
        key = _key(row.market_id, row.pickup_date, row.counts)
        if recorded[key] > 0:
            recorded[key] -= 1
            report.skipped.append(row)
            continue
        try:
            # The same function (and so the same rules) as a pickup typed in the form.
            lot = pickups.log_pickup(
                session=session,
                actor=actor,
                market_id=row.market_id,
                pickup_date=row.pickup_date,
                counts=row.counts,
                sample=row.sample,
                note=row.note,
                today=today,
            )
        except DomainError as err:
            report.errors.append(RowError(row.row, err.key, dict(err.params)))
            continue
        report.imported.append(row)
        report.lot_codes.append(lot.code)
    report.errors.sort(key=lambda e: e.row)
    return report


def preview_import(
    *,
    session: Session,
    actor: User,
    table: Table,
    mapping: Mapping[str, int | None],
    today: date | None = None,
) -> ImportReport:
    """What importing would do, row by row, errors included; nothing is kept."""
    savepoint = session.begin_nested()
    try:
        return _run(session, actor, table, mapping, today)
    finally:
        savepoint.rollback()


def import_pickups(
    *,
    session: Session,
    actor: User,
    table: Table,
    mapping: Mapping[str, int | None],
    filename: str = "",
    today: date | None = None,
) -> ImportReport:
    """Import every row as a pickup in this one transaction; ImportRejected if any row is wrong."""
    report = _run(session, actor, table, mapping, today)
    if report.errors:
        raise ImportRejected(report.errors)
    if report.imported:
        audit.record(
            session=session,
            actor=actor,
            action="import",
            entity="lot",
            entity_id=filename[:60],
            after={
                "file": filename,
                "imported": len(report.imported),
                "skipped": len(report.skipped),
                "lots": report.lot_codes,
            },
        )
    return report
