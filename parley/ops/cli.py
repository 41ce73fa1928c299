"""``parley backup --out FILE [--force]`` and ``parley restore FILE [--yes]`` (docs/deploy.md)."""

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
    parser.add_argument(
        "--force", action="store_true", help="replace the file if there is one already"
    )
    args = _parse(parser, argv)
    if args is None:
        return EXIT_USAGE
    if getattr(args, "help_shown", False):
        return EXIT_OK
    setup_django()
    from parley.ops.backup import BackupError, database_backup
    from parley.private_files import is_private_folder

    try:
        database_backup(out=args.out, replace=args.force)
    except BackupError as error:
        print(f"parley backup: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"Backed up the database to {args.out} (readable by this account only)")
    folder = args.out.resolve().parent
    if not is_private_folder(folder):
        print(
            f"parley backup: other accounts on this host can open {folder}; keep backups "
            "in a folder only Parley's account can (chmod 700).",
            file=sys.stderr,
        )
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
