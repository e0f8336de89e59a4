"""Builds, attaching: scanning crates into a build, repeats, refusals, undo, a race."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import func, select

from tests import factories
from workshop import builds, codes, crates, db
from workshop.errors import InvalidInput, NotFound, PermissionDenied, Unlikely, WrongCodeKind
from workshop.models import BuildCrate, BuildStatus, Crate, Outcome, Role


def test_scan_session_counts_reports_repeats_and_undoes(engine):
    lead = factories.user(engine, Role.lead)
    first, second, third = factories.crates_in_stock(engine, lead, 3)
    build = factories.build(engine, lead)
    assert codes.kind_of(build.code) == "M" and build.status == BuildStatus.planned
    done = factories.attach(engine, lead, build, codes.url_for(first))
    assert (done.added, done.count, done.needed) == (True, 1, 3)
    again = factories.attach(engine, lead, build, codes.format_code(first))
    assert (again.added, again.count) == (False, 1)
    factories.attach(engine, lead, build, second)
    assert factories.crate_outcome(engine, second) == Outcome.in_build
    with db.read_session(engine) as session:
        assert (
            builds.get_build(session=session, build_id=build.id).status == BuildStatus.in_progress
        )
    with db.write_session(engine) as session:
        assert builds.undo_last(session=session, actor=lead, build_id=build.id) == second
    assert factories.crate_outcome(engine, second) == Outcome.in_stock
    assert factories.attach(engine, lead, build, third).count == 2


def test_crate_in_another_build_or_gone_is_refused(engine):
    lead = factories.user(engine, Role.lead)
    first, second = factories.crates_in_stock(engine, lead, 2)
    one, other = factories.build(engine, lead), factories.build(engine, lead)
    factories.attach(engine, lead, one, first)
    with pytest.raises(InvalidInput) as err:
        factories.attach(engine, lead, other, first)
    assert err.value.key == "error.build.crate_in_other_build"
    assert err.value.params["build"] == codes.format_code(one.code)
    with db.write_session(engine) as session:
        crates.set_outcome(session=session, actor=lead, code=second, outcome=Outcome.firewood)
    with pytest.raises(InvalidInput) as err:
        factories.attach(engine, lead, other, second)
    assert err.value.key == "error.build.crate_not_available"
    with db.read_session(engine) as session:
        assert builds.crate_count(session=session, build_id=other.id) == 0


def test_wrong_kinds_of_code_are_refused(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead)
    build = factories.build(engine, lead)
    with pytest.raises(WrongCodeKind):
        factories.attach(engine, lead, build, lot.code)
    with pytest.raises(WrongCodeKind):
        factories.attach(engine, lead, build, codes.mint("B"))
    with pytest.raises(NotFound):
        factories.attach(engine, lead, build, codes.mint("C"))
    with db.read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(BuildCrate)).one() == 0


def test_trainee_scans_but_does_not_manage(engine):
    lead = factories.user(engine, Role.lead)
    trainee = factories.user(engine, Role.trainee)
    [crate] = factories.crates_in_stock(engine, lead, 1)
    build = factories.build(engine, lead)
    assert factories.attach(engine, trainee, build, crate).added
    with pytest.raises(PermissionDenied):
        factories.set_build_status(engine, trainee, build, BuildStatus.finished)
    manager = factories.user(engine, Role.market_manager)
    with pytest.raises(PermissionDenied):
        factories.attach(engine, manager, build, crate)


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
                outcome.append(factories.attach(engine, lead, build, crate).added)
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


def test_a_crate_beyond_the_designs_need_is_unlikely_until_confirmed(engine):
    lead = factories.user(engine, Role.lead)
    crates = factories.crates_in_stock(engine, lead, 4)
    build = factories.build(engine, lead)  # a 3-crate shelf
    for code in crates[:3]:
        factories.attach(engine, lead, build, code)
    with db.write_session(engine) as session, pytest.raises(Unlikely) as err:
        builds.attach_crate(session=session, actor=lead, build_id=build.id, text=crates[3])
    assert err.value.key == "error.build.more_than_needed"
    assert err.value.params["n"] == 4 and err.value.params["needed"] == 3
    with db.write_session(engine) as session:
        done = builds.attach_crate(
            session=session, actor=lead, build_id=build.id, text=crates[3], confirmed=True
        )
    assert done.added and done.count == 4
