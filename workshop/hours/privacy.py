"""A trainee's personal data: the export of everything kept, and anonymisation after retention."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from workshop import audit, codes, config, dates
from workshop.accounts import Permission, require
from workshop.hours.entries import build_codes, history
from workshop.hours.reports import pseudonym
from workshop.hours.trainees import check_may_see, get_trainee, programmes
from workshop.models import HourEntry, Trainee, User


def personal_data(*, session: Session, actor: User, trainee_id: int) -> dict[str, Any]:
    """Everything the app keeps about a trainee, for "export my data"."""
    check_may_see(session, actor, trainee_id)
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    names = {p.id: p.name for p in programmes(session=session, active_only=False)}
    entries = history(session=session, actor=actor, trainee_id=trainee_id)
    builds = build_codes(session=session, build_ids={e.build_id for e in entries if e.build_id})
    return {
        "trainee": {
            "display_name": trainee.display_name,
            "programme": names.get(trainee.programme_id, ""),
            "start_date": trainee.start_date.isoformat(),
            "end_date": trainee.end_date.isoformat() if trainee.end_date else None,
            "badge_code": codes.format_code(trainee.badge_code),
            "has_pin": bool(trainee.pin_hash),
            "consent_name_on_passports": trainee.consent_name,
            "consent_photo": trainee.consent_photo,
            "created_at": trainee.created_at.isoformat(),
        },
        "hours": [
            {
                "date": e.work_date.isoformat(),
                "start": dates.local(e.start_at).isoformat() if e.start_at else None,
                "end": dates.local(e.end_at).isoformat() if e.end_at else None,
                "minutes": e.minutes,
                "activity": e.activity.value,
                "build": codes.format_code(builds[e.build_id]) if e.build_id in builds else None,
                "programme": names.get(e.programme_id or trainee.programme_id, ""),
                "status": e.status.value,
                "source": e.source.value,
                "reason": e.reason,
            }
            for e in entries
        ],
    }


def due_for_anonymisation(
    *, session: Session, today: date | None = None, months: int | None = None
) -> list[Trainee]:
    """Trainees whose end date is `months` (the retention setting) or more in the past."""
    today = today or dates.today()
    months = months if months is not None else config.retention_months()
    cutoff = dates.months_before(today, months)
    return list(
        session.exec(
            select(Trainee).where(
                col(Trainee.anonymised_at).is_(None),
                col(Trainee.end_date).is_not(None),
                col(Trainee.end_date) <= cutoff,
            )
        )
    )


def anonymise_expired(
    *,
    session: Session,
    actor: User | None,
    today: date | None = None,
    months: int | None = None,
) -> list[int]:
    """Anonymise trainees past the retention period; `actor` None is the command line."""
    if actor is not None:
        require(actor, Permission.settings)
    done: list[int] = []
    key = config.pseudonym_key()
    for trainee in due_for_anonymisation(session=session, today=today, months=months):
        tid = trainee.id or 0
        anonymous = f"#{pseudonym(tid, key)[:8]}"
        if trainee.user_id is not None:
            user = session.get(User, trainee.user_id)
            if user is not None:
                user.display_name, user.username = anonymous, f"anonyme-{pseudonym(tid, key)}"
                user.active = False
                session.add(user)
        trainee.display_name, trainee.pin_hash, trainee.user_id = anonymous, "", None
        trainee.consent_name = trainee.consent_photo = False
        trainee.anonymised_at = dates.utcnow()
        session.add(trainee)
        # Reasons were typed by leads and may name the person; the hours themselves stay
        # (the programmes' reports and funding depend on them).
        for entry in session.exec(select(HourEntry).where(HourEntry.trainee_id == tid)):
            if entry.reason:
                entry.reason = ""
                session.add(entry)
        audit.record(
            session=session,
            actor=actor,
            action="anonymise",
            entity="trainee",
            entity_id=tid,
        )
        done.append(tid)
    return done
