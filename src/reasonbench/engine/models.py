"""Resolve ``--model``: a local HF-format directory, a shipped model's name, or a hub id."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reasonbench.engine.types import ModelInfo
from reasonbench.errors import UserError
from reasonbench.models import shipped_models

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def resolve_model(spec: str) -> Path:
    """The directory holding the model named by ``spec``.

    Order: an existing directory with ``config.json``; a model shipped in the package; a hub id
    (``org/name``) already in the local Hugging Face cache, or downloadable where a hub is reachable.
    Anything else is a one-line :class:`UserError`.
    """
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise UserError(f"{path} is not a model directory (no config.json)")
        return path
    shipped = shipped_models()
    if spec in shipped:
        return shipped[spec]
    if _HUB_ID.match(spec) and not path.exists():
        return _from_hub(spec)
    choices = ", ".join(shipped) or "none shipped yet"
    raise UserError(
        f"model {spec!r} not found: not a directory, not a shipped model ({choices}), not a hub id"
    )


def model_name(spec: str) -> str:
    """What results call the model given as ``spec``: a directory by its own name, anything else (a shipped
    model, a hub id, a served model) as written."""
    path = Path(spec).expanduser()
    return path.name if path.is_dir() else spec


def _from_hub(repo_id: str) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:  # pragma: no cover - vllm depends on it
        raise UserError(f"cannot fetch {repo_id!r}: huggingface_hub is not installed") from exc
    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:
        pass
    try:
        return Path(snapshot_download(repo_id, etag_timeout=10))
    except Exception as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise UserError(
            f"cannot fetch {repo_id!r} from the Hugging Face hub (unreachable here?): {reason}"
        ) from exc


def model_info(path: Path, name: str | None = None, max_model_len: int | None = None) -> ModelInfo:
    """Sizes from ``config.json`` (for the FLOPs estimate) and the context window in use."""
    cfg = json.loads((path / "config.json").read_text())
    d = int(cfg.get("hidden_size", 0))
    layers = int(cfg.get("num_hidden_layers", 0))
    ff = int(cfg.get("intermediate_size", 4 * d))
    heads = int(cfg.get("num_attention_heads", 1)) or 1
    kv_heads = int(cfg.get("num_key_value_heads", heads))
    head_dim = int(cfg.get("head_dim", d // heads if heads else 0))
    # Llama block: q and o projections (d x d), k and v (d x kv_heads*head_dim), a gated MLP (3 x d x ff).
    per_layer = 2 * d * d + 2 * d * kv_heads * head_dim + 3 * d * ff
    window = max_model_len or int(cfg.get("max_position_embeddings", 2048))
    return ModelInfo(
        name=name or path.name,
        path=str(path),
        max_model_len=window,
        n_params=layers * per_layer,
        n_layers=layers,
        d_model=d,
        kv_width=kv_heads * head_dim,
    )
