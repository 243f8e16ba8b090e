"""One submission, one effect: the store of results shared by HTML forms and the API.

A form carries a one-time key minted when it was rendered; an API call sends
an Idempotency-Key header. The first request with a key stores its result in
the same transaction as its effect; every retry gets that result back.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable

from coop import db, privacy
from coop.access import is_unique_violation
from coop.accounts.tables import IdempotencyRecord
from coop.validation import Msg, ValidationError

KEEP_FOR = dt.timedelta(hours=48)
KEY_MAX = 200


class KeyReused(ValidationError):
    """The same key came back with different content."""

    def __init__(self):
        super().__init__(
            {
                "submission_key": Msg(
                    "This form was already sent with different content. "
                    "Open a new form to send this one."
                )
            }
        )


def usable_key(key: str | None) -> bool:
    """A key as a form or client may send one: none, or at most KEY_MAX printable ASCII
    characters (a NUL byte or a control character would reach the database, which refuses it)."""
    return key is None or (len(key) <= KEY_MAX and key.isascii() and key.isprintable())


def new_signed_key() -> str:
    """A key for a public form: signed, so a made-up key is told apart from ours."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{privacy.keyed_hash('form_key', nonce)[:22]}"


def is_signed_key(key: str) -> bool:
    nonce, _, signature = (key or "").partition(".")
    return bool(nonce) and hmac.compare_digest(
        signature, privacy.keyed_hash("form_key", nonce)[:22]
    )


def payload_hash(payload: dict) -> str:
    """Keyed, because a payload holds phone and ID numbers a plain hash would let be guessed."""
    return privacy.keyed_hash("payload", json.dumps(payload, sort_keys=True, default=str))


async def stored_result(key: str, user_id: int | None, payload: dict) -> dict | None:
    """The result stored for this key, or None when it is new."""
    row = await IdempotencyRecord.select().where(IdempotencyRecord.key == key).first().run()
    if row is None:
        return None
    if row["user_id"] != user_id or row["payload_hash"] != payload_hash(payload):
        raise KeyReused
    return json.loads(row["body"])


async def store_result(key: str, user_id: int | None, payload: dict, result: dict) -> None:
    """Call inside the transaction that made the effect, so both land or neither."""
    await IdempotencyRecord.insert(
        IdempotencyRecord(
            key=key, user_id=user_id, payload_hash=payload_hash(payload), body=json.dumps(result)
        )
    ).run()


async def forget_old(now: dt.datetime | None = None) -> None:
    cutoff = (now or dt.datetime.now(dt.UTC)) - KEEP_FOR
    await IdempotencyRecord.delete().where(IdempotencyRecord.created_at < cutoff).run()


async def created_once(
    key: str | None, user_id: int | None, form: dict, create: Callable[[], Awaitable[int]]
) -> int:
    """Run `create` once per form key: a resent form (double tap, retry) gets the first
    record's ID back instead of a second record."""
    if not key:
        return await create()
    scoped = f"create:{key[:KEY_MAX]}"
    payload = {k: v for k, v in form.items() if k != "_csrf_token"}
    if done := await stored_result(scoped, user_id, payload):
        return done["id"]
    try:
        async with db.transaction():
            if done := await stored_result(scoped, user_id, payload):
                return done["id"]  # the same form landed while this one waited (SQLite)
            record_id = await create()
            await store_result(scoped, user_id, payload, {"id": record_id})
    except Exception as error:
        # The same form landed meanwhile in a transaction this one could not see
        # (PostgreSQL): its key is taken, and its record is the answer.
        if not is_unique_violation(error):
            raise
        if done := await stored_result(scoped, user_id, payload):
            return done["id"]
        raise
    return record_id
