"""Tag codes: minting, check character, printed form, URL and every way a code reaches us."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop import codes
from workshop.codes import ALPHABET, KINDS, format_code, is_valid, mint, parse, url_for
from workshop.errors import DomainError, InvalidCode, InvalidInput, WrongCodeKind

kinds = st.sampled_from(sorted(KINDS))


@st.composite
def minted(draw: st.DrawFn) -> str:
    """A code as `mint` would make it, but drawn by hypothesis so failures shrink."""
    kind = draw(kinds)
    payload = draw(st.lists(st.sampled_from(ALPHABET), min_size=5, max_size=5))
    values = [ALPHABET.index(ch) for ch in payload]
    return kind + "".join(payload) + ALPHABET[codes._check_value(kind, values)]


# Characters someone or something could put in place of one character of a code.
replacement_chars = st.one_of(
    st.sampled_from(ALPHABET + ALPHABET.lower() + "AQWZMUILOaqwzmuilo" + "àéèçù§!?=:&-_ ./"),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)


def test_alphabet_is_the_27_agreed_characters() -> None:
    assert ALPHABET == "0123456789BCDEFGHJKNPRSTVXY"
    assert len(set(ALPHABET)) == 27
    assert not set(ALPHABET) & set("ILOUAQWZM")
    assert set(KINDS) == {"C", "L", "M", "B"}


@given(kinds)
def test_mint_gives_a_valid_code_of_that_kind(kind: str) -> None:
    code = mint(kind)
    assert len(code) == 7
    assert code[0] == kind
    assert set(code[1:]) <= set(ALPHABET)
    assert is_valid(code)
    assert codes.kind_of(code) == kind


def test_mint_is_random() -> None:
    assert len({mint("C") for _ in range(200)}) == 200


def test_mint_refuses_an_unknown_kind() -> None:
    with pytest.raises(InvalidInput) as exc:
        mint("X")
    assert exc.value.key == "error.code.unknown_kind"


def test_printed_form_and_url() -> None:
    code = _code("C", "4K7XR")
    assert format_code(code) == f"C-4K7XR-{code[-1]}"
    assert url_for(code) == f"http://localhost:8501/?code={code}"


def test_url_uses_the_configured_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSHOP_BASE_URL", "https://atelier.example.org/")
    code = mint("L")
    assert url_for(code) == f"https://atelier.example.org/?code={code}"
    assert parse(url_for(code)) == code


def test_a_piece_s_url_is_its_passport_s_short_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSHOP_BASE_URL", "https://atelier.example.org/")
    code = mint("M")
    assert url_for(code) == f"https://atelier.example.org/p/{code}"
    # A lead scanning the piece's label (on any keyboard layout) gets its code back.
    assert parse(url_for(code)) == code
    assert parse(codes.us_on_azerty(url_for(code) + "\r\n")) == code
    assert parse(f"https://atelier.example.org/p/{code}?lang=en") == code
    with pytest.raises(InvalidCode):
        parse("https://atelier.example.org/p/M1234")


def _code(kind: str, payload: str) -> str:
    """The valid code with this kind and payload."""
    check = codes._check_value(kind, [ALPHABET.index(c) for c in payload])
    return kind + payload + ALPHABET[check]


def test_helpers_refuse_what_is_not_a_stored_code() -> None:
    good = _code("C", "4K7XR")
    wrong_check = good[:-1] + ALPHABET[(ALPHABET.index(good[-1]) + 1) % 27]
    for bad in (
        "",
        good[:-1],
        good.lower(),
        "X" + good[1:],
        good + " ",
        format_code(good),
        wrong_check,
        1234567,
        None,
    ):
        assert not is_valid(bad)
        with pytest.raises(InvalidCode):
            format_code(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidCode):
            url_for(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidCode):
            codes.kind_of(bad)  # type: ignore[arg-type]


# --- the AZERTY table ---------------------------------------------------------------


def test_us_scanner_on_azerty_table() -> None:
    assert codes.us_on_azerty("0123456789") == "à&é\"'(-è_ç"
    assert codes.us_on_azerty("://") == "M!!"
    assert codes.us_on_azerty("?") == "§"
    assert codes.us_on_azerty("AQZWM") == "QAWZ?"
    assert codes.us_on_azerty(".=&-_") == ":=7)°"
    assert codes.us_on_azerty("http://localhost:8501/?code=C4K7XR9") == (
        "httpM!!locqlhostM_(à&!§code=C'KèXRç"
    )
    # One-to-one, so a garbled text has exactly one meaning.
    assert len(set(codes.US_TO_AZERTY.values())) == len(codes.US_TO_AZERTY)


@given(st.text(alphabet="".join(codes.US_TO_AZERTY) + "bcdefghjknprstvxy"))
def test_azerty_garbling_is_undone(text: str) -> None:
    assert codes.azerty_to_us(codes.us_on_azerty(text)) == text


# --- round trips ------------------------------------------------------------------


@given(minted())
def test_check_character(code: str) -> None:
    assert is_valid(code)


@given(
    minted(),
    st.lists(st.sampled_from(["", "-", " ", ".", "_", "/", " - "]), min_size=8, max_size=8),
    st.booleans(),
    st.sampled_from(["", " ", "\n", "\r\n", "\t", "\r"]),
)
def test_round_trip_bare_code(code: str, seps: list[str], lower: bool, end: str) -> None:
    text = "".join(sep + ch for sep, ch in zip(seps, code + " ", strict=False)).strip("/ ")
    text = text.lower() if lower else text
    assert parse(" " + text + end) == code
    assert parse(format_code(code)) == code


@given(minted())
def test_round_trip_confusables(code: str) -> None:
    # Only after the kind letter: there L is a kind, not a 1.
    typed = code[0] + code[1:].replace("0", "O").replace("1", "I")
    assert parse(typed) == code
    assert parse(code[0] + code[1:].replace("1", "l")) == code


hosts = st.sampled_from(
    [
        "http://localhost:8501",
        "https://atelier-cagettes.fr",
        "http://192.168.1.20:8501",
        "https://www.wikivillage.org/atelier",
        "atelier.example.org",
    ]
)


@given(minted(), hosts, st.booleans(), st.sampled_from(["", "\n", "\r\n", "\r"]))
def test_round_trip_url(code: str, host: str, other_params: bool, end: str) -> None:
    url = f"{host}/?code={code}"
    if other_params:
        url = f"{host}/?lang=fr&code={code}&utm_source=qr#top"
    assert parse(url + end) == code
    assert parse(url.upper()) == code


@given(minted(), hosts, st.sampled_from(["", "\n", "\r\n"]))
def test_round_trip_us_scanner_on_azerty(code: str, host: str, end: str) -> None:
    assert parse(codes.us_on_azerty(code + end)) == code
    assert parse(codes.us_on_azerty(format_code(code))) == code
    assert parse(codes.us_on_azerty(f"{host}/?code={code}{end}")) == code
    assert parse(codes.us_on_azerty(f"{host}/?a=1&code={code}&b=2")) == code


def test_a_real_azerty_scan() -> None:
    code = _code("C", "4K7XR")
    garbled = codes.us_on_azerty(f"http://localhost:8501/?code={code}\r\n")
    assert garbled.startswith("httpM!!locqlhostM_(à&!§code=C'Kè")
    assert parse(garbled) == code


# --- errors are never "corrected" into another code --------------------------------------


@settings(max_examples=300)
@given(minted(), st.integers(0, 6), replacement_chars)
def test_single_substitution_never_reads_as_another_code(code: str, i: int, ch: str) -> None:
    typed = code[:i] + ch + code[i + 1 :]
    for text in (typed, f"http://localhost:8501/?code={typed}", codes.us_on_azerty(typed)):
        try:
            assert parse(text) == code
        except InvalidCode:
            pass


def test_every_single_substitution_exhaustively() -> None:
    """For a few codes, every position and every plausible character: same code or rejected."""
    candidates = sorted(set(ALPHABET + ALPHABET.lower() + "CLMBclmbAQWZUIOaqwzuio"))
    for kind in KINDS:
        for _ in range(5):
            code = mint(kind)
            for i in range(7):
                for ch in candidates:
                    typed = code[:i] + ch + code[i + 1 :]
                    try:
                        assert parse(typed) == code, typed
                    except InvalidCode as err:
                        if typed.upper() != code and i > 0 and ch.upper() in ALPHABET:
                            assert err.key == "error.code.bad_check"


@given(minted(), st.integers(0, 5))
def test_adjacent_transposition_is_rejected(code: str, i: int) -> None:
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    if swapped == code:
        return
    with pytest.raises(InvalidCode):
        parse(swapped)


def test_wrong_check_character_is_reported_not_guessed() -> None:
    code = mint("C")
    wrong = ALPHABET[(ALPHABET.index(code[-1]) + 1) % 27]
    for text in (code[:-1] + wrong, codes.us_on_azerty(code[:-1] + wrong)):
        with pytest.raises(InvalidCode) as exc:
            parse(text)
        assert exc.value.key == "error.code.bad_check"
        assert exc.value.params == {"code": format_code(code)[:-1] + wrong}


# --- kinds and bad input -------------------------------------------------------------


@given(minted(), kinds)
def test_expect_kind(code: str, expected: str) -> None:
    if code[0] == expected:
        assert parse(code, expect=expected) == code
        return
    with pytest.raises(WrongCodeKind) as exc:
        parse(url_for(code), expect=expected)
    assert exc.value.key == "error.code.wrong_kind"
    assert exc.value.params["expected"] == expected
    assert exc.value.params["found"] == code[0]
    assert isinstance(exc.value, InvalidInput)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "error.code.empty"),
        ("   \r\n", "error.code.empty"),
        (" . / ", "error.code.empty"),
        ("C4K7", "error.code.too_short"),
        ("C4K7XR9C4K7XR9", "error.code.too_long"),
        ("x" * 5000, "error.code.too_long"),
        ("C4K7XR€", "error.code.bad_character"),
        ("C4K7XU9", "error.code.bad_character"),
        ("CAK7XR9", "error.code.bad_character"),
        ("D4K7XR9", "error.code.unknown_kind"),
        ("hello world", "error.code.too_long"),
        ("http://localhost:8501/", "error.code.url_without_code"),
        ("https://atelier.example.org/?lang=fr&page=builds", "error.code.url_without_code"),
        ("httpM!!locqlhostM_(à&!", "error.code.url_without_code"),
        ("http://localhost:8501/?code=", "error.code.empty"),
    ],
)
def test_bad_input_says_why(text: str, key: str) -> None:
    with pytest.raises(InvalidCode) as exc:
        parse(text)
    assert exc.value.key == key


def test_two_different_codes_in_one_url_are_refused() -> None:
    a, b = mint("C"), mint("C")
    with pytest.raises(InvalidCode) as exc:
        parse(f"http://x/?code={a}&code={b}")
    assert exc.value.key == "error.code.ambiguous"


@given(st.text(max_size=60))
def test_any_text_gives_a_valid_code_or_a_domain_error(text: str) -> None:
    try:
        result = parse(text)
    except DomainError as err:
        assert isinstance(err, InvalidCode)
        assert err.key.startswith("error.code.")
    else:
        assert is_valid(result)


def test_expect_must_be_a_kind() -> None:
    with pytest.raises(InvalidInput):
        parse(mint("C"), expect="X")


@pytest.mark.parametrize(
    ("base", "reached", "wasted"),
    [
        (None, "192.168.1.20:8501", True),  # WORKSHOP_BASE_URL unset: localhost
        ("http://localhost:8600", "atelier.example.org", True),
        (None, "localhost:8501", False),
        (None, "127.0.0.1:8501", False),
        (None, "[::1]:8501", False),
        (None, "", False),  # no browser: nothing to compare
        ("https://atelier.example.org", "192.168.1.20:8501", False),
    ],
)
def test_labels_pointing_to_localhost_are_caught(
    monkeypatch: pytest.MonkeyPatch, base: str | None, reached: str, wasted: bool
) -> None:
    if base is None:
        monkeypatch.delenv("WORKSHOP_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("WORKSHOP_BASE_URL", base)
    assert codes.labels_point_elsewhere(reached) is wasted
