"""Which tokens of a trace a model has not learnt: teacher-forced loss and top-1 accuracy per token role.

    python -m reasonbench.train.token_loss runs/train/sudoku-dfs/model --recipe sudoku-dfs [-n 30]

The model reads the recipe's own reference traces of frozen val problems (prompt given, trace scored). Each
trace character gets a role from its line:

- the line's kind is the text before its first digit (``"("`` for a Sudoku placement ``(r, c) = v``,
  ``"guess: ("``, ``"revert: ("``; a line of digits only is ``digits``);
- a digit is numbered within its line (``digit 1`` is a placement's row, ``digit 2`` its column, ``digit 3``
  its value);
- the first character of a line that does not open with a digit is its ``opening``: the token where the
  model decides which kind of line comes next (a placement, a guess, a dead end);
- in a Sudoku cell-first line ``(r, c) [2, 5] = 2`` that decision comes later, so the kind is read off
  the list (``cell-first dead end``, ``cell-first place``, ``cell-first guess``) and the list's ``,`` and
  ``]``, where the model decides whether another candidate follows, are its ``list`` role;
- everything else is ``syntax``.

A token's role is its first character's. A falling training loss says little about where a search model
is stuck; this table says whether it is the syntax, the kind of step it takes next, the cells it picks, or
the values it must look up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FIRST_DIGIT = re.compile(r"\d")
_CELL_FIRST = re.compile(r"\(\d+, \d+\) \[([\d, ]*)\]")
"""A Sudoku cell-first step, ``(r, c) [candidates]...``: its kind is its list's length."""
_MOST_DIGITS = 6
"""Digits after this many in one line share a role (candidate lists, grid rows)."""


def line_roles(line: str) -> list[str]:
    """The role of every character of ``line`` (see the module docstring)."""
    body = line.rstrip("\n")
    first = _FIRST_DIGIT.search(body)
    kind = (
        "digits" if first is not None and first.start() == 0 else (body[: first.start()] if first else body)
    )
    kind = kind.strip() or "blank"
    in_list = range(0)
    if m := _CELL_FIRST.match(body):
        listed = m[1].strip()
        kind = "cell-first " + ("dead end" if not listed else "place" if "," not in listed else "guess")
        in_list = range(m.start(1), m.end(1) + 1)  # the list's separators and its closing bracket
    roles, digits = [], 0
    for i, ch in enumerate(line):
        if i in in_list and not ch.isdigit() and ch != " ":
            roles.append(f"{kind} list")
        elif ch.isdigit():
            digits += 1
            roles.append(f"{kind} digit {min(digits, _MOST_DIGITS)}")
        elif i == 0 and ch != "\n":
            roles.append(f"{kind} opening")
        else:
            roles.append(f"{kind} syntax")
    return roles


@dataclass
class RoleStats:
    """Summed loss, top-1 hits and token count of one role."""

    loss: float = 0.0
    hits: int = 0
    tokens: int = 0


def token_loss(model_dir: str, task_name: str, split: str, trace: str, n: int) -> dict[str, RoleStats]:
    """Per-role statistics over the reference traces of the first ``n`` frozen val problems of ``split``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from reasonbench.frozen import load_problems
    from reasonbench.tasks import get_task

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    task = get_task(task_name)
    stats: dict[str, RoleStats] = {}
    for problem in load_problems(task_name, split, n):
        prompt = task.prompt(problem)
        text = prompt + task.trace(problem, trace)
        roles = [r for line in text[len(prompt) :].splitlines(keepends=True) for r in line_roles(line)]
        enc = tokenizer(text, return_offsets_mapping=True)
        ids = enc["input_ids"]
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)
        for k in range(1, len(ids)):
            start = enc["offset_mapping"][k][0] - len(prompt)
            if start < 0 or start >= len(roles):
                continue  # the prompt (given, not learnt) and special tokens
            s = stats.setdefault(roles[start], RoleStats())
            s.loss -= logp[k - 1, ids[k]].item()
            s.hits += int(logp[k - 1].argmax().item() == ids[k])
            s.tokens += 1
    return stats


def main() -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from reasonbench.train.recipe import diagnostic_args

    model_dir, recipe, n = diagnostic_args(__doc__ or "", 30, "score")
    stats = token_loss(model_dir, recipe.task, recipe.split, recipe.trace, n)
    total = sum(s.loss for s in stats.values()) or 1.0
    table = Table(title=f"{model_dir}: teacher-forced loss by token role ({n} val problems)")
    for col in ("role", "tokens", "mean loss", "share of loss", "top-1"):
        table.add_column(col, justify="left" if col == "role" else "right")
    for role, s in sorted(stats.items(), key=lambda kv: -kv[1].loss):
        table.add_row(
            escape(role),
            f"{s.tokens:,}",
            f"{s.loss / s.tokens:.3f}",
            f"{s.loss / total:.1%}",
            f"{s.hits / s.tokens:.1%}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
