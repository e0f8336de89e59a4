"""Web, render: the visitor's language, the templates' messages, the stylesheet's hash."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from workshop import i18n
from workshop.web import render


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en-GB,en;q=0.9,fr;q=0.8", "en"),
        ("de-DE,de;q=0.9,en;q=0.5,fr;q=0.4", "en"),
        ("fr;q=0.2, en;q=0.7", "en"),
        ("EN-us", "en"),
        ("de, it", None),
        ("en;q=0, fr;q=x", None),
        ("", None),
        (",;;q=,=" * 500, None),  # hostile: never an error
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert render.accepted_language(header) == expected


def test_every_message_a_template_uses_is_in_both_catalogs() -> None:
    used = set()
    for template in render.TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""t\(["']([\w.]+)["']""", template.read_text(encoding="utf-8")))
        used |= set(re.findall(r"""_key=["']([\w.]+)["']""", template.read_text(encoding="utf-8")))
    assert {"passport.made_by", "web.switch_to"} <= used
    for lang in i18n.LANGUAGES:
        assert sorted(k for k in used if k not in i18n.catalog(lang)) == [], lang


def test_the_policy_allows_the_inlined_stylesheet_only() -> None:
    digest = base64.b64encode(hashlib.sha256(render.CSS.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in render.CONTENT_SECURITY_POLICY
    assert "unsafe" not in render.CONTENT_SECURITY_POLICY
    assert render.other_language("fr") == "en" and render.other_language("en") == "fr"
