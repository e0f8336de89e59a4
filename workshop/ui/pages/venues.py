"""Other venues: their monthly figures beside the workshop's; leads enter or import them."""

import streamlit as st

from workshop import charts, dates, i18n, impact, venues
from workshop.accounts import Permission, can
from workshop.errors import DomainError
from workshop.ui import common
from workshop.ui.common import t
from workshop.ui.numbers import number_field

MONTHS_BACK = 24
TEMPLATE_CSV = (
    "venue;metric;month;value;source\r\n"
    "Édicule de la place du Guignier;visitors;2026-01;1250;comptage\r\n"
    "Régie de quartier Saint-Blaise;jobs;01/2026;42,5;\r\n"
)

user = common.page_user(Permission.venues_view)
lang = common.lang()
st.title(t("other_venues.title"))
common.show_flash()

today = dates.today()
this_month = today.replace(day=1)
months = [dates.add_months(this_month, -i) for i in range(MONTHS_BACK)]
back = st.segmented_control(
    t("other_venues.period"),
    [12, 24, 36],
    default=12,
    format_func=lambda n: t("other_venues.months", n=n),
)
start = dates.add_months(this_month, -((back or 12) - 1))

with common.reading() as session:
    listed = venues.list_venues(session=session, actor=user)
    typed = venues.values(session=session, actor=user, start=start, end=today)
    own = impact.dashboard(session=session, actor=user, start=start, end=today)

# The workshop's own figures come from the app; the other venues' from what was entered.
computed = own.venue_figures()
series = []
for item in listed:
    for metric in item.metrics:
        title = f"{item.venue.name} · {venues.metric_name(metric, lang)}"
        if item.venue.own:
            series.append(charts.Series(title, computed.get(metric.name, {}), own=True))
        else:
            series.append(charts.Series(title, typed.get(metric.id or 0, {})))

st.caption(t("other_venues.explain"))
# A metric with no value yet is named, not drawn as one more empty chart.
drawn = [s for s in series if s.values]
waiting = [s.title for s in series if not s.values]
if drawn:
    st.plotly_chart(charts.small_multiples(drawn, start, today, lang), width="stretch")
else:
    editor = can(user, Permission.venues)
    st.info(t(f"other_venues.no_values{'' if editor else '_viewer'}"), icon=":material/edit_note:")
if waiting:
    st.caption(t("other_venues.waiting", metrics=common.plain(", ".join(waiting))))
st.download_button(
    t("dashboard.csv"),
    data=charts.to_csv(charts.series_table(series, start, today, lang), lang),
    file_name=f"lieux-{start:%Y-%m}-{today:%Y-%m}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)

if not can(user, Permission.venues):
    st.stop()

editable = [item for item in listed if not item.venue.own]
by_id = {item.venue.id or 0: item for item in editable}

st.header(t("other_venues.enter"))
left, right = st.columns(2)
venue_id = left.selectbox(
    t("other_venues.venue"),
    list(by_id),
    format_func=lambda v: by_id[v].venue.name,
    key="venue_pick",
)
month = right.selectbox(
    t("other_venues.month"),
    months,
    format_func=lambda m: i18n.fmt_month(m, lang),
    key="venue_month",
)
if venue_id is not None:
    chosen = by_id[venue_id]
    with common.reading() as session:
        current = venues.values(session=session, actor=user, start=month, end=month)
    with st.form(f"venue_form_{venue_id}"):
        figures = {
            metric.id or 0: number_field(
                venues.metric_name(metric, lang),
                key=f"metric_{metric.id}_{month:%Y%m}",
                value=current.get(metric.id or 0, {}).get(month),
            )
            for metric in chosen.metrics
        }
        source = st.text_input(t("other_venues.source"), key=f"venue_source_{venue_id}")
        if st.form_submit_button(t("other_venues.save")):
            saved = common.act(
                venues.record_month,
                actor=user,
                venue_id=venue_id,
                month=month,
                figures=figures,
                source=source,
            )
            if saved is not None:
                common.flash(
                    "other_venues.saved",
                    venue=chosen.venue.name,
                    month=i18n.fmt_month(month, lang),
                    n=len(saved),
                )
                st.rerun()

st.header(t("other_venues.import"))
st.caption(t("other_venues.import_help", max_mb=venues.MAX_FILE_BYTES // (1024 * 1024)))
st.download_button(
    t("other_venues.template"),
    data=("\ufeff" + TEMPLATE_CSV).encode("utf-8"),
    file_name="lieux-modele.csv",
    mime="text/csv",
    icon=":material/description:",
    on_click="ignore",
)
upload = st.file_uploader(t("other_venues.file"), type=["csv", "txt"], key="venue_file")
if upload is not None:
    if upload.size > venues.MAX_FILE_BYTES:
        # Refused before reading it into the domain (the server's upload cap is larger).
        st.error(
            t("error.venues.csv.too_large", max_mb=venues.MAX_FILE_BYTES // (1024 * 1024)),
            icon=":material/error:",
        )
        st.stop()
    data = upload.getvalue()
    try:
        with common.reading() as session:
            preview = venues.parse_csv(
                session=session, actor=user, data=data, filename=upload.name, today=today
            )
    except DomainError as err:
        common.show_error(err)
        st.stop()
    st.caption(
        t(
            "other_venues.read_as",
            encoding=preview.encoding,
            separator={";": "« ; »", ",": "« , »", "\t": t("other_venues.tab")}[preview.separator],
        )
    )
    if preview.errors:
        st.error(t("other_venues.refused", n=len(preview.errors)), icon=":material/error:")
        st.dataframe(
            [
                {
                    t("other_venues.col.line"): e.row,
                    t("other_venues.col.reason"): t(e.key, **e.params),
                }
                for e in preview.errors
            ],
            hide_index=True,
            width="stretch",
        )
    st.dataframe(
        [
            {
                t("other_venues.col.line"): r.row,
                t("other_venues.col.venue"): r.venue,
                t("other_venues.col.metric"): r.metric,
                t("other_venues.col.month"): i18n.fmt_month(r.month, lang),
                t("other_venues.col.value"): i18n.fmt_number(
                    r.value, lang, 0 if r.value.is_integer() else 2
                ),
                t("other_venues.col.before"): t("other_venues.new")
                if r.before is None
                else i18n.fmt_number(r.before, lang, 0 if r.before.is_integer() else 2),
            }
            for r in preview.rows
        ],
        hide_index=True,
        width="stretch",
    )
    if preview.ok and st.button(
        t("other_venues.import_button", n=len(preview.rows)), type="primary", key="venue_import"
    ):
        result = common.act(
            venues.import_csv, actor=user, data=data, filename=upload.name, today=today
        )
        if result is not None:
            common.flash(
                "other_venues.imported",
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
            )
            st.rerun()
