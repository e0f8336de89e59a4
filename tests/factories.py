"""Small factories for tests: one call makes one object, committed."""

from __future__ import annotations

import io
import sqlite3
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import pypdf
import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import Engine, create_engine, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlmodel import select

from tests.conftest import POSTGRES_URL
from workshop import backup, codes, dates, db, hours, pickups
from workshop.accounts import Permission, hash_password
from workshop.errors import InvalidInput
from workshop.models import (
    Activity,
    Build,
    BuildStatus,
    Crate,
    CrateKind,
    Design,
    HourEntry,
    Lot,
    Market,
    Outcome,
    Role,
    Trainee,
    User,
)

if TYPE_CHECKING:
    from workshop.builds import Attached

# DESIGN §7, row by row: which roles may do what.
DESIGN_MATRIX = {
    Permission.pickups: {Role.admin, Role.lead},  # pickups, tagging, labels
    Permission.scan: {Role.admin, Role.lead, Role.trainee},  # scan crates into builds
    Permission.builds: {Role.admin, Role.lead},
    Permission.builds_view: {Role.admin, Role.lead, Role.trainee},
    Permission.own_hours: {Role.trainee},
    Permission.hours: {Role.admin, Role.lead},  # everyone's hours, approval, exports
    Permission.dashboards: {Role.admin, Role.lead, Role.market_manager},
    Permission.manage_users: {Role.admin},
    Permission.settings: {Role.admin},
    Permission.locked_hours: {Role.admin},
    Permission.venues: {Role.admin, Role.lead},  # venue metrics: enter, import
    Permission.venues_view: {Role.admin, Role.lead, Role.market_manager},
    Permission.backup: {Role.admin},  # users, markets, settings, backup
    Permission.audit_log: {Role.admin},
    Permission.documents: {Role.admin},  # yearly wood attestations, activity report
}

PASSWORD = "correct-horse"
# Hashed once: argon2 is slow on purpose, and every test makes users.
_PASSWORD_HASH = hash_password(PASSWORD)
PIN = "4321"
_PIN_HASH = hours.hash_pin(PIN)
MONDAY = date(2026, 3, 9)  # a week well in the past, in winter time


def user(
    engine: Engine, role: Role = Role.lead, username: str | None = None, **extra: object
) -> User:
    """A user with password PASSWORD."""
    with db.write_session(engine) as session:
        u = User(
            username=username or f"{role.value}-{uuid.uuid4().hex[:6]}",
            display_name=extra.pop("display_name", f"Test {role.value}"),  # type: ignore[arg-type]
            role=role,
            password_hash=_PASSWORD_HASH,
            **extra,
        )
        session.add(u)
        session.flush()
        return u


def sign_in_token(engine: Engine, signed_in: User, now: datetime | None = None) -> str:
    """A new sign-in token for `signed_in`, as the sign-in page issues it."""
    from workshop import signin_tokens

    with db.write_session(engine) as session:
        return signin_tokens.issue(session=session, user=signed_in, now=now).token


def write_lock_is_free(engine: Engine) -> bool:
    """Whether another writer could start now (SQLite's lock, or PostgreSQL's advisory one)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            free = conn.exec_driver_sql(
                f"SELECT pg_try_advisory_xact_lock({db.PG_WRITE_LOCK})"
            ).scalar()
            conn.rollback()
            return bool(free)
    other = sqlite3.connect(str(engine.url.database), timeout=0.2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # database is locked
        return False
    finally:
        other.close()


def lock_seen_by_password_checks(monkeypatch: Any, engine: Engine) -> list[bool]:
    """From now on, note at each password or PIN check whether another writer could start."""
    from workshop import passwords

    seen: list[bool] = []
    real = passwords.matches

    def spy(stored_hash: str | None, secret: str) -> bool:
        seen.append(write_lock_is_free(engine))
        return real(stored_hash, secret)

    monkeypatch.setattr(passwords, "matches", spy)
    return seen


def market(engine: Engine, name: str = "Marché Davout") -> Market:
    """A seeded market by name."""
    with db.read_session(engine) as session:
        return session.exec(select(Market).where(Market.name == name)).one()


def kinds(engine: Engine) -> list[CrateKind]:
    """The seeded crate kinds (standard, tray, large)."""
    with db.read_session(engine) as session:
        return pickups.crate_kinds(session=session)


def lot(
    engine: Engine,
    actor: User,
    *,
    market_name: str = "Marché Davout",
    on: date | None = None,
    counts: tuple[int, ...] = (10,),
    sample: tuple[int, float] | None = None,
    note: str = "",
) -> Lot:
    """A pickup: `counts` per crate kind in seed order; `sample` = (n standard crates, kg)."""
    ks = kinds(engine)
    with db.write_session(engine) as session:
        return pickups.log_pickup(
            session=session,
            actor=actor,
            fields=pickups.PickupFields(
                market_id=market(engine, market_name).id or 0,
                pickup_date=on or dates.today(),
                counts={k.id or 0: n for k, n in zip(ks, counts, strict=False)},
                sample=pickups.Sample(ks[0].id or 0, sample[0], sample[1]) if sample else None,
                note=note,
            ),
        )


def crates_in_stock(engine: Engine, actor: User, n: int = 3, **lot_args: object) -> list[str]:
    """Codes of `n` new tagged crates (standard kind) from a new pickup."""
    from workshop import crates

    made_lot = lot(engine, actor, counts=(max(n, 1),), **lot_args)  # type: ignore[arg-type]
    with db.write_session(engine) as session:
        made = crates.sort_lot(
            session=session, actor=actor, lot_id=made_lot.id or 0, tag={kinds(engine)[0].id or 0: n}
        )
    return [c.code for c in made]


def build(engine: Engine, actor: User, design_name: str = "Étagère 3 cagettes") -> Build:
    """A planned build of a seeded design."""
    from workshop import builds

    with db.write_session(engine) as session:
        design = session.exec(select(Design).where(Design.name == design_name)).one()
        return builds.create_build(session=session, actor=actor, design_id=design.id or 0)


def attach(
    engine: Engine, actor: User, build: Build, text: str, *, confirmed: bool = False
) -> Attached:
    """Scan a crate (its code in any form a scanner reads) into a build (`confirmed`: one
    beyond the design's need, as the lead confirms it)."""
    from workshop import builds

    with db.write_session(engine) as session:
        return builds.attach_crate(
            session=session, actor=actor, build_id=build.id or 0, text=text, confirmed=confirmed
        )


def set_build_status(
    engine: Engine, actor: User, build: Build, status: BuildStatus, **extra: object
) -> Build:
    """Move a build to `status`; `extra` are set_status's own (on, destination, price_eur)."""
    from workshop import builds

    with db.write_session(engine) as session:
        return builds.set_status(
            session=session,
            actor=actor,
            build_id=build.id or 0,
            status=status,
            **extra,  # type: ignore[arg-type]
        )


def crate_outcome(engine: Engine, code: str) -> Outcome:
    """What became of a crate, as stored."""
    with db.read_session(engine) as session:
        return session.exec(select(Crate.outcome).where(Crate.code == code)).one()


def jpeg(size: tuple[int, int] = (3000, 2000)) -> bytes:
    """A plain JPEG photo, `size` pixels wide and high (the default: a phone's, to resize)."""
    out = io.BytesIO()
    Image.new("RGB", size, (180, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def png_bomb(width: int = 13_300, height: int = 13_300) -> bytes:
    """A real decompression bomb: an RGBA PNG of `width` x `height` transparent pixels.

    The default is the attack's: 700 KB on disk, 707 MB once decoded. Built in
    milliseconds: one deflated MiB of zeros repeated (each ends in a full flush, so
    it stands alone), and the zlib checksum of n zeros, which is ((n % 65521) << 16) | 1.
    """
    size = height * (width * 4 + 1)  # every row starts with its filter byte
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeated = block.compress(bytes(2**20)) + block.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = end.compress(bytes(size % 2**20)) + end.flush()
    pixels = (
        b"\x78\xda"
        + repeated * (size // 2**20)
        + last
        + struct.pack(">I", (size % 65521) << 16 | 1)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def xlsx(rows: list[list[Any]], parts: dict[str, bytes] | None = None) -> bytes:
    """An XLSX workbook of `rows` written by openpyxl; `parts` added, or put in place of its own."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    if not parts:
        return out.getvalue()
    everything = {**xlsx_parts(out.getvalue()), **parts}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in everything.items():
            archive.writestr(name, content)
    return out.getvalue()


def xlsx_parts(data: bytes) -> dict[str, bytes]:
    """The parts of an XLSX workbook by name, unzipped."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def bloated_xlsx(rows: list[list[Any]], strings: int) -> bytes:
    """An XLSX of `rows` with a shared-strings table of `strings` copies of "ab" (the attack).

    Declared in the workbook's manifest, so openpyxl reads the whole table.
    """
    manifest = xlsx_parts(xlsx(rows))["[Content_Types].xml"]
    declared = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    table = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    return xlsx(
        rows,
        {
            "[Content_Types].xml": manifest.replace(b"</Types>", declared),
            "xl/sharedStrings.xml": table + b"<si><t>ab</t></si>" * strings + b"</sst>",
        },
    )


def write(engine: Engine, action: Callable[..., Any], **kwargs: Any) -> Any:
    """One domain write in its own transaction."""
    with db.write_session(engine) as session:
        return action(session=session, **kwargs)


def read(engine: Engine, action: Callable[..., Any], **kwargs: Any) -> Any:
    """One domain read."""
    with db.read_session(engine) as session:
        return action(session=session, **kwargs)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A Paris local time as an aware datetime."""
    return datetime.combine(day, time(hh, mm), dates.PARIS)


def trainee(
    engine: Engine,
    *,
    name: str = "Awa",
    programme: int = 0,
    start: date = date(2026, 1, 1),
    end: date | None = None,
    pin: bool = True,
    user_id: int | None = None,
    consent_name: bool = False,
) -> Trainee:
    """A trainee "`name` D." of the `programme`-th seeded programme, with PIN `PIN`.

    Inserted directly, so that any contract is possible (one that ended long ago).
    """
    with db.write_session(engine) as session:
        progs = hours.programmes(session=session)
        tr = Trainee(
            display_name=f"{name} D.",
            programme_id=progs[programme].id or 0,
            start_date=start,
            end_date=end,
            badge_code=codes.mint("B"),
            pin_hash=_PIN_HASH if pin else "",
            user_id=user_id,
            consent_name=consent_name,
        )
        session.add(tr)
        session.flush()
        return tr


def hour_entries(engine: Engine, trainee_id: int) -> list[HourEntry]:
    """Every hour entry of a trainee, whatever its status."""
    with db.read_session(engine) as session:
        return list(session.exec(select(HourEntry).where(HourEntry.trainee_id == trainee_id)))


def add_hours(
    engine: Engine,
    actor: User,
    tr: Trainee,
    day: date,
    minutes: int,
    *,
    now: datetime | None = None,
    **fields: Any,
) -> HourEntry:
    """Hours of `tr` entered by `actor`, as if it were `day` 20:00 (sanding unless told).

    `fields`: the other fields of hours.EntryFields (activity, build_code, start, reason).
    """
    entered = hours.EntryFields(
        work_date=day, minutes=minutes, **{"activity": Activity.poncage, **fields}
    )
    return write(
        engine,
        hours.record_hours,
        actor=actor,
        trainee_id=tr.id,
        fields=entered,
        now=now or at(day, 20),
    )


def maker(
    engine: Engine, lead: User, piece: Build, name: str, minutes: int, *, consent: bool = False
) -> Trainee:
    """A trainee (named on passports if `consent`) with `minutes` of approved hours in `piece`."""
    tr = trainee(engine, name=name, consent_name=consent)
    add_hours(engine, lead, tr, MONDAY, minutes, build_code=piece.code)
    write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)
    return tr


def move_trainee(engine: Engine, actor: User, tr: Trainee, programme: int) -> Trainee:
    """`actor` moves the trainee to the `programme`-th programme, as on the trainees page."""
    with db.read_session(engine) as session:
        target = hours.programmes(session=session)[programme].id or 0
        current = hours.get_trainee(session=session, trainee_id=tr.id or 0)
    return write(
        engine,
        hours.update_trainee,
        actor=actor,
        trainee_id=tr.id,
        fields=replace(hours.TraineeFields.of(current), programme_id=target),
    )


@contextmanager
def another_writer(engine: Engine) -> Iterator[None]:
    """Another process holding the database's write lock until the block ends.

    SQLite: its own connection in BEGIN IMMEDIATE; PostgreSQL: the app's writers' lock.
    """
    if engine.dialect.name == "sqlite":
        holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
        finally:
            holder.close()  # the transaction (and the lock) ends with it
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({db.PG_WRITE_LOCK})")
        yield
        conn.rollback()


# --- Backups and restores: a second database, some of everything, the rows compared ------


def new_postgres_db() -> str:
    """URL of a new, empty PostgreSQL database beside WORKSHOP_TEST_POSTGRES_URL's."""
    name = f"workshop_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_db(url: str) -> None:
    """Drop a database made by `new_postgres_db`."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def fill(engine: Engine) -> None:
    """Some of everything: users, pickups with a sample, tagged crates, a build, hours, audit."""
    from workshop import builds, crates

    admin = user(engine, Role.admin, "admin")
    lead = user(engine, Role.lead, "lea", display_name="Léa « l'encadrante »")
    lot(engine, lead, counts=(12, 3, 1), sample=(4, 5.25), note="première collecte ✓")
    lot(engine, lead, on=dates.today() - timedelta(days=400), counts=(7,))
    tagged = crates_in_stock(engine, lead, 4)
    made = build(engine, lead)
    with db.write_session(engine) as session:
        builds.attach_crate(session=session, actor=lead, build_id=made.id or 0, text=tagged[0])
    with db.write_session(engine) as session:
        crates.set_outcome(session=session, actor=lead, code=tagged[1], outcome=Outcome.firewood)
    with db.write_session(engine) as session:
        programme = hours.programmes(session=session)[0]
        person = hours.create_trainee(
            session=session,
            actor=admin,
            first_name="Sam",
            last_initial="B",
            fields=hours.TraineeFields(
                programme_id=programme.id or 0, start_date=dates.today() - timedelta(days=30)
            ),
        )
    with db.write_session(engine) as session:
        hours.record_hours(
            session=session,
            actor=lead,
            trainee_id=person.id or 0,
            fields=hours.EntryFields(
                work_date=dates.today() - timedelta(days=1), minutes=90, activity=Activity.poncage
            ),
        )


def table_rows(url_or_engine: str | Engine) -> dict:
    """Every row of every backed-up table, and the migration, as a backup exports them."""
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.connect() as conn:
            data = backup.export_data(conn)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    return {"revision": data["revision"], "tables": data["tables"]}


def tally_rows(url_or_engine: str | Engine) -> list:
    """The dashboard tallies (not in backups: the triggers rebuild them on restore)."""
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.connect() as conn:
            return [
                list(conn.execute(text(f"SELECT * FROM {t} WHERE crates <> 0 ORDER BY 1, 2, 3, 4")))
                for t in backup.DERIVED_TABLES
            ]
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


# --- Refused input: the message key, and nothing written ----------------------------------

# What people paste that no field keeps: a backspace, a NUL, C1, a noncharacter, a lone
# surrogate (each one refused by typed_input.text; its tests cover every class).
INVISIBLE = ("Aw\x08a", "Awa\x00", "A\x85wa", "Awa\ufffe", "Aw\ud800a")


def every_row(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the audit log too), sorted: what a refused write leaves."""
    with engine.connect() as conn:
        return {
            table: sorted(
                tuple(map(repr, row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))
            )
            for table in sa_inspect(conn).get_table_names()
        }


@contextmanager
def unchanged(engine: Engine) -> Iterator[None]:
    """Check that what runs inside leaves every table as it was."""
    before = every_row(engine)
    yield
    assert every_row(engine) == before


def refused(engine: Engine, key: str, action: Callable[..., Any], **kwargs: Any) -> InvalidInput:
    """Run the write `action`: it must raise InvalidInput `key` and leave every table as it was."""
    with unchanged(engine), pytest.raises(InvalidInput) as err:
        write(engine, action, **kwargs)
    assert err.value.key == key, err.value
    return err.value


def pdf_text(data: bytes) -> str:
    """Every page's text as pypdf extracts it, all whitespace (no-break too) as one space."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def shown(text: str) -> str:
    """`text` with its whitespace as `pdf_text` gives it, to look for in a PDF's text."""
    return " ".join(text.split())


def pdf_fonts(data: bytes) -> dict[str, bool]:
    """Each font a PDF's pages use (`/F1 /ABCDEF+Name`), and whether its file is embedded."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        for key, font in page["/Resources"]["/Font"].items():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            face = descendants[0].get_object() if descendants else font
            descriptor = face.get("/FontDescriptor")
            embedded = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            fonts[f"{key} {font['/BaseFont']}"] = embedded
    return fonts


def pdf_pages(data: bytes) -> int:
    """How many pages a PDF has."""
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)
