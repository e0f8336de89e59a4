"""Throttled tries from a page: a password sign-in, a shop-floor badge or PIN.

The throttles live in the domain (`throttles.check_throttle`, counted from the audit
log per key, per client address and, for passwords, for everyone per minute), so a
new browser session starts with nothing to forget. This module only says which
address the browser comes from and shows the domain's refusals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from workshop import accounts, throttles
from workshop.errors import DomainError
from workshop.models import User
from workshop.ui import common

T = TypeVar("T")


def client_address() -> str:
    """The address this browser's tries are counted under (`throttles.client_key`)."""
    try:
        direct = st.context.ip_address
        forwarded = st.context.headers.get_all("X-Forwarded-For")
    except (AttributeError, RuntimeError, KeyError):  # no browser (e.g. a test runner)
        direct, forwarded = None, []
    return throttles.client_key(direct, list(forwarded))


def attempt(action: Callable[..., T], **kwargs: Any) -> T | None:
    """Run a throttled try (it opens its own transactions); show its error and return None."""
    try:
        return action(engine=common.engine(), client=client_address(), **kwargs)
    except DomainError as err:
        common.show_error(err)
        return None


def sign_in(username: str, password: str) -> User | None:
    """The user these credentials sign in, or None after showing why not."""
    return attempt(accounts.authenticate, username=username, password=password)
