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
from dataclasses import asdict
from pathlib import Path

import torch

from reasonbench.frozen import find, load_problems
from reasonbench.tasks import get_task
from reasonbench.train.recipe import Recipe


def _key(data: dict) -> str:
    """Identity of a problem independent of its split index (Countdown: the multiset and the target)."""
    d = dict(data)
    if "nums" in d:
        d["nums"] = sorted(d["nums"])
    return json.dumps(d, sort_keys=True)


def training_texts(recipe: Recipe) -> list[str]:
    """The training documents of every distinct training problem (one trace each; APR: one per thread)."""
    task = get_task(recipe.task)
    frozen = find(recipe.task, recipe.split)
    held_out = (
        {_key(p.data) for p in load_problems(recipe.task, recipe.split, frozen.count)} if frozen else set()
    )
    # Over-draw a little so that dropping val problems still leaves n_problems.
    problems = task.generate(recipe.split, recipe.n_problems + len(held_out), seed=recipe.data_seed)
    kept = [p for p in problems if _key(p.data) not in held_out][: recipe.n_problems]
    return [doc for p in kept for doc in task.training_documents(p, recipe.trace, seed=p.index)]


def data_fingerprint(recipe: Recipe) -> str:
    """Hash of the knobs that determine the token stream (model and optimiser knobs excluded)."""
    knobs = {
        k: v for k, v in asdict(recipe).items() if k in ("task", "split", "trace", "n_problems", "data_seed")
    }
    return hashlib.sha256(json.dumps(knobs, sort_keys=True).encode()).hexdigest()[:16]


def token_stream(recipe: Recipe, tokenizer, cache_dir: Path | None = None) -> torch.Tensor:
    """The whole training set as one 1-D ``int32`` tensor of token ids (cached under ``cache_dir``)."""
    cache = cache_dir / f"tokens-{data_fingerprint(recipe)}.pt" if cache_dir else None
    if cache is not None and cache.exists():
        return torch.load(cache)
    ids: list[int] = []
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    texts = training_texts(recipe)
    for chunk in range(0, len(texts), 1024):
        for enc in tokenizer(texts[chunk : chunk + 1024], add_special_tokens=False)["input_ids"]:
            ids.append(bos)
            ids.extend(enc)
            ids.append(eos)
    stream = torch.tensor(ids, dtype=torch.int32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save(stream, cache)
    return stream


def document_starts(stream: torch.Tensor, bos_id: int, seq_len: int) -> torch.Tensor:
    """Offsets of the ``<s>`` tokens that leave room for a whole window after them."""
    starts = (stream == bos_id).nonzero().flatten()
    return starts[starts < len(stream) - seq_len - 1]


def batch_at(
    stream: torch.Tensor, starts: torch.Tensor, step: int, batch_size: int, seq_len: int, seed: int
) -> torch.Tensor:
    """The training batch of ``step``: ``batch_size`` windows of ``seq_len + 1`` tokens.

    Every window starts at a document's ``<s>``: a window that began mid-trace would ask the model to
    continue a search whose target and numbers it cannot see, which teaches it to invent them instead of
    copying them from the prompt. Offsets depend only on (seed, step), so a resumed run sees exactly the
    batches it would have seen.
    """
    gen = torch.Generator().manual_seed(seed * 1_000_003 + step)
    picks = torch.randint(0, len(starts), (batch_size,), generator=gen)
    return torch.stack([stream[s : s + seq_len + 1] for s in starts[picks].tolist()]).long()
