"""The ``reasonbench`` command line: thin commands that parse options and call one library function.

One module per command group: :mod:`~reasonbench.cli.tasks` (``tasks ...``), :mod:`~reasonbench.cli.run`
(``run``, ``sweep``), :mod:`~reasonbench.cli.train` (``train``) and :mod:`~reasonbench.cli.results`
(``report``, ``plot``, ``show``, ``regress``, ``compare``). Rich output goes to stderr, data (JSONL,
answers) to stdout. Bad input is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import inspect
import sys
from typing import Annotated, Any

import typer
import typer.main

from reasonbench import __version__
from reasonbench.cli import results, run, tasks, train
from reasonbench.cli.console import err
from reasonbench.errors import UserError

app = typer.Typer(
    name="reasonbench",
    help="Compare reasoning strategies of language models under matched token, context and latency budgets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(tasks.app, name="tasks")
app.command("run")(run.run_cmd)
app.command("sweep")(run.sweep_cmd)
app.command("train")(train.train_cmd)
app.command("report")(results.report_cmd)
app.command("plot")(results.plot_cmd)
app.command("show")(results.show_cmd)
app.command("regress")(results.regress_cmd)
app.command("compare")(results.compare_cmd)


def _version(value: bool) -> None:
    if value:
        print(f"reasonbench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Compare reasoning strategies of language models under matched budgets."""


def _prose(text: str) -> str:
    """``text`` with each paragraph's hard line breaks joined: docstrings are wrapped for the source, and
    typer's rich help would otherwise keep those breaks inside its own wrapping. Paragraphs with indented
    lines (examples) or click's ``\\b`` marker keep their lines."""

    def keeps_lines(paragraph: str) -> bool:
        return paragraph.startswith("\b") or any(line[:1].isspace() for line in paragraph.splitlines())

    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if keeps_lines(p) else p.replace("\n", " ") for p in paragraphs)


def _unwrap_help(command: Any) -> Any:
    """Apply :func:`_prose` to the help of ``command`` (the click command typer builds, from the click
    typer vendors) and of every subcommand under it."""
    if command.help:
        command.help = _prose(command.help)
    for sub in getattr(command, "commands", {}).values():
        _unwrap_help(sub)
    return command


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the app; usage errors become one line on stderr and exit code 2."""
    try:
        code = _unwrap_help(typer.main.get_command(app))(args=argv, standalone_mode=False)
    except UserError as exc:
        err.print(f"reasonbench: error: {exc}", markup=False, highlight=False)
        code = 2
    except typer.Abort:
        err.print("reasonbench: interrupted")
        code = 130
    except typer.TyperException as exc:  # click's usage errors, vendored by typer
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help())
            code = 0
        else:
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            err.print(f"reasonbench: error: {message}", markup=False, highlight=False)
            code = getattr(exc, "exit_code", 2)
    sys.exit(code if isinstance(code, int) else 0)
