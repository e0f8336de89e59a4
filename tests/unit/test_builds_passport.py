"""Builds, passport: a piece's public story, its markets, weight, training and makers."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests import factories
from workshop import builds, codes, db, impact
from workshop.errors import NotFound
from workshop.models import BuildStatus, Role


def test_passport(engine):
    lead = factories.user(engine, Role.lead)
    davout = factories.crates_in_stock(engine, lead, 2, on=date(2026, 5, 6))
    [belgrand] = factories.crates_in_stock(
        engine, lead, 1, market_name="Marché Belgrand", on=date(2026, 5, 9)
    )
    build = factories.build(engine, lead)
    with db.read_session(engine) as session, pytest.raises(NotFound) as planned:
        builds.public_passport(session=session, text=build.code)  # nothing made yet: not public
    assert planned.value.key == "error.passport.not_found"
    for code in [*davout, belgrand]:
        factories.attach(engine, lead, build, code)
    with db.read_session(engine) as session:
        in_progress = builds.public_passport(session=session, text=codes.url_for(build.code))
    assert not in_progress.finished
    factories.set_build_status(engine, lead, build, BuildStatus.finished)
    with db.read_session(engine) as session:
        story = builds.public_passport(session=session, text=build.code.lower())
    assert story.finished and story.crates == 3
    assert [(m.market, m.crates) for m in story.markets] == [
        ("Marché Davout", 2),
        ("Marché Belgrand", 1),
    ]
    assert story.kg == pytest.approx(3 * 1.2)
    assert story.co2e_kg == pytest.approx(3 * 1.2 * story.co2e_factor)
    # The default source is worded in the reader's language.
    assert story.co2e_source == ""
    assert "par tonne" in impact.co2e_source_text(story.co2e_source, "fr")
    assert "per tonne" in impact.co2e_source_text(story.co2e_source, "en")
    [crate] = factories.crates_in_stock(engine, lead, 1)
    lot = factories.lot(engine, lead)
    with db.read_session(engine) as session:
        for text in (crate, lot.code, codes.mint("M"), "n'importe quoi", ""):
            with pytest.raises(NotFound) as err:
                builds.public_passport(session=session, text=text)
            assert err.value.key == "error.passport.not_found"


def _started_piece(engine, lead):
    build = factories.build(engine, lead)
    [crate] = factories.crates_in_stock(engine, lead, 1)
    factories.attach(engine, lead, build, crate)  # in progress: its passport is public
    return build


def test_passport_training_hours_and_consent(engine):
    from workshop.models import Activity, HourEntry, HourSource, HourStatus, Programme, Trainee

    lead = factories.user(engine, Role.lead)
    build = _started_piece(engine, lead)
    with db.write_session(engine) as session:
        programme = session.exec(select(Programme)).first()
        if programme is None:
            programme = Programme(name="Régie de quartier Saint-Blaise")
            session.add(programme)
            session.flush()
        people = [
            Trainee(
                display_name="Awa D.",
                programme_id=programme.id,
                start_date=date(2026, 1, 1),
                badge_code=codes.mint("B"),
                consent_name=True,
            ),
            Trainee(
                display_name="Karim B.",
                programme_id=programme.id,
                start_date=date(2026, 1, 1),
                badge_code=codes.mint("B"),
                consent_name=False,
            ),
        ]
        session.add_all(people)
        session.flush()
        for trainee, minutes, status in (
            (people[0], 150, HourStatus.approved),
            (people[1], 90, HourStatus.approved),
            (people[1], 600, HourStatus.submitted),  # not approved: not counted
        ):
            session.add(
                HourEntry(
                    trainee_id=trainee.id,
                    work_date=date(2026, 5, 7),
                    minutes=minutes,
                    activity=Activity.assemblage,
                    build_id=build.id,
                    status=status,
                    source=HourSource.staff,
                )
            )
    with db.read_session(engine) as session:
        story = builds.public_passport(session=session, text=build.code)
    assert story.makers == ["Awa"]
    assert [p.name for p in story.programmes] == [programme.name]
    # Two makers: the total would tell Awa's time to Karim (and anyone who knows him).
    assert story.training_hours is None
    factories.maker(engine, lead, build, "Inès", 60)
    with db.read_session(engine) as session:
        story = builds.public_passport(session=session, text=build.code)
    assert story.training_hours == pytest.approx(5.0) and story.makers == ["Awa"]


def test_a_sole_makers_hours_are_not_on_the_passport(engine):
    """One consenting trainee built it: their name shows, never their hours."""
    lead = factories.user(engine, Role.lead)
    build = _started_piece(engine, lead)
    factories.maker(engine, lead, build, "Awa", 150, consent=True)
    factories.set_build_status(engine, lead, build, BuildStatus.finished)
    with db.read_session(engine) as session:
        story = builds.public_passport(session=session, text=build.code)
    assert story.makers == ["Awa"] and story.training_hours is None  # 2,5 h: hers
