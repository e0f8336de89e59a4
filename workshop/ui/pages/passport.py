"""Public passport of a piece: where its crates came from, kilos saved, hours. No sign-in."""

import streamlit as st

from workshop import builds, i18n, impact
from workshop.errors import DomainError
from workshop.ui import common
from workshop.ui.common import t

lang = common.lang()
text = st.query_params.get("code", "") or st.session_state.get("passport_code", "")

try:
    with common.reading() as session:
        story = builds.public_passport(session=session, text=str(text))
except DomainError:
    # The same neutral page for every code that is not a known piece.
    st.title(t("passport.not_found_title"))
    st.write(t("passport.not_found"))
    st.stop()

st.title(common.public_text(common.design_name(story.design)))
st.caption(t("passport.made_by"))
# The piece's own photo, else its design's catalogue photo.
photo = builds.photo_bytes(story.photo) if story.photo else None
if photo := photo or builds.stored_photo(story.design.photo):
    st.image(photo, width="stretch")

if not story.finished:
    st.info(t("passport.in_progress"), icon=":material/construction:")

st.subheader(t("passport.origin_title"))
if story.crates == 0:
    st.write(t("passport.no_crates_yet"))
else:
    st.write(t("passport.made_from", n=story.crates))
    for share in story.markets:
        when = (
            i18n.fmt_date(share.first, lang)
            if share.first == share.last
            else t(
                "passport.between",
                first=i18n.fmt_date(share.first, lang),
                last=i18n.fmt_date(share.last, lang),
            )
        )
        st.write(
            t(
                "passport.market_line",
                n=share.crates,
                market=common.public_text(share.market),
                when=when,
            )
        )

c1, c2, c3 = st.columns(3)
c1.metric(t("passport.kg"), i18n.fmt_kg(story.kg, lang))
c2.metric(t("passport.co2e"), f"{i18n.fmt_number(story.co2e_kg, lang, 2)}\u00a0kg CO2e")
if story.training_hours is None:  # one or two makers: their own hours, kept private
    c3.metric(t("passport.hours"), t("passport.hours_private"), help=t("passport.hours_why"))
else:
    c3.metric(t("passport.hours"), f"{i18n.fmt_number(story.training_hours, lang, 1)}\u00a0h")
st.caption(
    t(
        "passport.co2e_source",
        factor=i18n.fmt_number(story.co2e_factor, lang, 4),
        source=common.public_text(impact.co2e_source_text(story.co2e_source, lang)),
    )
)
if story.programmes:
    names = [p.name_en if lang == "en" and p.name_en else p.name for p in story.programmes]
    st.write(t("passport.programmes", names=", ".join(common.public_text(n) for n in names)))
if story.makers:
    st.write(t("passport.makers", names=", ".join(common.public_text(m) for m in story.makers)))
if story.finished_on:
    st.caption(t("passport.finished_on", date=i18n.fmt_date(story.finished_on, lang)))
st.divider()
st.caption(t("passport.about"))
