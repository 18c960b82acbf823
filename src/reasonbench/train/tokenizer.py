"""The trace tokenizer: every fixed phrase of the trace grammars is one token, everything else one character.

Numbers are written digit by digit (a model learns arithmetic on digits far faster than on a vocabulary of
whole numbers), spawn and join markers are single tokens, and the result is an ordinary Hugging Face
``tokenizer.json`` that vLLM and transformers load. Phrases are "added tokens", matched before the
character split, so ``decode(encode(x)) == x`` for any text over the alphabet.
"""

from __future__ import annotations

from pathlib import Path

BOS, EOS, PAD, UNK = "<s>", "</s>", "<pad>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)

# Longest first matters only for readability: the added-token matcher always takes the longest match.
COUNTDOWN_PHRASES = (
    "Current State: ",
    ", Operations: ",
    "Exploring Operation: ",
    ", Resulting Numbers: ",
    "Generated Node #",
    " Operation: ",
    "Moving to Node #",
    " equal: Goal Reached",
    " unequal: No Solution",
    "No solution found in sub search",
    "No solution found.",
    "Start Sub Search at level ",
    "Exit Sub Search at level ",
    "<Calling Sub Searches>",
    "<End Calling Sub Searches>",
    "<Start Sub Search ",
    "<Sub Searches>",
    "<End Sub Searches>",
    "<No Solution in Sub Search ",
    "<Goal Reached in Sub Search ",
    " at level ",
    " at Node #",
    "Token Budget: ",
    "Sub Call Budget: ",
)
SUDOKU_PHRASES = (
    "Puzzle:",
    "solution:",
    "no solution",
    "guess: ",
    "nocand: ",
    "revert: ",
    " = none",
    "Place ",
)
# Every character a trace can contain, plus letters so that free text round-trips too.
ALPHABET = (
    "0123456789 \n+-*/=:,.#'[]()<>_|?!;\"%&@$^~`{}\\\tabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def build_tokenizer(phrases: tuple[str, ...] = COUNTDOWN_PHRASES + SUDOKU_PHRASES):
    """A ``transformers.PreTrainedTokenizerFast`` over ``phrases`` and the character alphabet."""
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
        [AddedToken(p, normalized=False, single_word=False, lstrip=False, rstrip=False) for p in phrases]
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
