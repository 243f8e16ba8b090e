"""The sign-in sheet (签到表) as a spreadsheet: its header, one row per person holding a seat,
and its file name."""

from __future__ import annotations

from collections.abc import Iterator

from coop.i18n import format_moment, translate
from coop.validation import Msg

SIGN_IN_SHEET = Msg("Sign-in sheet")


def sign_in_sheet(session: dict, registrations: list[dict]) -> tuple[list[str], Iterator[list]]:
    """The header and the rows: name, place and mobile, then a column to sign."""
    header = [
        translate(name)
        for name in (
            Msg("No."),
            Msg("Full name"),
            Msg("Village"),
            Msg("Cooperative"),
            Msg("Mobile"),
            Msg("Walk-in"),
            Msg("Checked in"),
            Msg("Signature"),
        )
    ]
    yes = translate(Msg("Yes"))
    rows = (
        [
            n,
            r["name"],
            r["village_name"] or "",
            r["cooperative_name"] or "",
            r["phone_masked"],
            yes if r["walk_in"] else "",
            format_moment(r["checked_in_at"], "short", session["time_zone"]),
            "",
        ]
        for n, r in enumerate(registrations, start=1)
    )
    return header, rows


def sign_in_sheet_name(session: dict) -> str:
    day = format_moment(session["starts_at"], "yyyy-MM-dd", session["time_zone"])
    return f"{translate(SIGN_IN_SHEET)} {day} {session['topic']}.xlsx"
