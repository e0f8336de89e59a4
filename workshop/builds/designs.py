"""Designs: the furniture the workshop makes, with the crates and hours each one takes."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import Session, select

from workshop import audit, typed_input
from workshop.accounts import Permission, require
from workshop.errors import InvalidInput, NotFound
from workshop.models import Design, User

# (name, English name, crates needed, typical hours): what the workshop makes most.
DESIGNS = (
    ("Étagère 3 cagettes", "3-crate shelf", 3, 4.0),
    ("Banc", "Bench", 6, 8.0),
    ("Jardinière", "Planter", 4, 5.0),
    ("Table basse", "Low table", 5, 6.0),
    ("Bibliothèque", "Bookcase", 8, 10.0),
)
# A quarter of an hour, the unit hours are counted in: less is no furniture's time.
MIN_TYPICAL_HOURS = 0.25


@dataclass(frozen=True, kw_only=True)
class DesignFields:
    """What a lead fills in for a design (checked by `save_design`)."""

    name: str
    name_en: str = ""
    crates_needed: int
    typical_hours: float
    description: str = ""
    active: bool = True


def seed_designs(*, session: Session) -> None:
    """Add the usual designs once."""
    if session.exec(select(Design)).first() is None:
        for name, name_en, crates, hours in DESIGNS:
            session.add(
                Design(name=name, name_en=name_en, crates_needed=crates, typical_hours=hours)
            )


def list_designs(*, session: Session, active_only: bool = True) -> list[Design]:
    """Designs by name."""
    query = select(Design).order_by(Design.name)
    if active_only:
        query = query.where(Design.active)
    return list(session.exec(query))


def _check_design_fields(fields: DesignFields) -> DesignFields:
    """The fields as kept (texts cleaned), once every rule holds; InvalidInput otherwise."""
    name = typed_input.text(fields.name)
    name_en = typed_input.text(fields.name_en)
    description = typed_input.text(fields.description, multiline=True)
    if not name:
        raise InvalidInput("error.build.design_name_empty")
    if len(name) > 120:
        raise InvalidInput("error.build.design_name_long", max=120)
    crates = fields.crates_needed
    if not typed_input.is_whole_number(crates) or not 1 <= crates <= 200:
        raise InvalidInput("error.build.bad_crates_needed", max=200)
    hours = fields.typical_hours
    if not typed_input.is_number(hours) or not 0 < hours <= 500:
        raise InvalidInput("error.build.bad_hours", max=500)
    if hours < MIN_TYPICAL_HOURS:
        raise InvalidInput("error.build.hours_too_few")
    return replace(fields, name=name, name_en=name_en[:120], description=description[:1000])


def save_design(
    *, session: Session, actor: User, fields: DesignFields, design_id: int | None = None
) -> Design:
    """Add a design, or change one (`design_id`)."""
    require(actor, Permission.builds)
    checked = _check_design_fields(fields)
    clash = session.exec(select(Design).where(Design.name == checked.name)).first()
    if clash is not None and clash.id != design_id:
        raise InvalidInput("error.build.design_name_taken", name=checked.name)
    design = Design(
        name=checked.name, crates_needed=checked.crates_needed, typical_hours=checked.typical_hours
    )
    before: dict[str, object] | None = None
    if design_id is not None:
        found = session.get(Design, design_id)
        if found is None:
            raise NotFound("error.build.unknown_design")
        design, before = found, audit.snapshot(found)
    design.name, design.name_en = checked.name, checked.name_en
    design.crates_needed, design.typical_hours = checked.crates_needed, checked.typical_hours
    design.description, design.active = checked.description, checked.active
    session.add(design)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="update" if before else "create",
        entity="design",
        entity_id=design.id,
        before=before,
        after=audit.snapshot(design),
    )
    return design
