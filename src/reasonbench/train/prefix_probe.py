"""Does an APR model read its ``Sub Call Budget: {k}`` prefix? Teacher-forced, at the decision it steers.

    python -m reasonbench.train.prefix_probe MODEL_DIR --recipe countdown-apr-cd4 [-n 40]

For each of the first ``n`` frozen val problems the recipe's reference parent is cut where its first spawn
block opens; ``k`` is the number of children that block requests. The model reads the parent's prompt and
trace up to the cut, and the probe reads the probability it gives to opening the block right there: with
no prefix, with the true ``k``, and with ``2`` and ``10``. A model that uses the prefix opens the block
more readily when told the true ``k`` than when told nothing, and less when told ``10`` (more children to
write first); one that ignores it gives the same number in every column. The runtime's ``sub_call_budget``
parameter is only as good as this.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from reasonbench.tasks.base import Problem, Task
from reasonbench.tasks.spawn_grammar import CALL_OPEN

CONDITIONS: tuple[str, ...] = ("none", "true k", "k=2", "k=10")


@dataclass(frozen=True)
class Decision:
    """A parent's reference text up to (not including) its first spawn block, and the block's width."""

    text: str
    k: int


def decision(task: Task, problem: Problem, trace: str) -> Decision | None:
    """Where the reference parent of ``problem`` opens its first spawn block, without any budget prefix;
    ``None`` when it never spawns (solved or dead before the first branch)."""
    proto = task.spawn_protocol(problem)
    parent = task.training_documents(problem, trace)[0].text
    prompt = proto.parent_prompt(problem)
    body = parent[parent.index(prompt) :]  # drop the prefix the recipe may have drawn for this problem
    cut = body.find(CALL_OPEN)
    if cut < 0:
        return None
    requests = proto.spawn_requests(body)
    return Decision(body[:cut], len(requests) if isinstance(requests, list) else 0)


def prefix_for(task: Task, condition: str, k: int) -> str:
    """The budget prefix of one probe column."""
    if condition == "none":
        return ""
    return task.budget_prefix("sub_calls", k if condition == "true k" else int(condition.removeprefix("k=")))


def probe(model_dir: str, task_name: str, split: str, trace: str, n: int) -> dict[str, list[float]]:
    """P(open the spawn block at the reference cut) per condition, one value per problem that spawns."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from reasonbench.frozen import load_problems
    from reasonbench.tasks import get_task

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    task = get_task(task_name)
    out: dict[str, list[float]] = {c: [] for c in CONDITIONS}
    for problem in load_problems(task_name, split, n):
        point = decision(task, problem, trace)
        if point is None:
            continue
        for condition in CONDITIONS:
            prefix = prefix_for(task, condition, point.k)
            text = prefix + point.text + CALL_OPEN
            enc = tokenizer(text, return_offsets_mapping=True)
            at = next(i for i, (s, _) in enumerate(enc["offset_mapping"]) if s == len(prefix + point.text))
            with torch.no_grad():
                logits = model(torch.tensor([enc["input_ids"][:at]])).logits[0, -1].float()
            out[condition].append(torch.softmax(logits, -1)[enc["input_ids"][at]].item())
    return out


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from reasonbench.train.recipe import diagnostic_args

    model_dir, recipe, n = diagnostic_args(__doc__ or "", 40, "probe (an APR one)")
    result = probe(model_dir, recipe.task, recipe.split, recipe.trace, n)
    table = Table(title=f"{model_dir}: P(open the spawn block at the reference cut), {n} val problems")
    table.add_column("budget prefix")
    table.add_column("problems", justify="right")
    table.add_column("mean P", justify="right")
    table.add_column("median P", justify="right")
    for condition, values in result.items():
        mean = statistics.mean(values) if values else float("nan")
        median = statistics.median(values) if values else float("nan")
        table.add_row(condition, str(len(values)), f"{mean:.3f}", f"{median:.3f}")
    Console().print(table)


if __name__ == "__main__":
    main()
