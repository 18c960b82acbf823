"""The model: a Llama from ``transformers``, sized by a recipe (width = heads x 64, gated MLP 4x wide)."""

from __future__ import annotations

from pathlib import Path

from reasonbench.train.recipe import HEAD_DIM, Recipe


def build_model(recipe: Recipe, tokenizer):
    """A freshly initialised ``LlamaForCausalLM`` for ``recipe`` over ``tokenizer``'s vocabulary."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=recipe.width,
        intermediate_size=4 * recipe.width,
        num_hidden_layers=recipe.layers,
        num_attention_heads=recipe.width // HEAD_DIM,
        num_key_value_heads=recipe.width // HEAD_DIM,
        max_position_embeddings=recipe.positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(recipe.seed)
    return LlamaForCausalLM(config)


def warm_start(model, source: str) -> None:
    """Copy the weights of the model at ``source`` (a shipped name or a directory) into ``model``.

    The shapes must match exactly; the position limit may differ (rotary embeddings have no weights).
    """
    from safetensors.torch import load_file

    from reasonbench.engine.models import resolve_model
    from reasonbench.errors import UserError

    path = resolve_model(source)
    weights = load_file(str(Path(path) / "model.safetensors"))
    own = model.state_dict()
    if set(weights) - set(own) or any(own[k].shape != v.shape for k, v in weights.items()):
        raise UserError(f"init_from {source!r}: its weights do not fit a model of this recipe's shape")
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=False)


def count_params(model) -> int:
    return sum(p.numel() for p in model.parameters())
