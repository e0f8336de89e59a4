"""Guessing throttle on the sign-in page (issue 8, item 3), per username and per session."""

from __future__ import annotations

import time_machine

from tests import factories
from tests.ui.conftest import start, texts
from workshop import accounts, dates
from workshop.models import Role

THROTTLED = "Trop d'essais manqués. Réessayez dans 1 min (60 s)."


def _try(at, username: str, password: str):
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def test_one_session_trying_many_usernames_is_slowed_down(ui):
    factories.user(ui, Role.lead, "lea", display_name="Léa")
    at = start()
    for n in range(accounts.FREE_TRIES):
        _try(at, f"guess{n}", "wrong-password")  # a different username each time
        assert texts(at.error) == ["Identifiant ou mot de passe incorrect."]
    _try(at, "lea", factories.PASSWORD)  # the right password, but this session must wait
    assert len(at.error) == 1 and at.error[0].value.startswith("Trop d'essais manqués.")
    assert "user_id" not in at.session_state
    assert texts(at.title) == ["Connexion"]


def test_a_username_is_throttled_across_sessions(ui):
    factories.user(ui, Role.lead, "lea")
    # The clock stands still: on a busy machine a second could pass before the last try.
    with time_machine.travel(dates.utcnow(), tick=False):
        for _ in range(accounts.FREE_TRIES):
            _try(start(), "lea", "wrong-password")  # a fresh browser session each time
        at = _try(start(), "lea", factories.PASSWORD)
    assert texts(at.error) == [THROTTLED]
    assert "user_id" not in at.session_state


def test_a_success_clears_the_session_count(ui):
    factories.user(ui, Role.lead, "lea", display_name="Léa")
    at = start()
    for n in range(accounts.FREE_TRIES - 1):
        _try(at, f"guess{n}", "wrong-password")
    _try(at, "lea", factories.PASSWORD)
    assert texts(at.title) == ["Bonjour Léa"]
    assert "sign_in_failures" not in at.session_state
