"""The arrondissement's other social-economy venues: their metrics, monthly values, CSV import.

Values are monthly (stored on the month's first day). Entering or importing a month
that already has a value updates it, so re-importing the same file changes nothing.

CSV import is all or nothing: every row of the file is checked, and only a file
without a single error is written. Files from French Excel are read as they come
(workshop/textfiles.py, as the pickups import reads them): UTF-8 (with or without
BOM), Excel's UTF-16 "Unicode text" or Windows-1252/Latin-1, separated by ",", ";"
or tabs, numbers with a decimal comma and spaces between thousands, names compared
without case, accents or punctuation. The file is read as it goes, within LIMITS;
past them it is refused whole with the row and the reason.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from workshop import audit, config, dates, textfiles, typed_input
from workshop.accounts import Permission, require
from workshop.errors import InvalidInput, NotFound
from workshop.models import Metric, MetricValue, User, Venue, utcnow
from workshop.textfiles import RowError, RowProblem, norm, parse_number, shown

MAX_FILE_BYTES = 2 * 1024 * 1024  # years of monthly figures fit in a few kilobytes
MAX_ROWS = 10_000
LIMITS = textfiles.Limits(max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS)
MAX_VALUE = 1e9
MAX_SOURCE_LENGTH = 200

# The seed file names metrics in English; their French names for the French screens.
METRIC_NAMES_FR = {
    "crates collected": "cagettes collectées",
    "kg diverted": "kg détournés",
    "pieces built": "meubles fabriqués",
    "trainee hours": "heures des salarié·es en insertion",
    "events hosted": "événements accueillis",
    "visitors": "visiteurs",
    "structures hosted": "structures hébergées",
    "projects incubated": "projets incubés",
    "people reached": "personnes accompagnées",
    "jobs": "emplois",
    "hours worked": "heures travaillées",
    "kg vegetables processed (légumerie/conserverie)": (
        "kg de légumes transformés (légumerie/conserverie)"
    ),
}
# The seed's English names that keep a French word, as the English screens show them
# (the stored name stays: import files and existing databases use it).
METRIC_NAMES_EN = {
    "kg vegetables processed (légumerie/conserverie)": (
        "kg vegetables processed (prep kitchen, cannery)"
    ),
}
# A venue whose metrics are all among these is the workshop itself: the app computes them.
OWN_METRICS = {"crates collected", "kg diverted", "pieces built", "trainee hours"}

# Column names accepted in an import file (English or French), in the order expected.
COLUMNS = {
    "venue": ("venue", "lieu"),
    "metric": ("metric", "indicateur"),
    "month": ("month", "mois"),
    "value": ("value", "valeur"),
}
OPTIONAL_COLUMNS = {"source": ("source",)}


def seed_venues(*, session: Session) -> None:
    """Add the venues and metrics of `data/venues.csv`, once."""
    if session.exec(select(Venue)).first() is not None:
        return
    with open(config.PACKAGE_DATA / "venues.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names = [m.strip() for m in row["example_metrics"].split(";") if m.strip()]
            venue = Venue(name=row["venue"].strip(), kind=row["kind"].strip())
            venue.own = bool(names) and set(names) <= OWN_METRICS
            session.add(venue)
            session.flush()
            for name in names:
                session.add(
                    Metric(venue_id=venue.id or 0, name=name, name_fr=METRIC_NAMES_FR.get(name, ""))
                )


def metric_name(metric: Metric, lang: str) -> str:
    """A metric's name in `lang`."""
    if lang == "fr":
        return metric.name_fr or metric.name
    return METRIC_NAMES_EN.get(metric.name, metric.name)


@dataclass(frozen=True)
class VenueMetrics:
    """A venue and its metrics."""

    venue: Venue
    metrics: list[Metric]


def list_venues(*, session: Session, actor: User, typed_only: bool = False) -> list[VenueMetrics]:
    """Active venues with their active metrics; `typed_only` leaves out the workshop itself."""
    require(actor, Permission.venues_view)
    venues = session.exec(select(Venue).where(Venue.active).order_by(col(Venue.id))).all()
    metrics = session.exec(select(Metric).where(Metric.active).order_by(col(Metric.id))).all()
    return [
        VenueMetrics(v, [m for m in metrics if m.venue_id == v.id])
        for v in venues
        if not (typed_only and v.own)
    ]


def values(
    *, session: Session, actor: User, start: date, end: date
) -> dict[int, dict[date, float]]:
    """Monthly values per metric id for the months of `start`–`end`."""
    require(actor, Permission.venues_view)
    rows = session.exec(
        select(MetricValue).where(
            MetricValue.month >= start.replace(day=1), MetricValue.month <= end
        )
    ).all()
    out: dict[int, dict[date, float]] = {}
    for row in rows:
        out.setdefault(row.metric_id, {})[row.month] = row.value
    return out


def _check_month(month: date, today: date) -> date:
    month = month.replace(day=1)
    if month > today.replace(day=1):
        raise InvalidInput("error.venues.future_month")
    if month < dates.EARLIEST:
        raise InvalidInput("error.venues.too_old")
    return month


def _check_value(value: float) -> float:
    if not typed_input.is_number(value):
        raise InvalidInput("error.venues.bad_number", value=str(value))
    if value < 0:
        raise InvalidInput("error.venues.negative")
    if value > MAX_VALUE:
        raise InvalidInput("error.venues.too_big")
    return float(value)


def _upsert(
    session: Session, actor: User, metric_id: int, month: date, value: float, source: str
) -> tuple[MetricValue, float | None]:
    row = session.exec(
        select(MetricValue).where(MetricValue.metric_id == metric_id, MetricValue.month == month)
    ).first()
    before = row.value if row else None
    if row is None:
        row = MetricValue(metric_id=metric_id, month=month, value=value)
    row.value, row.source = value, source
    row.updated_at, row.updated_by_id = utcnow(), actor.id
    session.add(row)
    return row, before


def record_month(
    *,
    session: Session,
    actor: User,
    venue_id: int,
    month: date,
    figures: Mapping[int, float | None],
    source: str = "",
    today: date | None = None,
) -> list[MetricValue]:
    """Save a venue's figures for one month (None: left as it is); updates an entered month."""
    require(actor, Permission.venues)
    venue = session.get(Venue, venue_id)
    if venue is None or not venue.active:
        raise NotFound("error.venues.unknown_venue")
    if venue.own:
        raise InvalidInput("error.venues.own_venue")
    month = _check_month(month, today or dates.today())
    source = typed_input.text(source)
    if len(source) > MAX_SOURCE_LENGTH:
        raise InvalidInput("error.venues.source_too_long", max=MAX_SOURCE_LENGTH)
    metrics = {m.id: m for m in session.exec(select(Metric).where(Metric.venue_id == venue_id))}
    clean: dict[int, float] = {}
    for metric_id, value in figures.items():
        if metric_id not in metrics:
            raise NotFound("error.venues.unknown_metric", metric=str(metric_id))
        if value is not None:
            clean[metric_id] = _check_value(value)
    if not clean:
        raise InvalidInput("error.venues.nothing_entered")
    saved, before, after = [], {}, {}
    for metric_id, value in clean.items():
        row, old = _upsert(session, actor, metric_id, month, value, source)
        saved.append(row)
        before[metrics[metric_id].name] = old
        after[metrics[metric_id].name] = value
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="update",
        entity="venue_values",
        entity_id=f"{venue_id}:{month.isoformat()}",
        before=before,
        after=after,
    )
    return saved


# --- CSV import -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """One valid line of an import file, and the value it replaces (None: a new month)."""

    row: int  # its number in the file, as in textfiles.RowError
    venue: str
    metric_id: int
    metric: str
    month: date
    value: float
    source: str
    before: float | None


@dataclass(frozen=True)
class ImportPreview:
    """What an import would do, or why it is refused."""

    encoding: str
    separator: str
    rows: list[ImportRow]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        """True when the file can be imported as a whole."""
        return bool(self.rows) and not self.errors


# How the import preview names the codec that read the file.
_CODEC_NAMES = {
    "utf-16": "UTF-16",
    "utf-8-sig": "UTF-8",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


def _read(data: bytes, limits: textfiles.Limits) -> textfiles.CsvFile:
    """Start reading an import file; InvalidInput if it is too big or a workbook."""
    if len(data) > limits.max_bytes:
        raise InvalidInput("error.venues.csv.too_large", max_mb=limits.max_bytes / 1024 / 1024)
    if data[:4] == b"PK\x03\x04":  # an Excel workbook: its message says to save it as CSV
        raise InvalidInput("error.venues.csv.not_text")
    return textfiles.read_csv(data, limits)


def _columns(header: list[str]) -> dict[str, int]:
    """The column of each field, read from the header; InvalidInput if one is missing or twice."""
    found = [norm(h) for h in header]
    index: dict[str, int] = {}
    for name, aliases in {**COLUMNS, **OPTIONAL_COLUMNS}.items():
        for i, title in enumerate(found):
            if title in aliases:
                index[name] = i
    named = [f for f in found if f]
    if any(name not in index for name in COLUMNS) or len(set(named)) != len(named):
        raise InvalidInput(
            "error.venues.csv.bad_header",
            expected="venue;metric;month;value;source",
            found=shown(";".join(h.strip() for h in header), 120),
        )
    return index


_MONTH_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?$"),
    re.compile(r"^(?:(?P<d>\d{1,2})/)?(?P<m>\d{1,2})/(?P<y>\d{4})$"),
)


def parse_month(text: str) -> date | None:
    """`2026-03`, `2026-03-01`, `03/2026` or `01/03/2026` as the month's first day, else None."""
    text = text.strip()
    for pattern in _MONTH_PATTERNS:
        if match := pattern.match(text):
            try:
                day = int(match["d"] or 1)
                date(int(match["y"]), int(match["m"]), day)  # a real date, if a day is given
                return date(int(match["y"]), int(match["m"]), 1)
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class _Known:
    """What the lines of a file are checked against."""

    venues: dict[str, Venue]  # by normalised name
    metrics: dict[tuple[int, str], Metric]  # by venue id and normalised name (English, French)
    values: dict[tuple[int, date], float]  # already entered, by metric id and month


def _known(session: Session) -> _Known:
    """The active venues and metrics by name, and the values already entered."""
    metrics: dict[tuple[int, str], Metric] = {}
    for metric in session.exec(select(Metric).where(Metric.active)):
        for name in (metric.name, metric.name_fr):
            if name:
                metrics[(metric.venue_id, norm(name))] = metric
    return _Known(
        venues={norm(v.name): v for v in session.exec(select(Venue).where(Venue.active))},
        metrics=metrics,
        values={(v.metric_id, v.month): v.value for v in session.exec(select(MetricValue))},
    )


def _venue_and_metric(cells: dict[str, str], known: _Known) -> tuple[Venue, Metric]:
    """The venue and metric a line names; RowProblem if unknown or the workshop's own."""
    venue = known.venues.get(norm(cells["venue"]))
    if venue is None:
        raise RowProblem("error.venues.csv.unknown_venue", venue=shown(cells["venue"]))
    if venue.own:
        raise RowProblem("error.venues.csv.own_venue", venue=venue.name)
    metric = known.metrics.get((venue.id or 0, norm(cells["metric"])))
    if metric is None:
        raise RowProblem(
            "error.venues.csv.unknown_metric", metric=shown(cells["metric"]), venue=venue.name
        )
    return venue, metric


def _month(text: str, today: date) -> date:
    """The month of a line; RowProblem if unreadable, to come, or too long ago."""
    month = parse_month(text)
    if month is None:
        raise RowProblem("error.venues.csv.bad_month", month=shown(text))
    if month > today.replace(day=1):
        raise RowProblem("error.venues.csv.future_month", month=shown(text))
    if month < dates.EARLIEST:
        raise RowProblem("error.venues.csv.too_old", month=shown(text))
    return month


def _value(text: str) -> float:
    """The figure of a line; RowProblem if it is not a number, or negative, or absurd."""
    try:
        value = parse_number(text)
    except ValueError:
        value = None
    if value is None:  # an empty cell is no figure either
        raise RowProblem("error.venues.csv.bad_number", value=shown(text))
    if value < 0 or value > MAX_VALUE:
        raise RowProblem("error.venues.csv.out_of_range", value=shown(text))
    return value


def _check_line(
    number: int, cells: dict[str, str], known: _Known, today: date, filename: str
) -> ImportRow:
    """One line of the file as an ImportRow; RowProblem says why it cannot be one."""
    venue, metric = _venue_and_metric(cells, known)
    month = _month(cells["month"], today)
    value = _value(cells["value"])
    try:
        # Checked as when typed in the form (no control character), cut to the column's size.
        source = typed_input.text(cells.get("source", "") or filename)[:MAX_SOURCE_LENGTH]
    except InvalidInput as err:
        raise RowProblem(err.key, **err.params) from None
    return ImportRow(
        row=number,
        venue=venue.name,
        metric_id=metric.id or 0,
        metric=metric.name,
        month=month,
        value=value,
        source=source,
        before=known.values.get((metric.id or 0, month)),
    )


def _check_lines(
    lines: Iterator[tuple[int, list[str]]], known: _Known, today: date, filename: str
) -> tuple[list[ImportRow], list[RowError]]:
    """The header read, then every line checked: an ImportRow, or a RowError."""
    header = next(lines, None)
    if header is None:
        raise InvalidInput("error.venues.csv.empty")
    index = _columns(header[1])
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    for number, record in lines:
        cells = {name: record[i].strip() if i < len(record) else "" for name, i in index.items()}
        try:
            rows.append(_check_line(number, cells, known, today, filename))
        except RowProblem as problem:
            errors.append(problem.at(number))
    return rows, errors


def _without_duplicates(rows: list[ImportRow]) -> tuple[list[ImportRow], list[RowError]]:
    """A venue's metric and month given twice: the first line counts, a later one is an error."""
    first: dict[tuple[int, date], int] = {}
    kept: list[ImportRow] = []
    errors: list[RowError] = []
    for row in rows:
        key = (row.metric_id, row.month)
        if key in first:
            errors.append(RowError(row.row, "error.venues.csv.duplicate", {"first": first[key]}))
            continue
        first[key] = row.row
        kept.append(row)
    return kept, errors


def parse_csv(
    *,
    session: Session,
    actor: User,
    data: bytes,
    filename: str = "",
    today: date | None = None,
    limits: textfiles.Limits = LIMITS,
) -> ImportPreview:
    """Read an import file and check every line, writing nothing (within `limits`)."""
    require(actor, Permission.venues)
    found = _read(data, limits)
    checked, errors = _check_lines(found.rows, _known(session), today or dates.today(), filename)
    rows, duplicates = _without_duplicates(checked)
    errors = sorted(errors + duplicates, key=lambda e: e.row)
    if not rows and not errors:
        raise InvalidInput("error.venues.csv.empty")
    return ImportPreview(_CODEC_NAMES[found.codec], found.delimiter, rows, errors)


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    created: int
    updated: int
    unchanged: int


def import_csv(
    *, session: Session, actor: User, data: bytes, filename: str = "", today: date | None = None
) -> ImportResult:
    """Import a whole file of monthly values, or nothing at all if any line is wrong."""
    preview = parse_csv(session=session, actor=actor, data=data, filename=filename, today=today)
    if preview.errors:
        raise InvalidInput("error.venues.csv.refused", n=len(preview.errors))
    created = updated = unchanged = 0
    for row in preview.rows:
        if row.before is not None and row.before == row.value:
            unchanged += 1
            continue
        _upsert(session, actor, row.metric_id, row.month, row.value, row.source)
        if row.before is None:
            created += 1
        else:
            updated += 1
    session.flush()
    result = ImportResult(created, updated, unchanged)
    audit.record(
        session=session,
        actor=actor,
        action="import",
        entity="venue_values",
        entity_id=filename[:60],
        after={"file": filename, "created": created, "updated": updated, "unchanged": unchanged},
    )
    return result
