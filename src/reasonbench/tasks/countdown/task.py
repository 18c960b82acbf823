"""The Countdown task: named splits, problem parsing, prompts, answers and traces behind one object."""

from __future__ import annotations

import dataclasses
import math
import random
import re

from reasonbench.ceiling import SearchShape, TokenCounter
from reasonbench.errors import UserError
from reasonbench.tasks.base import BudgetKind, Document, Problem, Verdict
from reasonbench.tasks.countdown import trace_grammar, trace_parsers, trace_writers
from reasonbench.tasks.countdown.generate import CountdownConfig, generate
from reasonbench.tasks.countdown.rules import DEFAULT_RULES
from reasonbench.tasks.countdown.solver import all_solutions, solve
from reasonbench.tasks.countdown.spawn import CountdownSpawn
from reasonbench.tasks.countdown.trace_spec import KINDS, TraceSpec, parse_trace_spec
from reasonbench.tasks.countdown.verify import verify_answer
from reasonbench.tasks.spawn_grammar import JOIN_CLOSE

# cd4 is APR's setting; cd3 is an easier one (three small numbers) for models a CPU can train.
SPLITS: dict[str, CountdownConfig] = {
    "cd4": CountdownConfig(n_numbers=4, min_value=1, max_value=99, min_target=10, max_target=100, seed="cd4"),
    "cd3": CountdownConfig(n_numbers=3, min_value=1, max_value=30, min_target=10, max_target=100, seed="cd3"),
}

_SPEC_STATE = re.compile(r"^\s*(\d{1,7})\s*:\s*\[([\d,\s]{1,80})\]\s*$")
_SPEC_ARROW = re.compile(r"^\s*([\d,\s]{1,80})->\s*(\d{1,7})\s*$")


class CountdownTask:
    """Countdown under the default rules (every number used exactly once; see ``rules.py``)."""

    name = "countdown"
    # APR's own setting; cd3 stays a named split (its search tree is too shallow to show spawn/join's
    # advantage: the parent alone writes a whole serial search).
    default_split = "cd4"
    trace_phrases = trace_grammar.PHRASES

    def splits(self) -> list[str]:
        return sorted(SPLITS)

    def config(self, split: str) -> CountdownConfig:
        """The generator knobs of ``split``."""
        if split not in SPLITS:
            raise UserError(f"unknown countdown split {split!r}; choose from: {', '.join(self.splits())}")
        return SPLITS[split]

    def generate(self, split: str, count: int, seed: str | None = None, workers: int = 1) -> list[Problem]:
        config = self.config(split)
        if seed is not None:
            config = dataclasses.replace(config, seed=f"{config.seed}/{seed}")
        return [
            Problem(
                task=self.name, split=split, index=i, data={"target": inst.target, "nums": list(inst.nums)}
            )
            for i, inst in enumerate(generate(config, count, workers))
        ]

    def parse_problem(self, spec: str) -> Problem:
        """``"24:[4, 9, 3]"`` (the trace's state form) or ``"4 9 3 -> 24"``."""
        if m := _SPEC_STATE.match(spec):
            target, raw = int(m.group(1)), m.group(2)
        elif m := _SPEC_ARROW.match(spec):
            raw, target = m.group(1), int(m.group(2))
        else:
            raise UserError(
                f"cannot read countdown problem {spec!r}; write it as '24:[4, 9, 3]' or '4 9 3 -> 24'"
            )
        nums = [int(x) for x in re.split(r"[,\s]+", raw.strip()) if x]
        if not 2 <= len(nums) <= 6 or max(nums) > 10_000:
            raise UserError(f"countdown needs 2-6 numbers of at most 10000, got {nums}")
        return Problem(task=self.name, split="custom", index=0, data={"target": target, "nums": nums})

    def prompt(self, problem: Problem) -> str:
        return trace_grammar.state_line(problem.data["target"], problem.data["nums"], []) + "\n"

    def instruct_prompt(self, problem: Problem) -> str:
        nums = trace_grammar.format_nums(problem.data["nums"])
        return (
            f"Using the numbers {nums}, each exactly once, and the operations + - * / (no negative or "
            f"fractional intermediate results), make {problem.data['target']}."
        )

    def budget_prefix(self, kind: BudgetKind, value: int) -> str:
        """``Token Budget: {b} `` (SoS+) or ``Sub Call Budget: {k} `` (APR), as APR's models were trained."""
        if kind == "tokens":
            return trace_grammar.with_token_budget("", value)
        return trace_grammar.with_sub_call_budget("", value)

    def problem_key(self, problem: Problem) -> str:
        """The target and the multiset of numbers: ``24:[3, 4, 9]``."""
        return f"{problem.data['target']}:{trace_grammar.format_nums(sorted(problem.data['nums']))}"

    def extract_answer(self, text: str) -> str | None:
        return trace_parsers.extract_answer(text)

    def verify(self, problem: Problem, answer: str) -> Verdict:
        return verify_answer(problem.data["target"], problem.data["nums"], answer, DEFAULT_RULES)

    def reference_answer(self, problem: Problem) -> str | None:
        steps = solve(problem.data["target"], problem.data["nums"], DEFAULT_RULES)
        return None if steps is None else "\n".join(steps)

    def spawn_protocol(self, problem: Problem) -> CountdownSpawn:
        """The APR spawn/join grammar for this task (see ``spawn.py``)."""
        return CountdownSpawn()

    def trace_kinds(self) -> list[str]:
        return list(KINDS)

    def trace(self, problem: Problem, kind: str, seed: int = 0) -> str:
        """The trace of ``kind`` (a trace spec: ``apr``, ``apr:beam=3,child_beam=5`` ...) for ``problem``."""
        spec = parse_trace_spec(kind)
        search = self._search(problem, spec, random.Random(seed))
        if isinstance(search, trace_writers.AprTraces):
            return "".join(trace_writers.apr_examples(search))
        return search if isinstance(search, str) else search.text

    def _search(
        self, problem: Problem, spec: TraceSpec, rng: random.Random
    ) -> trace_writers.SearchTrace | trace_writers.AprTraces | str:
        target, nums = problem.data["target"], list(problem.data["nums"])
        if spec.kind == "sos":
            # Like the Stream-of-Search data: the DFS ordered by a heuristic drawn per problem; no pruning
            # threshold, so every trace ends at the goal.
            heuristic = rng.choice([trace_writers.sum_heuristic, trace_writers.mult_heuristic])
            return trace_writers.dfs_search(target, nums, rng, heuristic=heuristic)
        if spec.kind == "sos-bfs":
            return trace_writers.bfs_search(target, nums, rng, beam_size=spec.draw("beam", rng))
        if spec.kind == "sos+":
            threshold = float(spec.get("threshold"))  # type: ignore[arg-type]
            return trace_writers.sos_plus_search(target, nums, rng, spec.draw("beam", rng), threshold)
        if spec.kind == "apr":
            return _apr_search(target, nums, spec, rng)
        # direct: one of the problem's solutions drawn by the seed: a sampled direct model should spread its
        # samples over all of them, not learn one canonical order.
        solutions = all_solutions(target, nums, DEFAULT_RULES)
        if not solutions:
            raise UserError(f"{problem.id} has no solution, so no direct trace")
        return trace_writers.direct_trace(target, nums, rng.choice(solutions))

    def training_documents(self, problem: Problem, kind: str, seed: int = 0) -> list[Document]:
        """One document per trace; for ``apr``, one per main call of the parent and of each child.

        APR documents come from a parent search that reaches the target (children may fail: that is what
        they must learn to report). Half the parents, drawn by ``seed``, start with ``Sub Call Budget: {k} ``
        (``k`` = the children they spawn) so that one model serves both unconditioned and budget-conditioned
        runs; children are never prefixed, as the runtime starts them from a bare node state. What the
        runtime writes (prompts, prefixes, a continuation's context up to its join block) is given, not
        trained.
        """
        spec = parse_trace_spec(kind)
        if spec.kind != "apr":
            return [Document(self.trace(problem, kind, seed))]
        target, nums = problem.data["target"], list(problem.data["nums"])
        rng = random.Random(seed)
        search = trace_writers.first_solved(lambda r: _apr_search(target, nums, spec, r), rng)
        if search is None:
            search = _apr_search(target, nums, spec, rng)
        budget = search.sub_calls if rng.random() < 0.5 else None
        return _apr_documents(search, budget)

    def search_shape(self, problem: Problem, kind: str, count: TokenCounter, seed: int = 0) -> SearchShape:
        """The search behind trace ``kind`` for ``problem``, measured in tokens (see ``ceiling.py``)."""
        search = self._search(problem, parse_trace_spec(kind), random.Random(seed))
        prompt = self.prompt(problem)
        if isinstance(search, trace_writers.AprTraces):
            return _apr_shape(search, count)
        text = search if isinstance(search, str) else search.text
        solved = True if isinstance(search, str) else search.solved
        context = count(text)
        decoded = context - count(prompt)
        return SearchShape(solved, context if solved else math.inf, context, 1, decoded, decoded)


def _apr_search(target: int, nums: list[int], spec: TraceSpec, rng: random.Random) -> trace_writers.AprTraces:
    beam = spec.draw("beam", rng)
    child_beam = spec.draw("child_beam", rng) or beam
    threshold = float(spec.get("threshold"))  # type: ignore[arg-type]
    return trace_writers.apr(
        target, nums, rng, beam, child_beam, threshold, max_depth=spec.draw("depth", rng)
    )


def _given(search: trace_writers.AprTraces, i: int) -> int:
    """Characters of main call ``i`` the runtime writes: the prompt, or the context up to the join block."""
    text = search.main_calls[i]
    if i == 0:
        return len(trace_grammar.state_prompt(search.start))
    return text.rindex(JOIN_CLOSE) + len(JOIN_CLOSE) + 1


def _apr_shape(search: trace_writers.AprTraces, count: TokenCounter) -> SearchShape:
    """Thread contexts, tokens and critical path of an APR search tree; its solution's window."""
    # A call that ends in a spawn block stops at its closing marker: the newline after it is never decoded.
    texts = [t[:-1] if i < len(search.spawns) else t for i, t in enumerate(search.main_calls)]
    contexts = [count(t) for t in texts]
    own = [c - count(t[: _given(search, i)]) for i, (c, t) in enumerate(zip(contexts, texts, strict=True))]
    children = [[_apr_shape(c, count) for c in spawn] for spawn in search.spawns]
    needed = math.inf
    if search.solved:
        needed = max(contexts)
        # The search returns as soon as a child of its last spawn reports the goal: that child's window
        # counts too; otherwise the thread found the goal itself.
        if search.spawns:
            winners = [s for s, c in zip(children[-1], search.spawns[-1], strict=True) if c.solved]
            if winners:
                needed = max(needed, winners[0].window_needed)
    return SearchShape(
        solved=search.solved,
        window_needed=needed,
        max_context=max([*contexts, *(c.max_context for spawn in children for c in spawn)]),
        threads=1 + sum(c.threads for spawn in children for c in spawn),
        decoded=sum(own) + sum(c.decoded for spawn in children for c in spawn),
        critical_path=sum(own) + sum(max((c.critical_path for c in spawn), default=0) for spawn in children),
    )


def _apr_documents(search: trace_writers.AprTraces, budget: int | None) -> list[Document]:
    """``search``'s main calls, then its children's, depth first, each with its given part marked."""
    prefix = "" if budget is None else trace_grammar.with_sub_call_budget("", budget)
    docs = []
    for i, text in enumerate(search.main_calls):
        docs.append(Document(prefix + text, len(prefix) + _given(search, i)))
    for child in search.children:
        docs.extend(_apr_documents(child, None))
    return docs
