"""Long texts keep their head and their verdict at the end, the same way in training and at run time."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sentiment.truncate import head_tail


def test_short_texts_are_untouched() -> None:
    assert head_tail([0, 5, 6, 2], 8) == [0, 5, 6, 2]


def test_long_text_keeps_a_quarter_of_head_and_the_rest_from_the_end() -> None:
    ids = [0, *range(10, 110), 2]
    cut = head_tail(ids, 16)
    assert cut == [0, 10, 11, 12, *range(99, 110), 2]


@given(st.lists(st.integers(), min_size=2, max_size=300), st.integers(min_value=4, max_value=128))
def test_cut_is_limited_and_keeps_both_ends(ids: list[int], limit: int) -> None:
    cut = head_tail(ids, limit)
    assert len(cut) == min(len(ids), limit)
    assert cut[0] == ids[0] and cut[-1] == ids[-1]
