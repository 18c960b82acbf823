"""Sudoku (4x4, 6x6, 9x9): bitmask solver, seeded generator, strict verifier, and the trace formats.

Modules: ``shape`` (sizes, boxes, units), ``solver`` (fast solve / count), ``generate`` (seeded unique
puzzles and the named splits), ``grid_text`` (reading a grid out of free text), ``verify`` (the rules),
``traces`` (DFS, direct and spawn/join trace writers and parsers), ``task`` (the ``SudokuTask``).
"""
