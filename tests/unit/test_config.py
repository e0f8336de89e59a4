"""Settings: secrets (environment, secrets.toml, production) and bad values falling back."""

from __future__ import annotations

import stat

import pytest

from workshop import config


def test_production_needs_its_secrets(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("WORKSHOP_SESSION_KEY", raising=False)
    monkeypatch.setenv("WORKSHOP_PRODUCTION", "1")
    with pytest.raises(config.MissingSecret):
        config.check_secrets()
    monkeypatch.setenv("WORKSHOP_SESSION_KEY", "s" * 32)
    monkeypatch.setenv("WORKSHOP_PSEUDONYM_KEY", "p" * 32)
    config.check_secrets()
    assert not list(tmp_path.iterdir())  # no key file written in production


def test_secrets_can_come_from_secrets_toml(monkeypatch, tmp_path):
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('WORKSHOP_SESSION_KEY = "from-the-file"\n[auth]\nclient_id = "x"\n')
    monkeypatch.setenv("WORKSHOP_SECRETS_FILE", str(secrets_file))
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WORKSHOP_SESSION_KEY", raising=False)
    monkeypatch.delenv("WORKSHOP_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("WORKSHOP_PRODUCTION", "1")
    assert config.session_key() == b"from-the-file"
    with pytest.raises(config.MissingSecret) as err:  # the other one is still missing
        config.check_secrets()
    assert err.value.variable == "WORKSHOP_PSEUDONYM_KEY"
    monkeypatch.setenv("WORKSHOP_SESSION_KEY", "from-the-environment")  # the environment wins
    assert config.session_key() == b"from-the-environment"


def test_monthly_base_setting(monkeypatch):
    assert config.monthly_hours_base() == 151.67
    monkeypatch.setenv("WORKSHOP_MONTHLY_HOURS", "140,5")
    assert config.monthly_hours_base() == 140.5
    monkeypatch.setenv("WORKSHOP_MONTHLY_HOURS", "nonsense")
    assert config.monthly_hours_base() == 151.67


# Each setting: its variable, its default, values taken as given, bad values that fall back.
SETTINGS = [
    (
        config.co2e_factor,
        "WORKSHOP_CO2E_FACTOR",
        0.0366,
        {"0.5": 0.5, "0,5": 0.5, "0": 0.0},
        ["beaucoup", "", "-1", "1e9"],
    ),
    (
        config.yearly_kg_goal,
        "WORKSHOP_YEARLY_KG_GOAL",
        10000.0,
        {"2500,5": 2500.5, "0": 0.0},  # 0: no goal
        ["-1", "dix mille", ""],
    ),
    (
        config.default_weight_uncertainty,
        "WORKSHOP_DEFAULT_WEIGHT_UNCERTAINTY",
        0.25,
        {"0,1": 0.1, "0": 0.0, "1": 1.0},
        ["-0.1", "1.5", "25 %", ""],
    ),
    (
        config.monthly_hours_base,
        "WORKSHOP_MONTHLY_HOURS",
        151.67,
        {"140,5": 140.5},
        ["0", "-35", "nonsense", ""],
    ),
    (
        config.retention_months,
        "WORKSHOP_RETENTION_MONTHS",
        24,
        {"36": 36, "1": 1},
        ["0", "-6", "2,5", "deux ans", ""],
    ),
    (
        config.session_hours,
        "WORKSHOP_SESSION_HOURS",
        12.0,
        {"8": 8.0, "0,5": 0.5, "720": 720.0},  # at most 30 days
        ["0", "721", "x", ""],
    ),
    (config.default_language, "WORKSHOP_LANGUAGE", "fr", {"en": "en", "fr": "fr"}, ["de", ""]),
]


@pytest.mark.parametrize(
    ("setting", "variable", "default", "good", "bad"), SETTINGS, ids=[s[1] for s in SETTINGS]
)
def test_a_setting_is_read_and_a_bad_value_falls_back_to_its_default(
    monkeypatch, setting, variable, default, good, bad
):
    monkeypatch.delenv(variable, raising=False)
    assert setting() == default  # not set
    for value, expected in good.items():
        monkeypatch.setenv(variable, value)
        assert setting() == (expected if isinstance(expected, str) else pytest.approx(expected))
    for value in bad:
        monkeypatch.setenv(variable, value)
        assert setting() == default, value


def test_yes_no_settings(monkeypatch):
    for variable, read in (
        ("WORKSHOP_PUBLIC_SUMMARY", config.public_summary_enabled),
        ("WORKSHOP_PRODUCTION", config.production),
        ("WORKSHOP_BEHIND_PROXY", config.behind_proxy),
    ):
        monkeypatch.delenv(variable, raising=False)
        assert read() is False
        for value in ("1", "true", " Yes ", "ON"):
            monkeypatch.setenv(variable, value)
            assert read() is True, value
        for value in ("0", "no", "off", "", "peut-être"):
            monkeypatch.setenv(variable, value)
            assert read() is False, value
    monkeypatch.setenv("WORKSHOP_PUBLIC_SUMMARY", "oui")  # the summary also takes French
    assert config.public_summary_enabled() is True


def test_a_laptop_makes_its_secrets_once_and_keeps_them(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WORKSHOP_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    for variable in ("WORKSHOP_SESSION_KEY", "WORKSHOP_PSEUDONYM_KEY", "WORKSHOP_PRODUCTION"):
        monkeypatch.delenv(variable, raising=False)
    session, pseudonym = config.session_key(), config.pseudonym_key()
    assert len(session) == 64 and session != pseudonym
    assert config.session_key() == session and config.pseudonym_key() == pseudonym
    for name, key in (("session.key", session), ("pseudonym.key", pseudonym)):
        assert (tmp_path / name).read_bytes() == key
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600  # only the app reads it
    config.check_secrets()  # not in production: nothing to check


def test_a_broken_secrets_file_is_no_secret(monkeypatch, tmp_path):
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('WORKSHOP_SESSION_KEY = "unterminated\n')
    monkeypatch.setenv("WORKSHOP_SECRETS_FILE", str(secrets_file))
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WORKSHOP_SESSION_KEY", raising=False)
    monkeypatch.setenv("WORKSHOP_PRODUCTION", "1")
    with pytest.raises(config.MissingSecret) as err:
        config.session_key()
    assert err.value.variable == "WORKSHOP_SESSION_KEY"
