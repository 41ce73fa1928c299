"""``parley procedures load FILE --partnership SLUG``: publish a procedure file.

The file gets every check ``parley procedures check`` makes, then is published as a new
version of that partnership's procedure, recorded in the audit trail with who and when.
``--dry-run`` checks and says what would happen, and writes nothing. Called from
:mod:`parley.commands`, which needs no Django; this module does.
"""

from __future__ import annotations

import sys
from pathlib import Path

from parley.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, setup_django


def load(*, file: str, partnership: str, dry_run: bool, by: str | None) -> int:
    setup_django()
    from django.utils import timezone

    from parley.cases import services
    from parley.cases.models import Partnership, Person
    from parley.core.loader import ProcedureError

    found = Partnership.objects.filter(slug=partnership).first()
    if found is None:
        known = ", ".join(Partnership.objects.values_list("slug", flat=True)) or "none yet"
        print(f'there is no partnership "{partnership}"; partnerships: {known}', file=sys.stderr)
        return EXIT_USAGE
    person = None
    if by:
        person = Person.objects.filter(user__username=by, partnership=found).first()
        if person is None:
            print(f'there is no one in {found.slug} with the username "{by}"', file=sys.stderr)
            return EXIT_USAGE
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"there is no file {file}", file=sys.stderr)
        return EXIT_USAGE
    except UnicodeDecodeError:
        print(f"{path.name}: refused — it is not saved as UTF-8 text", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as error:
        print(f"{path.name}: refused — it cannot be read ({error.strerror})", file=sys.stderr)
        return EXIT_FAILURE
    checked = services.procedure_check(
        partnership=found, text=text, source_name=path.name, base_dir=path.parent
    )
    for problem in checked.result.warnings:
        print(problem)
    if not checked.ok:
        for problem in checked.problems:
            print(problem, file=sys.stderr)
        count = len(checked.problems)
        print(
            f"{path.name}: refused — {count} problem{'s' if count != 1 else ''}; nothing "
            "was published",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    procedure = checked.procedure
    assert procedure is not None
    what = f"{procedure.name}, version {procedure.version}"
    if checked.unchanged is not None:
        print(f"{path.name}: {what} is already the version in use; nothing changed")
        return EXIT_OK
    replaces = (
        f" in place of version {checked.current.version}" if checked.current is not None else ""
    )
    if dry_run:
        print(
            f"{path.name}: ok — {what} would be published for {found.name}{replaces}. "
            "Dry run: nothing was published."
        )
        return EXIT_OK
    try:
        version, _ = services.procedure_publish(
            partnership=found,
            text=text,
            source_name=path.name,
            by=person,
            via="command",
            base_dir=path.parent,
        )
    except ProcedureError as error:  # published by someone else in the meantime
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_FAILURE
    when = timezone.localtime(version.loaded_at).strftime("%-d %B %Y at %H:%M")
    print(
        f"{path.name}: published {what} for {found.name}{replaces}, on {when}. New cases "
        "are raised under it; open cases keep the version they were raised under."
    )
    return EXIT_OK
