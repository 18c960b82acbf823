"""The trace tokenizer: exact round trip on every trace format, phrases as single tokens, HF loadable."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonbench.models import shipped_models
from reasonbench.tasks import get_task
from reasonbench.tasks.countdown import traces as cd_traces
from reasonbench.train.tokenizer import ALPHABET, build_tokenizer, save_tokenizer, trace_phrases


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


def roundtrip(tok, text: str) -> str:
    ids = tok.encode(text, add_special_tokens=False)
    return tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


def _samples() -> list[tuple[str, str]]:
    out = []
    cd = get_task("countdown")
    for p in cd.generate("cd3", 3) + cd.generate("cd4", 2):
        for kind in cd.trace_kinds():
            out.append((f"countdown-{kind}-{p.id}", cd.trace(p, kind, seed=p.index)))
    su = get_task("sudoku")
    for split in ("sudoku4", "sudoku6_guess"):
        for p in su.generate(split, 2):
            for kind in su.trace_kinds():
                out.append((f"sudoku-{kind}-{p.id}", su.prompt(p) + su.trace(p, kind)))
    out.append(
        ("budget-token", cd_traces.with_token_budget("Current State: 24:[4, 9, 3], Operations: []\n", 512))
    )
    out.append(("budget-subcall", cd_traces.with_sub_call_budget("Moving to Node #0\n", 3)))
    return out


@pytest.mark.parametrize("name,text", _samples(), ids=[n for n, _ in _samples()])
def test_every_trace_format_round_trips(tok, name: str, text: str) -> None:
    assert roundtrip(tok, text) == text


def test_phrases_are_single_tokens(tok) -> None:
    for phrase in trace_phrases():
        assert len(tok.encode(phrase, add_special_tokens=False)) == 1, phrase


def test_numbers_are_written_digit_by_digit(tok) -> None:
    ids = tok.encode("Current State: 123:[45, 6]", add_special_tokens=False)
    pieces = tok.convert_ids_to_tokens(ids)
    assert pieces[:4] == ["Current State: ", "1", "2", "3"]


def test_traces_are_several_times_shorter_than_characters(tok) -> None:
    text = get_task("countdown").trace(get_task("countdown").generate("cd3", 1)[0], "sos", seed=0)
    assert len(tok.encode(text, add_special_tokens=False)) < len(text) / 2


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=200))
def test_any_text_over_the_alphabet_round_trips(tok, text: str) -> None:
    assert roundtrip(tok, text) == text


def test_saved_tokenizer_loads_with_transformers(tmp_path, tok) -> None:
    from transformers import AutoTokenizer

    save_tokenizer(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    text = "Moving to Node #0,1\n<Calling Sub Searches>\n"
    assert loaded.encode(text, add_special_tokens=False) == tok.encode(text, add_special_tokens=False)
    assert loaded.eos_token == "</s>" and loaded.bos_token == "<s>"


@pytest.mark.parametrize("model", sorted(shipped_models()))
def test_the_tokenizer_built_today_is_the_one_every_shipped_model_was_trained_with(tmp_path, model) -> None:
    # A word-level tokenizer has no merges: its vocabulary, added tokens (the phrases, with their ids) and
    # pre/post-processing are the whole of it, so the saved file must equal the shipped one.
    built = json.loads((save_tokenizer(tmp_path) / "tokenizer.json").read_text())
    shipped = json.loads((shipped_models()[model] / "tokenizer.json").read_text())
    assert built["model"] == shipped["model"]
    assert built["added_tokens"] == shipped["added_tokens"]
    assert built == shipped


def test_prompts_start_with_bos_like_every_training_document() -> None:
    from reasonbench.train.tokenizer import build_tokenizer

    tok = build_tokenizer()
    text = "Current State: 24:[4, 9, 3], Operations: []\n"
    with_special = tok(text).input_ids
    assert with_special[0] == tok.bos_token_id
    assert with_special[1:] == tok(text, add_special_tokens=False).input_ids
    assert tok.decode(with_special, skip_special_tokens=True) == text
