"""The two consoles of every command: rich output (messages, progress, tables) on stderr, data on stdout, so
``reasonbench tasks generate ... > f`` writes only the data."""

from rich.console import Console

err = Console(stderr=True, soft_wrap=True)
out = Console()
