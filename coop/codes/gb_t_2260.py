"""行政区划代码, GB/T 2260: six-digit region codes, with names from python-stdnum's table
(cn/loc.dat), the one the ID check already reads."""

from __future__ import annotations

import unicodedata

from stdnum import numdb


def region_name(code: str) -> str:
    """ "重庆市巴南区" for 500113; "" for a code not in the table."""
    if len(code) != 6 or not code.isdigit():
        return ""
    info = {k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if "county" not in info:
        return ""
    name = info["county"].split(",")[-1].split("]")[-1]
    return f"{info.get('province', '')}{name}"


def region_code(text: str) -> str | None:
    """The code for a six-digit code in the table; None for anything else."""
    code = unicodedata.normalize("NFKC", text or "").strip()
    return code if region_name(code) else None
