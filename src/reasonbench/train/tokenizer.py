"""The trace tokenizer: every fixed phrase of the trace grammars is one token, everything else one character.

Numbers are written digit by digit (a model learns arithmetic on digits far faster than on a vocabulary of
whole numbers), spawn and join markers are single tokens, and the result is an ordinary Hugging Face
``tokenizer.json`` that vLLM and transformers load. Phrases are "added tokens", matched before the
character split, so ``decode(encode(x)) == x`` for any text over the alphabet.
"""

from __future__ import annotations

from pathlib import Path

from reasonbench.tasks import get_task

BOS, EOS, PAD, UNK = "<s>", "</s>", "<pad>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
PHRASE_TASKS = ("countdown", "sudoku")
"""The tasks whose trace phrases the tokenizer holds, in this order: the order of the phrases' token ids
(the shipped models depend on it: a new task goes last)."""

# Every character a trace can contain, plus letters so that free text round-trips too.
ALPHABET = (
    "0123456789 \n+-*/=:,.#'[]()<>_|?!;\"%&@$^~`{}\\\tabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def trace_phrases() -> tuple[str, ...]:
    """Every phrase of the :data:`PHRASE_TASKS`' trace grammars, in token-id order."""
    return tuple(phrase for name in PHRASE_TASKS for phrase in get_task(name).trace_phrases)


def build_tokenizer():
    """A ``transformers.PreTrainedTokenizerFast`` over :func:`trace_phrases` and the character alphabet."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab: dict[str, int] = {}
    for tok in (*SPECIALS, *ALPHABET):
        vocab.setdefault(tok, len(vocab))
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.Split(pattern="", behavior="isolated")
    core.decoder = decoders.Fuse()
    core.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIALS])
    core.add_tokens(
        [
            AddedToken(p, normalized=False, single_word=False, lstrip=False, rstrip=False)
            for p in trace_phrases()
        ]
    )
    # Every training document starts with <s>, so every prompt must too: engines tokenize prompts with
    # special tokens on, and this template is what puts the <s> there.
    bos_id = vocab[BOS]
    core.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, bos_id)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        clean_up_tokenization_spaces=False,
    )


def save_tokenizer(path: Path) -> Path:
    """Write ``tokenizer.json`` and its config under ``path``."""
    tok = build_tokenizer()
    path.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(path)
    return path
