"""The shop-floor tablet: every hours function that runs without a signed-in actor.

Nobody is signed in on the tablet. The trainee is identified by their badge (scanned
or typed) or by tapping their name and typing their PIN; the calls after that take
the trainee's id, and those that write refuse a trainee not under contract today.
What they write is checked by the same rules as a lead's entries, with no actor: a
locked week stays locked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from workshop import audit, codes, dates, db, throttles
from workshop.errors import AuthenticationFailed, InvalidInput, NotFound
from workshop.hours import rules
from workshop.hours.entries import AUDIT_ENTRY, EntryFields, add_entry
from workshop.hours.trainees import get_trainee, is_current
from workshop.models import Activity, HourEntry, HourSource, HourStatus, Trainee

# Audit-log entities of shop-floor tries: PINs (key: the trainee's id) and unknown
# badges (key: the code). The throttles count them per trainee and per tablet (its
# client address), as for passwords; a success wipes only that tablet's failures.
PIN_ENTITY = "trainee_pin"
BADGE_ENTITY = "badge"
KIOSK_FREE_TRIES = 10
_KIOSK_ENTITIES = (PIN_ENTITY, BADGE_ENTITY)
PIN_LIMITS = throttles.Limits(
    throttles.FREE_TRIES, KIOSK_FREE_TRIES, _KIOSK_ENTITIES, message="error.auth.pin_throttled"
)
# A guessed badge is a new code each time: only the tablet's count can slow it down.
BADGE_LIMITS = throttles.Limits(
    None, KIOSK_FREE_TRIES, _KIOSK_ENTITIES, message="error.auth.pin_throttled"
)


def _check_current(trainee: Trainee, today: date) -> None:
    if trainee.anonymised_at is not None:
        raise NotFound("error.hours.unknown_badge")
    if today < trainee.start_date:
        raise InvalidInput("error.hours.contract_not_started", name=trainee.display_name)
    if trainee.end_date is not None and today > trainee.end_date:
        raise InvalidInput("error.hours.contract_ended", name=trainee.display_name)


def identify_badge(
    *,
    engine: Engine,
    text: str,
    client: str = throttles.LOCAL_CLIENT,
    now: datetime | None = None,
) -> Trainee:
    """The current trainee whose badge was scanned or typed; ended contracts refused politely.

    Its own transactions (the engine, not a session): an unknown badge is recorded
    in a short write, and after KIOSK_FREE_TRIES of them from one tablet (`client`)
    every badge waits there, as for passwords. A misread code is not counted.
    """
    moment = now or dates.utcnow()
    try:
        code = codes.parse(text, expect=codes.BADGE)
    except InvalidInput:
        # A misread or mistyped badge ("the check character does not match"): said in
        # plain words to someone who reads little French. Not counted as a guess.
        raise InvalidInput("error.hours.unknown_badge") from None
    attempt = throttles.Attempt(BADGE_ENTITY, code, client, moment)
    with db.read_session(engine) as session:
        throttles.check_throttle(session=session, attempt=attempt, limits=BADGE_LIMITS)
        trainee = session.exec(select(Trainee).where(Trainee.badge_code == code)).first()
    if trainee is None:
        with db.write_session(engine) as session:
            throttles.record_attempt(session=session, attempt=attempt, ok=False)
        raise NotFound("error.hours.unknown_badge")
    _check_current(trainee, dates.today(moment))
    return trainee


def pin_trainees(*, session: Session, now: datetime | None = None) -> list[Trainee]:
    """Trainees who can tap their name + PIN today, by name."""
    today = dates.today(now)
    found = session.exec(
        select(Trainee).where(Trainee.pin_hash != "").order_by(Trainee.display_name)
    )
    return [t for t in found if is_current(t, today)]


def identify_pin(
    *,
    engine: Engine,
    trainee_id: int,
    pin: str,
    client: str = throttles.LOCAL_CLIENT,
    now: datetime | None = None,
) -> Trainee:
    """The trainee, if `pin` is theirs; every try is audit-logged (`throttles.check_secret`).

    After throttles.FREE_TRIES wrong PINs for a trainee from a tablet, or
    KIOSK_FREE_TRIES wrong PINs and unknown badges on that tablet (`client`), the
    PIN is refused there (TooManyAttempts, not even checked) for a wait that grows.
    The trainee's own success on another tablet does not wipe those failures.
    """
    moment = now or dates.utcnow()
    attempt = throttles.Attempt(PIN_ENTITY, str(trainee_id), client, moment)

    def load(session: Session) -> tuple[Trainee | None, str | None]:
        trainee = get_trainee(session=session, trainee_id=trainee_id)
        return trainee, trainee.pin_hash

    trainee = throttles.check_secret(
        engine=engine, attempt=attempt, limits=PIN_LIMITS, secret=pin, load=load
    )
    if trainee is None:
        raise AuthenticationFailed("error.hours.wrong_pin")
    _check_current(trainee, dates.today(moment))
    return trainee


def shop_floor_hours(
    *,
    session: Session,
    trainee_id: int,
    fields: EntryFields,
    now: datetime | None = None,
) -> HourEntry:
    """Hours typed on the tablet by a trainee identified by badge or PIN.

    The tablet offers no start time or note; `fields` that hold one are checked as anywhere.
    """
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    _check_current(trainee, dates.today(now))
    return add_entry(
        session, actor=None, trainee=trainee, fields=fields, source=HourSource.shop_floor, now=now
    )


@dataclass(frozen=True)
class ClockState:
    """Where a trainee stands today: clocked in since when, hours so far, forgotten clock-outs."""

    open_entry: HourEntry | None
    today_minutes: int
    forgotten: list[date] = field(default_factory=list)


def clock_state(*, session: Session, trainee_id: int, now: datetime | None = None) -> ClockState:
    """Today's state for the shop-floor screen."""
    moment = now or dates.utcnow()
    today = dates.today(moment)
    opens = session.exec(
        select(HourEntry).where(
            HourEntry.trainee_id == trainee_id, HourEntry.status == HourStatus.open
        )
    ).all()
    current = next((e for e in opens if e.work_date == today), None)
    forgotten = sorted(e.work_date for e in opens if rules.is_forgotten_clock_out(e, moment))
    minutes = sum(e.minutes for e in rules.day_entries(session, trainee_id, today))
    return ClockState(open_entry=current, today_minutes=minutes, forgotten=forgotten)


def clock_in(
    *,
    session: Session,
    trainee_id: int,
    activity: Activity,
    build_code: str | None = None,
    now: datetime | None = None,
) -> HourEntry:
    """ "J'arrive": open a period now, for a trainee identified on the tablet."""
    moment = now or dates.utcnow()
    today = dates.today(moment)
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    _check_current(trainee, today)
    activity = Activity(activity)
    state = clock_state(session=session, trainee_id=trainee_id, now=moment)
    if state.open_entry is not None and state.open_entry.start_at is not None:
        raise InvalidInput(
            "error.hours.already_in", time=dates.local(state.open_entry.start_at).time()
        )
    rules.check_unlocked(session, None, trainee_id, today, "")
    others = rules.day_entries(session, trainee_id, today)
    if sum(e.minutes for e in others) >= rules.MAX_DAY_MINUTES:
        raise InvalidInput(
            "error.hours.day_limit",
            hours=rules.MAX_DAY_MINUTES // 60,
            already=timedelta(minutes=rules.MAX_DAY_MINUTES),
        )
    rules.check_overlap(others, moment, moment + timedelta(seconds=1), moment)
    entry = HourEntry(
        trainee_id=trainee_id,
        programme_id=trainee.programme_id,
        work_date=today,
        start_at=moment,
        minutes=0,
        activity=activity,
        build_id=rules.build_id(session, build_code),
        status=HourStatus.open,
        source=HourSource.clock,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        actor=None,
        action="clock_in",
        entity="hour_entry",
        entity_id=entry.id,
        after=audit.snapshot(entry, fields=AUDIT_ENTRY),
    )
    return entry


def clock_out(*, session: Session, trainee_id: int, now: datetime | None = None) -> HourEntry:
    """ "Je pars": close today's open period, rounded to the nearest quarter hour."""
    moment = now or dates.utcnow()
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    _check_current(trainee, dates.today(moment))
    state = clock_state(session=session, trainee_id=trainee_id, now=moment)
    entry = state.open_entry
    if entry is None or entry.start_at is None:
        if state.forgotten:
            raise InvalidInput("error.hours.forgot_clock_out", day=state.forgotten[-1])
        raise InvalidInput("error.hours.not_in")
    minutes = rules.round_to_quarter((moment - entry.start_at).total_seconds() / 60)
    if minutes <= 0:
        raise InvalidInput("error.hours.too_short")
    rules.check_unlocked(session, None, trainee_id, entry.work_date, "")
    others = rules.day_entries(session, trainee_id, entry.work_date, exclude=entry.id)
    rules.check_day_total(others, minutes)
    rules.check_overlap(others, entry.start_at, moment, moment)
    with audit.change(
        session=session,
        actor=None,
        obj=entry,
        action="clock_out",
        entity="hour_entry",
        entity_id=entry.id,
        fields=AUDIT_ENTRY,
    ):
        entry.end_at, entry.minutes, entry.status = moment, minutes, HourStatus.submitted
        if entry.programme_id is None:
            entry.programme_id = trainee.programme_id
    return entry
