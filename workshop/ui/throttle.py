"""Password sign-in for a page, with the per-browser-session guessing throttle.

The per-username throttle lives in the domain (`accounts.authenticate`, counted
from the audit log); this one counts the failures of this browser session, so
one visitor trying many usernames is slowed down too (issue 8).
"""

from __future__ import annotations

import streamlit as st

from workshop import accounts, dates, db
from workshop.errors import AuthenticationFailed, DomainError
from workshop.models import User
from workshop.ui import common

FAILURES = "sign_in_failures"
LAST_FAILURE = "sign_in_last_failure"


def sign_in(username: str, password: str) -> User | None:
    """The user these credentials sign in, or None after showing why not."""
    now = dates.utcnow()
    wait = accounts.throttle_wait(
        int(st.session_state.get(FAILURES, 0)), st.session_state.get(LAST_FAILURE), now
    )
    if wait:
        common.show_error(accounts.throttled(wait))
        return None
    try:
        # A write: the attempt is audit-logged, a failure committed before it is raised.
        with db.write_session(common.engine()) as session:
            user = accounts.authenticate(session=session, username=username, password=password)
    except AuthenticationFailed as err:
        st.session_state[FAILURES] = int(st.session_state.get(FAILURES, 0)) + 1
        st.session_state[LAST_FAILURE] = now
        common.show_error(err)
        return None
    except DomainError as err:
        common.show_error(err)
        return None
    st.session_state.pop(FAILURES, None)
    st.session_state.pop(LAST_FAILURE, None)
    return user
