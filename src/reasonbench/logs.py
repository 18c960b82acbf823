"""Quiet by default: the engine's and the libraries' logs go to a file in the results directory.

vLLM, torch and transformers log hundreds of INFO/WARNING lines and FutureWarnings while an engine starts;
on screen they bury the progress bars. A run therefore routes Python logging and warnings to
``<results>/reasonbench.log`` (vLLM is told not to install its own handler), and while the engine starts,
even what is written straight to the process's stdout and stderr (C++ warnings, loading bars) goes there
too. Errors still reach the screen; ``--verbose`` shows everything as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

LOG_FILE = "reasonbench.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def route_library_logs() -> None:
    """Before vLLM is imported: let its loggers propagate to ours instead of printing to stdout."""
    os.environ.setdefault("VLLM_CONFIGURE_LOGGING", "0")


@contextlib.contextmanager
def logs_to(path: Path, verbose: bool, console: object | None = None) -> Iterator[None]:
    """Log INFO and up (warnings included) to ``path``; on screen only errors, or everything if
    ``verbose``. ``console`` is the rich console the progress bars use, so log lines print above them."""
    from rich.logging import RichHandler

    path.parent.mkdir(parents=True, exist_ok=True)
    route_library_logs()
    root = logging.getLogger()
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(_FORMAT))
    to_screen = RichHandler(console=console, show_path=False)  # type: ignore[arg-type]
    to_screen.setLevel(logging.INFO if verbose else logging.ERROR)
    old_level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(to_file)
    root.addHandler(to_screen)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(to_file)
        root.removeHandler(to_screen)
        root.setLevel(old_level)
        to_file.close()


@contextlib.contextmanager
def output_to(path: Path, enabled: bool = True) -> Iterator[None]:
    """Send what the process writes to its stdout and stderr file descriptors (C++ libraries, loading
    bars, prints) to ``path`` for the duration; nothing changes when not ``enabled``."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        os.close(saved[0])
        os.close(saved[1])
