"""Countdown search traces: SoS DFS and BFS, SoS+, APR spawn/join and direct, specified in
``docs/trace-formats.md``.

The code is split like Sudoku's: ``trace_grammar`` writes each line byte-exactly, ``trace_writers`` runs the
searches that write whole traces, ``trace_parsers`` reads any text (hostile model output) without raising,
and ``spawn`` serves the spawn/join grammar to the APR runtime. This module gathers their public names.
"""

from __future__ import annotations

from reasonbench.tasks.countdown.spawn import (
    CountdownSpawn,
    child_states,
    find_spawn_block,
    outcome_from_child,
)
from reasonbench.tasks.countdown.trace_grammar import (
    NO_SOLUTION,
    ChildOutcome,
    NodeState,
    join_block,
    state_line,
    state_prompt,
    summary_path,
    with_sub_call_budget,
    with_token_budget,
)
from reasonbench.tasks.countdown.trace_parsers import (
    ParsedTrace,
    SpawnBlock,
    SpawnChild,
    extract_answer,
    parse_trace,
    summary_from_trace,
)
from reasonbench.tasks.countdown.trace_writers import (
    AprTraces,
    Heuristic,
    SearchTrace,
    apr,
    apr_examples,
    bfs_search,
    dfs_search,
    direct_trace,
    first_solved,
    mult_heuristic,
    sos_plus_search,
    sum_heuristic,
)

__all__ = [
    "NO_SOLUTION",
    "AprTraces",
    "ChildOutcome",
    "CountdownSpawn",
    "Heuristic",
    "NodeState",
    "ParsedTrace",
    "SearchTrace",
    "SpawnBlock",
    "SpawnChild",
    "apr",
    "apr_examples",
    "bfs_search",
    "child_states",
    "dfs_search",
    "direct_trace",
    "extract_answer",
    "find_spawn_block",
    "first_solved",
    "join_block",
    "mult_heuristic",
    "outcome_from_child",
    "parse_trace",
    "sos_plus_search",
    "state_line",
    "state_prompt",
    "sum_heuristic",
    "summary_from_trace",
    "summary_path",
    "with_sub_call_budget",
    "with_token_budget",
]
