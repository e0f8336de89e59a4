"""Hours pages (AppTest): shop_floor.py, hours_approval.py, hours_reports.py, trainees.py,
my_hours.py, and the retention section of settings.py."""

from __future__ import annotations

import time as _time
from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from tests import factories
from tests.conftest import APP
from tests.factories import PIN, add_hours, hour_entries, trainee, write
from tests.ui.conftest import open_page, page_alone, scan, start, texts
from workshop import codes, dates, db, hours, i18n
from workshop.hours.kiosk import KIOSK_FREE_TRIES
from workshop.models import (
    Activity,
    AuditEvent,
    HourEntry,
    HourSource,
    HourStatus,
    Role,
    Trainee,
    WeekApproval,
)
from workshop.ui import nav

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=dates.PARIS)  # a Tuesday morning


class Clock:
    """The whole process's clock (time-machine), moved by assigning `current`."""

    def __init__(self, traveller: time_machine.Coordinates) -> None:
        self._traveller = traveller
        self._current = NOW

    @property
    def current(self) -> datetime:
        return self._current

    @current.setter
    def current(self, moment: datetime) -> None:
        self._traveller.move_to(moment)
        self._current = moment


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield Clock(traveller)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


UNKNOWN_BADGE = "Ce badge n'est pas reconnu, réessaie ou demande à ton encadrant·e."


def _tablet(engine):
    """A lead turns shop-floor mode on: the app is signed out and shows the tablet alone."""
    lead = factories.user(engine, Role.lead, "lea")
    at = open_page(start(lead), "shop_floor.py")
    assert texts(at.title) == ["Mode atelier"]
    _button(at, "Passer en mode atelier").click().run()
    assert not at.exception
    assert texts(at.title) == ["Bonjour !"]
    assert "user_id" not in at.session_state
    with pytest.raises(ValueError):  # no other page exists in shop-floor mode
        open_page(at, "home.py")
    return at


def test_shop_floor_badge_clock_in_clock_out_and_auto_return(ui, frozen):
    tr = trainee(ui)
    at = _tablet(ui)
    scan(at, codes.url_for(tr.badge_code), key="sf_badge")
    assert texts(at.title) == ["Bonjour Awa D. !"]
    assert "Tu n'as pas encore pointé ton arrivée aujourd'hui." in texts(at.info)
    _button(at, "J'arrive").click().run()
    assert texts(at.subheader) == ["Qu'est-ce que tu fais ?"]
    _button(at, "Ponçage").click().run()
    assert not at.exception and not at.error
    assert texts(at.success) == ["C'est noté : tu es arrivé·e à 9 h 00. Activité : Ponçage."]
    assert [e.status for e in hour_entries(ui, tr.id)] == [HourStatus.open]
    # Nobody touches the screen: it goes back to the start by itself.
    at.session_state["sf_deadline"] = _time.time() - 1
    at.run()
    assert texts(at.title) == ["Bonjour !"]
    # Three hours and ten minutes later.
    frozen.current = NOW + timedelta(hours=3, minutes=10)
    scan(at, codes.format_code(tr.badge_code), key="sf_badge")
    assert "Tu es arrivé·e à 9 h 00." in texts(at.info)
    _button(at, "Je pars").click().run()
    assert texts(at.success) == ["C'est noté : tu as travaillé 3\u202fh\u00a015\u00a0min. Merci !"]
    assert texts(at.caption) == ["L'écran revient au début tout seul dans 20 secondes."]
    (entry,) = hour_entries(ui, tr.id)
    assert entry.status == HourStatus.submitted and entry.minutes == 195
    _button(at, "Terminé").click().run()
    assert texts(at.title) == ["Bonjour !"]


def test_shop_floor_refusals_and_english(ui, frozen):
    ended = trainee(ui, name="Bob", end=date(2026, 2, 28))
    at = _tablet(ui)
    scan(at, ended.badge_code, key="sf_badge")
    assert texts(at.error) == [
        "Bonjour Bob D.. Ton contrat à l'atelier est terminé : ce badge ne marche plus. "
        "Merci pour ton travail ! Parle à un·e encadrant·e si besoin."
    ]
    scan(at, "C-0000-0", key="sf_badge")
    assert at.error and texts(at.title) == ["Bonjour !"]
    _button(at, "English").click().run()
    assert texts(at.title) == ["Hello!"]
    assert texts(at.subheader) == ["Hold your badge in front of the reader."]


def test_shop_floor_unknown_badges_are_throttled_on_the_tablet(ui, frozen):
    """Hardening 8: badges could be tried without limit (548 in 30 s)."""
    tr = trainee(ui)
    at = _tablet(ui)
    for _ in range(KIOSK_FREE_TRIES):
        scan(at, codes.mint("B"), key="sf_badge")
        assert texts(at.error) == [
            "Ce badge n'est pas reconnu, réessaie ou demande à ton encadrant·e."
        ]
    scan(at, tr.badge_code, key="sf_badge")  # even a real badge waits now
    assert texts(at.error) == ["Trop d'essais. Attends 1 minutes ou demande à ton encadrant·e."]
    assert texts(at.title) == ["Bonjour !"]
    frozen.current = NOW + timedelta(seconds=61)
    scan(at, tr.badge_code, key="sf_badge")
    assert texts(at.title) == ["Bonjour Awa D. !"]


def test_shop_floor_name_and_pin_then_direct_hours(ui, frozen):
    tr = trainee(ui)
    at = _tablet(ui)
    _button(at, "Awa D.").click().run()
    assert texts(at.subheader) == ["Tape ton code secret (4 chiffres)."]
    at.text_input(key="sf_pin").input("0000")
    _button(at, "Valider").click().run()
    assert texts(at.error) == ["Code faux. Essaie encore."]
    at.text_input(key="sf_pin").input(PIN)
    _button(at, "Valider").click().run()
    assert texts(at.title) == ["Bonjour Awa D. !"]
    _button(at, "J'écris mes heures").click().run()
    at.radio(key="sf_day").set_value(NOW.date() - timedelta(days=1))
    at.selectbox(key="sf_minutes").set_value(150)
    _button(at, "Valider").click().run()
    assert texts(at.error) == ["Choisis ce que tu as fait."]
    at.button_group[0].set_value(Activity.tri).run()
    _button(at, "Valider").click().run()
    assert not at.error, texts(at.error)
    assert texts(at.success) == ["C'est noté : 2\u202fh\u00a030\u00a0min de travail (Hier)."]
    (entry,) = hour_entries(ui, tr.id)
    assert entry.work_date == date(2026, 3, 9) and entry.activity == Activity.tri


def test_leaving_shop_floor_mode_needs_a_lead(ui, frozen):
    factories.user(ui, Role.trainee, "sam")
    at = _tablet(ui)
    at.text_input[0].input("sam")
    at.text_input[1].input(factories.PASSWORD)
    _button(at, "Quitter le mode atelier").click().run()
    assert texts(at.error) == [
        "Seul·e un·e encadrant·e ou un·e administrateur·rice peut quitter le mode atelier."
    ]
    at.text_input[0].input("lea")
    at.text_input[1].input("wrong")
    _button(at, "Quitter le mode atelier").click().run()
    assert texts(at.error) == ["Identifiant ou mot de passe incorrect."]
    at.text_input[0].input("lea")
    at.text_input[1].input(factories.PASSWORD)
    _button(at, "Quitter le mode atelier").click().run()
    assert not at.exception
    assert nav.SHOP_FLOOR_KEY not in at.session_state
    assert "tablet" not in at.query_params  # a reload now opens the app, not the tablet
    assert at.session_state["user_id"]
    assert texts(at.title) == ["Mode atelier"]  # signed in again, on the lead's page


def test_the_tablet_has_its_own_address_that_survives_a_reload(ui, frozen):
    """A reload or a power cut is a new browser session: the address alone opens the badges."""
    tr = trainee(ui)
    at = _tablet(ui)
    token = at.query_params["tablet"]
    token = token if isinstance(token, str) else token[0]
    reloaded = AppTest.from_file(APP, default_timeout=30)
    reloaded.query_params["tablet"] = token
    reloaded.run()
    assert not reloaded.exception
    assert texts(reloaded.title) == ["Bonjour !"] and "user_id" not in reloaded.session_state
    scan(reloaded, tr.badge_code, key="sf_badge")  # no click first: the field has the focus
    assert texts(reloaded.title) == ["Bonjour Awa D. !"]


@pytest.mark.parametrize("token", ["t1.forged.signature", "v1.1.1.x.1.y", "", "x" * 500])
def test_a_made_up_tablet_address_opens_the_sign_in_page(ui, token):
    factories.user(ui, Role.lead, "lea")
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["tablet"] = token
    at.run()
    assert not at.exception
    assert nav.SHOP_FLOOR_KEY not in at.session_state
    assert texts(at.title) != ["Bonjour !"]


def test_the_tablet_keeps_the_chosen_language_through_the_flow_then_goes_back(ui, frozen):
    tr = trainee(ui)
    at = _tablet(ui)
    _button(at, "English").click().run()
    scan(at, tr.badge_code, key="sf_badge")
    assert texts(at.title) == ["Hello Awa D.!"]
    _button(at, "I write my hours").click().run()
    assert texts(at.subheader) == ["Write your hours"]
    _button(at, "This is not me").click().run()
    assert texts(at.title) == ["Bonjour !"]  # the next person starts in the kiosk's language


def test_a_badge_on_someone_elses_screen_switches_to_its_owner(ui, frozen):
    awa, bob = trainee(ui), trainee(ui, name="Bob")
    at = _tablet(ui)
    scan(at, awa.badge_code, key="sf_badge")
    assert texts(at.title) == ["Bonjour Awa D. !"]
    scan(at, bob.badge_code, key="sf_badge")
    assert texts(at.title) == ["Bonjour Bob D. !"]


def test_a_mistyped_badge_is_said_in_plain_words(ui, frozen):
    at = _tablet(ui)
    typed = codes.format_code(codes.mint("B"))
    scan(at, typed[:-1] + ("2" if typed[-1] != "2" else "3"), key="sf_badge")
    assert texts(at.error) == [UNKNOWN_BADGE]


def test_approve_a_week(ui):
    lead = factories.user(ui, Role.lead)
    tr = trainee(ui)
    monday = date(2026, 3, 9)
    add_hours(ui, lead, tr, monday, 120, start=datetime(2026, 3, 9, 9).time())
    at = open_page(start(lead), "hours_approval.py")
    assert not at.exception and texts(at.title) == ["Heures à valider"]
    assert any(
        "Awa D. · semaine du 9 mars 2026 · 2\u202fh à valider" in m.value for m in at.markdown
    )
    _button(at, "Ouvrir").click().run()
    assert texts(at.subheader)[-1] == "Semaine du 9 mars 2026 au 15 mars 2026"
    # Reject without a reason: refused, nothing changes.
    _button(at, "Refuser").click().run()
    assert texts(at.error) == ["Indiquez la raison."]
    _button(at, "Valider la semaine").click().run()
    assert texts(at.success)[0] == "Semaine de Awa D. validée et verrouillée."
    with db.read_session(ui) as session:
        assert session.exec(select(WeekApproval)).one().week_start == monday
    assert [e.status for e in hour_entries(ui, tr.id)] == [HourStatus.approved]
    assert any("Semaine validée : seul·e un·e admin" in c for c in texts(at.caption))


def test_admin_changes_a_locked_week_with_a_reason(ui):
    lead = factories.user(ui, Role.lead)
    admin = factories.user(ui, Role.admin)
    tr = trainee(ui)
    monday = date(2026, 3, 9)
    add_hours(ui, lead, tr, monday, 120)
    write(ui, hours.approve_week, actor=lead, trainee_id=tr.id, week=monday)
    at = open_page(start(admin), "hours_approval.py")
    at.date_input(key="hw_week").set_value(monday).run()
    assert texts(at.success)[0].startswith("Semaine validée par Test lead")
    _button(at, "Corriger").click().run()
    assert texts(at.error) == ["Indiquez la raison."]
    at.text_input(key="hw_reason").input("Feuille papier corrigée")
    _button(at, "Corriger").click().run()
    assert texts(at.success)[0] == "Ligne corrigée."
    assert hour_entries(ui, tr.id)[0].status == HourStatus.approved


def _correction_events(engine) -> int:
    with db.read_session(engine) as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.action == "correct")).all())


def test_lead_corrects_the_build_of_an_entry(ui):
    lead = factories.user(ui, Role.lead)
    tr = trainee(ui)
    bench, shelf = factories.build(ui, lead), factories.build(ui, lead)
    monday = date(2026, 3, 9)
    entry = add_hours(ui, lead, tr, monday, 150, activity=Activity.finition, build_code=bench.code)
    at = open_page(start(lead), "hours_approval.py")
    at.date_input(key="hw_week").set_value(monday).run()
    # The form shows the entry as it stands: only what the lead changes changes.
    assert at.selectbox(key=f"hw_minutes_{entry.id}").value == 150
    assert at.selectbox(key=f"hw_activity_{entry.id}").value == Activity.finition
    build = at.text_input(key=f"hw_build_{entry.id}")
    assert build.label == "Meuble (code M, facultatif)"
    assert build.value == codes.format_code(bench.code)
    # A build that does not exist: refused in French, the form kept, nothing written.
    unknown = codes.format_code(codes.mint("M"))
    at.text_input(key=f"hw_build_{entry.id}").input(unknown)
    at.text_input(key="hw_reason").input("Mauvais meuble")
    _button(at, "Corriger").click().run()
    assert not at.exception
    assert texts(at.error) == [f"Le meuble {unknown} n'existe pas dans l'atelier."]
    assert not at.success
    assert at.text_input(key=f"hw_build_{entry.id}").value == unknown
    assert at.text_input(key="hw_reason").value == "Mauvais meuble"
    assert at.selectbox(key=f"hw_minutes_{entry.id}").value == 150
    (kept,) = hour_entries(ui, tr.id)
    assert (kept.build_id, kept.reason, kept.status) == (bench.id, "", HourStatus.submitted)
    assert _correction_events(ui) == 0
    # The right piece, typed the way a scanner might send it.
    at.text_input(key=f"hw_build_{entry.id}").input(shelf.code.lower())
    _button(at, "Corriger").click().run()
    assert not at.error, texts(at.error)
    assert texts(at.success)[0] == "Ligne corrigée."
    (fixed,) = hour_entries(ui, tr.id)
    assert (fixed.build_id, fixed.minutes, fixed.activity) == (shelf.id, 150, Activity.finition)
    assert fixed.reason == "Mauvais meuble" and fixed.programme_id == tr.programme_id
    assert _correction_events(ui) == 1
    (row,) = at.dataframe[0].value.to_dict("records")
    assert row["Meuble"] == codes.format_code(shelf.code) and row["Raison"] == "Mauvais meuble"
    # The form now shows the entry as saved, ready for another correction.
    assert at.text_input(key=f"hw_build_{entry.id}").value == codes.format_code(shelf.code)
    assert at.text_input(key="hw_reason").value == ""


def test_moving_a_trainee_says_past_hours_stay(ui):
    lead = factories.user(ui, Role.lead)
    tr = trainee(ui)
    with db.read_session(ui) as session:
        a, b = hours.programmes(session=session)[:2]
    at = open_page(start(lead), "trainees.py")
    assert any("ne déplace pas les heures déjà enregistrées" in c for c in texts(at.caption))
    edit = [s for s in at.selectbox if s.label == "Programme"][-1]
    assert edit.value == a.id
    edit.set_value(b.id)
    _button(at, "Enregistrer").click().run()
    assert not at.error, texts(at.error)
    assert texts(at.success)[0] == (
        f"Awa D. passe de « {a.name} » à « {b.name} ». "
        f"Ses heures passées restent comptées dans « {a.name} »."
    )
    with db.read_session(ui) as session:
        assert session.get(Trainee, tr.id).programme_id == b.id


def test_reports_page_and_downloads(ui):
    lead = factories.user(ui, Role.lead)
    tr = trainee(ui)
    this_monday = dates.week_start(dates.today())
    day = this_monday - timedelta(days=7)
    with db.write_session(ui) as session:
        row = session.get(Trainee, tr.id)
        row.start_date = day
        session.add(row)
    add_hours(ui, lead, tr, day, 7 * 60, now=dates.utcnow())
    write(ui, hours.approve_week, actor=lead, trainee_id=tr.id, week=day)
    at = open_page(start(lead), "hours_reports.py")
    assert not at.exception and texts(at.title) == ["Rapports d'heures"]
    at.selectbox(key="hr_month").set_value(day.replace(day=1)).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Heures validées"] == "7,00"
    assert any("programme sous lequel elles ont été faites" in c for c in texts(at.caption))
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Dossier (XLSX)", "Dossier (CSV)", "CSV", "Excel (XLSX)"]
    at.toggle(key="hr_pseudo").set_value(True).run()
    assert not at.exception and any("HMAC-SHA256" in c for c in texts(at.caption))


def test_reports_page_gives_the_funders_pack_of_the_month(ui):
    lead = factories.user(ui, Role.lead)
    tr = trainee(ui)
    day = dates.week_start(dates.today()) - timedelta(days=7)
    add_hours(ui, lead, tr, day, 3 * 60 + 15, now=dates.utcnow())
    write(ui, hours.approve_week, actor=lead, trainee_id=tr.id, week=day)
    at = open_page(start(lead), "hours_reports.py")
    at.selectbox(key="hr_month").set_value(day.replace(day=1)).run()
    assert not at.exception
    assert any(e.label.startswith("Dossier mensuel des financeurs") for e in at.expander)
    pack = {b.proto.label: b for b in at.get("download_button")}
    assert not pack["Dossier (XLSX)"].proto.disabled
    assert pack["Dossier (XLSX)"].proto.url  # a file is there to download
    at.toggle(key="hr_pack_pseudo").set_value(True).run()
    assert not at.exception
    names = [b.proto.label for b in at.get("download_button")]
    assert names[:2] == ["Dossier (XLSX)", "Dossier (CSV)"]
    # A month with no one: the pack's buttons are there, greyed, with a word why.
    at.selectbox(key="hr_month").set_value(dates.add_months(day.replace(day=1), -20)).run()
    assert not at.exception
    pack = {b.proto.label: b for b in at.get("download_button")}
    assert pack["Dossier (XLSX)"].proto.disabled
    assert "Aucune heure ni contrat dans un programme ce mois-ci." in texts(at.caption)


def test_trainees_page_add_and_badges(ui):
    lead = factories.user(ui, Role.lead)
    at = open_page(start(lead), "trainees.py")
    assert texts(at.title) == ["Salarié·es"]
    _button(at, "Ajouter").click().run()
    assert texts(at.error) == ["Saisissez le prénom."]
    at.text_input[0].input("Awa")
    at.text_input[1].input("d")
    at.text_input[2].input("12")
    _button(at, "Ajouter").click().run()
    assert texts(at.error) == ["Le code doit avoir 4 chiffres."]
    assert at.text_input[0].value == "Awa"  # the form keeps what was typed
    at.text_input[2].input("1234")
    _button(at, "Ajouter").click().run()
    assert not at.error
    assert texts(at.success)[0].startswith("Awa D. ajouté·e. Badge : B-")
    assert len(at.get("download_button")) == 3  # PNG, one-card PDF, A4 sheet


def test_my_hours_for_a_trainee(ui):
    account = factories.user(ui, Role.trainee)
    at = open_page(start(account), "my_hours.py")
    assert texts(at.title) == ["Mes heures"]
    assert texts(at.info) == [
        "Votre compte n'est pas encore relié à votre fiche de salarié·e. Demandez à votre "
        "encadrant·e."
    ]
    tr = trainee(ui, user_id=account.id)
    add_hours(ui, account, tr, date(2026, 3, 9), 90)
    at = open_page(start(account), "my_hours.py")
    assert (
        not at.exception and len(at.dataframe) == 2
    )  # the whole table, and the short one a phone shows
    assert len(at.get("download_button")) == 2


@pytest.mark.parametrize(
    "page", ["trainees.py", "hours_approval.py", "hours_reports.py", "shop_floor.py"]
)
def test_trainee_cannot_open_lead_hour_pages(ui, page):
    account = factories.user(ui, Role.trainee)
    at = page_alone(page, account)
    assert at.error and not at.title


def test_lead_has_no_my_hours_page(ui):
    lead = factories.user(ui, Role.lead)
    at = page_alone("my_hours.py", lead)
    assert at.error and not at.title


def test_settings_retention_section(ui):
    admin = factories.user(ui, Role.admin)
    trainee(ui, end=date(2020, 1, 31))
    at = open_page(start(admin), "settings.py")
    assert "Données personnelles des salarié·es" in texts(at.header)
    _button(at, "Anonymiser maintenant").click().run()
    assert "1 salarié·e(s) anonymisé·e(s)." in texts(at.success)


# --- "Mes heures": a trainee enters their own hours ------------------------------------

YESTERDAY = NOW.date() - timedelta(days=1)  # Monday 9 March 2026


def _linked(engine):
    """A trainee account linked to its trainee record (Awa D.)."""
    account = factories.user(engine, Role.trainee, "sam")
    return account, trainee(engine, user_id=account.id)


def _fill(at, *, day=YESTERDAY, minutes=90, activity=Activity.assemblage, start=None, note=""):
    """Fill the "Écrire mes heures" form and submit it."""
    at.date_input(key="mh_day").set_value(day)
    at.selectbox(key="mh_minutes").set_value(minutes)
    at.selectbox(key="mh_activity").set_value(activity)
    at.selectbox(key="mh_start").set_value(start)
    at.text_input(key="mh_note").input(note)
    return at.button(key="FormSubmitter:mh_add-Enregistrer").click().run()


def _count(engine) -> int:
    with db.read_session(engine) as session:
        return len(session.exec(select(HourEntry)).all())


def _history(at):
    return at.dataframe[0].value.to_dict("records")


def test_my_hours_calls_a_clock_in_left_open_yesterday_a_forgotten_clock_out(ui, frozen):
    account, tr = _linked(ui)
    with db.write_session(ui) as session:
        hours.clock_in(
            session=session,
            trainee_id=tr.id,
            activity=Activity.poncage,
            now=NOW - timedelta(days=1),
        )
    at = open_page(start(account), "my_hours.py")
    assert not at.exception
    assert _history(at)[0]["État"] == "sortie non pointée"
    frozen.current = NOW - timedelta(days=1, hours=-1)  # the same day, an hour later
    at = open_page(start(account), "my_hours.py")
    assert _history(at)[0]["État"] == "en cours"


def test_trainee_records_own_hours_and_sees_them_waiting(ui, frozen):
    account, tr = _linked(ui)
    lead = factories.user(ui, Role.lead)
    build = factories.build(ui, lead)
    at = open_page(start(account), "my_hours.py")
    assert not at.exception
    assert "Écrire mes heures" in texts(at.subheader)
    assert texts(at.markdown).count("Pas encore d'heures.") == 1
    # Only their own hours: the form offers no choice of trainee.
    labels = {s.label for s in at.selectbox} - {"Langue · Language"}
    assert labels == {"Combien de temps ?", "Qu'avez-vous fait ?", "Heure d'arrivée", "Meuble"}
    day = at.date_input(key="mh_day")
    assert day.value == NOW.date() and day.max == NOW.date()  # no day in the future
    at.selectbox(key="mh_build").set_value(build.code)
    _fill(at, note="Pieds du banc")
    assert not at.exception and not at.error, texts(at.error)
    assert texts(at.success) == [
        "Enregistré : 1\u202fh\u00a030\u00a0min le 9 mars 2026 — en attente de validation."
    ]
    (entry,) = hour_entries(ui, tr.id)
    assert (entry.work_date, entry.minutes, entry.activity) == (YESTERDAY, 90, Activity.assemblage)
    assert entry.status == HourStatus.submitted and entry.source == HourSource.self_service
    assert entry.created_by_id == account.id and entry.build_id == build.id
    assert entry.reason == "Pieds du banc" and entry.start_at is None
    (row,) = _history(at)
    assert row["Jour"] == "9 mars 2026" and row["Durée"] == "1\u202fh\u00a030\u00a0min"
    assert row["État"] == "à valider" and row["Activité"] == "Assemblage"
    assert row["Meuble"] == codes.format_code(build.code) and row["Remarque"] == "Pieds du banc"
    assert {m.label: m.value for m in at.metric}[
        "Ce mois-ci : à valider"
    ] == "1\u202fh\u00a030\u00a0min"
    # The form is empty again for the next entry.
    assert at.selectbox(key="mh_minutes").value is None
    assert at.selectbox(key="mh_activity").value is None
    assert at.text_input(key="mh_note").value == ""


def _other_period_yesterday(engine, tr):
    """Hours a lead entered yesterday, 09:00–12:00."""
    lead = factories.user(engine, Role.lead)
    add_hours(engine, lead, tr, YESTERDAY, 180, start=datetime(2026, 3, 9, 9).time())


def _long_day_yesterday(engine, tr):
    """Eleven hours already entered yesterday (plus 2 h would make 13 h)."""
    lead = factories.user(engine, Role.lead)
    add_hours(engine, lead, tr, YESTERDAY, 11 * 60)


def _last_week_approved(engine, tr):
    """Last week (2–8 March) approved and locked by a lead."""
    lead = factories.user(engine, Role.lead)
    add_hours(engine, lead, tr, date(2026, 3, 3), 60)
    write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=date(2026, 3, 2))


@pytest.mark.parametrize(
    ("setup", "form", "message"),
    [
        (
            None,  # today, from 14:00, while it is 9:00: in the future
            {"day": NOW.date(), "minutes": 90, "start": datetime(2026, 3, 10, 14).time()},
            "On ne peut pas compter des heures dans le futur.",
        ),
        (
            _long_day_yesterday,
            {"minutes": 120},
            "Pas plus de 12 h par jour. Déjà compté ce jour-là : 11\u202fh.",
        ),
        (
            _other_period_yesterday,
            {"minutes": 90, "start": datetime(2026, 3, 9, 10, 30).time()},
            "Ces heures se chevauchent avec une autre période du même jour (9 h 00 – 12 h 00).",
        ),
        (
            _last_week_approved,
            {"day": date(2026, 3, 4), "minutes": 90},
            "La semaine du 2 mars 2026 est validée et verrouillée. Seul·e un·e "
            "administrateur·rice peut la changer, avec une raison.",
        ),
        (
            None,  # before the contract began (1 January 2026)
            {"day": date(2025, 12, 31), "minutes": 90},
            "Ce jour est en dehors du contrat (du 1 janv. 2026 au —).",
        ),
    ],
    ids=["future", "13h-day", "overlap", "locked-week", "outside-contract"],
)
def test_trainee_hours_refused_keep_the_form_and_write_nothing(ui, frozen, setup, form, message):
    account, tr = _linked(ui)
    if setup is not None:
        setup(ui, tr)
    before = _count(ui)
    at = open_page(start(account), "my_hours.py")
    _fill(at, note="Ponçage du plateau", **form)
    assert not at.exception
    assert texts(at.error) == [message]
    assert not at.success
    assert _count(ui) == before  # nothing written
    # The form keeps what was typed.
    assert at.date_input(key="mh_day").value == form.get("day", YESTERDAY)
    assert at.selectbox(key="mh_minutes").value == form["minutes"]
    assert at.selectbox(key="mh_activity").value == Activity.assemblage
    assert at.selectbox(key="mh_start").value == form.get("start")
    assert at.text_input(key="mh_note").value == "Ponçage du plateau"
    # Sent again as it stands (nothing retyped): the same refusal, so the values were kept.
    at.button(key="FormSubmitter:mh_add-Enregistrer").click().run()
    assert texts(at.error) == [message]
    assert _count(ui) == before


def test_trainee_hours_need_a_duration_and_an_activity(ui, frozen):
    account, _ = _linked(ui)
    at = open_page(start(account), "my_hours.py")
    at.button(key="FormSubmitter:mh_add-Enregistrer").click().run()
    assert texts(at.error) == ["Choisissez combien de temps vous avez travaillé."]
    at.selectbox(key="mh_minutes").set_value(60)
    at.button(key="FormSubmitter:mh_add-Enregistrer").click().run()
    assert texts(at.error) == ["Choisissez ce que vous avez fait."]
    assert at.selectbox(key="mh_minutes").value == 60
    assert _count(ui) == 0


def test_trainee_hours_in_english(ui, frozen):
    account, tr = _linked(ui)
    _long_day_yesterday(ui, tr)
    at = open_page(start(account), "my_hours.py")
    at.selectbox(key="lang").set_value("en").run()
    assert texts(at.title) == ["My hours"] and "Enter my hours" in texts(at.subheader)
    at.date_input(key="mh_day").set_value(YESTERDAY)
    at.selectbox(key="mh_minutes").set_value(120)
    at.selectbox(key="mh_activity").set_value(Activity.tri)
    at.button(key="FormSubmitter:mh_add-Save").click().run()
    assert texts(at.error) == ["No more than 12 h a day. Already counted that day: 11 hrs."]
    assert _count(ui) == 1
    at.selectbox(key="mh_minutes").set_value(60)
    at.button(key="FormSubmitter:mh_add-Save").click().run()
    assert texts(at.success) == ["Saved: 1 hr on 9 Mar 2026 — waiting for approval."]
    assert _count(ui) == 2


def test_lead_sees_and_approves_what_a_trainee_entered(ui, frozen):
    account, tr = _linked(ui)
    at = open_page(start(account), "my_hours.py")
    _fill(at)
    assert texts(at.success)
    lead = factories.user(ui, Role.lead, "lea")
    lat = open_page(start(lead), "hours_approval.py")
    assert not lat.exception
    assert any(
        "Awa D. · semaine du 9 mars 2026 · 1\u202fh\u00a030\u00a0min à valider" in m.value
        for m in lat.markdown
    )
    _button(lat, "Ouvrir").click().run()
    (row,) = lat.dataframe[0].value.to_dict("records")
    assert (row["Durée"], row["Activité"]) == ("1\u202fh\u00a030\u00a0min", "Assemblage")
    assert (row["État"], row["Saisi par"]) == ("à valider", "salarié·e")
    _button(lat, "Valider la semaine").click().run()
    assert texts(lat.success)[0] == "Semaine de Awa D. validée et verrouillée."
    at = open_page(start(account), "my_hours.py")
    assert _history(at)[0]["État"] == "validé"
    assert {m.label: m.value for m in at.metric}[
        "Ce mois-ci : validé"
    ] == "1\u202fh\u00a030\u00a0min"


def test_empty_hour_pages_say_what_to_do_next(ui):
    lead = factories.user(ui, Role.lead)
    trainee(ui)
    at = open_page(start(lead), "hours_approval.py")
    assert not at.exception
    assert texts(at.info)[0].startswith("Rien à valider : toutes les heures écrites sont validées")
    assert not [b for b in at.button if b.key == "hw_approve"]  # nothing to approve: no button
    at = open_page(start(lead), "hours_reports.py")
    last_month = dates.add_months(dates.today().replace(day=1), -1)
    assert at.selectbox(key="hr_month").value == last_month  # the month reported to funders
    assert texts(at.info)[0].startswith(
        f"Aucune heure validée dans ce programme en {i18n.fmt_month(last_month)}. Choisissez"
    )
