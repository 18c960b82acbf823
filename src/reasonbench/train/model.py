"""The model: a Llama from ``transformers``, sized by a recipe (width = heads x 64, gated MLP 4x wide)."""

from __future__ import annotations

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
        max_position_embeddings=recipe.seq_len,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(recipe.seed)
    return LlamaForCausalLM(config)


def count_params(model) -> int:
    return sum(p.numel() for p in model.parameters())
