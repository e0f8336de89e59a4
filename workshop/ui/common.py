"""What every page shares: the engine, the language, the signed-in user, error display."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from string import Template
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from workshop import accounts, config, db, i18n, signin_tokens, startup
from workshop.accounts import Permission, can
from workshop.errors import DatabaseUnavailable, DomainError, InvalidInput, Unlikely
from workshop.impact import Co2e
from workshop.models import CrateKind, Design, User
from workshop.ui import cookies
from workshop.web import render

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    # Created once per database URL for the whole server (DESIGN §8.4).
    return startup.open_database(url)


@st.cache_resource(show_spinner=False)
def freeze_startup_objects() -> None:
    """Once per server: keep the objects made at start-up out of garbage collections."""
    # A full collection walks every live object, and at start-up those are the
    # libraries (Streamlit, SQLAlchemy, plotly…), alive as long as the server. Frozen,
    # a full collection during a dashboard run takes 10 ms instead of 130 ms
    # (docs/PERFORMANCE.md). plotly is imported first so that its objects are in too.
    import plotly.graph_objects  # noqa: F401

    gc.freeze()


def duration(minutes: int, language: str | None = None) -> str:
    """`3 h 15 min` in `language` (default: the session's; pass it to format functions,
    which AppTest calls outside the page run)."""
    return i18n.fmt_duration(minutes, language or lang())


def co2e_line(co2e: Co2e, lang: str) -> str:
    """`12 kg de CO2e évités par 330 kg de bois…`, with the factor and its source."""
    return t(
        "dashboard.co2e_line",
        co2e=i18n.fmt_kg(co2e.co2e_kg, lang),
        wood=i18n.fmt_kg(co2e.wood_kg, lang),
        factor=i18n.fmt_number(co2e.factor * 1000, lang, 1),
        source=co2e.source_in(lang),
    )


def engine() -> Engine:
    """The app's engine, migrated and seeded; stops the page with a message if unavailable."""
    try:
        config.check_secrets()
    except config.MissingSecret as missing:
        st.error(t("error.config.missing_secret", variable=missing.variable))
        st.stop()
    try:
        return _engine_for(config.database_url())
    except DatabaseUnavailable as err:
        st.error(t("error.db.unavailable_start"))
        st.caption(t(err.key, **err.params))
        st.stop()
        raise  # st.stop() does not return; this keeps type checkers informed


def _css_text(text: str) -> str:
    """`text` as a CSS string (the catalog's words put in by `content:`); "<" escaped so that
    nothing in it can end the style sheet."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return '"' + escaped.replace("\n", " ") + '"'


def page_style() -> None:
    """The app's CSS, on every run: touch targets, and Streamlit's built-in English words
    that no widget parameter changes, replaced by the session's language."""
    # file_uploader's button and size line, and date_input's empty "dd/mm/yyyy": their
    # words are hidden (display: none, or a zero font size for the editable date parts)
    # and the catalog's shown in their place.
    upload_mb = int(st.get_option("server.maxUploadSize"))
    words = {
        "upload": _css_text(t("common.upload_button")),
        "limit": _css_text(t("common.upload_limit", mb=upload_mb)),
        "day": _css_text(t("common.date_day")),
        "month": _css_text(t("common.date_month")),
        "year": _css_text(t("common.date_year")),
    }
    st.html(_PAGE_CSS.substitute(words))


_PAGE_CSS = Template("""<style>
/* Touch targets of at least 44 px: buttons, links styled as buttons, the +/- steppers. */
.stButton button, .stDownloadButton button, .stFormSubmitButton button,
.stLinkButton a, [data-testid="stPageLink"] a { min-height: 44px; }
[data-testid="stNumberInputStepDown"], [data-testid="stNumberInputStepUp"] {
  min-width: 44px; }
[data-testid="stNumberInputContainer"] { min-height: 44px; }
@media (max-width: 640px) {
  [data-testid="stSidebarNavLink"] { min-height: 44px; }
}
/* tables.table: the short table on a phone, the whole one above 640 px; the toolbar
   (search, download, full screen) above the table, not over the heading before it. */
@media (max-width: 640px) { [class*="st-key-table-wide-"] { display: none; } }
@media (min-width: 641px) { [class*="st-key-table-phone-"] { display: none; } }
[data-testid="stDataFrame"] { margin-top: 2.25rem; }
[class*="st-key-table-phone-"] [data-testid="stElementToolbar"] { display: none; }
[class*="st-key-table-phone-"] [data-testid="stDataFrame"] { margin-top: 0; }
/* Plotly's toolbar off on a phone: it covers the chart's title and legend there. */
@media (max-width: 640px) { [data-testid="stPlotlyChart"] .modebar-container { display: none; } }
/* Streamlit's English words in the file uploader and an empty date field. */
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {
  display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {
  content: $upload; }
[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  content: $limit; font-size: 0.875rem; opacity: 0.7; }
[data-testid="stDateInput"] [data-placeholder="true"] { font-size: 0; }
[data-testid="stDateInput"] [data-placeholder="true"]::after { font-size: 0.875rem; }
[data-testid="stDateInput"] [data-placeholder="true"][data-type="day"]::after {
  content: $day; }
[data-testid="stDateInput"] [data-placeholder="true"][data-type="month"]::after {
  content: $month; }
[data-testid="stDateInput"] [data-placeholder="true"][data-type="year"]::after {
  content: $year; }
/* "Press Enter to submit form" under a field: Enter still submits, the English hint goes. */
[data-testid="InputInstructions"] { display: none; }
</style>""")


def lang() -> str:
    """The language of this browser session: `?lang=`, else the one chosen on this device
    (the server-set cookie), else the workshop's default (French)."""
    if "lang" not in st.session_state:
        try:
            kept = st.context.cookies.get(render.LANG_COOKIE)
        except (AttributeError, RuntimeError):  # no browser (e.g. a test runner)
            kept = None
        wanted = [st.query_params.get("lang"), kept, config.default_language()]
        st.session_state["lang"] = next((w for w in wanted if w in i18n.LANGUAGES), "fr")
    return str(st.session_state["lang"])


_LANG_OF = "lang_of_user"


def use_language_of(user: User | None) -> None:
    """Once per sign-in, the language the signed-in user chose (on any device) wins."""
    if user is not None and user.language and st.session_state.get(_LANG_OF) != user.id:
        st.session_state["lang"] = user.language
    if user is not None:
        st.session_state[_LANG_OF] = user.id


def language_chosen() -> None:
    """The language picker's callback: kept for the user's devices, or this browser's."""
    chosen = lang()
    if (user := current_user()) is not None:
        act(accounts.set_language, actor=user, language=chosen)
        return
    try:
        here = urlsplit(st.context.url or "/").path or "/"
    except (AttributeError, RuntimeError):
        here = "/"
    cookies.go_to("/session/language?" + urlencode({"set": chosen, "next": here}))


def t(key: str, **params: Any) -> str:
    """Translate `key` into the session's language."""
    return i18n.translate(key, lang(), **params)


_ENUM_PARAMS = {"outcome": "outcome", "status": "status", "current": "status", "wanted": "status"}


def show_error(err: DomainError) -> None:
    """Show a domain error as a plain message in the session's language."""
    # Parameters may be typed or scanned text: shown as typed, never as markdown.
    params = {k: plain(v) if isinstance(v, str) else v for k, v in err.params.items()}
    # Enum values travel as their raw value: name them in the user's language.
    for name, section in _ENUM_PARAMS.items():
        if isinstance(err.params.get(name), str):
            params[name] = t(f"{section}.{err.params[name]}")
    st.error(t(err.key, **params), icon=":material/error:")


@contextmanager
def reading() -> Iterator[Session]:
    """A short read-only session."""
    with db.read_session(engine()) as session:
        yield session


# The files the app hands out, by their name's extension: MIME type and button icon.
_DOWNLOADS = {
    "pdf": ("application/pdf", ":material/picture_as_pdf:"),
    "csv": ("text/csv", ":material/download:"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ":material/download:",
    ),
}


def download(
    label: str,
    data: bytes | Callable[[], bytes],
    file_name: str,
    *,
    where: Any = st,
    primary: bool = False,
    **extra: Any,
) -> None:
    """A button that downloads one of our files (its type and icon from `file_name`) in the
    column `where`, without rerunning the page."""
    mime, icon = _DOWNLOADS[file_name.rsplit(".", 1)[-1]]
    where.download_button(
        label,
        data,
        file_name=file_name,
        mime=mime,
        icon=icon,
        type="primary" if primary else "secondary",
        on_click="ignore",
        **extra,
    )


def later(read: Callable[..., T], **kwargs: Any) -> Callable[[], T]:
    """`read(session=…, **kwargs)` run only when called, in its own read session: the data
    of a download button made when it is clicked (a page with many of them stays fast)."""
    bound = engine()

    def run() -> T:
        with db.read_session(bound) as session:
            return read(session=session, **kwargs)

    return run


# Number fields (ui/numbers.py) that could not be read in this run: nothing is written then.
REFUSED_NUMBERS = "refused_numbers"


def forget_refused_numbers() -> None:
    """At the start of each run: no number field has been refused yet."""
    st.session_state[REFUSED_NUMBERS] = {}


def refuse_number(key: str, err: InvalidInput) -> None:
    """The number field `key` holds text that is not a number: `act` writes nothing."""
    st.session_state.setdefault(REFUSED_NUMBERS, {})[key] = err.key


def act(action: Callable[..., T], *, confirm_as: str | None = None, **kwargs: Any) -> T | None:
    """Run one domain write in one transaction; show its error and return None if it fails.

    Nothing is written while a number field of this run was refused. With `confirm_as`,
    an `Unlikely` value is kept to be confirmed: `confirmed(confirm_as)` then shows the
    warning and its button, and the page calls again with `confirmed=True`."""
    if st.session_state.get(REFUSED_NUMBERS):
        st.error(t("error.number.refused"), icon=":material/error:")
        return None
    try:
        with db.write_session(engine()) as session:
            result = action(session=session, **kwargs)
    except Unlikely as err:
        if confirm_as is None:
            show_error(err)
            return None
        st.session_state[_confirm_key(confirm_as)] = (err.key, err.params, _fingerprint(kwargs))
        st.rerun()
    except DomainError as err:
        show_error(err)
        return None
    if confirm_as is not None:
        st.session_state.pop(_confirm_key(confirm_as), None)
    return result


def _confirm_key(name: str) -> str:
    return f"confirm__{name}"


def _fingerprint(kwargs: dict[str, Any]) -> str:
    # What was refused: a confirmation holds for those very values, not for changed ones.
    # (`actor` is the signed-in user, the same on every run.)
    return repr(sorted((k, repr(v)) for k, v in kwargs.items() if k not in ("confirmed", "actor")))


def awaiting(name: str) -> dict[str, Any] | None:
    """The parameters of the warning `act(confirm_as=name)` keeps to be confirmed, if any."""
    pending = st.session_state.get(_confirm_key(name))
    return dict(pending[1]) if pending else None


def confirmed(name: str, **kwargs: Any) -> bool:
    """Show the pending warning of `act(confirm_as=name)` with its button; True when the
    person confirms the very values (`kwargs`, as passed to act) that were warned about."""
    pending = st.session_state.get(_confirm_key(name))
    if pending is None:
        return False
    key, params, fingerprint = pending
    if fingerprint != _fingerprint(kwargs):
        st.session_state.pop(_confirm_key(name), None)  # the values changed: check them again
        return False
    shown = {k: plain(v) if isinstance(v, str) else v for k, v in params.items()}
    with st.container(border=True):
        st.warning(t(key, **shown), icon=":material/warning:")
        left, right = st.columns(2)
        yes = left.button(
            t("common.confirm_unlikely"),
            type="primary",
            icon=":material/check:",
            key=f"{name}__yes",
            width="stretch",
        )
        if right.button(
            t("common.correct_unlikely"), icon=":material/edit:", key=f"{name}__no", width="stretch"
        ):
            st.session_state.pop(_confirm_key(name), None)
            st.rerun()
    return yes


# The session's sign-in token (signin_tokens): checked on every run, so a sign-in
# ended anywhere (signed out, expired, password reset, role changed, disabled,
# signed out everywhere) stops an open tab at its next run. `user_id` mirrors it.
TOKEN = "sign_in_token"


def current_user() -> User | None:
    """The signed-in user: the session's token checked on every run (one indexed read)."""
    token = st.session_state.get(TOKEN)
    if token is None:
        st.session_state.pop("user_id", None)
        return None
    with reading() as session:
        user = signin_tokens.user_for(session=session, token=token)
    if user is None:
        _forget_sign_in()
        return None
    st.session_state["user_id"] = user.id
    return user


def _forget_sign_in() -> None:
    """This session is signed out: the token, and the cookie sent at the session's start
    (ignored from now on; its token is refused anyway once ended)."""
    st.session_state.pop(TOKEN, None)
    st.session_state.pop("user_id", None)
    st.session_state.pop("via_sso", None)
    st.session_state["signed_out"] = True


def _back_after_sign_in() -> str:
    """Where the browser comes back after its cookie is set: the scanned code kept, if any."""
    pending = st.session_state.get("pending_code")
    return "/?" + urlencode({"code": pending}) if isinstance(pending, str) and pending else "/"


def sign_in_as(user: User, *, remember: bool = True) -> None:
    """Sign this browser session in with a new token, and (`remember`) keep it in a cookie
    (the browser goes to the server for it and comes back: a new page load)."""
    issued = act(signin_tokens.issue, user=user)
    if issued is None:
        return
    st.session_state[TOKEN] = issued.token
    st.session_state["user_id"] = user.id
    st.session_state.pop("signed_out", None)
    if remember:
        cookies.remember(issued, _back_after_sign_in())


def sign_out(*, clear_cookie: bool = True) -> None:
    """Sign out here: the token is ended for good (a copy of the cookie too), and forgotten;
    `clear_cookie` also has the server clear the device's cookie (a new page load)."""
    if token := st.session_state.get(TOKEN):
        act(signin_tokens.end, token=token)
    _forget_sign_in()
    # Always: a browser that Streamlit reconnected to its old session after the trip
    # to /session/start shows no cookie in st.context, yet holds one.
    if clear_cookie:
        cookies.forget()


# The shop-floor tablet: its signed token (signin_tokens.tablet_token) in this session
# and in the page's address, so a reload or a power cut opens the badge screen again.
SHOP_FLOOR = "shop_floor_mode"
TABLET_PARAM = "tablet"


def shop_floor_mode() -> bool:
    """True on the shop-floor tablet: turned on in this session, or by its address."""
    token = st.session_state.get(SHOP_FLOOR) or st.query_params.get(TABLET_PARAM)
    if not token:
        return False
    if token != st.session_state.get(SHOP_FLOOR):
        with reading() as session:
            if not signin_tokens.is_tablet_token(session=session, token=str(token)):
                return False
        st.session_state[SHOP_FLOOR] = token
    st.query_params[TABLET_PARAM] = token  # kept in the address, for the next reload
    return True


def start_shop_floor(token: str) -> None:
    """This browser becomes the shop-floor tablet (its address keeps `token`)."""
    st.session_state[SHOP_FLOOR] = token
    st.query_params[TABLET_PARAM] = token


def end_shop_floor() -> None:
    """This browser is no longer the tablet: the address loses its token too."""
    st.session_state.pop(SHOP_FLOOR, None)
    st.query_params.pop(TABLET_PARAM, None)


def sso_configured() -> bool:
    """True when an OpenID Connect provider is set up in .streamlit/secrets.toml ([auth])."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, AttributeError, RuntimeError):
        return False


def sso_signed_in() -> bool:
    """True when the provider says this browser is signed in."""
    return sso_configured() and bool(getattr(st.user, "is_logged_in", False))


def restore_sign_in() -> None:
    """Sign in from the device's cookie or the single-sign-on provider (unless signed out here)."""
    if st.session_state.get("via_sso") and not sso_signed_in():
        sign_out()  # the provider's session ended: so does ours
        return
    if TOKEN in st.session_state or st.session_state.get("signed_out"):
        return
    if sso_signed_in():
        try:
            with reading() as session:
                known = accounts.user_for_email(
                    session=session, email=str(st.user.get("email") or "")
                )
        except DomainError as err:
            st.session_state["sso_error"] = err.key
            return
        # Roles come from the app's own user table, re-read on every run; the token
        # lets "sign out everywhere" and the other ends reach this session too.
        sign_in_as(known, remember=False)
        st.session_state["via_sso"] = True
        return
    if not (token := cookies.token()):
        return
    with reading() as session:
        user = signin_tokens.user_for(session=session, token=token)
    if user is not None:
        st.session_state[TOKEN] = token
        st.session_state["user_id"] = user.id


def page_user(permission: Permission | None = None) -> User:
    """The user a page runs for; stops the page when signed out or not allowed."""
    user = current_user()
    if user is None or (permission is not None and not can(user, permission)):
        st.error(t("error.page_not_allowed"), icon=":material/block:")
        st.stop()
        raise AssertionError  # unreachable: st.stop() ends the run
    return user


def reached_host() -> str:
    """The address (host[:port]) this browser reached the app at ("" without a browser)."""
    try:
        return str(st.context.headers.get("host") or "")
    except (AttributeError, RuntimeError, KeyError):
        return ""


def plain(text: str) -> str:
    """Escape markdown so user text shows as typed (never as formatting or HTML)."""
    # "-", "+" and "." only mean something at a line's start; codes and names use them.
    specials = "\\`*_{}[]#!|<>~$"
    return "".join("\\" + c if c in specials else c for c in text)


# Streamlit's markdown makes links of bare URLs, "www." and e-mail addresses from the text
# itself, escaped or not; an invisible word joiner where those patterns start (before "://"
# and the dot of "www.", after "@") keeps the text as it looks and makes no link.
_AUTOLINK_STARTS = re.compile(r"(?<=http)(?=s?://)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def public_text(text: str) -> str:
    """`plain(text)` for the pages anyone may open: no URL or e-mail in it becomes a link."""
    return _AUTOLINK_STARTS.sub(WORD_JOINER, plain(text))


def flash(key: str, **params: Any) -> None:
    """Keep a success message to show after the next st.rerun()."""
    st.session_state["flash"] = (key, params)


def show_flash() -> None:
    """Show (once) the message kept by `flash`."""
    if kept := st.session_state.pop("flash", None):
        # Parameters are often names people typed: shown as typed, never as markdown.
        params = {k: plain(v) if isinstance(v, str) else v for k, v in kept[1].items()}
        st.success(t(kept[0], **params), icon=":material/check_circle:")


def kind_name(kind: CrateKind) -> str:
    """A crate kind's name in the session's language."""
    return kind.name_en if lang() == "en" and kind.name_en else kind.name


def design_name(design: Design) -> str:
    """A design's name in the session's language."""
    return design.name_en if lang() == "en" and design.name_en else design.name
