"""Import of past pickups from the spreadsheet the workshop kept before the app.

A CSV (`;`, `,` or tabs; UTF-8, Excel's UTF-16 "Unicode text", or the
Latin-1/Windows-1252 of a French Excel) or an XLSX file; one row per pickup: date,
market, crates counted per kind, and optionally a weighed sample (crates weighed,
kg). Files, cells, numbers and names are read by workshop/textfiles.py, as in the
venues' import: as they go, within LIMITS, and a file past them is refused whole
with the row and the reason. Columns are mapped to fields (guessed from the
headers, the user can change it). Every row goes through `pickups.log_pickup`, so
imported pickups obey the same rules as typed ones and get normal lot codes and
audit events. All or nothing: a single bad row and nothing is written. A row
identical to a pickup already recorded (same market, date and counts) is skipped
and reported, so importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from workshop import audit, pickups, textfiles
from workshop.accounts import Permission, require
from workshop.errors import DomainError, InvalidInput
from workshop.models import CrateKind, Lot, LotLine, Market, User
from workshop.textfiles import RowError, RowProblem, blank, norm, parse_number, shown

MAX_ROWS = 5000
MAX_BYTES = 20 * 1024 * 1024
LIMITS = textfiles.Limits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
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


# --- reading the file ---------------------------------------------------------------


def read_table(data: bytes, filename: str, limits: textfiles.Limits = LIMITS) -> Table:
    """Read a CSV or XLSX file into a header and rows; InvalidInput if it cannot be read whole."""
    if len(data) > limits.max_bytes:
        raise InvalidInput("error.import.too_large", max_mb=limits.max_bytes // (1024 * 1024))
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, limits)
    if name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidInput("error.import.old_excel")
    found = textfiles.read_csv(data, limits)
    return _table(found.rows, "csv", found.codec, found.delimiter)


def _read_xlsx(data: bytes, limits: textfiles.Limits) -> Table:
    try:
        return _table(textfiles.xlsx_rows(data, limits), "xlsx", "", "")
    except InvalidInput:
        raise  # a limit passed, said as such
    except Exception as exc:  # noqa: BLE001 - openpyxl raises its own kinds for broken files
        raise InvalidInput("error.import.unreadable") from exc


def _table(
    numbered: Iterable[tuple[int, list[Any]]], source: str, encoding: str, sep: str
) -> Table:
    filled = list(numbered)  # the rows that are not blank, trimmed, within the limits
    if not filled:
        raise InvalidInput("error.import.empty")
    (_, header), body = filled[0], filled[1:]
    headers = [str(h).strip() if h is not None else "" for h in header]
    width = max([len(headers), *(len(row) for _, row in body)])
    # Unnamed columns still get a name to be mapped by.
    headers = [h or f"#{i + 1}" for i, h in enumerate(headers + [""] * (width - len(headers)))]
    rows = [(n, row + [None] * (width - len(row))) for n, row in body]
    return Table(headers=headers, rows=rows, source=source, encoding=encoding, delimiter=sep)


# --- mapping columns to fields ------------------------------------------------------


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
    normed = [norm(h) for h in headers]
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
        exact = {norm(kind.name), norm(kind.name_en)} - {""}
        mapping[f"{COUNT_PREFIX}{kind.id}"] = find(lambda h, exact=exact: h in exact)
    for kind in kinds:
        key = f"{COUNT_PREFIX}{kind.id}"
        if mapping[key] is not None:
            continue
        kind_words = set(norm(f"{kind.name} {kind.name_en}").split())
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


def _markets_by_name(markets: Sequence[Market]) -> dict[str, Market]:
    found: dict[str, Market] = {}
    for market in markets:
        name = norm(market.name)
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
                found[norm(name)] = kind
    return found


@dataclass(frozen=True)
class _Lookups:
    """What every row is read with: the columns, and the markets and kinds by name."""

    headers: list[str]
    mapping: Mapping[str, int | None]
    markets: dict[str, Market]
    kinds: dict[str, CrateKind]
    count_columns: dict[int, int]  # crate kind id → column index

    def cell(self, row: list[Any], name: str) -> Any:
        """The cell of `row` mapped to field `name` (None: the field is not in the file)."""
        index = self.mapping.get(name)
        return None if index is None else row[index]


def parse_rows(
    table: Table,
    mapping: Mapping[str, int | None],
    *,
    markets: Sequence[Market],
    kinds: Sequence[CrateKind],
) -> tuple[list[PickupRow], list[RowError]]:
    """Read every row as a pickup; rows that cannot be read give a RowError instead."""
    check_mapping(mapping, table)
    lookups = _Lookups(
        headers=table.headers,
        mapping=mapping,
        markets=_markets_by_name(markets),
        kinds=_kinds_by_name(kinds),
        count_columns={
            int(k.removeprefix(COUNT_PREFIX)): v
            for k, v in mapping.items()
            if k.startswith(COUNT_PREFIX) and v is not None
        },
    )
    good: list[PickupRow] = []
    bad: list[RowError] = []
    for number, row in table.rows:
        try:
            good.append(_parse_row(number, row, lookups))
        except RowProblem as problem:
            bad.append(problem.at(number))
    return good, bad


def _parse_row(number: int, row: list[Any], lookups: _Lookups) -> PickupRow:
    """One row as a pickup; RowProblem says why it cannot be one."""
    pickup_date = _date(lookups.cell(row, DATE))
    market = _market(lookups.cell(row, MARKET), lookups.markets)
    counts = _counts(row, lookups)
    note = lookups.cell(row, NOTE)
    return PickupRow(
        row=number,
        market_id=market.id or 0,
        market=market.name,
        pickup_date=pickup_date,
        counts=counts,
        sample=_sample(row, counts, lookups),
        note=_one_line(note),
    )


def _one_line(cell: Any) -> str:
    """A note cell as one line: a line break typed in a spreadsheet cell (Alt+Enter) is a space
    (the note of a pickup is one line; other invisible characters are still refused)."""
    lines = re.split(r"[\r\n]+", "" if blank(cell) else str(cell))
    return " ".join(line.strip() for line in lines if line.strip())


def _date(raw: Any) -> date:
    if blank(raw):
        raise RowProblem("error.import.no_date")
    try:
        return parse_date(raw)
    except ValueError:
        raise RowProblem("error.import.bad_date", value=shown(raw)) from None


def _market(raw: Any, by_name: dict[str, Market]) -> Market:
    if blank(raw):
        raise RowProblem("error.import.no_market")
    market = by_name.get(norm(raw))
    if market is None:
        raise RowProblem("error.import.unknown_market", value=shown(raw))
    return market


def _number(row: list[Any], index: int | None, lookups: _Lookups, key: str) -> float | None:
    """The number in column `index` (None: no such column); RowProblem `key` if not a number."""
    if index is None:
        return None
    try:
        return parse_number(row[index])
    except ValueError:
        raise RowProblem(key, column=lookups.headers[index], value=shown(row[index])) from None


def _counts(row: list[Any], lookups: _Lookups) -> dict[int, int]:
    """Crates counted per kind id; an empty cell counts none of that kind."""
    counts: dict[int, int] = {}
    for kind_id, index in lookups.count_columns.items():
        count = _number(row, index, lookups, "error.import.bad_count")
        if count is None:
            continue
        if not count.is_integer():
            raise RowProblem(
                "error.import.bad_count", column=lookups.headers[index], value=shown(row[index])
            )
        counts[kind_id] = int(count)
    return counts


def _sample(row: list[Any], counts: dict[int, int], lookups: _Lookups) -> pickups.Sample | None:
    """The weighed sample of a row, or None when it has none."""
    n = _number(row, lookups.mapping.get(SAMPLE_COUNT), lookups, "error.import.bad_number")
    kg = _number(row, lookups.mapping.get(SAMPLE_KG), lookups, "error.import.bad_number")
    if n is None and kg is None:
        return None
    if n is None or kg is None:
        raise RowProblem("error.import.sample_incomplete")
    if not n.is_integer():
        raise RowProblem(
            "error.import.sample_count_whole", value=shown(lookups.cell(row, SAMPLE_COUNT))
        )
    return pickups.Sample(kind_id=_sample_kind(row, counts, lookups), count=int(n), kg=kg)


def _sample_kind(row: list[Any], counts: dict[int, int], lookups: _Lookups) -> int:
    raw = lookups.cell(row, SAMPLE_KIND)
    if blank(raw):
        # No kind given: the sample was taken from the kind the row has most of.
        return max(counts, key=lambda k: (counts[k], -k)) if counts else 0
    kind = lookups.kinds.get(norm(raw))
    if kind is None:
        raise RowProblem("error.import.unknown_kind", value=shown(raw))
    return kind.id or 0


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
                today=today,
                # Past records: a heavy sample there is what was written down at the time.
                confirmed=True,
                fields=pickups.PickupFields(
                    market_id=row.market_id,
                    pickup_date=row.pickup_date,
                    counts=row.counts,
                    sample=row.sample,
                    note=row.note,
                ),
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
