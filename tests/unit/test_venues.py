"""Other venues: seed, monthly figures (form), CSV import and every bad file of the issue."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date

import pytest
from sqlmodel import select

from tests import factories
from workshop import config, db, i18n, venues
from workshop.errors import InvalidInput, PermissionDenied
from workshop.models import AuditEvent, Metric, MetricValue, Role, Venue

TODAY = date(2026, 6, 15)
GUIGNIER = "Édicule de la place du Guignier"
REGIE = "Régie de quartier Saint-Blaise"
HEADER = "venue,metric,month,value,source\n"


def _metric(engine, venue_name: str, metric_name: str) -> Metric:
    with db.read_session(engine) as session:
        return session.exec(
            select(Metric)
            .join(Venue, Venue.id == Metric.venue_id)
            .where(Venue.name == venue_name, Metric.name == metric_name)
        ).one()


def _values(engine) -> list[MetricValue]:
    with db.read_session(engine) as session:
        return list(session.exec(select(MetricValue).order_by(MetricValue.id)))


def _preview(engine, actor, data: bytes):
    with db.read_session(engine) as session:
        return venues.parse_csv(session=session, actor=actor, data=data, today=TODAY)


def _import(engine, actor, data: bytes, filename: str = "lieux.csv"):
    with db.write_session(engine) as session:
        return venues.import_csv(
            session=session, actor=actor, data=data, filename=filename, today=TODAY
        )


def test_venues_are_seeded_once_and_the_workshop_is_computed(engine):
    with db.write_session(engine) as session:
        venues.seed_venues(session=session)  # a second time: nothing added
    lead = factories.user(engine, Role.lead)
    with db.read_session(engine) as session:
        listed = venues.list_venues(session=session, actor=lead)
        typed = venues.list_venues(session=session, actor=lead, typed_only=True)
    assert len(listed) == 4 and len(typed) == 3
    own = listed[0]
    assert own.venue.own and [m.name for m in own.metrics] == [
        "crates collected",
        "kg diverted",
        "pieces built",
        "trainee hours",
    ]
    regie = next(v for v in listed if v.venue.name == REGIE)
    assert [venues.metric_name(m, "fr") for m in regie.metrics][0] == "emplois"


def test_form_creates_then_updates_the_same_month(engine):
    lead = factories.user(engine, Role.lead)
    visitors = _metric(engine, GUIGNIER, "visitors")
    events = _metric(engine, GUIGNIER, "events hosted")
    for value in (120.0, 135.0):
        with db.write_session(engine) as session:
            venues.record_month(
                session=session,
                actor=lead,
                venue_id=visitors.venue_id,
                month=date(2026, 5, 19),
                figures={visitors.id: value, events.id: None},
                source="comptage",
                today=TODAY,
            )
    [row] = _values(engine)
    assert (row.month, row.value, row.source) == (date(2026, 5, 1), 135.0, "comptage")
    with db.read_session(engine) as session:
        audit = session.exec(select(AuditEvent).where(AuditEvent.entity == "venue_values")).all()
    assert len(audit) == 2 and '"visitors": 120.0' in audit[1].before


@pytest.mark.parametrize(
    ("month", "value", "key"),
    [
        (date(2026, 7, 1), 1.0, "error.venues.future_month"),
        (date(2026, 5, 1), -3.0, "error.venues.negative"),
        (date(2026, 5, 1), float("nan"), "error.venues.bad_number"),
        (date(2026, 5, 1), None, "error.venues.nothing_entered"),
    ],
)
def test_form_refuses_bad_figures(engine, month, value, key):
    lead = factories.user(engine, Role.lead)
    visitors = _metric(engine, GUIGNIER, "visitors")
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        venues.record_month(
            session=session,
            actor=lead,
            venue_id=visitors.venue_id,
            month=month,
            figures={visitors.id: value},
            today=TODAY,
        )
    assert err.value.key == key
    assert _values(engine) == []


def test_the_workshops_own_figures_are_not_typed_and_managers_only_look(engine):
    lead = factories.user(engine, Role.lead)
    manager = factories.user(engine, Role.market_manager)
    kg = _metric(engine, "Wikivillage & Extramuros — atelier cagettes", "kg diverted")
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        venues.record_month(
            session=session,
            actor=lead,
            venue_id=kg.venue_id,
            month=date(2026, 5, 1),
            figures={kg.id: 1.0},
            today=TODAY,
        )
    assert err.value.key == "error.venues.own_venue"
    visitors = _metric(engine, GUIGNIER, "visitors")
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        venues.record_month(
            session=session,
            actor=manager,
            venue_id=visitors.venue_id,
            month=date(2026, 5, 1),
            figures={visitors.id: 1.0},
            today=TODAY,
        )
    with pytest.raises(PermissionDenied):
        _preview(engine, manager, (HEADER + f"{GUIGNIER},visitors,2026-05,1,\n").encode())


# --- CSV import -----------------------------------------------------------------------------

GOOD = (
    HEADER
    + f"{GUIGNIER},visitors,2026-04,1250,comptage\n"
    + f"{GUIGNIER},events hosted,2026-04,12,\n"
    + f"{REGIE},jobs,04/2026,42,\n"
)


def test_import_then_reimport_updates_instead_of_duplicating(engine):
    lead = factories.user(engine, Role.lead)
    preview = _preview(engine, lead, GOOD.encode())
    assert preview.ok and len(preview.rows) == 3 and preview.separator == ","
    assert [r.before for r in preview.rows] == [None, None, None]
    result = _import(engine, lead, GOOD.encode())
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    again = _import(engine, lead, GOOD.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = _import(engine, lead, GOOD.replace("1250", "1300").encode())
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    rows = _values(engine)
    assert len(rows) == 3
    assert {r.value for r in rows} == {1300.0, 12.0, 42.0}
    assert rows[0].source == "comptage" and rows[1].source == "lieux.csv"


def test_french_excel_file_semicolons_latin1_decimal_comma(engine):
    lead = factories.user(engine, Role.lead)
    text = (
        "lieu;indicateur;mois;valeur\r\n"
        f"{REGIE};emplois;03/2026;42,5\r\n"
        f"{REGIE};kg de légumes transformés (légumerie/conserverie);2026-03;1 234,5\r\n"
    )
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    preview = _preview(engine, lead, data)
    assert preview.ok, preview.errors
    assert (preview.encoding, preview.separator) == ("Windows-1252", ";")
    assert [r.value for r in preview.rows] == [42.5, 1234.5]
    assert preview.rows[1].metric == "kg vegetables processed (légumerie/conserverie)"


def test_excel_unicode_text_is_imported(engine):
    # Excel's "Unicode text": UTF-16 with its byte-order mark, tabs between columns.
    lead = factories.user(engine, Role.lead)
    text = f"lieu\tindicateur\tmois\tvaleur\r\n{REGIE}\templois\t03/2026\t42,5\r\n"
    preview = _preview(engine, lead, text.encode("utf-16"))
    assert preview.ok, preview.errors
    assert (preview.encoding, preview.separator) == ("UTF-16", "\t")
    assert _import(engine, lead, text.encode("utf-16")).created == 1
    assert [v.value for v in _values(engine)] == [42.5]


def test_the_limits_can_be_passed(engine):
    lead = factories.user(engine, Role.lead)
    limits = replace(venues.LIMITS, max_rows=2)
    with pytest.raises(InvalidInput) as err, db.read_session(engine) as session:
        venues.parse_csv(
            session=session, actor=lead, data=GOOD.encode(), today=TODAY, limits=limits
        )
    assert (err.value.key, err.value.params) == ("error.file.too_many_rows", {"row": 4, "max": 2})


@pytest.mark.parametrize(
    ("line", "key", "params"),
    [
        (
            f"{GUIGNIER},visitors,2026-04,beaucoup,",
            "error.venues.csv.bad_number",
            {"value": "beaucoup"},
        ),
        (f"{GUIGNIER},visitors,2026-09,10,", "error.venues.csv.future_month", {"month": "2026-09"}),
        (f"{GUIGNIER},visitors,avril,10,", "error.venues.csv.bad_month", {"month": "avril"}),
        (f"{GUIGNIER},visitors,2026-04,-5,", "error.venues.csv.out_of_range", {"value": "-5"}),
        (f"{GUIGNIER},visitors,2026-04,1250,", "error.venues.csv.duplicate", {"first": 2}),
        (
            "Nulle part,visitors,2026-04,10,",
            "error.venues.csv.unknown_venue",
            {"venue": "Nulle part"},
        ),
        (
            f"{GUIGNIER},jobs,2026-04,10,",
            "error.venues.csv.unknown_metric",
            {"metric": "jobs", "venue": GUIGNIER},
        ),
        (
            f"{GUIGNIER},visitors,2026-04,10,compt\x08age",
            "error.text.invisible",
            {"code": "U+0008", "position": 6},
        ),
    ],
)
def test_a_bad_line_is_refused_with_its_row_and_nothing_is_imported(engine, line, key, params):
    lead = factories.user(engine, Role.lead)
    data = (GOOD + line + "\n").encode()
    preview = _preview(engine, lead, data)
    assert not preview.ok
    assert [(e.row, e.key, e.params) for e in preview.errors] == [(5, key, params)]
    with pytest.raises(InvalidInput) as err:
        _import(engine, lead, data)
    assert err.value.key == "error.venues.csv.refused" and err.value.params == {"n": 1}
    assert _values(engine) == []  # the three good lines were not imported either


GOOD_LINE = f"{GUIGNIER},visitors,2026-04,1250,\n"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param(b"lieu,valeur\nA,1\n", "error.venues.csv.bad_header", id="wrong-header"),
        pytest.param(
            b"venue,metric,mois,value,venue\n", "error.venues.csv.bad_header", id="column-twice"
        ),
        pytest.param(b"", "error.venues.csv.empty", id="empty"),
        pytest.param(HEADER.encode(), "error.venues.csv.empty", id="header-only"),
        pytest.param(b"PK\x03\x04\x00\x00excel", "error.venues.csv.not_text", id="xlsx"),
        pytest.param(
            HEADER.encode() + b"x" * (50 * 1024 * 1024), "error.venues.csv.too_large", id="50MB"
        ),
        # Hostile files: refused whole, with a message.
        pytest.param(b"\n" * 1_000_000, "error.venues.csv.empty", id="blank-lines"),
        pytest.param(
            (HEADER + GOOD_LINE + f"{GUIGNIER},visitors,2026-05,1\x002,\n").encode(),
            "error.file.not_text",
            id="NUL",
        ),
        pytest.param(
            (HEADER[:-1] + ",x" * 50_000 + "\n" + GOOD_LINE).encode(),
            "error.file.too_many_columns",
            id="wide-header",
        ),
        pytest.param(
            (HEADER + GOOD_LINE[:-1] + ",x" * 50_000 + "\n").encode(),
            "error.file.too_many_columns",
            id="wide-row",
        ),
        pytest.param(
            (HEADER + GOOD_LINE[:-1] + "x" * (1024 * 1024) + "\n").encode(),
            "error.file.line_too_long",
            id="1MB-line",
        ),
        pytest.param(
            (HEADER + GOOD_LINE[:-1] + "x" * (200 * 1024) + "\n").encode(),
            "error.file.cell_too_long",
            id="200KB-cell",
        ),
        # A quote left open in the last column: the lines after it would vanish into it.
        pytest.param(
            (HEADER + GOOD_LINE[:-1] + '"comptage\n' + GOOD_LINE.replace("04", "05")).encode(),
            "error.file.open_quote",
            id="open-quote",
        ),
        pytest.param(
            (HEADER + GOOD_LINE * (venues.MAX_ROWS + 1)).encode(),
            "error.file.too_many_rows",
            id="rows",
        ),
    ],
)
def test_bad_files_are_refused_whole(engine, data, key):
    lead = factories.user(engine, Role.lead)
    with pytest.raises(InvalidInput) as err:
        _import(engine, lead, data)
    assert err.value.key == key
    for lang in i18n.LANGUAGES:
        assert err.value.key in i18n.catalog(lang)
    assert _values(engine) == []


@pytest.mark.parametrize(
    ("venue", "shown"),
    [
        (
            '"=HYPERLINK(""http://example.com"",""Guignier"")"',
            '=HYPERLINK("http://example.com","Guignier")',
        ),
        ("Gui\x1b[2Jgnier\x07", "Gui?[2Jgnier?"),
        ("G" * 100_000, "G" * 59 + "…"),
    ],
    ids=["formula", "control-characters", "long-name"],
)
def test_a_hostile_name_is_an_unknown_venue_and_nothing_is_written(engine, venue, shown):
    lead = factories.user(engine, Role.lead)
    data = (HEADER + GOOD_LINE + f"{venue},visitors,2026-05,10,\n").encode()
    assert [(e.row, e.key, e.params) for e in _preview(engine, lead, data).errors] == [
        (3, "error.venues.csv.unknown_venue", {"venue": shown})
    ]
    with pytest.raises(InvalidInput):
        _import(engine, lead, data)
    assert _values(engine) == []


def _seeded() -> list[tuple[str, list[str]]]:
    """Every venue of data/venues.csv and the English names of its metrics."""
    with open(config.PACKAGE_DATA / "venues.csv", encoding="utf-8") as fh:
        return [
            (row["venue"], [m.strip() for m in row["example_metrics"].split(";")])
            for row in csv.DictReader(fh)
        ]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_seeded_venue_and_metric_name_is_found_in_a_file(engine, lang):
    lead = factories.user(engine, Role.lead)
    seeded = _seeded()
    lines = [
        f'"{venue}";"{venues.METRIC_NAMES_FR[metric] if lang == "fr" else metric}";2026-04;1\n'
        for venue, metrics in seeded
        for metric in metrics
    ]
    preview = _preview(engine, lead, ("lieu;indicateur;mois;valeur\n" + "".join(lines)).encode())
    (own, own_metrics), typed = seeded[0], seeded[1:]
    assert set(own_metrics) == venues.OWN_METRICS
    assert [(r.venue, r.metric) for r in preview.rows] == [
        (venue, metric) for venue, metrics in typed for metric in metrics
    ]
    # The workshop is found too, and refused: the app computes its figures.
    assert [(e.key, e.params) for e in preview.errors] == [
        ("error.venues.csv.own_venue", {"venue": own})
    ] * len(own_metrics)


def test_names_are_found_whatever_their_case_accents_and_punctuation(engine):
    lead = factories.user(engine, Role.lead)
    text = (
        "LIEU;Indicateur;Mois;Valeur\n"
        "EDICULE DE LA PLACE DU GUIGNIER;Visiteurs;2026-04;1\n"
        "regie de quartier saint-blaise;KG DE LEGUMES TRANSFORMES LEGUMERIE CONSERVERIE;2026-04;2\n"
        "Régie  de quartier Saint Blaise;heures travaillees;2026-04;3\n"
    )
    preview = _preview(engine, lead, text.encode())
    assert preview.errors == []
    assert [(r.row, r.venue, r.metric) for r in preview.rows] == [
        (2, GUIGNIER, "visitors"),
        (3, REGIE, "kg vegetables processed (légumerie/conserverie)"),
        (4, REGIE, "hours worked"),
    ]


def test_months_as_people_type_them():
    # Numbers: textfiles.parse_number, in tests/unit/test_textfiles.py.
    assert venues.parse_month("2026-03") == date(2026, 3, 1)
    assert venues.parse_month("2026-03-17") == date(2026, 3, 1)
    assert venues.parse_month("3/2026") == date(2026, 3, 1)
    assert venues.parse_month("17/03/2026") == date(2026, 3, 1)
    assert venues.parse_month("2026-13") is None
    assert venues.parse_month("31/02/2026") is None


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"month": date(1, 1, 1)}, "error.venues.too_old"),
        ({"month": date(1999, 12, 1)}, "error.venues.too_old"),
        ({"value": float("inf")}, "error.venues.bad_number"),
        ({"value": True}, "error.venues.bad_number"),
        ({"value": "120"}, "error.venues.bad_number"),
        *(
            ({"source": f"formulaire {typed}"}, "error.text.invisible")
            for typed in factories.INVISIBLE
        ),
    ],
)
def test_a_month_before_the_workshop_an_unreal_figure_or_an_invisible_source_is_refused(
    engine, change, key
):
    lead = factories.user(engine, Role.lead)
    visitors = _metric(engine, GUIGNIER, "visitors")
    typed = {"month": date(2026, 5, 1), "value": 120.0, "source": "formulaire", **change}
    factories.refused(
        engine,
        key,
        venues.record_month,
        actor=lead,
        venue_id=visitors.venue_id,
        month=typed["month"],
        figures={visitors.id: typed["value"]},
        source=typed["source"],
        today=TODAY,
    )
