"""Import past pickups (leads, admins): a CSV or XLSX file, columns mapped, preview, all at once."""

import streamlit as st

from workshop import i18n, pickup_import, pickups
from workshop.accounts import Permission
from workshop.errors import DomainError
from workshop.ui import common
from workshop.ui.common import t

user = common.page_user(Permission.pickups)
lang = common.lang()
st.title(t("import.title"))
st.caption(t("import.intro"))
common.show_flash()

upload_no = st.session_state.setdefault("import_upload_no", 0)
upload = st.file_uploader(
    t("import.file"), type=["csv", "txt", "xlsx", "xlsm"], key=f"import_file_{upload_no}"
)
if upload is None:
    st.stop()

# Read once per file; the mapping widgets below rerun the page often.
kept = st.session_state.get("import_table")
if kept is None or kept[0] != upload.file_id:
    try:
        table = pickup_import.read_table(upload.getvalue(), upload.name)
    except DomainError as err:
        common.show_error(err)
        st.stop()
    st.session_state["import_table"] = (upload.file_id, table)
else:
    table = kept[1]

st.caption(
    t(
        "import.read_csv" if table.source == "csv" else "import.read_xlsx",
        rows=i18n.fmt_number(len(table.rows), lang),
        columns=len(table.headers),
        encoding=table.encoding,
        sep={";": ";", ",": ",", "\t": "TAB"}.get(table.delimiter, table.delimiter),
    )
)

with common.reading() as session:
    kinds = pickups.crate_kinds(session=session, active_only=False)
guessed = pickup_import.guess_mapping(table.headers, kinds)
kind_names = {f"{pickup_import.COUNT_PREFIX}{k.id}": common.kind_name(k) for k in kinds}
labels = {
    pickup_import.DATE: t("import.field.date"),
    pickup_import.MARKET: t("import.field.market"),
    pickup_import.SAMPLE_COUNT: t("import.field.sample_count"),
    pickup_import.SAMPLE_KG: t("import.field.sample_kg"),
    pickup_import.SAMPLE_KIND: t("import.field.sample_kind"),
    pickup_import.NOTE: t("import.field.note"),
}
labels.update({k: t("import.field.count", kind=name) for k, name in kind_names.items()})
columns = [None, *range(len(table.headers))]
headers = list(table.headers)

st.subheader(t("import.mapping"))
st.caption(t("import.mapping_help"))
mapping: dict[str, int | None] = {}
grid = st.columns(3)
for n, name in enumerate(pickup_import.fields(kinds)):
    mapping[name] = grid[n % 3].selectbox(
        labels[name],
        columns,
        index=columns.index(guessed.get(name)),
        format_func=lambda i: t("import.not_in_file") if i is None else headers[i],
        key=f"import_map_{upload.file_id}_{name}",
    )

with st.expander(t("import.first_rows")):
    st.dataframe(
        [
            {
                h or f"#{i + 1}": "" if v is None else str(v)
                for i, (h, v) in enumerate(zip(headers, row, strict=True))
            }
            for _, row in table.rows[:10]
        ],
        hide_index=True,
    )

report = common.act(pickup_import.preview_import, actor=user, table=table, mapping=mapping)
if report is None:
    st.stop()

st.subheader(t("import.preview"))
new, same, bad = st.columns(3)
new.metric(t("import.to_import"), i18n.fmt_number(len(report.imported), lang))
same.metric(t("import.skipped"), i18n.fmt_number(len(report.skipped), lang))
bad.metric(t("import.errors"), i18n.fmt_number(len(report.errors), lang))

if report.errors:
    st.error(t("import.fix_first", n=len(report.errors)), icon=":material/error:")
    st.dataframe(
        [
            {t("import.col.row"): e.row, t("import.col.reason"): t(e.key, **e.params)}
            for e in report.errors
        ],
        hide_index=True,
        width="stretch",
    )


def _sample(sample: pickups.Sample | None) -> str:
    if sample is None:
        return ""
    kind = kind_names.get(f"{pickup_import.COUNT_PREFIX}{sample.kind_id}", "?")
    return f"{sample.count} × {kind} = {i18n.fmt_kg(sample.kg, lang)}"


def _rows(rows: list[pickup_import.PickupRow], status: str) -> list[tuple[int, dict[str, object]]]:
    return [
        (
            r.row,
            {
                t("import.col.row"): r.row,
                t("import.col.status"): status,
                t("import.col.date"): i18n.fmt_date(r.pickup_date, lang),
                t("import.col.market"): r.market,
                **{
                    name: r.counts.get(int(k.removeprefix(pickup_import.COUNT_PREFIX)), 0)
                    for k, name in kind_names.items()
                },
                t("import.col.sample"): _sample(r.sample),
            },
        )
        for r in rows
    ]


shown = sorted(
    _rows(report.imported, t("import.status.new"))
    + _rows(report.skipped, t("import.status.skipped")),
    key=lambda pair: pair[0],
)
if shown:
    st.dataframe([row for _, row in shown], hide_index=True, width="stretch")

if st.button(
    t("import.submit", n=len(report.imported)),
    type="primary",
    icon=":material/upload:",
    disabled=bool(report.errors) or not report.imported,
):
    done = common.act(
        pickup_import.import_pickups, actor=user, table=table, mapping=mapping, filename=upload.name
    )
    if done is not None:
        common.flash("import.done", n=len(done.imported), skipped=len(done.skipped))
        st.session_state["import_upload_no"] = upload_no + 1
        st.session_state.pop("import_table", None)
        st.rerun()
