"""Load the demo partnership: agencies, people in every role and the five procedures."""

from typing import Any

from django.core.management.base import BaseCommand

from parley.cases.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo partnership (running it again changes nothing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-cases", action="store_true", help="load no demo disagreements")

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = demo_load(with_cases=not options["no_cases"])
        procedures = partnership.procedures.filter(is_current=True).count()
        self.stdout.write(
            f"Demo partnership loaded: {partnership.name}, {procedures} procedures, "
            f"{partnership.people.count()} people in {partnership.agencies.count()} agencies."
        )
