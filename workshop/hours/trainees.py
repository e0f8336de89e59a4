"""Programmes, trainees and their badges and PINs, and who may see a trainee's hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, or_, select

from workshop import audit, codes, dates, passwords, typed_input
from workshop.accounts import Permission, can, require
from workshop.errors import InvalidInput, NotFound, PermissionDenied
from workshop.hours.rules import MAX_FIRST_NAME, PIN_LENGTH
from workshop.models import HourEntry, HourStatus, Programme, Role, Trainee, User

PROGRAMMES = (
    ("Régie de quartier Saint-Blaise", "Régie de quartier Saint-Blaise (neighbourhood company)"),
    ("Territoire Zéro Chômeur — EBE", "Zero Long-Term Unemployment Territory — EBE"),
    ("Bénévoles", "Volunteers"),
)

# Fields of a trainee kept in audit events: never the name or the PIN, so that
# anonymising a trainee leaves no name behind in the append-only log.
_AUDIT_TRAINEE = [
    "id",
    "programme_id",
    "start_date",
    "end_date",
    "badge_code",
    "consent_name",
    "consent_photo",
    "user_id",
    "anonymised_at",
]


@dataclass(frozen=True)
class TraineeFields:
    """What a lead sets on a trainee's record, when adding it and when changing it."""

    programme_id: int
    start_date: date
    end_date: date | None = None
    consent_name: bool = False  # name shown on the passports of pieces they made
    consent_photo: bool = False
    user_id: int | None = None  # the sign-in account of a trainee who sees their own hours

    @classmethod
    def of(cls, trainee: Trainee) -> TraineeFields:
        """The fields of a trainee as they are now (to change one with `dataclasses.replace`)."""
        return cls(
            programme_id=trainee.programme_id,
            start_date=trainee.start_date,
            end_date=trainee.end_date,
            consent_name=trainee.consent_name,
            consent_photo=trainee.consent_photo,
            user_id=trainee.user_id,
        )


def seed_programmes(*, session: Session) -> None:
    """Add the three programmes of the workshop, once."""
    if session.exec(select(Programme)).first() is None:
        for name, name_en in PROGRAMMES:
            session.add(Programme(name=name, name_en=name_en))


def programmes(*, session: Session, active_only: bool = True) -> list[Programme]:
    """Programmes in the order they were created."""
    query = select(Programme).order_by(col(Programme.id))
    if active_only:
        query = query.where(Programme.active)
    return list(session.exec(query))


def hash_pin(pin: str) -> str:
    """Argon2id hash of a PIN (as for passwords)."""
    return passwords.hash_secret(pin)


def _check_pin_format(pin: str) -> None:
    if len(pin) != PIN_LENGTH or not pin.isascii() or not pin.isdigit():
        raise InvalidInput("error.hours.pin_format", length=PIN_LENGTH)


def _display_name(first_name: str, last_initial: str) -> str:
    first = " ".join(typed_input.text(first_name).split())
    initial = typed_input.text(last_initial).rstrip(".")
    if not first:
        raise InvalidInput("error.hours.first_name_empty")
    if len(first) > MAX_FIRST_NAME:
        raise InvalidInput("error.hours.first_name_long", max=MAX_FIRST_NAME)
    if len(initial) != 1 or not initial.isalpha():
        raise InvalidInput("error.hours.initial")
    return f"{first} {initial.upper()}."


def _check_fields(
    session: Session, fields: TraineeFields, pin: str | None, trainee_id: int | None
) -> None:
    """Refuse an unknown programme, a contract ending before it starts, a bad PIN or link."""
    programme = session.get(Programme, fields.programme_id)
    if programme is None or not programme.active:
        raise InvalidInput("error.hours.unknown_programme")
    if fields.start_date < dates.EARLIEST:
        raise InvalidInput("error.hours.start_too_old")
    if fields.end_date is not None and fields.end_date < fields.start_date:
        raise InvalidInput("error.hours.end_before_start")
    if pin:
        _check_pin_format(pin)
    if fields.user_id is None:
        return
    user = session.get(User, fields.user_id)
    if user is None or user.role != Role.trainee:
        raise InvalidInput("error.hours.link_not_trainee")
    other = session.exec(select(Trainee).where(Trainee.user_id == fields.user_id)).first()
    if other is not None and other.id != trainee_id:
        raise InvalidInput("error.hours.link_taken")


def _check_hours_inside(session: Session, trainee_id: int, fields: TraineeFields) -> None:
    """Refuse a contract that would leave some of the trainee's hours outside it."""
    before_or_after = [col(HourEntry.work_date) < fields.start_date]
    if fields.end_date is not None:
        before_or_after.append(col(HourEntry.work_date) > fields.end_date)
    outside = select(func.count()).where(
        HourEntry.trainee_id == trainee_id,
        HourEntry.status != HourStatus.rejected,
        or_(*before_or_after),
    )
    if n := session.exec(outside).one():
        raise InvalidInput("error.hours.entries_outside_contract", n=n)


def _new_badge_code(session: Session) -> str:
    while True:
        code = codes.mint(codes.BADGE)
        if session.exec(select(Trainee.id).where(Trainee.badge_code == code)).first() is None:
            return code


def get_trainee(*, session: Session, trainee_id: int) -> Trainee:
    """The trainee with this id, or NotFound."""
    trainee = session.get(Trainee, trainee_id)
    if trainee is None:
        raise NotFound("error.hours.unknown_trainee")
    return trainee


def create_trainee(
    *,
    session: Session,
    actor: User,
    first_name: str,
    last_initial: str,
    fields: TraineeFields,
    pin: str = "",
) -> Trainee:
    """Add a trainee with a new badge code (lead or admin); `pin` "" gives no PIN."""
    require(actor, Permission.hours)
    name = _display_name(first_name, last_initial)
    _check_fields(session, fields, pin, None)
    trainee = Trainee(
        display_name=name,
        programme_id=fields.programme_id,
        start_date=fields.start_date,
        end_date=fields.end_date,
        badge_code=_new_badge_code(session),
        pin_hash=hash_pin(pin) if pin else "",
        consent_name=fields.consent_name,
        consent_photo=fields.consent_photo,
        user_id=fields.user_id,
    )
    session.add(trainee)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="create",
        entity="trainee",
        entity_id=trainee.id,
        after=audit.snapshot(trainee, fields=_AUDIT_TRAINEE),
    )
    return trainee


def update_trainee(
    *,
    session: Session,
    actor: User,
    trainee_id: int,
    fields: TraineeFields,
    pin: str | None = None,
    new_badge: bool = False,
) -> Trainee:
    """Set a trainee's programme, contract, consents and sign-in link to `fields` (lead or admin).

    `pin` None keeps the PIN, "" removes it; `new_badge` replaces a lost badge (the old
    card stops working at once).
    """
    require(actor, Permission.hours)
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    if trainee.anonymised_at is not None:
        raise InvalidInput("error.hours.anonymised")
    _check_fields(session, fields, pin, trainee_id)
    _check_hours_inside(session, trainee_id, fields)
    with audit.change(
        session=session,
        actor=actor,
        obj=trainee,
        entity="trainee",
        entity_id=trainee.id,
        fields=_AUDIT_TRAINEE,
    ) as change:
        trainee.programme_id, trainee.start_date = fields.programme_id, fields.start_date
        trainee.end_date, trainee.user_id = fields.end_date, fields.user_id
        trainee.consent_name, trainee.consent_photo = fields.consent_name, fields.consent_photo
        if pin is not None:
            trainee.pin_hash = hash_pin(pin) if pin else ""
        if new_badge:
            trainee.badge_code = _new_badge_code(session)
        change.extra_after["pin_changed"] = pin is not None
    return trainee


def list_trainees(
    *, session: Session, actor: User, current_on: date | None = None
) -> list[Trainee]:
    """Trainees by name (lead or admin); only those under contract on `current_on` if given."""
    require(actor, Permission.hours)
    query = select(Trainee).order_by(Trainee.display_name)
    found = list(session.exec(query))
    if current_on is not None:
        found = [t for t in found if is_current(t, current_on)]
    return found


def trainee_accounts(*, session: Session, actor: User) -> list[User]:
    """Sign-in accounts with the trainee role, to link to a trainee record (lead or admin)."""
    require(actor, Permission.hours)
    query = select(User).where(User.role == Role.trainee).order_by(User.display_name)
    return list(session.exec(query))


def is_current(trainee: Trainee, on: date) -> bool:
    """True when the trainee is under contract on `on` and not anonymised."""
    return (
        trainee.anonymised_at is None
        and trainee.start_date <= on
        and (trainee.end_date is None or on <= trainee.end_date)
    )


def linked_trainee(*, session: Session, actor: User) -> Trainee | None:
    """The trainee record of a signed-in trainee (None if not linked)."""
    require(actor, Permission.own_hours)
    return session.exec(select(Trainee).where(Trainee.user_id == actor.id)).first()


def check_may_see(session: Session, actor: User, trainee_id: int) -> None:
    """Refuse unless `actor` sees every trainee's hours (leads) or this is their own record."""
    if can(actor, Permission.hours):
        return
    require(actor, Permission.own_hours)
    mine = linked_trainee(session=session, actor=actor)
    if mine is None or mine.id != trainee_id:
        raise PermissionDenied(permission=Permission.own_hours.value)
