"""Settings read from environment variables, with defaults for a laptop.

This is the only module that reads the environment: everything else asks here.
"""

from __future__ import annotations

import os
import secrets
import tomllib
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


def workshop_address() -> str:
    """The workshop's postal address, printed on the documents it files (`WORKSHOP_ADDRESS`)."""
    return os.environ.get("WORKSHOP_ADDRESS", "").strip()


def workshop_siret() -> str:
    """The SIRET of the structure that runs the workshop (`WORKSHOP_SIRET`), spaces kept out."""
    return "".join(os.environ.get("WORKSHOP_SIRET", "").split())


def default_language() -> str:
    """Language a new visitor sees first (`WORKSHOP_LANGUAGE`, `fr` or `en`)."""
    lang = os.environ.get("WORKSHOP_LANGUAGE", "fr")
    return lang if lang in ("fr", "en") else "fr"


# Emissions of producing new sawn wood or pallets, which a crate's wood reused in
# furniture stands in for: ADEME, Base Carbone®, documentation "Bois et articles
# en bois" (36,6 kg CO2e per tonne). Leaves out any carbon storage, as ADEME
# advises for short-lived wooden objects; a conservative figure.
DEFAULT_CO2E_FACTOR = 0.0366


def co2e_factor() -> float:
    """kg CO2e avoided per kg of crate wood reused (`WORKSHOP_CO2E_FACTOR`)."""
    try:
        value = float(
            os.environ.get("WORKSHOP_CO2E_FACTOR", str(DEFAULT_CO2E_FACTOR)).replace(",", ".")
        )
    except ValueError:
        return DEFAULT_CO2E_FACTOR
    return value if 0 <= value < 100 else DEFAULT_CO2E_FACTOR


def co2e_source() -> str:
    """Where the CO2e factor comes from (`WORKSHOP_CO2E_SOURCE`); "" for the ADEME reference,
    which the catalogs word in each language (`impact.co2e_source_text`)."""
    return os.environ.get("WORKSHOP_CO2E_SOURCE", "").strip()


def yearly_kg_goal() -> float:
    """Kilos the workshop aims to divert in a year (`WORKSHOP_YEARLY_KG_GOAL`; 0: no goal)."""
    try:
        value = float(os.environ.get("WORKSHOP_YEARLY_KG_GOAL", "10000").replace(",", "."))
    except ValueError:
        return 10000.0
    return value if value >= 0 else 10000.0


def default_weight_uncertainty() -> float:
    """Relative uncertainty of a default crate weight (`WORKSHOP_DEFAULT_WEIGHT_UNCERTAINTY`).

    A default weight is a stated guess, not a measurement: kilos estimated from it are
    shown with a ±25 % band unless set otherwise. Calibrated weights use their own
    standard error instead.
    """
    try:
        value = float(
            os.environ.get("WORKSHOP_DEFAULT_WEIGHT_UNCERTAINTY", "0.25").replace(",", ".")
        )
    except ValueError:
        return 0.25
    return value if 0 <= value <= 1 else 0.25


def _switched_on(variable: str) -> bool:
    """A yes/no setting: on for 1, true, yes, on (or oui), in any case."""
    return os.environ.get(variable, "").strip().lower() in ("1", "true", "yes", "on", "oui")


def public_summary_enabled() -> bool:
    """Whether the read-only public summary page is open to everyone (`WORKSHOP_PUBLIC_SUMMARY`)."""
    return _switched_on("WORKSHOP_PUBLIC_SUMMARY")


def photos_dir() -> Path:
    """Where build photos are stored (under the data directory)."""
    return data_dir() / "photos"


def monthly_hours_base() -> float:
    """Hours of one full-time equivalent a month (`WORKSHOP_MONTHLY_HOURS`; 35 h x 52 / 12)."""
    try:
        value = float(os.environ.get("WORKSHOP_MONTHLY_HOURS", "151.67").replace(",", "."))
    except ValueError:
        return 151.67
    return value if value > 0 else 151.67


def retention_months() -> int:
    """Months after a contract ends before `purge` anonymises (`WORKSHOP_RETENTION_MONTHS`)."""
    try:
        value = int(os.environ.get("WORKSHOP_RETENTION_MONTHS", "24"))
    except ValueError:
        return 24
    return value if value > 0 else 24


def production() -> bool:
    """True on a real server (`WORKSHOP_PRODUCTION=1`): secrets then come from the environment."""
    return os.environ.get("WORKSHOP_PRODUCTION", "").strip().lower() in ("1", "true", "yes", "on")


class MissingSecret(RuntimeError):
    """A secret the production server needs is not set."""

    def __init__(self, variable: str) -> None:
        self.variable = variable
        super().__init__(variable)


def _from_secrets_file(variable: str) -> str:
    """A top-level value of `.streamlit/secrets.toml` (`WORKSHOP_SECRETS_FILE`), or ""."""
    default = PROJECT_ROOT / ".streamlit" / "secrets.toml"
    path = Path(os.environ.get("WORKSHOP_SECRETS_FILE", default))
    try:
        with open(path, "rb") as fh:
            value = tomllib.load(fh).get(variable, "")
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    return str(value).strip()


def _secret(variable: str, file_name: str) -> bytes:
    """A secret from the environment or secrets.toml; on a laptop, a random one kept in data/.

    A key anyone could read in the source code would make it useless.
    """
    if key := os.environ.get(variable, "").strip() or _from_secrets_file(variable):
        return key.encode("utf-8")
    if production():
        raise MissingSecret(variable)
    path = data_dir() / file_name
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = secrets.token_hex(32).encode("ascii")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as fh:
            fh.write(fresh)
        return fresh


def pseudonym_key() -> bytes:
    """Key of the keyed hash in pseudonymised exports (`WORKSHOP_PSEUDONYM_KEY`)."""
    return _secret("WORKSHOP_PSEUDONYM_KEY", "pseudonym.key")


def session_key() -> bytes:
    """Key that signs the sign-in cookie (`WORKSHOP_SESSION_KEY`)."""
    return _secret("WORKSHOP_SESSION_KEY", "session.key")


def session_hours() -> float:
    """How long a sign-in lasts on a device (`WORKSHOP_SESSION_HOURS`, 12 by default)."""
    try:
        value = float(os.environ.get("WORKSHOP_SESSION_HOURS", "12").replace(",", "."))
    except ValueError:
        return 12.0
    return value if 0 < value <= 24 * 30 else 12.0


def behind_proxy() -> bool:
    """True when the app is reached only through the reverse proxy of docs/DEPLOYMENT.md
    (`WORKSHOP_BEHIND_PROXY`): the sign-in throttles then believe the client address it
    writes in X-Forwarded-For. Off, that header is ignored: anyone could write it."""
    return _switched_on("WORKSHOP_BEHIND_PROXY")


def check_secrets() -> None:
    """Raise MissingSecret at start-up when a production server lacks a secret."""
    if production():
        session_key()
        pseudonym_key()
