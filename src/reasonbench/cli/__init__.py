"""The ``reasonbench`` command line: thin commands that parse options and call one library function.

One module per command group: :mod:`~reasonbench.cli.tasks` (``tasks ...``), :mod:`~reasonbench.cli.run`
(``run``, ``sweep``), :mod:`~reasonbench.cli.train` (``train``) and :mod:`~reasonbench.cli.results`
(``report``, ``plot``, ``show``, ``regress``, ``compare``). Rich output goes to stderr, data (JSONL,
answers) to stdout. Bad input is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

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


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the app; usage errors become one line on stderr and exit code 2."""
    try:
        code = app(args=argv, standalone_mode=False)
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
