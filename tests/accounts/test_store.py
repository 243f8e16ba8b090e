from coop.accounts.store import DatabaseStore
from coop.accounts.tables import StoredValue


async def _expiry(key: str):
    return (
        await StoredValue.select(StoredValue.expires_at).where(StoredValue.key == key).first().run()
    )["expires_at"]


async def test_store_round_trip_and_expiry():
    store = DatabaseStore("session")
    await store.set("abc", b"data", expires_in=60)
    assert (await store.get("abc"), await store.exists("abc")) == (b"data", True)
    assert 0 < await store.expires_in("abc") <= 60
    await store.set("gone", b"x", expires_in=-1)
    assert await store.get("gone") is None
    await store.delete("abc")
    assert await store.get("abc") is None


async def test_unchanged_session_is_not_written_again_until_half_its_life_is_gone():
    store = DatabaseStore("session")
    await store.set("abc", b"data", expires_in=3600)
    first = await _expiry(store._key("abc"))
    assert await store.get("abc") == b"data"
    await store.set("abc", b"data", expires_in=3600)
    assert await _expiry(store._key("abc")) == first
    await store.set("abc", b"changed", expires_in=3600)
    assert (await store.get("abc"), await _expiry(store._key("abc")) > first) == (b"changed", True)


async def test_a_value_changed_by_another_worker_is_not_overwritten_by_a_stale_one():
    mine, other = DatabaseStore("session"), DatabaseStore("session")
    await mine.set("abc", b"v1", expires_in=3600)
    assert await other.get("abc") == b"v1"
    await mine.set("abc", b"v2", expires_in=3600)
    await other.set("abc", b"v1", expires_in=3600)  # nothing changed in this request
    assert await mine.get("abc") == b"v2"
