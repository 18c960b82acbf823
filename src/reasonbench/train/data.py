"""Training data: our own trace writers over distinct problems, tokenized and laid end to end.

Every problem's trace becomes ``<s> trace </s>``; the documents are concatenated into one token stream and
training windows are cut from it starting at random documents (so no padding is ever trained on, and no
window starts in the middle of a trace).
Problems are drawn with the recipe's ``data_seed`` and any problem of the frozen val split is dropped, so
the evaluation numbers are on unseen puzzles.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from reasonbench.frozen import find, load_problems
from reasonbench.tasks import get_task
from reasonbench.tasks.base import Document, Problem
from reasonbench.train.recipe import Recipe

STREAM_FORMAT = 4
"""Bumped when the stream's layout changes, so stale caches are rebuilt (2: given text is not trained;
3: sudoku documents carry their prompt; 4: sudoku boards above 4x4 are prompted as filled-cell lines)."""


def training_problems(recipe: Recipe, workers: int = 1) -> list[Problem]:
    """The recipe's ``n_problems`` distinct training problems, none of them in the frozen val split
    (drawn by ``workers`` processes; the problems do not depend on how many)."""
    task = get_task(recipe.task)
    frozen = find(recipe.task, recipe.split)
    held_out = (
        {task.problem_key(p) for p in load_problems(recipe.task, recipe.split, frozen.count)}
        if frozen
        else set()
    )
    # Over-draw a little so that dropping val problems still leaves n_problems.
    problems = task.generate(
        recipe.split, recipe.n_problems + len(held_out), seed=recipe.data_seed, workers=workers
    )
    return [p for p in problems if task.problem_key(p) not in held_out][: recipe.n_problems]


def training_documents(recipe: Recipe) -> list[Document]:
    """The training documents of every distinct training problem (one trace each; APR: one per thread)."""
    return _documents(recipe, training_problems(recipe))


def _documents(recipe: Recipe, problems: list[Problem]) -> list[Document]:
    task = get_task(recipe.task)
    return [doc for p in problems for doc in task.training_documents(p, recipe.trace, seed=p.index)]


def data_fingerprint(recipe: Recipe) -> str:
    """Hash of the knobs that determine the token stream (model and optimiser knobs excluded)."""
    knobs = {
        k: v for k, v in asdict(recipe).items() if k in ("task", "split", "trace", "n_problems", "data_seed")
    }
    knobs["format"] = STREAM_FORMAT
    return hashlib.sha256(json.dumps(knobs, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TokenStream:
    """Every document as ``<s> text </s>``, end to end, and which tokens are training targets."""

    ids: torch.Tensor
    """1-D ``int32`` token ids."""
    trained: torch.Tensor
    """1-D ``bool``: whether predicting ``ids[i]`` is trained (false for ``<s>`` and given text)."""


def _encode(recipe: Recipe, problems: list[Problem]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and trained flags of ``problems``' documents, each ``<s> given rest </s>``."""
    from reasonbench.train.tokenizer import build_tokenizer

    tokenizer = build_tokenizer()
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    docs = _documents(recipe, problems)
    ids: list[int] = []
    trained: list[bool] = []
    given = tokenizer([d.text[: d.given] for d in docs], add_special_tokens=False)["input_ids"]
    rest = tokenizer([d.text[d.given :] for d in docs], add_special_tokens=False)["input_ids"]
    for g, r in zip(given, rest, strict=True):
        ids += [bos, *g, *r, eos]
        trained += [False] * (1 + len(g)) + [True] * (len(r) + 1)
    return np.asarray(ids, dtype=np.int32), np.asarray(trained, dtype=np.bool_)


def _encode_chunk(args: tuple[Recipe, list[Problem]]) -> tuple[np.ndarray, np.ndarray]:
    return _encode(*args)


def token_stream(recipe: Recipe, cache_dir: Path | None = None, workers: int = 0) -> TokenStream:
    """The whole training set as one token stream (cached under ``cache_dir``).

    Drawing the problems, writing their traces and tokenizing run in ``workers`` processes (0 = one per
    core): drawing 40k Sudoku puzzles or building 100M tokens of spawn/join traces takes minutes on one
    core. Chunks are joined in problem order, so the stream does not depend on the worker count.
    """
    cache = cache_dir / f"tokens-{data_fingerprint(recipe)}.pt" if cache_dir else None
    if cache is not None and cache.exists():
        return TokenStream(**torch.load(cache))
    workers = workers or os.cpu_count() or 1
    problems = training_problems(recipe, workers)
    chunks = [(recipe, problems[i : i + 500]) for i in range(0, len(problems), 500)]
    if workers > 1 and len(chunks) > 1:
        # fork: the workers run pure Python (no torch ops), and spawn would re-import a caller's script.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_encode_chunk, chunks)
    else:
        parts = [_encode_chunk(c) for c in chunks]
    ids = np.concatenate([part_ids for part_ids, _ in parts])
    trained = np.concatenate([part_trained for _, part_trained in parts])
    stream = TokenStream(torch.from_numpy(ids), torch.from_numpy(trained))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"ids": stream.ids, "trained": stream.trained}, cache)
    return stream


def document_starts(stream: TokenStream, bos_id: int, seq_len: int) -> torch.Tensor:
    """Offsets of the ``<s>`` tokens that leave room for a whole window after them."""
    starts = (stream.ids == bos_id).nonzero().flatten()
    return starts[starts < len(stream.ids) - seq_len - 1]


def batch_at(
    stream: TokenStream, starts: torch.Tensor, step: int, batch_size: int, seq_len: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The training batch of ``step``: ``batch_size`` windows of ``seq_len + 1`` tokens, and their
    ``trained`` flags.

    Every window starts at a document's ``<s>``: a window that began mid-trace would ask the model to
    continue a search whose target and numbers it cannot see, which teaches it to invent them instead of
    copying them from the prompt. Offsets depend only on (seed, step), so a resumed run sees exactly the
    batches it would have seen.
    """
    gen = torch.Generator().manual_seed(seed * 1_000_003 + step)
    picks = torch.randint(0, len(starts), (batch_size,), generator=gen)
    offsets = starts[picks].tolist()
    ids = torch.stack([stream.ids[s : s + seq_len + 1] for s in offsets]).long()
    trained = torch.stack([stream.trained[s : s + seq_len + 1] for s in offsets])
    return ids, trained
