"""Typed text and numbers: every character class refused, kept or taken out; real numbers only."""

from __future__ import annotations

import pytest

from workshop import i18n, typed_input
from workshop.errors import InvalidInput

C0 = [chr(c) for c in range(0x20)]
C1_AND_DEL = [chr(c) for c in range(0x7F, 0xA0)]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
NONCHARACTERS = [
    "\ufdd0",
    "\ufdef",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\U0001ffff",
    "\U000efffe",
    "\U0010ffff",
]
SEPARATORS = ["\u2028", "\u2029"]
BIDI_CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
# What people really type, kept as it is.
KEPT = [
    "Awa D.",
    "Élodie-Anne O'Brien",
    "Ñandú, ça coûte 12,50 €",
    "محمد",  # Arabic: the bidirectional algorithm orders it without any control
    "ישראל",
    "李小龙",
    "🪵 bois de récup 👍🏽",
    "👩‍🔧 ZWJ",  # a zero-width joiner in an emoji sequence
    "A\u00a0B\u202fC",  # no-break spaces (French typography)
    "\u200eLRM\u200f RLM",  # marks, not overrides: they reorder nothing
    "نهاية\u061c",
]


def _refused(typed: str, **options: bool) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        typed_input.text(typed, **options)
    assert err.value.key == typed_input.INVISIBLE == "error.text.invisible"
    return err.value


@pytest.mark.parametrize(
    "char",
    [*C0, *C1_AND_DEL, *SURROGATES, *NONCHARACTERS, *SEPARATORS],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_control_and_other_invisible_characters_are_refused_inside_a_line(char):
    err = _refused(f"Aw{char}a")
    assert err.params == {"code": f"U+{ord(char):04X}", "position": 3}


@pytest.mark.parametrize(
    "char",
    [c for c in [*C0, *C1_AND_DEL, *SURROGATES, *NONCHARACTERS, *SEPARATORS] if c not in "\n\r"],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_a_multi_line_field_refuses_the_same_characters_but_line_breaks(char):
    assert _refused(f"Banc\nen {char}chêne", multiline=True).params["position"] == 9


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_a_multi_line_field_keeps_line_breaks_as_newlines_and_a_line_refuses_them(line_break):
    typed = f"Trois cagettes.{line_break}Vernis à l'huile."
    assert typed_input.text(typed, multiline=True) == "Trois cagettes.\nVernis à l'huile."
    assert _refused(typed).params == {"code": f"U+{ord(line_break[0]):04X}", "position": 16}


@pytest.mark.parametrize("char", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_bidirectional_controls_are_taken_out(char):
    # U+202E reversed "Awa D." on the passport; without it the name reads as typed.
    assert typed_input.text(f"{char}Awa D.\u202c") == "Awa D."
    assert typed_input.text(f"  {char} محمد {char}  ") == "محمد"
    assert typed_input.text(f"un\n{char}deux", multiline=True) == "un\ndeux"


@pytest.mark.parametrize("typed", KEPT)
def test_what_people_type_is_kept_as_typed(typed):
    assert typed_input.text(typed) == typed
    assert typed_input.text(typed, multiline=True) == typed


def test_surrounding_spaces_tabs_and_line_breaks_are_trimmed_not_refused():
    assert typed_input.text(" \t Awa D. \n") == "Awa D."
    assert typed_input.text("\u202e") == ""  # then an empty field, refused as such by the field


def test_the_position_counts_in_the_field_as_typed():
    assert _refused("   Awa\x00").params["position"] == 7
    assert _refused("\u202eAw\x1ba").params == {"code": "U+001B", "position": 4}


def test_the_message_says_what_to_do_in_both_languages():
    err = _refused("Aw\x08a")
    assert i18n.translate(err.key, "fr", **err.params) == (
        "Un texte saisi contient un caractère invisible ou de contrôle (U+0008, caractère n° 3)"
        " : retirez-le, puis réessayez."
    )
    assert i18n.translate(err.key, "en", **err.params) == (
        "Some text you typed contains an invisible or control character (U+0008, character 3):"
        " remove it and try again."
    )


@pytest.mark.parametrize(
    "char",
    [*C0, *C1_AND_DEL, *SURROGATES, *NONCHARACTERS, *SEPARATORS],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_printable_replaces_what_text_refuses(char):
    assert typed_input.printable(f"Aw{char}a") == "Aw\ufffda"


def test_printable_takes_bidirectional_controls_out_and_keeps_the_rest():
    assert typed_input.printable("\u202eAwa D.\u2066") == "Awa D."
    assert [typed_input.printable(typed) for typed in KEPT] == KEPT


@pytest.mark.parametrize(
    ("value", "number", "whole"),
    [
        (0, True, True),
        (12, True, True),
        (10**400, True, True),  # too big for a float, still a number: bounds refuse it
        (-3, True, True),
        (1.5, True, False),
        (5e-324, True, False),  # a number: each field's lower bound refuses it
        (2.0, True, False),
        (float("nan"), False, False),
        (float("inf"), False, False),
        (float("-inf"), False, False),
        (True, False, False),
        (False, False, False),
        ("12", False, False),
        (None, False, False),
    ],
)
def test_numbers_are_finite_ints_or_floats_never_bools(value, number, whole):
    assert typed_input.is_number(value) is number
    assert typed_input.is_whole_number(value) is whole


@pytest.mark.parametrize(
    ("typed", "whole", "value"),
    [
        ("6,5", False, 6.5),
        ("6.5", False, 6.5),
        ("1 234,5", False, 1234.5),
        ("1\u202f234,5", False, 1234.5),  # as Babel writes it in French
        ("1\u00a0234", True, 1234),
        (" 12 ", True, 12),
        ("0", True, 0),
        ("1,20", False, 1.2),
        ("", False, None),
        ("   ", True, None),
    ],
)
def test_a_typed_number_reads_the_french_comma_and_the_point(typed, whole, value):
    got = typed_input.number(typed, whole=whole)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("typed", "whole", "decimals", "key"),
    [
        ("6,5,5", False, None, typed_input.NOT_A_NUMBER),
        ("abc", False, None, typed_input.NOT_A_NUMBER),
        ("6,5 kg", False, None, typed_input.NOT_A_NUMBER),
        ("1/2", False, None, typed_input.NOT_A_NUMBER),
        ("nan", False, None, typed_input.NOT_A_NUMBER),
        ("1e400", False, None, typed_input.NOT_A_NUMBER),
        ("9" * 41, False, None, typed_input.NOT_A_NUMBER),
        ("-3", False, None, typed_input.NEGATIVE),
        ("6,5", True, None, typed_input.NOT_WHOLE),
        ("12,345", False, 2, typed_input.TOO_MANY_DECIMALS),
    ],
)
def test_a_typed_number_that_is_not_one_is_refused_with_its_text(typed, whole, decimals, key):
    with pytest.raises(InvalidInput) as err:
        typed_input.number(typed, whole=whole, decimals=decimals)
    assert err.value.key == key
    assert err.value.params["text"] == typed.strip()[: typed_input.MAX_NUMBER_LENGTH]
    for lang in i18n.LANGUAGES:  # a message in both languages, with the text as typed
        assert typed.strip()[:10] in i18n.translate(key, lang, **err.value.params)
