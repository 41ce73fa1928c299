"""``parley audit verify``: check the audit trail and name the first broken link.
``parley audit refusals``: who has been refused disagreements lately, bursts first.

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


def refusals_report(*, hours: int, partnership: str | None, out: TextIO) -> int:
    """Everyone refused a case in the last ``hours``, bursts first. Django must be set up.

    Across every partnership unless one is named: the operator sees what no single
    partnership's administrators can, such as one person probing from two accounts.
    """
    from datetime import timedelta

    from django.utils import timezone

    from parley.audit.selectors import BURST_THRESHOLD, BURST_WINDOW, refusal_summaries
    from parley.cases.models import Partnership

    partnership_id = None
    if partnership is not None:
        found = Partnership.objects.filter(slug=partnership).first()
        if found is None:
            _say(out, f"parley audit refusals: there is no partnership {partnership!r}")
            return EXIT_USAGE
        partnership_id = found.pk
    summaries = refusal_summaries(
        partnership_id=partnership_id, since=timezone.now() - timedelta(hours=hours)
    )
    minutes = int(BURST_WINDOW.total_seconds() // 60)
    if not summaries:
        _say(out, f"No refused requests for disagreements in the last {hours} hours.")
        return EXIT_OK
    _say(out, f"Refused requests for disagreements in the last {hours} hours:")
    for s in summaries:
        who = f"{s.username or 'unknown'} ({s.name})" if s.person else s.username or "unknown"
        when = timezone.localtime(s.busiest_from).strftime("%d %b %H:%M")
        line = (
            f"{who}: {s.refusals} refused, at most {s.busiest} within {minutes} minutes "
            f"(from {when}); from {', '.join(s.addresses) or 'unknown addresses'}"
        )
        _say(out, f"{line}  BURST" if s.burst else line)
    bursts = sum(1 for s in summaries if s.burst)
    if bursts:
        _say(
            out,
            f"{bursts} burst(s): {BURST_THRESHOLD} or more within {minutes} minutes. "
            "Read their entries with the audit trail page's filters.",
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
    refusals_parser = sub.add_parser(
        "refusals", help="who has been refused disagreements lately, and whether in a burst"
    )
    refusals_parser.add_argument(
        "--hours", type=int, default=24, help="how far back to look (default 24)"
    )
    refusals_parser.add_argument(
        "--partnership", metavar="SLUG", help="one partnership only (default: all)"
    )
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    setup_django()
    if args.action == "refusals":
        if args.hours < 1:
            print("parley audit refusals: --hours must be 1 or more", file=sys.stderr)
            return EXIT_USAGE
        return refusals_report(hours=args.hours, partnership=args.partnership, out=sys.stdout)
    return verify(
        expect=args.expect, checkpoint=not args.no_checkpoint, out=sys.stdout, err=sys.stderr
    )
