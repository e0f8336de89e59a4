"""The Scan page's routing table and double-read filter, without the page."""

from __future__ import annotations

import pytest

from tests import factories
from workshop import codes, db, scanning
from workshop.errors import NotFound, PermissionDenied, WrongCodeKind
from workshop.models import Role


def _route(engine, actor, code, open_build_id=None):
    with db.read_session(engine) as session:
        return scanning.route(session=session, actor=actor, code=code, open_build_id=open_build_id)


@pytest.fixture
def scanned(engine):
    """A lead, a trainee, a crate in stock, its lot, a build and a badge code."""
    lead = factories.user(engine, Role.lead)
    trainee = factories.user(engine, Role.trainee)
    crate = factories.crates_in_stock(engine, lead, n=1)[0]
    lot = factories.lot(engine, lead)
    build = factories.build(engine, lead)
    return lead, trainee, crate, lot.code, build, codes.mint(codes.BADGE)


def test_without_a_scan_session_a_build_opens_and_the_rest_is_shown(engine, scanned):
    lead, trainee, crate, lot, build, badge = scanned
    for actor in (lead, trainee):
        assert _route(engine, actor, build.code) == scanning.OpenBuild(build.id)
        assert _route(engine, actor, crate) == scanning.Show(crate)
        assert _route(engine, actor, lot) == scanning.Show(lot)
        assert _route(engine, actor, badge) == scanning.Show(badge)  # the look-up explains


def test_during_a_scan_session_a_crate_goes_in_and_a_lot_or_badge_is_refused(engine, scanned):
    lead, _, crate, lot, build, badge = scanned
    other = factories.build(engine, lead)
    assert _route(engine, lead, crate, build.id) == scanning.Attach(build.id)
    assert _route(engine, lead, other.code, build.id) == scanning.OpenBuild(other.id)
    for code in (lot, badge):
        with pytest.raises(WrongCodeKind) as err:
            _route(engine, lead, code, build.id)
        assert err.value.params == {
            "expected": codes.CRATE,
            "found": code[0],
            "code": codes.format_code(code),
        }


def test_an_unknown_build_and_a_role_that_may_not_scan_are_refused(engine, scanned):
    lead, *_ = scanned
    with pytest.raises(NotFound):
        _route(engine, lead, codes.mint(codes.BUILD))
    with pytest.raises(PermissionDenied):
        _route(engine, factories.user(engine, Role.market_manager), scanned[2])


def test_double_read_filter():
    f = scanning.DoubleReadFilter(window=2.0)
    assert not f.is_repeat("C1", 10.0)
    assert f.is_repeat("C1", 11.0)
    assert not f.is_repeat("C2", 11.5)
    assert not f.is_repeat("C2", 14.0)  # same code, but after the window
