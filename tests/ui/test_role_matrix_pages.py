"""Every page × every role, opened directly by its file (issue 8, item 4).

The navigation already hides a page from a role without its permission
(test_pages.test_each_role_sees_exactly_its_pages); here each page is run on its
own, as if its URL were opened, and must stop at the top for every role that
accounts.PERMISSIONS does not allow.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.ui.conftest import page_alone, texts
from workshop.accounts import PERMISSIONS
from workshop.models import Role
from workshop.ui import nav

DENIED = [
    (spec.file, role)
    for spec in nav.SIGNED_IN_PAGES
    for role in Role
    if spec.permission is not None and spec.permission not in PERMISSIONS[role]
]


@pytest.mark.parametrize(("page", "role"), DENIED)
def test_page_refuses_a_role_without_its_permission(ui, page, role):
    user = factories.user(ui, role)
    at = page_alone(page, user)
    assert not at.exception
    assert texts(at.error) == [
        "Cette page n'est pas accessible avec votre compte. "
        "Connectez-vous avec un compte qui y a droit."
    ]
    assert not at.title and not at.button and not at.dataframe
