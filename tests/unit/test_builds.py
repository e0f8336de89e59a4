"""Builds: designs, scanning crates in, statuses, photos, deletion, the passport."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlmodel import func, select

from tests import factories
from workshop import builds, codes, dates, db
from workshop.errors import InvalidInput, NotFound, PermissionDenied, WrongCodeKind
from workshop.models import AuditEvent, BuildCrate, BuildStatus, Crate, Outcome, Role


def _attach(engine, actor, build, text):
    with db.write_session(engine) as session:
        return builds.attach_crate(session=session, actor=actor, build_id=build.id, text=text)


def _status(engine, actor, build, status, **extra):
    with db.write_session(engine) as session:
        return builds.set_status(
            session=session, actor=actor, build_id=build.id, status=status, **extra
        )


def _outcome(engine, code):
    with db.read_session(engine) as session:
        return session.exec(select(Crate.outcome).where(Crate.code == code)).one()


def test_designs_are_seeded_and_editable(engine):
    lead = factories.user(engine, Role.lead)
    with db.read_session(engine) as session:
        names = [d.name for d in builds.designs(session=session)]
    assert "Étagère 3 cagettes" in names and len(names) == 5
    with db.write_session(engine) as session:
        design = builds.save_design(
            session=session, actor=lead, name="Tabouret", crates_needed=2, typical_hours=3
        )
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        builds.save_design(
            session=session, actor=lead, name="Banc", crates_needed=2, typical_hours=3
        )
    assert err.value.key == "error.build.design_name_taken"
    for bad in ({"crates_needed": 0}, {"typical_hours": 0}, {"name": " "}):
        args = {"name": "Tabouret", "crates_needed": 2, "typical_hours": 3.0, **bad}
        with pytest.raises(InvalidInput), db.write_session(engine) as session:
            builds.save_design(session=session, actor=lead, design_id=design.id, **args)
    trainee = factories.user(engine, Role.trainee)
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        builds.save_design(
            session=session, actor=trainee, name="X", crates_needed=2, typical_hours=3
        )


def test_scan_session_counts_reports_repeats_and_undoes(engine):
    lead = factories.user(engine, Role.lead)
    first, second, third = factories.crates_in_stock(engine, lead, 3)
    build = factories.build(engine, lead)
    assert codes.kind_of(build.code) == "M" and build.status == BuildStatus.planned
    done = _attach(engine, lead, build, codes.url_for(first))
    assert (done.added, done.count, done.needed) == (True, 1, 3)
    again = _attach(engine, lead, build, codes.format_code(first))
    assert (again.added, again.count) == (False, 1)
    _attach(engine, lead, build, second)
    assert _outcome(engine, second) == Outcome.in_build
    with db.read_session(engine) as session:
        assert (
            builds.get_build(session=session, build_id=build.id).status == BuildStatus.in_progress
        )
    with db.write_session(engine) as session:
        assert builds.undo_last(session=session, actor=lead, build_id=build.id) == second
    assert _outcome(engine, second) == Outcome.in_stock
    assert _attach(engine, lead, build, third).count == 2


def test_crate_in_another_build_or_gone_is_refused(engine):
    lead = factories.user(engine, Role.lead)
    first, second = factories.crates_in_stock(engine, lead, 2)
    one, other = factories.build(engine, lead), factories.build(engine, lead)
    _attach(engine, lead, one, first)
    with pytest.raises(InvalidInput) as err:
        _attach(engine, lead, other, first)
    assert err.value.key == "error.build.crate_in_other_build"
    assert err.value.params["build"] == codes.format_code(one.code)
    from workshop import crates

    with db.write_session(engine) as session:
        crates.set_outcome(session=session, actor=lead, code=second, outcome=Outcome.firewood)
    with pytest.raises(InvalidInput) as err:
        _attach(engine, lead, other, second)
    assert err.value.key == "error.build.crate_not_available"
    with db.read_session(engine) as session:
        assert builds.crate_count(session=session, build_id=other.id) == 0


def test_wrong_kinds_of_code_are_refused(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead)
    build = factories.build(engine, lead)
    with pytest.raises(WrongCodeKind):
        _attach(engine, lead, build, lot.code)
    with pytest.raises(WrongCodeKind):
        _attach(engine, lead, build, codes.mint("B"))
    with pytest.raises(NotFound):
        _attach(engine, lead, build, codes.mint("C"))
    with db.read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(BuildCrate)).one() == 0


def test_trainee_scans_but_does_not_manage(engine):
    lead = factories.user(engine, Role.lead)
    trainee = factories.user(engine, Role.trainee)
    [crate] = factories.crates_in_stock(engine, lead, 1)
    build = factories.build(engine, lead)
    assert _attach(engine, trainee, build, crate).added
    with pytest.raises(PermissionDenied):
        _status(engine, trainee, build, BuildStatus.finished)
    manager = factories.user(engine, Role.market_manager)
    with pytest.raises(PermissionDenied):
        _attach(engine, manager, build, crate)


def test_status_path_and_rules(engine):
    lead = factories.user(engine, Role.lead)
    [crate] = factories.crates_in_stock(engine, lead, 1)
    build = factories.build(engine, lead)
    with pytest.raises(InvalidInput) as err:
        _status(engine, lead, build, BuildStatus.sold, destination="Léa")
    assert err.value.key == "error.build.bad_status_change"
    _attach(engine, lead, build, crate)
    # Fewer crates than the design needs: allowed (the page warns).
    finished = _status(engine, lead, build, BuildStatus.finished)
    assert finished.finished_on == dates.today()
    with pytest.raises(InvalidInput) as err:
        _attach(engine, lead, build, factories.crates_in_stock(engine, lead, 1)[0])
    assert err.value.key == "error.build.closed"
    with pytest.raises(InvalidInput) as err:
        _status(engine, lead, build, BuildStatus.donated, destination="  ")
    assert err.value.key == "error.build.destination_required"
    with pytest.raises(InvalidInput):
        _status(engine, lead, build, BuildStatus.sold, destination="Léa", price_eur=-5)
    with pytest.raises(InvalidInput):
        _status(
            engine,
            lead,
            build,
            BuildStatus.sold,
            destination="Léa",
            on=dates.today() + timedelta(1),
        )
    sold = _status(engine, lead, build, BuildStatus.sold, destination="Léa", price_eur=45.0)
    assert sold.status == BuildStatus.sold and sold.price_eur == 45.0 and sold.destination == "Léa"


def test_delete_build_puts_crates_back(engine):
    lead = factories.user(engine, Role.lead)
    crates_ = factories.crates_in_stock(engine, lead, 2)
    build = factories.build(engine, lead)
    for code in crates_:
        _attach(engine, lead, build, code)
    with pytest.raises(InvalidInput), db.write_session(engine) as session:
        builds.delete_build(session=session, actor=lead, build_id=build.id, reason="")
    with db.write_session(engine) as session:
        assert (
            builds.delete_build(session=session, actor=lead, build_id=build.id, reason="erreur")
            == build.code
        )
    assert [_outcome(engine, c) for c in crates_] == [Outcome.in_stock, Outcome.in_stock]
    with db.read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "delete")).one()
    assert event.reason == "erreur" and all(c in event.before for c in crates_)


def _jpeg(size=(3000, 2000)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_photos_are_resized_and_kept_on_disk(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    with db.write_session(engine) as session:
        photo = builds.add_photo(session=session, actor=lead, build_id=build.id, data=_jpeg())
    stored = builds.photo_bytes(photo)
    assert stored is not None and len(stored) < 1024 * 1024
    assert max(Image.open(io.BytesIO(stored)).size) == builds.PHOTO_MAX_SIDE
    assert (tmp_path / "photos" / photo.path).is_file()
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        builds.add_photo(session=session, actor=lead, build_id=build.id, data=b"not a photo")
    assert err.value.key == "error.photo.not_an_image"
    with db.read_session(engine) as session:
        assert len(builds.photos(session=session, build_id=build.id)) == 1


def test_two_leads_attach_the_same_crate_at_once(engine):
    """Exactly one wins, whatever the timing: the database enforces one build per crate."""
    lead = factories.user(engine, Role.lead)
    results: list[object] = []
    for _ in range(5):
        [crate] = factories.crates_in_stock(engine, lead, 1)
        one, other = factories.build(engine, lead), factories.build(engine, lead)
        barrier = threading.Barrier(2)
        outcome: list[object] = []

        def attach(build, crate=crate, barrier=barrier, outcome=outcome):
            barrier.wait()
            try:
                outcome.append(_attach(engine, lead, build, crate).added)
            except InvalidInput as err:
                outcome.append(err.key)

        threads = [threading.Thread(target=attach, args=(b,)) for b in (one, other)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sorted(map(str, outcome)) == ["True", "error.build.crate_in_other_build"] or sorted(
            map(str, outcome)
        ) == ["True", "error.build.crate_taken"], outcome
        results.append(outcome)
        with db.read_session(engine) as session:
            links = session.exec(select(BuildCrate).join(Crate).where(Crate.code == crate)).all()
        assert len(links) == 1


def test_passport(engine):
    lead = factories.user(engine, Role.lead)
    davout = factories.crates_in_stock(engine, lead, 2, on=date(2026, 5, 6))
    [belgrand] = factories.crates_in_stock(
        engine, lead, 1, market_name="Marché Belgrand", on=date(2026, 5, 9)
    )
    build = factories.build(engine, lead)
    for code in [*davout, belgrand]:
        _attach(engine, lead, build, code)
    with db.read_session(engine) as session:
        in_progress = builds.passport(session=session, text=codes.url_for(build.code))
    assert not in_progress.finished
    _status(engine, lead, build, BuildStatus.finished)
    with db.read_session(engine) as session:
        story = builds.passport(session=session, text=build.code.lower())
    assert story.finished and story.crates == 3
    assert [(m.market, m.crates) for m in story.markets] == [
        ("Marché Davout", 2),
        ("Marché Belgrand", 1),
    ]
    assert story.kg == pytest.approx(3 * 1.2)
    assert story.co2e_kg == pytest.approx(3 * 1.2 * story.co2e_factor)
    assert "ADEME" in story.co2e_source
    [crate] = factories.crates_in_stock(engine, lead, 1)
    lot = factories.lot(engine, lead)
    with db.read_session(engine) as session:
        for text in (crate, lot.code, codes.mint("M"), "n'importe quoi", ""):
            with pytest.raises(NotFound) as err:
                builds.passport(session=session, text=text)
            assert err.value.key == "error.passport.not_found"


def test_passport_training_hours_and_consent(engine):
    from workshop.models import Activity, HourEntry, HourSource, HourStatus, Programme, Trainee

    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
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
        story = builds.passport(session=session, text=build.code)
    assert story.training_hours == pytest.approx(4.0)
    assert story.makers == ["Awa"]
    assert [p.name for p in story.programmes] == [programme.name]


def test_design_photo_shows_on_the_passport(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    with db.write_session(engine) as session:
        design = builds.set_design_photo(
            session=session, actor=lead, design_id=build.design_id, data=_jpeg((800, 600))
        )
    assert builds.stored_photo(design.photo) is not None
    with db.read_session(engine) as session:
        story = builds.passport(session=session, text=build.code)
    assert story.photo is None and story.design.photo == design.photo
    with pytest.raises(InvalidInput), db.write_session(engine) as session:
        builds.set_design_photo(session=session, actor=lead, design_id=build.design_id, data=b"x")
