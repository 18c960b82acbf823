"""Text mutations for the hostile-input tests: one edit model shared by every fuzz test."""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import strategies as st

EDIT_KINDS = ("insert", "delete", "replace")

Edit = tuple[str, int, str]
"""``(kind, position, piece)``: insert ``piece`` before, delete, or replace by ``piece`` the character at
``position`` (taken modulo the length, so any integer is a valid position)."""


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with ``edits`` applied in turn (a delete or replace past the end does nothing)."""
    chars = list(text)
    for kind, pos, piece in edits:
        k = pos % (len(chars) + 1)
        if kind == "insert":
            chars[k:k] = piece
        elif k < len(chars):
            chars[k : k + 1] = "" if kind == "delete" else piece
    return "".join(chars)


def edit_lists(pieces: st.SearchStrategy[str], min_size: int = 1, max_size: int = 8) -> st.SearchStrategy:
    """Hypothesis lists of edits whose inserted or replacing text is drawn from ``pieces``."""
    edit = st.tuples(st.sampled_from(EDIT_KINDS), st.integers(0, 10**6), pieces)
    return st.lists(edit, min_size=min_size, max_size=max_size)
