from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.api.tokens import MAX_DAYS, TokenError, api_token_create
from parley.cases.models import Person


class Command(BaseCommand):
    help = "Make a personal access token for the API; the token is shown once, here."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the person's username")
        parser.add_argument("--name", required=True, help="what the token is for")
        parser.add_argument("--scopes", default="read", help="read, write or read,write")
        parser.add_argument("--days", type=int, default=90, help=f"1 to {MAX_DAYS}")

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(user__username=options["user"]).first()
        if person is None:
            raise CommandError(f"There is no one with the username {options['user']!r}")
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            made = api_token_create(
                person=person, name=options["name"], scopes=scopes, days=options["days"]
            )
        except TokenError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Token {made.token.prefix} for {person.name}, expires "
            f"{made.token.expires_at:%d %B %Y}. Copy it now: it is not shown again.\n"
        )
        self.stdout.write(made.secret)
