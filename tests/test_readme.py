"""What README.md and SECURITY.md promise about limits is what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from coop.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _configuration_defaults() -> dict[str, str]:
    """The README's configuration table: variable → its default, as written."""
    rows = re.findall(r"^\| `(COOP_\w+)` \| ([^|]+) \|", (ROOT / "README.md").read_text(), re.M)
    return {name: default.strip().strip("`") for name, default in rows}


def test_readme_states_the_public_rate_limit_the_settings_apply():
    defaults = _configuration_defaults()
    settings = Settings.from_env({})
    assert (defaults["COOP_PUBLIC_RATE_LIMIT"], defaults["COOP_PUBLIC_RATE_WINDOW"]) == (
        str(settings.public_rate_limit),
        str(settings.public_rate_window),
    )


def test_security_md_states_the_public_rate_limit_the_settings_apply():
    settings = Settings.from_env({})
    expected = f"({settings.public_rate_limit} a minute by default)"
    assert settings.public_rate_window == 60
    assert expected in (ROOT / "SECURITY.md").read_text()


def test_readme_names_every_setting_the_app_reads():
    read = set(re.findall(r'"(COOP_\w+)"', (ROOT / "coop" / "settings.py").read_text()))
    assert read - set(_configuration_defaults()) == set()
