"""Every table of the app (SQLModel). Migrations in `migrations/` must match this file."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from workshop import dates

# Current time, timezone-aware UTC (SQLModel's UTCDateTime refuses naive values).
utcnow = dates.utcnow


class Role(enum.StrEnum):
    """What a user may do (DESIGN §7); the matrix lives in `accounts.PERMISSIONS`."""

    admin = "admin"
    lead = "lead"
    trainee = "trainee"
    market_manager = "market_manager"


class Outcome(enum.StrEnum):
    """Where a crate went (the waste hierarchy, best first; in_stock = not decided yet)."""

    in_build = "in_build"
    reused = "reused"  # given away or reused as it is
    recycled = "recycled"  # wood recycling
    firewood = "firewood"
    in_stock = "in_stock"


# A market of the 20e (or next to it) where crates are picked up.
class Market(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    location: str = Field(default="", max_length=200)
    arrondissement: str = Field(default="20", max_length=20)
    in_20e: bool = True
    # Days the market is held, French abbreviations separated by ";" (e.g. "mer;sam").
    days: str = Field(default="", max_length=40)
    active: bool = True
    # Who runs the market (the city's concession holder), named on the wood attestation.
    operator: str = Field(default="", max_length=200)


# A kind of crate with the weight we assume when nobody weighed it.
class CrateKind(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    name_en: str = Field(default="", max_length=80)
    default_weight_kg: float
    active: bool = True


# A person who signs in.
class User(SQLModel, table=True):
    # "user" is a reserved word in PostgreSQL.
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True)
    display_name: str = Field(max_length=120)
    # For single sign-on (OpenID Connect): the e-mail the provider vouches for.
    email: str | None = Field(default=None, max_length=200, unique=True)
    role: Role = Field(sa_column=Column(SAEnum(Role, native_enum=False, length=20), nullable=False))
    password_hash: str = Field(max_length=200)
    # Market managers see their own market highlighted.
    market_id: int | None = Field(default=None, foreign_key="market.id")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Signed into every sign-in token; raised by a password reset, a role or e-mail
    # change, a disable or re-enable and "sign out everywhere", so that every sign-in
    # made before stops at its next page run.
    sign_in_generation: int = 0
    # The language the user chose ("fr", "en"), on every device; None: not chosen yet.
    language: str | None = Field(default=None, max_length=5)


# One pickup at a market: the crates collected on one day.
class Lot(SQLModel, table=True):
    __table_args__ = (Index("ix_lot_market_date", "market_id", "pickup_date"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=7, unique=True)
    market_id: int = Field(foreign_key="market.id")
    pickup_date: date = Field(index=True)
    collected_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    note: str = Field(default="", max_length=500)
    # Optional weighed sample: `sample_count` crates of `sample_kind_id` weighed `sample_kg`.
    sample_kind_id: int | None = Field(default=None, foreign_key="cratekind.id")
    sample_count: int | None = None
    sample_kg: float | None = None
    created_at: datetime = Field(default_factory=utcnow)


# How many crates of one kind a lot holds.
class LotLine(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("lot_id", "crate_kind_id"),)

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True, ondelete="CASCADE")
    crate_kind_id: int = Field(foreign_key="cratekind.id")
    count: int


# Append-only record of who changed what (never updated, never deleted).
class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=60)
    entity: str = Field(max_length=60)
    entity_id: str = Field(default="", max_length=60)
    # JSON snapshots before and after the change, and the reason a user gave.
    before: str = Field(default="")
    after: str = Field(default="")
    reason: str = Field(default="", max_length=500)
    # Sign-in, PIN and badge tries: the client address (a /64 for IPv6) they came
    # from, so that the throttles count per address too (throttles.check_throttle).
    client: str = Field(default="", max_length=60)


# This database's own identity, made once (migration 0009): signed into every sign-in
# token, so a token opens only the database that issued it, even when another one
# shares the same data folder and session key. Never backed up: a restored copy is
# a new database and makes its own.
class Installation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    install_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


# A sign-in token ended before its time (its holder signed out): refused from then
# on, even where it was copied. Kept only until the token would have expired anyway.
class EndedToken(SQLModel, table=True):
    __tablename__ = "ended_token"

    token_id: str = Field(primary_key=True, max_length=32)
    expires_at: datetime = Field(index=True)


# A crate that got a QR label; it comes from one lot and goes to one outcome.
class Crate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=7, unique=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    crate_kind_id: int = Field(foreign_key="cratekind.id")
    outcome: Outcome = Field(
        default=Outcome.in_stock,
        sa_column=Column(SAEnum(Outcome, native_enum=False, length=20), nullable=False, index=True),
    )
    outcome_at: datetime = Field(default_factory=utcnow)
    outcome_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


# The crates of a lot that got no label, and where they went (sorted in one step).
class LotRemainder(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("lot_id", "crate_kind_id"),)

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    crate_kind_id: int = Field(foreign_key="cratekind.id")
    outcome: Outcome = Field(
        sa_column=Column(SAEnum(Outcome, native_enum=False, length=20), nullable=False)
    )
    count: int
    sorted_at: datetime = Field(default_factory=utcnow)
    sorted_by_id: int | None = Field(default=None, foreign_key="app_user.id")


# Running totals per pickup month, market and crate kind, so the dashboard reads a few
# thousand rows a year instead of counting every crate (docs/PERFORMANCE.md). Written
# ONLY by database triggers on lot, lotline, crate and lotremainder (migration 0007):
# whatever writes those tables, these stay right. Derived data: not in JSON backups.
# `sampled_*`: the crates of a lot whose weighed sample is of this kind, and their
# weight (count × the sample's mean) in whole milligrams, so sums and differences
# are exact.
class TallyCounted(SQLModel, table=True):
    """Crates counted at pickup (lot lines) per month, market and kind."""

    __tablename__ = "tally_counted"

    month: date = Field(primary_key=True)  # first day of the pickup month
    market_id: int = Field(primary_key=True)
    crate_kind_id: int = Field(primary_key=True)
    crates: int = 0
    sampled_crates: int = 0
    sampled_mg: int = Field(default=0, sa_type=BigInteger)


class TallyOutcome(SQLModel, table=True):
    """Tagged crates and sorted remainders per month, market, kind and outcome."""

    __tablename__ = "tally_outcome"

    month: date = Field(primary_key=True)
    market_id: int = Field(primary_key=True)
    crate_kind_id: int = Field(primary_key=True)
    outcome: str = Field(primary_key=True, max_length=20)
    crates: int = 0
    sampled_crates: int = 0
    sampled_mg: int = Field(default=0, sa_type=BigInteger)


class BuildStatus(enum.StrEnum):
    """Life of a piece of furniture; the last three are where it went."""

    planned = "planned"
    in_progress = "in_progress"
    finished = "finished"
    sold = "sold"
    donated = "donated"
    installed = "installed"


# A furniture model the workshop knows how to make.
class Design(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    name_en: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=1000)
    crates_needed: int
    typical_hours: float
    # Photo file, relative to the data directory.
    photo: str = Field(default="", max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


# One piece of furniture, with its own QR code (M…) and public passport.
class Build(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=7, unique=True)
    design_id: int = Field(foreign_key="design.id", index=True)
    status: BuildStatus = Field(
        default=BuildStatus.planned,
        sa_column=Column(
            SAEnum(BuildStatus, native_enum=False, length=20), nullable=False, index=True
        ),
    )
    started_on: date | None = None
    finished_on: date | None = None
    delivered_on: date | None = None
    # Where it went: a venue, an association, or a buyer's first name (optional).
    destination: str = Field(default="", max_length=200)
    price_eur: float | None = None
    note: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


# A crate in a build; the unique crate_id makes "one crate, one build" a database rule.
class BuildCrate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    build_id: int = Field(foreign_key="build.id", index=True)
    crate_id: int = Field(foreign_key="crate.id", unique=True)
    added_at: datetime = Field(default_factory=utcnow)
    added_by_id: int | None = Field(default=None, foreign_key="app_user.id")


# A photo of a build, stored as a resized file under the data directory.
class BuildPhoto(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    build_id: int = Field(foreign_key="build.id", index=True)
    path: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


# --- Trainee hours ---


class Activity(enum.StrEnum):
    """What a trainee worked on (the shop-floor buttons, in this order)."""

    collecte = "collecte"
    tri = "tri"
    demontage = "demontage"
    poncage = "poncage"
    assemblage = "assemblage"
    finition = "finition"
    vente = "vente"  # vente / animation
    formation = "formation"


class HourStatus(enum.StrEnum):
    """Life of an hour entry; `open` is a clock-in still waiting for its clock-out."""

    open = "open"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"


class HourSource(enum.StrEnum):
    """Where an hour entry was typed."""

    clock = "clock"  # "J'arrive" / "Je pars" on the shop-floor tablet
    shop_floor = "shop_floor"  # hours entered directly on the tablet
    staff = "staff"  # entered by a lead or an admin
    self_service = "self_service"  # entered by the trainee signed in


# A programme that employs or hosts trainees (régie de quartier, EBE, volunteers).
class Programme(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    name_en: str = Field(default="", max_length=120)
    active: bool = True


# A trainee: the minimum personal data (first name + initial), contract dates, badge, consents.
class Trainee(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(max_length=60)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    start_date: date
    end_date: date | None = None
    badge_code: str = Field(max_length=7, unique=True)
    # Argon2 hash of the optional 4-digit PIN (tap your name + PIN on the tablet).
    pin_hash: str = Field(default="", max_length=200)
    consent_name: bool = False  # name shown on the passports of pieces they made
    consent_photo: bool = False
    # For trainees who also sign in (to see their own hours).
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    anonymised_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


# Hours worked by a trainee on one day: a clock-in/out period, or a duration typed directly.
class HourEntry(SQLModel, table=True):
    __table_args__ = (Index("ix_hourentry_trainee_date", "trainee_id", "work_date"),)

    id: int | None = Field(default=None, primary_key=True)
    trainee_id: int = Field(foreign_key="trainee.id")
    # The programme the hours were worked under (the trainee's when entered): reports
    # count them there even after the trainee moves. Empty only for rows written by
    # hand in SQL; readers fall back to the trainee's programme.
    programme_id: int | None = Field(default=None, foreign_key="programme.id")
    work_date: date = Field(index=True)  # in Europe/Paris
    # UTC; both empty for hours typed as a duration, end empty while clocked in.
    start_at: datetime | None = None
    end_at: datetime | None = None
    minutes: int = 0  # a multiple of 15
    activity: Activity = Field(
        sa_column=Column(SAEnum(Activity, native_enum=False, length=20), nullable=False)
    )
    build_id: int | None = Field(default=None, foreign_key="build.id")
    status: HourStatus = Field(
        default=HourStatus.submitted,
        sa_column=Column(
            SAEnum(HourStatus, native_enum=False, length=20), nullable=False, index=True
        ),
    )
    source: HourSource = Field(
        sa_column=Column(SAEnum(HourSource, native_enum=False, length=20), nullable=False)
    )
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_at: datetime | None = None
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


# A trainee's week (Monday) approved by a lead: its hours are locked from then on.
class WeekApproval(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("trainee_id", "week_start"),)

    id: int | None = Field(default=None, primary_key=True)
    trainee_id: int = Field(foreign_key="trainee.id", index=True)
    week_start: date
    approved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    approved_at: datetime = Field(default_factory=utcnow)


# --- Impact: other venues ---


# A social-economy venue of the arrondissement whose monthly figures sit beside ours.
class Venue(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(default="", max_length=120)
    # The workshop itself: its figures are computed by the app, never typed.
    own: bool = False
    active: bool = True


# Something a venue counts every month (visitors, jobs, kg of vegetables…).
class Metric(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("venue_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    venue_id: int = Field(foreign_key="venue.id", index=True)
    name: str = Field(max_length=120)  # as in the seed file (English)
    name_fr: str = Field(default="", max_length=120)
    active: bool = True


# One month's figure of a venue's metric; entering the same month again updates it.
class MetricValue(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("metric_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    metric_id: int = Field(foreign_key="metric.id")
    month: date = Field(index=True)  # first day of the month
    value: float
    source: str = Field(default="", max_length=200)  # who gave the figure (form, file name)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")


# The dashboard counts crates by lot, kind and outcome: a covering index lets SQLite
# read them from the index alone, in group order (docs/PERFORMANCE.md, "Dashboard").
_crate = Crate.__table__.c  # type: ignore[attr-defined]
Index("ix_crate_lot_kind_outcome", _crate.lot_id, _crate.crate_kind_id, _crate.outcome)

# The sign-in throttles count an entity's tries by key and by client address since a
# moment (throttles.check_throttle): these keep each count to its own rows.
_event = AuditEvent.__table__.c  # type: ignore[attr-defined]
Index("ix_auditevent_entity_key_at", _event.entity, _event.entity_id, _event.at)
Index("ix_auditevent_client_at", _event.client, _event.at)
