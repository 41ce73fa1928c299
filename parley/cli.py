"""The ``parley`` command.

``parley <command> [args...]`` runs one of Parley's own commands when
``<command>`` is registered in :data:`COMMANDS`; any other word is handed to
Django's management commands, so ``parley migrate`` and ``parley runserver``
work as ``python manage.py ...`` would.

Registering a command: in a module listed in :data:`COMMAND_MODULES`::

    from parley.cli import register

    @register("procedures")
    def procedures(argv: list[str]) -> int:
        ...
        return 0

A command gets the words after its name and returns the exit status. It must
call :func:`setup_django` itself before touching models.

Exit status: 0 success, 1 failure, 2 usage error (such as an unknown command).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence

from parley import __version__

Command = Callable[[list[str]], int]

#: Parley's own subcommands, by name.
COMMANDS: dict[str, Command] = {}

#: Modules imported before dispatch so that their ``@register`` calls run.
COMMAND_MODULES: list[str] = [
    "parley.commands",
    "parley.audit.cli",
    "parley.accounts.cli",
    "parley.ops.cli",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def register(name: str) -> Callable[[Command], Command]:
    """Register ``function`` as ``parley <name>``."""

    def decorator(function: Command) -> Command:
        if name in COMMANDS and COMMANDS[name] is not function:
            raise ValueError(f"parley command {name!r} is already registered")
        COMMANDS[name] = function
        return function

    return decorator


def setup_django() -> None:
    """Configure Django (settings, app registry) for a command that needs it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    import django

    django.setup()


@register("version")
def version(argv: list[str]) -> int:
    if argv:
        print("usage: parley version", file=sys.stderr)
        return EXIT_USAGE
    print(f"parley {__version__}")
    return EXIT_OK


def _load_command_modules() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)


def _django_commands() -> set[str]:
    setup_django()
    from django.core.management import get_commands

    return set(get_commands())


def _usage() -> str:
    names = ", ".join(sorted(COMMANDS))
    return (
        "usage: parley <command> [args...]\n"
        f"Parley commands: {names}\n"
        "Django management commands also work (parley migrate, parley runserver, ...): "
        "'parley help' lists them."
    )


def _run_django(argv: list[str]) -> int:
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["parley", *argv])
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            return EXIT_OK
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    _load_command_modules()

    if not args:
        print(_usage(), file=sys.stderr)
        return EXIT_USAGE

    name, rest = args[0], args[1:]
    if name in ("-h", "--help"):
        print(_usage())
        return EXIT_OK
    if name in COMMANDS:
        return COMMANDS[name](rest)
    if name in ("help", "--version") or name in _django_commands():
        return _run_django(args)

    print(f"parley: unknown command {name!r}", file=sys.stderr)
    print(_usage(), file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    # Run through the importable module, so commands register where dispatch looks.
    from parley.cli import main as _main

    sys.exit(_main())
