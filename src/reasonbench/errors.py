"""Errors that the CLI turns into a one-line message and exit code 2."""


class UserError(ValueError):
    """Bad input from the user (an unknown split, a malformed option, a missing file).

    The CLI prints ``str(error)`` on one line and exits with code 2; no traceback.
    """
