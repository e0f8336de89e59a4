"""Impact pages in AppTest: dashboard.py, market.py (and its receipt), venues.py, summary.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests import factories
from tests.ui.conftest import open_page, page_alone, start, texts
from workshop import crates, dates, db, i18n
from workshop.models import MetricValue, Outcome, Role
from workshop.ui.common import public_text

GUIGNIER = "Édicule de la place du Guignier"


def _some_pickups(engine, lead):
    today = dates.today()
    factories.lot(engine, lead, on=today, counts=(10,), sample=(5, 7.0))
    factories.lot(engine, lead, market_name="Marché Belgrand", on=today, counts=(20, 5))
    factories.lot(engine, lead, on=today - timedelta(days=40), counts=(8,))


@pytest.mark.parametrize("role", [Role.lead, Role.admin, Role.market_manager])
def test_dashboard_for_each_role_that_sees_it(ui, role):
    lead = factories.user(ui, Role.lead)
    _some_pickups(ui, lead)
    viewer = factories.user(ui, role)
    at = open_page(start(viewer), "dashboard.py")
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cagettes collectées"] == "43"
    assert metrics["dont pesés"] == "14,0\u00a0kg"
    assert "CO2e évité" in metrics
    assert len(at.get("plotly_chart")) == 5  # kilos, cumulative, outcomes, Sankey, CO2e
    assert len(at.get("download_button")) >= 4  # each chart's data as CSV
    assert any("ADEME" in c for c in texts(at.caption))  # the factor's source beside CO2e


def test_dashboard_filters_by_market_and_refreshes_after_a_write(ui):
    lead = factories.user(ui, Role.lead)
    _some_pickups(ui, lead)
    at = open_page(start(lead), "dashboard.py")
    belgrand = factories.market(ui, "Marché Belgrand")
    at.multiselect[0].set_value([belgrand.id]).run()
    assert {m.label: m.value for m in at.metric}["Cagettes collectées"] == "25"
    factories.lot(ui, lead, market_name="Marché Belgrand", counts=(5,))  # a write: cache key moves
    at.run()
    assert {m.label: m.value for m in at.metric}["Cagettes collectées"] == "30"


def test_market_manager_lands_on_their_market_and_gets_the_receipt(ui):
    lead = factories.user(ui, Role.lead)
    _some_pickups(ui, lead)
    davout = factories.market(ui)
    manager = factories.user(ui, Role.market_manager, market_id=davout.id)
    at = start(manager)  # their market's page is their first page
    assert not at.exception
    assert texts(at.title) == ["Marché Davout"]  # their market's name is the heading
    assert at.selectbox[0].label == "Mois"  # no other market to choose
    at.selectbox[0].select_index(0).run()  # this month's pickups: the month in progress
    [sentence] = texts(at.success)
    assert "10 cagettes au Marché Davout" in sentence and "(mois en cours)" in sentence
    assert any("n°\u00a02 des 2 marchés" in c for c in texts(at.caption))
    assert {m.label: m.value for m in at.metric}["Cagettes collectées"] == "10"
    receipt = [b for b in at.get("download_button") if "reçu" in b.proto.label]
    assert len(receipt) == 1
    assert len(at.get("plotly_chart")) == 3  # all markets, the trend, the outcomes


BEFORE = "trois mois précédents"


def test_market_manager_reads_their_month_in_one_plain_sentence(ui):
    """Kilos, crates, the trend against the three months before and where the wood went."""
    lead = factories.user(ui, Role.lead)
    this_month = dates.today().replace(day=1)
    for back in (3, 2, 1):  # 100 standard crates a month, 1,2 kg each
        on = dates.add_months(this_month, -back).replace(day=10)
        factories.lot(ui, lead, on=on, counts=(100,), sample=(5, 6.0))
    lot = factories.lot(ui, lead, on=dates.today(), counts=(150,), sample=(5, 6.0))
    standard = factories.kinds(ui)[0].id or 0
    with db.write_session(ui) as session:  # 30 tagged (still in stock), 120 recycled
        crates.sort_lot(
            session=session,
            actor=lead,
            lot_id=lot.id or 0,
            tag={standard: 30},
            remainder=Outcome.recycled,
        )
    manager = factories.user(ui, Role.market_manager, market_id=factories.market(ui).id)
    at = start(manager)
    assert not at.exception and not at.error
    nbsp = "\u00a0"
    # It opens on the last whole month, and says so; the month three before it had no
    # pickup (0 kg).
    last_month = dates.add_months(this_month, -1)
    assert at.selectbox[0].value == last_month
    [sentence] = texts(at.success)
    assert sentence.startswith(f"En {i18n.fmt_month(last_month)} (dernier mois complet), ")
    assert f"C'est 50{nbsp}% de plus que la moyenne des {BEFORE} (80,0{nbsp}kg" in sentence
    assert f"100{nbsp}% encore à l'atelier" in sentence
    # This month is offered, marked as running, and read as "so far".
    assert at.selectbox[0].options[0] == f"{i18n.fmt_month(this_month)} (mois en cours)"
    at.selectbox[0].select_index(0).run()
    [sentence] = texts(at.success)
    assert f"150 cagettes au Marché Davout{nbsp}: 180{nbsp}kg de bois qui ont évité" in sentence
    assert f"déjà 50{nbsp}% de plus que la moyenne des {BEFORE} (120{nbsp}kg" in sentence
    assert f"80{nbsp}% recyclé et 20{nbsp}% encore à l'atelier" in sentence
    [kilos] = [m for m in at.metric if m.label == "Kilos collectés"]
    assert kilos.value == f"180{nbsp}kg" and kilos.proto.delta == f"+50{nbsp}%"
    # The month before is one tap away.
    at.button(key="market_older").click().run()
    assert at.selectbox[0].value == last_month and not at.exception


def test_market_manager_first_sees_last_month_until_this_one_has_a_pickup(ui):
    lead = factories.user(ui, Role.lead)
    last_month = dates.add_months(dates.today().replace(day=1), -1)
    factories.lot(ui, lead, on=last_month.replace(day=10), counts=(12,))
    manager = factories.user(ui, Role.market_manager, market_id=factories.market(ui).id)
    at = start(manager)
    assert not at.exception
    assert at.selectbox[0].value == last_month
    [sentence] = texts(at.success)
    assert sentence.startswith(
        f"En {i18n.fmt_month(last_month)} (dernier mois complet), l'atelier a collecté 12 "
    )
    assert "pas encore de comparaison possible" in sentence  # no month before it
    receipt = [b for b in at.get("download_button") if "reçu" in b.proto.label]
    assert receipt[0].proto.label == f"Télécharger le reçu de {i18n.fmt_month(last_month)} (PDF)"
    at = start(manager, lang="en")
    assert not at.exception
    assert texts(at.success)[0].startswith(
        f"In {i18n.fmt_month(last_month, 'en')} (last whole month), "
    )
    assert not [m for m in at.metric if m.label.startswith("market_manager.")]


def test_market_manager_shares_have_words_in_both_languages():
    for lang in i18n.LANGUAGES:
        for outcome in Outcome:
            text = i18n.translate(f"market_manager.share.{outcome.value}", lang, pct="5")
            assert not text.startswith("market_manager.") and "5" in text


def test_market_page_without_a_market_and_for_a_lead(ui):
    manager = factories.user(ui, Role.market_manager)
    at = open_page(start(manager), "market.py")
    assert not at.error and texts(at.info)[0].startswith("Votre compte n'est rattaché")
    lead = factories.user(ui, Role.lead)
    at = open_page(start(lead, lang="en"), "market.py")
    assert texts(at.title) == ["My market"]
    assert at.selectbox[0].label == "Market" and not at.exception


def _venue_page(ui, role=Role.lead):
    user = factories.user(ui, role)
    at = open_page(start(user), "venues.py")
    assert not at.exception and not at.error
    return at


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("6,5", 6.5), ("6.5", 6.5), ("1 234,5", 1234.5), ("6,5,5", None), ("abc", None)],
)
def test_a_venue_figure_typed_the_french_way(ui, typed, stored):
    at = _venue_page(ui)
    at.selectbox(key="venue_pick").select_index(0).run()
    next(f for f in at.text_input if (f.key or "").startswith("metric_")).input(typed)
    next(b for b in at.button if b.label == "Enregistrer les chiffres").click().run()
    assert not at.exception
    with db.read_session(ui) as session:
        values = [v.value for v in session.exec(select(MetricValue)).all()]
    if stored is None:
        assert at.error and values == []
    else:
        assert not at.error and values == [stored]


def test_lead_enters_a_venues_month(ui):
    at = _venue_page(ui)
    # No values yet: no row of empty charts, but what to do next, and what waits for values.
    assert not at.get("plotly_chart")
    assert texts(at.info)[0].startswith("Aucune valeur pour l'instant. Saisissez")
    assert any(c.startswith("En attente de leurs premières valeurs : ") for c in texts(at.caption))
    at.selectbox(key="venue_pick").set_value(
        next(o for o in at.selectbox(key="venue_pick").options if o)
    )
    venue = at.selectbox(key="venue_pick")
    venue.select_index(0).run()
    assert venue.value is not None
    next(f for f in at.text_input if (f.key or "").startswith("metric_")).input("250")
    next(b for b in at.button if b.label == "Enregistrer les chiffres").click().run()
    assert not at.error
    assert texts(at.success)[0].endswith(": 1 chiffres enregistrés.")
    assert len(at.get("plotly_chart")) == 1  # the metric with a value is drawn
    with db.read_session(ui) as session:
        [value] = session.exec(select(MetricValue)).all()
    assert value.value == 250.0 and value.month == dates.today().replace(day=1)


def test_lead_imports_a_file_and_a_bad_file_imports_nothing(ui):
    at = _venue_page(ui)
    month = dates.today().replace(day=1)
    good = f"lieu;indicateur;mois;valeur\r\n{GUIGNIER};visiteurs;{month:%m/%Y};1 250\r\n"
    bad = good + f"{GUIGNIER};visiteurs;{month:%Y-%m};trois\r\n"
    at.file_uploader[0].upload("lieux.csv", bad.encode("cp1252"), "text/csv").run()
    assert texts(at.error) == [
        "1 lignes refusées : corrigez le fichier puis renvoyez-le. Rien n'a été importé."
    ]
    assert not [b for b in at.button if b.label.startswith("Importer les")]
    refused, kept = (d.value for d in at.dataframe)
    assert list(refused["Ligne"]) == [3] and list(kept["Ligne"]) == [2]
    at.file_uploader[0].upload("lieux.csv", good.encode("cp1252"), "text/csv").run()
    assert not at.error
    assert any("Windows-1252" in c for c in texts(at.caption))
    next(b for b in at.button if b.label == "Importer les 1 lignes").click().run()
    assert texts(at.success) == ["Import terminé : 1 chiffres ajoutés, 0 mis à jour, 0 inchangés."]
    with db.read_session(ui) as session:
        assert [v.value for v in session.exec(select(MetricValue))] == [1250.0]


HOSTILE_VENUES = {
    "huge-cell": (
        "lieu;indicateur;mois;valeur\r\n" + "x" * (1024 * 1024) + ";visiteurs;2026-01;1\r\n",
        "Ligne 2 : plus de 1\u202f048\u202f576 caractères sur une seule ligne ; ce n'est pas un "
        "tableau exporté d'un tableur. Rien n'a été importé.",
        "Row 2: more than 1,048,576 characters on one line; this is not a table exported "
        "from a spreadsheet. Nothing was imported.",
    ),
    "open-quote": (
        f'lieu;indicateur;mois;valeur;source\r\n{GUIGNIER};visiteurs;2026-01;1;"compté\r\n'
        f"{GUIGNIER};visiteurs;2026-02;2;\r\n",
        'Ligne 2 : un guillemet (") ouvre une cellule',
        'Row 2: a quote (") opens a cell',
    ),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("case", HOSTILE_VENUES)
def test_a_hostile_file_is_a_message_not_a_crash_and_imports_nothing(ui, case, lang):
    text, french, english = HOSTILE_VENUES[case]
    at = open_page(start(factories.user(ui, Role.lead), lang=lang), "venues.py")
    at.file_uploader[0].upload("lieux.csv", text.encode(), "text/csv").run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith(french if lang == "fr" else english)
    assert not at.dataframe
    with db.read_session(ui) as session:
        assert session.exec(select(MetricValue)).all() == []


def test_excel_unicode_text_is_read_and_imported(ui):
    at = _venue_page(ui)
    month = dates.today().replace(day=1)
    text = f"lieu\tindicateur\tmois\tvaleur\r\n{GUIGNIER}\tvisiteurs\t{month:%m/%Y}\t1 250\r\n"
    at.file_uploader[0].upload("lieux.txt", text.encode("utf-16"), "text/plain").run()
    assert not at.error
    assert any("UTF-16" in c for c in texts(at.caption))
    next(b for b in at.button if b.label == "Importer les 1 lignes").click().run()
    with db.read_session(ui) as session:
        assert [v.value for v in session.exec(select(MetricValue))] == [1250.0]


def test_market_manager_sees_the_venues_but_cannot_enter_figures(ui):
    at = _venue_page(ui, Role.market_manager)
    # No values yet: told who enters them (not to enter them here).
    assert texts(at.info)[0].startswith("Aucune valeur pour l'instant : l'équipe de l'atelier")
    assert not at.file_uploader and not [
        f for f in at.text_input if (f.key or "").startswith("metric_")
    ]


def test_public_summary_off_by_default(ui):
    factories.user(ui, Role.lead)
    at = start()
    with pytest.raises(ValueError):
        open_page(at, "summary.py")
    alone = page_alone("summary.py", None)
    assert texts(alone.error) == [
        "Le résumé public n'est pas activé : la personne qui gère le serveur peut l'activer."
    ]
    assert not alone.metric


def test_public_summary_shows_names_with_urls_as_plain_text(ui, monkeypatch):
    """The workshop's name and the CO2e source are settings, shown as text, never as links."""
    monkeypatch.setenv("WORKSHOP_PUBLIC_SUMMARY", "1")
    monkeypatch.setenv("WORKSHOP_NAME", "Atelier **gras** www.evil.example")
    monkeypatch.setenv("WORKSHOP_CO2E_SOURCE", "ADEME, https://evil.example/x")
    _some_pickups(ui, factories.user(ui, Role.lead))
    at = page_alone("summary.py", None)
    assert not at.exception and not at.error
    captions = texts(at.caption)
    assert public_text("Atelier **gras** www.evil.example") in captions
    assert any(public_text("ADEME, https://evil.example/x") in c for c in captions)
    assert not [c for c in captions if "www.evil" in c or "https://evil" in c or "**gras" in c]


def test_public_summary_on_for_a_signed_out_visitor(ui, monkeypatch):
    monkeypatch.setenv("WORKSHOP_PUBLIC_SUMMARY", "1")
    lead = factories.user(ui, Role.lead, display_name="Léa Personne")
    _some_pickups(ui, lead)
    at = start()
    assert texts(at.title) == ["Connexion"]
    open_page(at, "summary.py")
    assert not at.exception and not at.error
    assert texts(at.title) == ["L'atelier en chiffres"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cagettes collectées"] == "43"
    assert not at.text_input and not at.button  # read-only
    shown = " ".join(texts(at.caption) + texts(at.markdown) + list(metrics.values()))
    assert "Léa" not in shown
