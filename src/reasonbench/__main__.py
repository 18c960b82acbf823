"""``python -m reasonbench`` is the ``reasonbench`` command."""

from reasonbench.cli import main

main()
