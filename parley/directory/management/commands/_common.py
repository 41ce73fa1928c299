"""What the directory's commands share: finding the partnership and the person acting."""

from __future__ import annotations

from django.core.management.base import CommandError

from parley.cases.models import Partnership, Person


def partnership_named(slug: str) -> Partnership:
    partnership = Partnership.objects.filter(slug=slug).first()
    if partnership is None:
        known = ", ".join(Partnership.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f'There is no partnership "{slug}". Partnerships: {known}')
    return partnership


def person_named(username: str | None) -> Person | None:
    """The person running the command, for the audit trail; None if not given."""
    if not username:
        return None
    person = Person.objects.filter(user__username=username).first()
    if person is None:
        raise CommandError(f'There is no person with the username "{username}"')
    return person
