"""What README.md says about signing in is what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from coop.accounts import domain as accounts

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_states_the_sign_in_limits_the_code_enforces():
    text = " ".join(README.read_text(encoding="utf-8").split())
    found = re.search(
        r"Each username allows (\d+) attempts per browser or client address in (\d+) minutes,"
        r" counted before the password is checked, and (\d+) attempts in (\d+) minutes",
        text,
    )
    assert found is not None, "README has no sentence on sign-in throttling"
    assert tuple(int(n) for n in found.groups()) == (
        accounts.MAX_FAILURES,
        accounts.LOCK_MINUTES,
        accounts.USERNAME_MAX_FAILURES,
        accounts.LOCK_MINUTES,
    )
