"""Settings read from environment variables, with defaults for a laptop.

This is the only module that reads the environment: everything else asks here.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DATA = Path(__file__).resolve().parent / "data"


def data_dir() -> Path:
    """Directory for the SQLite file, photos and backups (`WORKSHOP_DATA_DIR`)."""
    return Path(os.environ.get("WORKSHOP_DATA_DIR", PROJECT_ROOT / "data"))


def database_url() -> str:
    """SQLAlchemy URL of the database (`WORKSHOP_DATABASE_URL`), SQLite file by default."""
    url = os.environ.get("WORKSHOP_DATABASE_URL", "").strip()
    return url or f"sqlite:///{data_dir() / 'atelier.db'}"


def base_url() -> str:
    """Public address of the app, used in QR codes (`WORKSHOP_BASE_URL`)."""
    return os.environ.get("WORKSHOP_BASE_URL", "http://localhost:8501").rstrip("/")


def workshop_name() -> str:
    """Name printed on labels and shown in the header (`WORKSHOP_NAME`)."""
    return os.environ.get("WORKSHOP_NAME", "Atelier Cagettes · Wikivillage & Extramuros")


def default_language() -> str:
    """Language a new visitor sees first (`WORKSHOP_LANGUAGE`, `fr` or `en`)."""
    lang = os.environ.get("WORKSHOP_LANGUAGE", "fr")
    return lang if lang in ("fr", "en") else "fr"
