"""``parley audit verify``: check the audit trail and name the first broken link.

Exit status: 0 intact, 1 broken, 2 a usage error. On success it prints the head of the
trail and keeps it as a checkpoint; the operator keeps the printed line outside the
database too, and passes it back with ``--expect`` to catch a rewritten trail.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn, TextIO

from parley.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, register, setup_django


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--expect",
        metavar="SEQUENCE:HASH",
        help="a head printed by an earlier run, kept outside the database; "
        "the trail must still contain that entry with that hash",
    )
    parser.add_argument(
        "--no-checkpoint",
        action="store_true",
        help="do not keep this run's head as a checkpoint",
    )


def _say(stream: TextIO, line: str) -> None:
    # write(), not print(): Django's command output adds its own line ending to each write.
    stream.write(line + "\n")


def verify(*, expect: str | None, checkpoint: bool, out: TextIO, err: TextIO) -> int:
    """Run the check and report it; the exit status. Django must be set up."""
    from parley.audit.services import anchor_parse, audit_checkpoint, audit_verify

    anchor = None
    if expect is not None:
        try:
            anchor = anchor_parse(expect)
        except ValueError as problem:
            _say(err, f"parley audit verify: --expect {expect!r}: {problem}")
            return EXIT_USAGE

    result = audit_verify(expect=anchor)
    if not result.ok:
        _say(err, f"Audit trail broken: {result.problem}.")
        _say(
            err,
            f"The first broken link is at entry {result.first_broken}; "
            f"{result.checked} entries read.",
        )
        return EXIT_FAILURE

    _say(out, f"Audit trail intact: {result.checked} entries checked")
    if result.head_sequence:
        if checkpoint:
            audit_checkpoint(result=result)
        _say(out, f"Head: {result.head_sequence}:{result.head_hash}")
        _say(
            out,
            "Keep the head line somewhere outside this database; "
            "check against it later with --expect.",
        )
    return EXIT_OK


@register("audit")
def audit_command(argv: list[str]) -> int:
    parser = _Parser(prog="parley audit", description="The audit trail.")
    sub = parser.add_subparsers(dest="action", required=True)
    verify_parser = sub.add_parser(
        "verify", help="check that no audit entry has been changed, removed or moved"
    )
    add_verify_arguments(verify_parser)
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    setup_django()
    return verify(
        expect=args.expect, checkpoint=not args.no_checkpoint, out=sys.stdout, err=sys.stderr
    )
