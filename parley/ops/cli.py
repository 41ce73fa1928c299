"""``parley backup --out FILE`` and ``parley restore FILE [--yes]`` (docs/deploy.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parley.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, register, setup_django


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | None:
    try:
        return parser.parse_args(argv)
    except SystemExit as exit_:
        return None if exit_.code else argparse.Namespace(help_shown=True)


@register("backup")
def backup(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="parley backup",
        description="Back up Parley's database (SQLite or PostgreSQL) to one file.",
    )
    parser.add_argument("--out", required=True, type=Path, help="the file to write")
    args = _parse(parser, argv)
    if args is None:
        return EXIT_USAGE
    if getattr(args, "help_shown", False):
        return EXIT_OK
    setup_django()
    from parley.ops.backup import BackupError, database_backup

    try:
        database_backup(out=args.out)
    except BackupError as error:
        print(f"parley backup: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"Backed up the database to {args.out}")
    return EXIT_OK


@register("restore")
def restore(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="parley restore",
        description="Replace everything in Parley's database with a backup.",
    )
    parser.add_argument("file", type=Path, help="a file written by parley backup")
    parser.add_argument(
        "--yes", action="store_true", help="replace a database that already holds data"
    )
    args = _parse(parser, argv)
    if args is None:
        return EXIT_USAGE
    if getattr(args, "help_shown", False):
        return EXIT_OK
    setup_django()
    from parley.ops.backup import BackupError, database_restore

    try:
        database_restore(source=args.file, replace=args.yes)
    except BackupError as error:
        print(f"parley restore: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"Restored the database from {args.file}")
    return EXIT_OK
