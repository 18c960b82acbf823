"""Strategy orchestration on a scripted engine: answers, budgets, votes, scorers, and APR spawn/join."""

from __future__ import annotations

import asyncio
import random
import re
import zlib

import pytest

from fakes import BrokenEngine, FakeEngine, replay
from mutations import apply_edits
from reasonbench.budget import Budget
from reasonbench.meter import Meter
from reasonbench.profiles import get_profile
from reasonbench.strategies import STRATEGIES, Context
from reasonbench.tasks import get_task
from reasonbench.tasks.countdown import traces

TASK = get_task("countdown")
PROBLEMS = TASK.generate("cd3", 30)


def run(name: str, problem, engine, budget: Budget | None = None, profile: str = "trace", **knobs):
    spec = STRATEGIES.get(name)
    meter = Meter(engine, budget or Budget())
    ctx = Context(TASK, get_profile(profile), meter, seed=0)
    attempt = asyncio.run(spec.run(problem, spec.make_params(**knobs), ctx))
    return attempt, meter.finish()


def sos_script(problem):
    prompt = TASK.prompt(problem)
    full = TASK.trace(problem, "sos", seed=1)
    assert full.startswith(prompt)
    return full[len(prompt) :]


def test_cot_reads_a_correct_trace_answer_and_counts_tokens() -> None:
    p = PROBLEMS[0]
    cont = sos_script(p)
    attempt, usage = run("cot", p, FakeEngine(lambda prompt, i: cont))
    assert attempt.finish == "answered"
    assert TASK.verify(p, attempt.answer).correct
    assert usage.decoded_tokens == len(cont)
    assert usage.prompt_tokens == len(TASK.prompt(p))
    assert usage.critical_path == len(cont) and usage.threads == 1 and usage.engine_calls == 1


def test_context_budget_truncates_and_is_never_exceeded() -> None:
    p = PROBLEMS[1]
    cont = sos_script(p)
    window = len(TASK.prompt(p)) + len(cont) // 2
    attempt, usage = run("cot", p, FakeEngine(lambda prompt, i: cont), Budget(context=window))
    assert attempt.finish == "truncated" and attempt.answer is None
    assert usage.max_context <= window


def test_token_budget_stops_generation_within_budget() -> None:
    p = PROBLEMS[2]
    cont = sos_script(p)
    budget = len(TASK.prompt(p)) + 10
    attempt, usage = run("cot", p, FakeEngine(lambda prompt, i: cont), Budget(tokens=budget))
    assert attempt.finish == "budget"
    assert usage.tokens <= budget


def test_latency_budget_aborts_the_request() -> None:
    p = PROBLEMS[3]
    cont = sos_script(p)
    attempt, usage = run(
        "cot", p, FakeEngine(lambda prompt, i: cont, seconds_per_token=0.01), Budget(latency=0.05)
    )
    assert attempt.finish == "budget" and attempt.answer is None
    assert usage.latency_s < 1.0


def test_self_consistency_votes_for_the_majority_normal_form() -> None:
    p = next(q for q in PROBLEMS if len(TASK.reference_answer(q).splitlines()) == 2)
    right = TASK.reference_answer(p)
    wrong = "\n".join(["1+1=2", "2*2=4"])
    texts = [f"<answer>{a}</answer>" for a in (wrong, right, right, wrong, right)]
    attempt, usage = run("sc", p, FakeEngine(lambda prompt, i: texts[i]), profile="instruct", n=5)
    assert attempt.answer == right
    assert len(attempt.candidates) == 5 and attempt.info["votes"] == 3
    assert usage.prompt_tokens == len(get_profile("instruct").prompt(TASK, p))  # one prompt for n samples


def test_self_consistency_breaks_a_tie_the_way_maj_at_k_scores_it() -> None:
    from reasonbench.stats import majority_correct

    p = next(q for q in PROBLEMS if len(TASK.reference_answer(q).splitlines()) == 2)
    right = TASK.reference_answer(p)
    wrong = "\n".join(["1+1=2", "2*2=4"])
    texts = [f"<answer>{a}</answer>" for a in (wrong, right, right, wrong)]  # 2-2, the wrong one first
    attempt, _ = run("sc", p, FakeEngine(lambda prompt, i: texts[i]), profile="instruct", n=4)
    assert attempt.answer == wrong and attempt.info["chosen"] == 0
    forms = [c.normalized for c in attempt.candidates]
    assert majority_correct(forms, [TASK.verify(p, c.answer).correct for c in attempt.candidates]) is False


def test_best_of_n_oracle_finds_the_single_right_sample_and_logprob_follows_scores() -> None:
    p = PROBLEMS[4]
    right = TASK.reference_answer(p)
    texts = ["<answer>1+1=2</answer>", f"<answer>{right}</answer>", "<answer>7*7=49</answer>"]
    attempt, _ = run(
        "bon", p, FakeEngine(lambda prompt, i: texts[i]), profile="instruct", n=3, scorer="oracle"
    )
    assert attempt.answer == right and attempt.info["upper_bound"]
    scores = {texts[0]: -0.1, texts[1]: -3.0, texts[2]: -2.0}
    engine = FakeEngine(lambda prompt, i: texts[i], logprob=lambda text: scores.get(text, -9.0))
    attempt, _ = run("bon", p, engine, profile="instruct", n=3, scorer="logprob")
    assert attempt.answer == "1+1=2"


async def _longest_text(problem, text: str, ctx) -> float:
    return float(len(text))


def test_best_of_n_scores_with_a_registered_reward_model() -> None:
    from reasonbench.strategies.bon import SCORERS, scorer

    if not SCORERS.registered("test-longest-text"):
        scorer("test-longest-text")(_longest_text)
    p = PROBLEMS[4]
    right = TASK.reference_answer(p)
    texts = ["<answer>1+1=2</answer>", f"Checked twice. <answer>{right}</answer>", "<answer>7*7=49</answer>"]
    engine = FakeEngine(lambda prompt, i: texts[i])
    attempt, _ = run("bon", p, engine, profile="instruct", n=3, scorer="test-longest-text")
    assert attempt.answer == right and attempt.info["chosen"] == 1
    assert [c.score for c in attempt.candidates] == [
        float(len(get_profile("instruct").prompt(TASK, p) + t)) for t in texts
    ]


def test_backtrack_prefixes_the_token_budget() -> None:
    p = PROBLEMS[5]
    engine = FakeEngine(lambda prompt, i: "")
    run("backtrack", p, engine, token_budget=512)
    assert engine.requests[0].prompt.startswith("Token Budget: 512 Current State: ")


def _apr_traces(seed: int, max_depth: int = 1):
    for k in range(200):
        p = PROBLEMS[(seed + k) % len(PROBLEMS)]
        t = traces.apr(
            p.data["target"], p.data["nums"], random.Random(seed * 1000 + k), beam_size=3, max_depth=max_depth
        )
        if t.sub_calls >= 2 and t.solved:
            return p, t
    raise AssertionError("no APR trace with spawns found")


@pytest.mark.parametrize("seed", range(6))
def test_apr_runtime_replays_the_writers_traces_byte_for_byte(seed: int) -> None:
    p, t = _apr_traces(seed)
    engine = FakeEngine(replay(traces.apr_examples(t)))
    attempt, usage = run("apr", p, engine)
    assert attempt.trace == t.main_calls[-1]  # the parent's final context is the writer's last main call
    assert attempt.finish == "answered" and TASK.verify(p, attempt.answer).correct
    assert attempt.info["children"] == t.sub_calls and attempt.info["failed_children"] == 0
    assert attempt.info["children_per_spawn"] == [len(spawn) for spawn in t.spawns]
    assert usage.threads == 1 + t.sub_calls
    # Children ran concurrently: the critical path is shorter than all decoded tokens.
    assert usage.critical_path < usage.decoded_tokens


def test_apr_nested_children_replay_with_depth_two() -> None:
    p, t = _apr_traces(3, max_depth=2)
    attempt, _ = run("apr", p, FakeEngine(replay(traces.apr_examples(t))), max_depth=2)
    assert attempt.trace == t.main_calls[-1]
    assert attempt.info["children"] == t.sub_calls


def test_apr_caps_children_and_joins_the_rest_as_no_solution() -> None:
    p, t = _apr_traces(1)
    attempt, _ = run("apr", p, FakeEngine(replay(traces.apr_examples(t))), max_children=1)
    first_spawn = len(t.spawns[0])
    assert attempt.info["capped"] >= first_spawn - 1 > 0
    # What the parent asked for is recorded whatever the cap let run.
    assert attempt.info["children_per_spawn"][0] == first_spawn
    assert "<No Solution in Sub Search 1 at level 1" in attempt.trace


def test_apr_malformed_root_spawn_is_a_wrong_answer_not_a_crash() -> None:
    p = PROBLEMS[6]
    garbage = (
        "Current State: x\n<Calling Sub Searches>\n<Start Sub Search 0 at level 1> Moving to Nowhere\n"
        "<End Calling Sub Searches>\n"
    )
    attempt, _ = run("apr", p, FakeEngine(lambda prompt, i: garbage))
    assert attempt.finish == "error" and attempt.answer is None
    assert attempt.info["failures"][0]["reason"].startswith("bad spawn")
    assert attempt.trace.endswith(garbage.rstrip("\n"))  # the bad block is kept for inspection


def test_apr_child_garbage_and_unknown_nodes_are_recorded_failures() -> None:
    p, t = _apr_traces(2)
    texts = traces.apr_examples(t)
    child_prompts = {traces.state_prompt(c.start) for c in t.children}

    def script(prompt: str, i: int) -> str:
        if prompt in child_prompts:
            return "garbage <Calling Sub Searches>\nnot a line\n<End Calling Sub Searches>\n"
        return replay(texts)(prompt, i)

    attempt, _ = run("apr", p, FakeEngine(script))
    # Every child wrote garbage: each one that ran is a recorded failure, and all of the spawn's ran.
    assert attempt.info["failed_children"] == attempt.info["children"] == len(t.spawns[0])
    assert len(attempt.info["failures"]) == len(t.spawns[0])
    assert all("bad spawn" in f["reason"] for f in attempt.info["failures"])


def test_apr_runs_a_child_requested_twice_once_and_records_the_repeat() -> None:
    p, t = _apr_traces(5)
    first_call = t.main_calls[0]
    spawns = re.findall(r"<Start Sub Search (\d+) at level (\d+)> Moving to Node #(\S+)\n", first_call)
    n, level, node = len(spawns), spawns[0][1], spawns[0][2]
    repeated = first_call.replace(
        "<End Calling Sub Searches>\n",
        f"<Start Sub Search {n} at level {level}> Moving to Node #{node}\n<End Calling Sub Searches>\n",
    )
    texts = traces.apr_examples(t)

    def script(prompt: str, i: int) -> str:
        if first_call.startswith(prompt) and "<Calling Sub Searches>" not in prompt:
            return repeated[len(prompt) :]
        return replay(texts)(prompt, i)

    engine = FakeEngine(script)
    attempt, _ = run("apr", p, engine)
    assert attempt.info["children"] == n + 1
    assert attempt.info["failures"] == [{"depth": 1, "index": n, "reason": "repeats sub search 0"}]
    first_child = traces.state_prompt(t.spawns[0][0].start)
    assert [r.prompt for r in engine.requests].count(first_child) == 1
    assert f"<No Solution in Sub Search {n} at level {level} at Node #{node}>" in attempt.trace


def test_apr_children_respect_a_shared_token_budget() -> None:
    p, t = _apr_traces(4)
    budget = sum(len(x) for x in t.main_calls[:1]) + 50
    attempt, usage = run("apr", p, FakeEngine(replay(traces.apr_examples(t))), Budget(tokens=budget))
    assert usage.tokens <= budget
    assert attempt.answer is None or attempt.finish != "budget"


def test_apr_cut_by_a_budget_mid_search_keeps_the_parents_text_as_its_trace() -> None:
    # The budget covers the parent's first segment exactly: its children get nothing, and the parent
    # cannot resume after the join. The row is a budget cut that still shows what the parent wrote.
    p, t = _apr_traces(4)
    prompt = TASK.spawn_protocol(p).parent_prompt(p)
    budget = Budget(tokens=len(prompt) + len(t.main_calls[0]))
    attempt, usage = run("apr", p, FakeEngine(replay(traces.apr_examples(t))), budget)
    assert attempt.finish == "budget" and attempt.answer is None
    assert usage.tokens <= budget.tokens
    # The writer's first parent call starts with the prompt and ends with the spawn block.
    before_spawn = t.main_calls[0][: t.main_calls[0].index("<Calling Sub Searches>")]
    assert before_spawn.startswith(prompt) and attempt.trace.startswith(before_spawn)
    assert attempt.trace.count("<No Solution in Sub Search") == attempt.info["children"] >= 2


def test_a_child_that_fails_with_a_bug_ends_the_attempt_and_its_siblings() -> None:
    p, t = _apr_traces(4)
    texts = traces.apr_examples(t)

    left: list[asyncio.Task] = []

    async def main() -> None:
        spec = STRATEGIES.get("apr")
        # Request 1 is the first child's: the parent's was request 0.
        meter = Meter(BrokenEngine(replay(texts), 1, seconds_per_token=0.001), Budget())
        ctx = Context(TASK, get_profile("trace"), meter, seed=0)
        with pytest.raises(RuntimeError, match="engine bug"):
            await spec.run(p, spec.make_params(), ctx)
        left.extend(task for task in asyncio.all_tasks() if task is not asyncio.current_task())

    asyncio.run(main())
    assert left == []  # the other children were stopped, not left decoding


FINISHES = {"answered", "truncated", "budget", "error"}
_, _FUZZ_APR = _apr_traces(5)
_FUZZ_TEXTS = traces.apr_examples(_FUZZ_APR)


_FUZZ_SNIPPETS = (
    "<Calling Sub Searches>\n",
    "<End Calling Sub Searches>\n",
    "<Start Sub Search 0 at level 1> Moving to Node #0,0\n",
    "24,24 equal: Goal Reached\n",
    "Generated Node #0,7: 5:[5] Op",
)


def _mutate(text: str, rng: random.Random) -> str:
    """Deletes, single characters and spawn/join snippets inserted at random places."""
    edits = []
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        piece = rng.choice("0123456789#,:[]<>\n -+*/=abc") if op < 0.8 else rng.choice(_FUZZ_SNIPPETS)
        edits.append(("delete" if op < 0.4 else "insert", rng.randrange(10**6), piece))
    return apply_edits(text, edits)


FUZZ_KNOBS = {
    "sc": {"n": 3},
    "bon": {"n": 3},
    "ffs": {"n": 3},
    "short-m": {"k": 3, "m": 2},
    "esc": {"n": 4, "window": 2},
    "deepconf": {"n": 4, "warmup": 2, "group": 8},
    "delethink": {"chunk": 64, "carry": 16, "max_chunks": 4},
}


@pytest.mark.parametrize(
    "name", ["cot", "sc", "bon", "backtrack", "apr", "ffs", "short-m", "esc", "deepconf", "delethink"]
)
@pytest.mark.parametrize("profile", ["trace", "instruct"])
def test_fuzz_hostile_outputs_never_crash_any_strategy(name: str, profile: str) -> None:
    rng = random.Random(f"{name}-{profile}")
    for k in range(250):
        base = rng.choice(_FUZZ_TEXTS)

        def script(prompt: str, i: int, base=base, k=k) -> str:
            # A stable seed (str hashes differ between processes): failures reproduce.
            r = random.Random(zlib.crc32(f"{prompt}|{i}|{k}".encode()))
            choice = r.random()
            if choice < 0.3:
                return "".join(
                    r.choice("0123456789+-*/=()<>[]#:,. \nabcGoalReachedNode")
                    for _ in range(r.randint(0, 300))
                )
            if choice < 0.6:
                return _mutate(base, r)
            return replay(_FUZZ_TEXTS)(prompt, i) or _mutate(base, r)

        knobs = FUZZ_KNOBS.get(name, {})
        budget = rng.choice([None, Budget(tokens=400), Budget(context=300)])
        attempt, usage = run(
            name, PROBLEMS[k % len(PROBLEMS)], FakeEngine(script), budget, profile=profile, **knobs
        )
        assert attempt.finish in FINISHES
        if attempt.answer is not None:
            TASK.verify(PROBLEMS[k % len(PROBLEMS)], attempt.answer)  # must not raise either
        if budget is not None and budget.tokens is not None:
            assert usage.tokens <= budget.tokens


def test_apr_on_sudoku_replays_the_spawn_writer_byte_for_byte() -> None:
    from reasonbench.tasks.sudoku.trace_writers import spawn_traces

    sudoku = get_task("sudoku")
    replayed = 0
    for p in sudoku.generate("sudoku6_guess", 12):
        t = spawn_traces(p.data["puzzle"], p.data["size"])
        if not t.children:
            continue
        texts = [t.prompt + t.pre_spawn, t.prompt + t.joined] + [c.prompt + c.trace for c in t.children]
        spec = STRATEGIES.get("apr")
        meter = Meter(FakeEngine(replay(texts)), Budget())
        ctx = Context(sudoku, get_profile("trace"), meter)
        attempt = asyncio.run(spec.run(p, spec.make_params(max_children=9), ctx))
        assert attempt.trace == t.prompt + t.joined
        assert sudoku.verify(p, attempt.answer).correct
        assert attempt.info["children"] == len(t.children)
        replayed += 1
    assert replayed >= 3
