"""Fixtures of backup, restore, schema and command-line tests: a second database, a data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import POSTGRES_URL


@pytest.fixture
def other_url(tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as the test's own (nothing in it, no tables)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = factories.new_postgres_db()
    try:
        yield url
    finally:
        factories.drop_postgres_db(url)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory of the test's own (backups land in `<it>/backups`)."""
    path = tmp_path / "data"
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(path))
    return path
