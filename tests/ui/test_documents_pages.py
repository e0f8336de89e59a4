"""Documents to file (AppTest): documents.py, the March reminder on home.py, the market's
operator on settings.py."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from tests import factories
from tests.ui.conftest import open_page, page_alone, start, texts
from workshop import dates, db, pickups
from workshop.models import Market, Role

MARCH = datetime(2027, 3, 4, 10, 0, tzinfo=dates.PARIS)


def _two_markets(engine) -> list[Market]:
    lead = factories.user(engine, Role.lead)
    factories.lot(engine, lead, on=date(2026, 5, 6), counts=(12,), sample=(4, 6.0))
    with db.write_session(engine) as session:
        session.add(Market(name="Marché Belleville", days="mar;ven"))
    with db.read_session(engine) as session:
        return pickups.all_markets(session=session)


def _downloads(at) -> dict[str, object]:
    return {b.proto.label: b for b in at.get("download_button")}


def test_admin_downloads_a_market_s_attestation_and_its_csv(ui):
    _two_markets(ui)
    admin = factories.user(ui, Role.admin)
    with time_machine.travel(MARCH, tick=False):
        at = open_page(start(admin), "documents.py")
        assert not at.exception and texts(at.title) == ["Documents à classer"]
        assert at.selectbox(key="doc_year").value == 2026  # last year first
        at.selectbox(key="doc_market").set_value(factories.market(ui).id).run()
        buttons = _downloads(at)
        assert "Données de l'attestation (PDF)" in buttons
        assert "Les mêmes chiffres (CSV)" in buttons
        # No operator yet: the page says where to fill it in.
        assert any("Réglages" in w for w in texts(at.warning))
        assert {"Rapport (PDF)", "Ses tableaux (XLSX)"} <= set(buttons)
        at.selectbox(key="doc_report_year").set_value(2025).run()
        assert not at.exception


def test_documents_page_in_english(ui):
    _two_markets(ui)
    at = open_page(start(factories.user(ui, Role.admin), lang="en"), "documents.py")
    assert not at.exception and texts(at.title) == ["Documents to file"]
    assert {"Attestation data (PDF)", "Report (PDF)", "Its tables (XLSX)"} <= set(_downloads(at))


@pytest.mark.parametrize("role", [Role.lead, Role.market_manager, Role.trainee])
def test_documents_page_is_the_admin_s(ui, role):
    at = page_alone("documents.py", factories.user(ui, role))
    assert not at.exception
    assert not at.get("download_button")


def test_in_march_the_admin_s_home_has_one_attestation_per_market(ui):
    markets = _two_markets(ui)
    admin = factories.user(ui, Role.admin)
    with time_machine.travel(MARCH, tick=False):
        at = start(admin)
        assert not at.exception
        [reminder] = texts(at.warning)
        assert "31 mars" in reminder and "2026" in reminder
        labels = sorted(_downloads(at))
        assert labels == sorted(f"{m.name} (PDF)" for m in markets)
        english = start(admin, lang="en")
        assert "31 March" in texts(english.warning)[0]


@pytest.mark.parametrize("role", [Role.admin, Role.lead])
def test_no_reminder_outside_march_nor_for_other_roles(ui, role):
    _two_markets(ui)
    april = datetime(2027, 4, 1, 9, 0, tzinfo=dates.PARIS)
    with time_machine.travel(april if role == Role.admin else MARCH, tick=False):
        at = start(factories.user(ui, role))
        assert not at.exception
        assert not texts(at.warning) and not at.get("download_button")


def _operator_form(at, market: Market):
    form = f"market_{market.id}"
    field = next(f for f in at.text_input if f.form_id == form)
    assert field.label.startswith("Gestionnaire du marché")
    return field, next(b for b in at.button if b.form_id == form)


def test_settings_saves_the_market_s_operator_and_refuses_a_bad_one(ui):
    davout = factories.market(ui)
    admin = factories.user(ui, Role.admin)
    at = open_page(start(admin), "settings.py")
    field, save = _operator_form(at, davout)
    field.input("SAS Dadoun Père & Fils")
    save.click().run()
    assert not at.exception
    with db.read_session(ui) as session:
        assert session.get(Market, davout.id).operator == "SAS Dadoun Père & Fils"
    field, save = _operator_form(at, davout)
    field.input("SAS\x07Dadoun")
    save.click().run()
    assert not at.exception and at.error
    with db.read_session(ui) as session:
        # Nothing half written: neither the operator nor the days.
        assert session.get(Market, davout.id).operator == "SAS Dadoun Père & Fils"
