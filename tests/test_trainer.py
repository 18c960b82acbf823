"""The trainer: loss goes down, a killed run resumes to the same next loss, the export runs on vLLM."""

from __future__ import annotations

import dataclasses
import json

import pytest

from reasonbench.errors import UserError
from reasonbench.train.recipe import Recipe, load_recipe
from reasonbench.train.trainer import lr_at, train

TINY = Recipe(
    name="tiny",
    task="countdown",
    split="cd3",
    trace="sos",
    n_problems=60,
    layers=1,
    width=64,
    seq_len=128,
    batch_size=4,
    steps=40,
    lr=3e-3,
    min_lr=3e-4,
    warmup_steps=5,
    checkpoint_every=10,
    eval_every=0,
)


def _no_eval(model_dir, recipe):  # pragma: no cover - eval is off in these recipes
    raise AssertionError("evaluation should be off")


def test_a_few_steps_reduce_the_loss(tmp_path) -> None:
    losses = []
    train(TINY, tmp_path, on_step=lambda r: losses.append(r["loss"]), evaluate=_no_eval)
    assert len(losses) == TINY.steps
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < 0.7 * first, (first, last)
    assert (tmp_path / "model" / "model.safetensors").exists()
    assert (tmp_path / "model" / "tokenizer.json").exists()


class _Kill(Exception):
    pass


def test_checkpoint_resumes_to_the_same_next_loss(tmp_path) -> None:
    recipe = dataclasses.replace(TINY, steps=8, checkpoint_every=1)
    straight = []
    train(recipe, tmp_path / "a", on_step=lambda r: straight.append(r["loss"]), evaluate=_no_eval)

    def kill_at_4(rec: dict) -> None:
        if rec["step"] == 4:
            raise _Kill

    with pytest.raises(_Kill):
        train(recipe, tmp_path / "b", on_step=kill_at_4, evaluate=_no_eval)
    resumed = []
    train(recipe, tmp_path / "b", on_step=lambda r: resumed.append((r["step"], r["loss"])), evaluate=_no_eval)
    assert [s for s, _ in resumed] == [5, 6, 7, 8]
    assert [loss for _, loss in resumed] == straight[4:]
    log = [json.loads(line) for line in (tmp_path / "b" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_schedule_warms_up_then_decays_to_min_lr() -> None:
    r = dataclasses.replace(TINY, steps=100, warmup_steps=10, lr=1e-3, min_lr=1e-4)
    assert lr_at(0, r) == pytest.approx(1e-4)
    assert lr_at(9, r) == pytest.approx(1e-3)
    assert lr_at(99, r) == pytest.approx(1e-4, rel=0.01)
    assert lr_at(10, r) > lr_at(50, r) > lr_at(90, r)


def test_shipped_recipe_loads_and_bad_ones_are_user_errors(tmp_path) -> None:
    assert load_recipe("countdown-sos").trace == "sos"
    with pytest.raises(UserError, match="no recipe"):
        load_recipe("no-such-recipe")
    bad = tmp_path / "bad.toml"
    bad.write_text("layers = 2\nwidht = 256\n")
    with pytest.raises(UserError, match="unknown recipe keys"):
        load_recipe(str(bad))
    bad.write_text("width = 100\n")
    with pytest.raises(UserError, match="multiple of 64"):
        load_recipe(str(bad))


@pytest.mark.slow
def test_exported_model_is_evaluated_by_the_real_engine(tmp_path) -> None:
    from reasonbench.train.trainer import evaluate_subprocess

    recipe = dataclasses.replace(
        TINY, steps=2, eval_problems=4, eval_max_tokens=64, max_positions=256, eval_windows=(48, 96)
    )
    train(recipe, tmp_path, evaluate=_no_eval)
    result = evaluate_subprocess(tmp_path / "model", recipe)
    assert "error" not in result, result
    assert result["n"] == 4 and set(result["by_window"]) == {"48", "96"}
    # A model trained for two steps writes garbage: the harness must score it, and score it wrong.
    assert result["correct"] == 0 and result["by_window"]["96"] == 0.0
    assert 0 < result["mean_decoded_tokens"] <= 48  # the first window's decodes stop inside it
    assert (
        result["derived"] == 4
    )  # the 48 window is cut from the 96 window's greedy traces, not decoded again


def test_every_training_window_starts_at_a_document() -> None:
    import torch

    from reasonbench.train.data import batch_at, document_starts, token_stream
    from reasonbench.train.tokenizer import build_tokenizer

    tok = build_tokenizer()
    stream = token_stream(TINY)
    starts = document_starts(stream, tok.bos_token_id, TINY.seq_len)
    for step in range(5):
        batch, trained = batch_at(stream, starts, step, 8, TINY.seq_len, seed=0)
        assert batch.shape == trained.shape == (8, TINY.seq_len + 1)
        assert (batch[:, 0] == tok.bos_token_id).all() and not trained[:, 0].any()
    assert torch.equal(batch_at(stream, starts, 3, 8, 64, 0)[0], batch_at(stream, starts, 3, 8, 64, 0)[0])


def test_apr_training_documents_are_one_per_thread_and_replay_through_the_runtime() -> None:
    import asyncio

    from fakes import FakeEngine, replay
    from reasonbench.budget import Budget
    from reasonbench.meter import Meter
    from reasonbench.profiles import get_profile
    from reasonbench.strategies.apr import APRParams, apr
    from reasonbench.strategies.base import Context
    from reasonbench.tasks import get_task

    task = get_task("countdown")
    prefixed = reached = 0
    for p in task.generate("cd3", 40, seed="doc-test"):
        docs = task.training_documents(p, "apr", seed=p.index)
        assert docs == task.training_documents(p, "apr", seed=p.index)  # seeded
        texts = [d.text for d in docs]
        parents = [t for t in texts if "Moving to Node #0\n" in t.split("Current State", 1)[0]]
        children = [t for t in texts if t not in parents]
        assert parents and all(t.startswith("Moving to Node #0,") for t in children)  # children: bare state
        prefixed += parents[0].startswith("Sub Call Budget: ")
        # The documents are exactly what the runtime feeds and receives: replayed, the parent solves it.
        bare = [t.split(" ", 4)[4] if t.startswith("Sub Call Budget: ") else t for t in texts]
        meter = Meter(FakeEngine(replay(bare)), Budget())
        ctx = Context(task, get_profile("trace"), meter, seed=0)
        attempt = asyncio.run(apr(p, APRParams(max_tokens=100_000, child_max_tokens=100_000), ctx))
        solved = not parents[-1].endswith("No solution found.\n")
        assert (attempt.answer is not None and task.verify(p, attempt.answer).correct) == solved
        reached += solved
    assert 8 <= prefixed <= 32  # about half the parents are budget-conditioned
    assert reached >= 36  # the beam-8 search covers ~98% of cd3


def test_apr_documents_train_what_the_model_writes_not_what_the_runtime_writes() -> None:
    from reasonbench.tasks import get_task
    from reasonbench.tasks.spawn_grammar import CALL_OPEN, JOIN_CLOSE, JOIN_OPEN

    task = get_task("countdown")
    continuations = 0
    for p in task.generate("cd3", 40, seed="mask-test"):
        for d in task.training_documents(p, "apr", seed=p.index):
            given, written = d.text[: d.given], d.text[d.given :]
            assert JOIN_OPEN not in written  # join blocks are the runtime's, never the model's
            if JOIN_CLOSE not in given:
                # The runtime writes the prompt (and budget prefix): two lines, then the model explores.
                move, state, end = given.split("\n")
                assert move.split("Moving to Node #")[0] in (
                    "",
                    *(f"Sub Call Budget: {k} " for k in range(9)),
                )
                assert state.startswith("Current State: ") and end == ""
                assert written.startswith("Exploring Operation: ")
            else:
                continuations += 1
                assert given.endswith(JOIN_CLOSE + "\n") and CALL_OPEN not in given.rsplit(JOIN_OPEN, 1)[1]
    assert continuations >= 20


def test_given_text_is_not_a_training_target(tmp_path) -> None:
    from dataclasses import replace

    from reasonbench.train.data import token_stream
    from reasonbench.train.tokenizer import build_tokenizer

    tok = build_tokenizer()
    stream = token_stream(replace(TINY, trace="apr", n_problems=30))
    join_open = tok.convert_tokens_to_ids("<Sub Searches>")
    call_open = tok.convert_tokens_to_ids("<Calling Sub Searches>")
    ids, trained = stream.ids, stream.trained
    assert (ids == join_open).any() and not trained[ids == join_open].any()
    assert trained[ids == call_open].all() and trained[ids == tok.eos_token_id].all()
    assert not trained[ids == tok.bos_token_id].any()


def test_serial_documents_start_from_the_runtime_prompt_and_end_in_a_verified_answer() -> None:
    from reasonbench.profiles import get_profile
    from reasonbench.tasks import get_task

    profile = get_profile("trace")
    for name, split, kind in (
        ("countdown", "cd3", "sos"),
        ("countdown", "cd3", "direct"),
        ("sudoku", "sudoku4", "dfs"),
        ("sudoku", "sudoku6", "direct"),
        # The shipped 6x6 recipes' own traces.
        *(("sudoku", r.split, r.trace) for r in map(load_recipe, ("sudoku-dfs", "sudoku-direct"))),
    ):
        task = get_task(name)
        for p in task.generate(split, 5, seed="doc-test"):
            (doc,) = task.training_documents(p, kind, seed=3)
            prompt = profile.prompt(task, p)
            # The model is trained on exactly what it will be prompted with, then on its own search.
            assert doc.text.startswith(prompt) and doc.given in (0, len(prompt))
            answer = profile.extract(task, prompt, doc.text[len(prompt) :])
            assert answer is not None and task.verify(p, answer).correct, (name, kind, doc.text)


@pytest.mark.parametrize(
    ("split", "trace"),
    [("sudoku6", "spawn"), (load_recipe("sudoku-apr").split, load_recipe("sudoku-apr").trace)],
)
def test_sudoku_spawn_documents_replay_through_the_apr_runtime(split: str, trace: str) -> None:
    import asyncio

    from fakes import FakeEngine, replay
    from reasonbench.budget import Budget
    from reasonbench.meter import Meter
    from reasonbench.profiles import get_profile
    from reasonbench.strategies.apr import APRParams, apr
    from reasonbench.strategies.base import Context
    from reasonbench.tasks import get_task
    from reasonbench.tasks.spawn_grammar import CALL_CLOSE

    task = get_task("sudoku")
    spawned = 0
    for p in task.generate(split, 12, seed="spawn-doc-test"):
        docs = task.training_documents(p, trace)
        assert all(d.text.startswith("Puzzle:\n") and 0 < d.given < len(d.text) for d in docs)
        spawned += any(d.text.endswith(CALL_CLOSE + "\n") for d in docs)
        meter = Meter(FakeEngine(replay([d.text for d in docs])), Budget())
        ctx = Context(task, get_profile("trace"), meter, seed=0)
        attempt = asyncio.run(apr(p, APRParams(max_tokens=100_000, child_max_tokens=100_000), ctx))
        assert attempt.answer is not None and task.verify(p, attempt.answer).correct
    assert spawned >= 3  # some 6x6 puzzles need a guess, so the parent spawns


def test_a_warm_start_begins_from_the_source_weights_and_a_misfit_is_refused(tmp_path) -> None:
    import torch

    from reasonbench.train.model import build_model, warm_start
    from reasonbench.train.tokenizer import build_tokenizer

    source = dataclasses.replace(TINY, steps=5)
    train(source, tmp_path / "a", evaluate=_no_eval)
    tok = build_tokenizer()
    fresh = build_model(dataclasses.replace(TINY, seed=1, max_positions=512), tok)
    warm_start(fresh, str(tmp_path / "a" / "model"))
    trained = torch.load(tmp_path / "a" / "checkpoint.pt")["model"]
    for name, value in fresh.state_dict().items():
        # The export is bf16: the warm start equals the trained weights up to that rounding.
        assert torch.allclose(value, trained[name].to(torch.bfloat16).float()), name
    wider = build_model(dataclasses.replace(TINY, width=128), tok)
    with pytest.raises(UserError, match="do not fit"):
        warm_start(wider, str(tmp_path / "a" / "model"))


def test_norm_gains_are_not_weight_decayed(tmp_path) -> None:
    import torch

    recipe = dataclasses.replace(TINY, steps=1, lr=1e-9, min_lr=1e-9, weight_decay=0.5)
    train(recipe, tmp_path, evaluate=_no_eval)
    from reasonbench.train.model import build_model
    from reasonbench.train.tokenizer import build_tokenizer

    groups = torch.load(tmp_path / "checkpoint.pt")["optimizer"]["param_groups"]
    decay = {g["weight_decay"]: len(g["params"]) for g in groups}
    names = [n for n, _ in build_model(recipe, build_tokenizer()).named_parameters()]
    norms = [n for n in names if "norm" in n]
    assert decay == {0.0: len(norms), 0.5: len(names) - len(norms)} and norms


@pytest.mark.parametrize("native", [True, False])
def test_bf16_autocast_only_where_the_hardware_has_bf16(tmp_path, monkeypatch, native) -> None:
    import torch

    import reasonbench.hardware
    import reasonbench.train.model

    monkeypatch.setattr(reasonbench.hardware, "bf16_is_native_here", lambda device="cpu": native)
    build, seen = reasonbench.train.model.build_model, []

    def build_and_watch(recipe, tokenizer):
        model = build(recipe, tokenizer)
        model.lm_head.register_forward_hook(lambda mod, args, out: seen.append(out.dtype))
        return model

    monkeypatch.setattr(reasonbench.train.model, "build_model", build_and_watch)
    records = []
    train(dataclasses.replace(TINY, steps=2), tmp_path, on_step=records.append, evaluate=_no_eval)

    assert set(seen) == {torch.bfloat16 if native else torch.float32}
    assert [r["autocast"] for r in records] == ["bfloat16" if native else "off"] * 2
