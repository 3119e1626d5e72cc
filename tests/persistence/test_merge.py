"""The three-way merge rules, as pure functions (storage-independent)."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.persistence.merge import (
    HISTORY_MAX_RECORDS, LoadedBases, merge_attributes, merge_history, same_json,
)

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.0, 2.5]),
              st.sampled_from(["", "a", "1"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["a", "b", "1"]), inner, max_size=3)),
    max_leaves=8)


def rec(i, ts=None, **extra):
    return {"id": i, "ts": i if ts is None else ts, **extra}


def test_scalar_keys_mine_wins_only_where_i_changed_something():
    base = {"pace": "normal", "voice": "warm", "streak": 3}
    mine = {"pace": "slow", "voice": "warm", "streak": 3}            # I changed pace
    theirs = {"pace": "normal", "voice": "soft", "streak": 4}        # they changed voice, streak
    assert merge_attributes(base, mine, theirs) == {"pace": "slow", "voice": "soft", "streak": 4}


def test_change_between_json_types_counts_as_change():
    assert merge_attributes({"checkin": 1}, {"checkin": True}, {"checkin": 1}) == {"checkin": True}
    assert merge_attributes({"n": 1}, {"n": 1.0}, {"n": 2}) == {"n": 1.0}


def test_objects_merge_key_by_key():
    base = {"prefs": {"rate": "normal", "usual": "breathing"}}
    mine = {"prefs": {"rate": "slower", "usual": "breathing"}}     # I changed the rate
    theirs = {"prefs": {"rate": "normal", "usual": "grounding"}}   # they changed the usual
    assert merge_attributes(base, mine, theirs) == {"prefs": {"rate": "slower", "usual": "grounding"}}
    # A key inside that I removed stays removed; one both sides created is a union.
    assert merge_attributes({"prefs": {"a": 1}}, {"prefs": {}}, {"prefs": {"a": 1, "b": 2}}) \
        == {"prefs": {"b": 2}}
    assert merge_attributes({}, {"prefs": {"a": 1}}, {"prefs": {"b": 2}}) == {"prefs": {"a": 1, "b": 2}}
    # An object replaced by another type is one change, as before.
    assert merge_attributes({"prefs": {"a": 1}}, {"prefs": "reset"}, {"prefs": {"a": 2}}) == {"prefs": "reset"}
    # A "history" key below the top level is an ordinary value.
    assert merge_attributes({"x": {"history": [1]}}, {"x": {"history": [1, 2]}},
                            {"x": {"history": [1, 3]}}) == {"x": {"history": [1, 2]}}


def test_key_deletion_on_either_side():
    base = {"a": 1, "b": 2}
    assert merge_attributes(base, {"b": 2}, {"a": 1, "b": 2}) == {"b": 2}   # I deleted a
    assert merge_attributes(base, {"a": 1, "b": 2}, {"a": 1}) == {"a": 1}   # they deleted b
    assert merge_attributes(base, {"a": 1, "b": 2, "c": 3}, {}) == {"c": 3}  # forget-me race


def test_history_union_by_id_sorted_by_ts():
    base = [rec(1), rec(2)]
    mine = base + [rec(5)]
    theirs = base + [rec(3), rec(4)]
    got = merge_attributes({"history": base}, {"history": mine}, {"history": theirs})
    assert [r["id"] for r in got["history"]] == [1, 2, 3, 4, 5]


def test_history_removals_stick_and_my_edits_win():
    base = [rec(1), rec(2), rec(3, note="old")]
    mine = [rec(2), rec(3, note="mine")]       # I removed 1, edited 3
    theirs = [rec(1), rec(3, note="old"), rec(4)]  # they removed 2, added 4
    got = merge_history(base, mine, theirs)
    assert got == [rec(3, note="mine"), rec(4)]


def test_history_cap_drops_oldest():
    mine = [rec(i) for i in range(HISTORY_MAX_RECORDS)]
    theirs = [rec(i) for i in range(HISTORY_MAX_RECORDS, HISTORY_MAX_RECORDS + 10)]
    got = merge_attributes({}, {"history": mine}, {"history": theirs})["history"]
    assert len(got) == HISTORY_MAX_RECORDS
    assert got[0]["id"] == 10 and got[-1]["id"] == HISTORY_MAX_RECORDS + 9


def test_unknown_base_adds_and_never_removes():
    got = merge_attributes(None, {"pace": "slow", "history": [rec(2)]},
                           {"pace": "fast", "voice": "soft", "history": [rec(1)]})
    assert got == {"pace": "slow", "voice": "soft", "history": [rec(1), rec(2)]}


def test_mixed_and_missing_ts_do_not_crash():
    got = merge_history([], [{"id": "a", "ts": "2026-11-26T03:00:00Z"}, {"id": "b"}],
                        [{"id": "c", "ts": 5}, "plain"])
    # No ts first (stored ones before new ones), then numbers, then strings.
    assert [r.get("id") if isinstance(r, dict) else r for r in got] == ["plain", "b", "c", "a"]


def test_loaded_bases_bounded_by_bytes_and_age():
    now = [1000.0]
    bases = LoadedBases(max_requests=100, max_bytes=50, ttl_s=10, clock=lambda: now[0])
    bases.remember("a", "k", '{"x": "' + "y" * 20 + '"}')   # 29 chars
    bases.remember("b", "k", '{"x": "' + "y" * 20 + '"}')   # 58 > 50: "a" goes
    assert bases.recall("a", "k") is None and bases.recall("b", "k") is not None
    assert bases.size_bytes == 29
    bases.remember("b", "k", "{}")                             # replacing frees its size
    assert bases.size_bytes == 2
    now[0] += 11                                               # "b" is now too old
    assert bases.recall("b", "k") is None
    bases.remember("c", "k", "{}")
    assert len(bases) == 1 and bases.size_bytes == 2


def test_loaded_bases_is_bounded_and_copies():
    bases = LoadedBases(max_requests=3)
    for i in range(10):
        bases.remember(f"r{i}", "k", '{"n": %d}' % i)
    assert len(bases) == 3
    assert bases.recall("r0", "k") is None and bases.recall("r9", "k") == {"n": 9}
    bases.recall("r9", "k")["n"] = 99          # a caller mutating its copy...
    assert bases.recall("r9", "k") == {"n": 9}  # ...does not change the base


ids = st.sets(st.integers(0, 40), max_size=15)


@pytest.mark.fuzz
@settings(max_examples=200, deadline=None)
@given(base_ids=ids, mine_added=ids, theirs_added=ids, mine_removed=ids, theirs_removed=ids)
def test_history_merge_properties(base_ids, mine_added, theirs_added, mine_removed, theirs_removed):
    mine_added, theirs_added = mine_added - base_ids, theirs_added - base_ids - mine_added
    mine_ids = (base_ids - mine_removed) | mine_added
    theirs_ids = (base_ids - theirs_removed) | theirs_added
    as_records = lambda s: [rec(i) for i in sorted(s)]  # noqa: E731
    got = merge_history(as_records(base_ids), as_records(mine_ids), as_records(theirs_ids))
    got_ids = [r["id"] for r in got]
    assert got_ids == sorted(set(got_ids))                     # ordered by ts, no duplicates
    assert mine_added | theirs_added <= set(got_ids)           # no lost append
    assert not (set(got_ids) & (base_ids & (mine_removed | theirs_removed)))  # removals stick
    assert set(got_ids) <= mine_ids | theirs_ids                # nothing invented


@pytest.mark.fuzz
@settings(max_examples=500, derandomize=True, database=None)
@given(JSON_VALUES, JSON_VALUES)
def test_same_json_is_equality_of_the_stored_text(a, b):
    """Never "same" for values stored differently (True/1, 1/1.0, 0.0/-0.0), and "same"
    for any two values stored alike, whatever their key order."""
    def text(v):
        return json.dumps(v, sort_keys=True)
    assert same_json(a, b) == (text(a) == text(b))
    reordered = json.loads(json.dumps(a)) if not isinstance(a, dict) else dict(reversed(list(a.items())))
    assert same_json(a, reordered)
