"""The ``<answer>...</answer>`` convention of instruction-tuned models, read in one linear pass."""

from __future__ import annotations

import re

_OPEN_TAG = re.compile(r"<answer>", re.IGNORECASE)
_CLOSE_TAG = re.compile(r"</answer>", re.IGNORECASE)


def last_tagged(text: str) -> str | None:
    """Content of the last complete ``<answer>...</answer>`` pair, or ``None`` when there is no pair.

    The pair is the last closing tag and the last opening tag before it, so a draft left open before the
    final answer (``<answer>draft <answer>X</answer>``) is not part of it. Two scans for fixed strings,
    never a backtracking pattern: model output may hold thousands of unclosed tags.
    """
    closes = [m.start() for m in _CLOSE_TAG.finditer(text)]
    if not closes:
        return None
    end = closes[-1]
    opens = [m.end() for m in _OPEN_TAG.finditer(text, 0, end)]
    return text[opens[-1] : end] if opens else None
