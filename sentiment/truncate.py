"""Cut a long text's tokens to the model's length by keeping its head and its tail.

Reviews and long messages often give their verdict at the end ("总之，物有所值",
"...anyway, never again"), which plain right-truncation throws away. Keeping
the first quarter and the last three quarters of the budget keeps both the
topic and the verdict (Sun et al., 2019, found head+tail best for BERT). The
first and last tokens are the model's specials, so both survive the cut.
Training and inference cut the same way.
"""

from __future__ import annotations


def head_tail(ids: list[int], limit: int) -> list[int]:
    if len(ids) <= limit:
        return ids
    head = limit // 4
    return ids[:head] + ids[len(ids) - (limit - head) :]
