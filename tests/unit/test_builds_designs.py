"""Builds, designs: the seeded designs, adding and changing one, its field checks."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from tests import factories
from workshop import builds, db
from workshop.errors import InvalidInput, NotFound, PermissionDenied
from workshop.models import AuditEvent, Design, Role


def test_designs_are_seeded_and_editable(engine):
    lead = factories.user(engine, Role.lead)
    with db.read_session(engine) as session:
        names = [d.name for d in builds.list_designs(session=session)]
    assert "Étagère 3 cagettes" in names and len(names) == 5
    with db.write_session(engine) as session:
        design = builds.save_design(
            session=session,
            actor=lead,
            fields=builds.DesignFields(name="Tabouret", crates_needed=2, typical_hours=3),
        )
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        builds.save_design(
            session=session,
            actor=lead,
            fields=builds.DesignFields(name="Banc", crates_needed=2, typical_hours=3),
        )
    assert err.value.key == "error.build.design_name_taken"
    for bad in ({"crates_needed": 0}, {"typical_hours": 0}, {"name": " "}):
        args = {"name": "Tabouret", "crates_needed": 2, "typical_hours": 3.0, **bad}
        with pytest.raises(InvalidInput), db.write_session(engine) as session:
            builds.save_design(
                session=session,
                actor=lead,
                fields=builds.DesignFields(**args),
                design_id=design.id,
            )
    trainee = factories.user(engine, Role.trainee)
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        builds.save_design(
            session=session,
            actor=trainee,
            fields=builds.DesignFields(name="X", crates_needed=2, typical_hours=3),
        )


def test_changing_a_design_keeps_its_id_and_logs_before_and_after(engine):
    lead = factories.user(engine, Role.lead)
    with db.write_session(engine) as session:
        design = builds.save_design(
            session=session,
            actor=lead,
            fields=builds.DesignFields(name="Tabouret", crates_needed=2, typical_hours=3),
        )
    changed = builds.DesignFields(
        name="  Tabouret haut ",
        name_en=" High stool ",
        crates_needed=3,
        typical_hours=4.5,
        description=" Pour le comptoir. ",
        active=False,
    )
    with db.write_session(engine) as session:
        saved = builds.save_design(session=session, actor=lead, fields=changed, design_id=design.id)
    assert saved.id == design.id
    with db.read_session(engine) as session:
        stored = session.get(Design, design.id)
        assert stored is not None
        assert (stored.name, stored.name_en, stored.description) == (
            "Tabouret haut",
            "High stool",
            "Pour le comptoir.",
        )
        assert (stored.crates_needed, stored.typical_hours, stored.active) == (3, 4.5, False)
        assert "Tabouret haut" not in [d.name for d in builds.list_designs(session=session)]
        event = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "design", AuditEvent.action == "update")
        ).one()
    before, after = json.loads(event.before), json.loads(event.after)
    assert (before["name"], before["active"]) == ("Tabouret", True)
    assert (after["name"], after["active"]) == ("Tabouret haut", False)
    with pytest.raises(NotFound), db.write_session(engine) as session:
        builds.save_design(
            session=session,
            actor=lead,
            fields=builds.DesignFields(name="Pouf", crates_needed=2, typical_hours=3),
            design_id=10_000,
        )


def _design(**fields):
    return builds.DesignFields(
        **{"name": "Tabouret", "crates_needed": 2, "typical_hours": 3, **fields}
    )


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"typical_hours": float("nan")}, "error.build.bad_hours"),
        ({"typical_hours": float("inf")}, "error.build.bad_hours"),
        ({"typical_hours": True}, "error.build.bad_hours"),
        ({"typical_hours": 5e-324}, "error.build.hours_too_few"),
        ({"typical_hours": 0.2}, "error.build.hours_too_few"),
        ({"crates_needed": True}, "error.build.bad_crates_needed"),
        ({"crates_needed": 2.0}, "error.build.bad_crates_needed"),
        ({"name": "Tabouret\x08"}, "error.text.invisible"),
        ({"name_en": "Stool\x00"}, "error.text.invisible"),
        ({"description": "Deux cagettes\tvissées"}, "error.text.invisible"),
        ({"description": "Deux cagettes\u2028vissées"}, "error.text.invisible"),
        ({"description": "Deux cagettes\ufffe"}, "error.text.invisible"),
    ],
)
def test_a_design_with_an_unreal_number_or_an_invisible_character_is_refused(engine, fields, key):
    lead = factories.user(engine, Role.lead)
    factories.refused(engine, key, builds.save_design, actor=lead, fields=_design(**fields))
    [seeded] = [d for d in factories.read(engine, builds.list_designs) if d.name == "Banc"]
    factories.refused(
        engine, key, builds.save_design, actor=lead, fields=_design(**fields), design_id=seeded.id
    )


def test_a_description_keeps_its_lines_and_names_lose_bidirectional_controls(engine):
    lead = factories.user(engine, Role.lead)
    design = factories.write(
        engine,
        builds.save_design,
        actor=lead,
        fields=_design(
            name="\u202eTabouret",
            name_en="Stool\u2066",
            description="Deux cagettes.\r\nVernis à l'huile.",
            typical_hours=0.25,
        ),
    )
    assert (design.name, design.name_en) == ("Tabouret", "Stool")
    assert design.description == "Deux cagettes.\nVernis à l'huile."
