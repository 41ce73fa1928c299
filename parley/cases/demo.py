"""The demo partnership `make run` loads: agencies, people in every role, the five procedures.

Everything is created through the same services a real partnership uses. Running it twice
changes nothing. The people and their sign-in details are listed in docs/demo.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import transaction

from parley.cases import services
from parley.cases.models import Agency, Disagreement, Partnership, Person, RoleAssignment
from parley.core.engine import EventKind
from parley.core.loader import ProcedureError

LIBRARY = Path(__file__).resolve().parent.parent / "procedures"
logger = logging.getLogger(__name__)
DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password-1"  # documented in docs/demo.md; demo only

# What the rooms above add once the demo is loaded, registered by name when Django starts
# (their AppConfig.ready): the accounts' demo authenticator and recovery codes.
_AFTER_LOAD: dict[str, Callable[[], object]] = {}


def demo_after_load(name: str, step: Callable[[], object]) -> None:
    _AFTER_LOAD[name] = step


class DemoRefused(CommandError):
    """The demo is not for production. A CommandError, so ``manage.py`` prints it plainly."""


def demo_refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise DemoRefused(
            "The demo partnership cannot be loaded when PARLEY_ENV=production: its people "
            "have published passwords and codes. Load it on a development copy instead."
        )


@dataclass(frozen=True)
class DemoPerson:
    username: str
    name: str
    agency: str | None  # None: a partnership-wide role
    roles: tuple[str, ...]
    job_title: str


AGENCIES: tuple[tuple[str, str], ...] = (
    ("Demoshire Council Children's Services", Agency.Kind.CHILDRENS_SERVICES),
    ("Demoshire Council Adult Social Care", Agency.Kind.ADULT_SERVICES),
    ("Demoshire NHS Foundation Trust", Agency.Kind.NHS_TRUST),
    ("Demoshire Police", Agency.Kind.POLICE),
    ("Demoshire Academy", Agency.Kind.SCHOOL),
    ("Demoshire Partnership Business Unit", Agency.Kind.PARTNERSHIP),
)
SOCIAL_CARE, ADULTS, HEALTH, POLICE, SCHOOL, _UNIT = (name for name, _ in AGENCIES)

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("sam.social", "Sam Okafor", SOCIAL_CARE, ("practitioner",), "Social worker"),
    # Bedfordshire's "Manager of the service concerned" answers an alert at its stage 1.
    DemoPerson(
        "lee.lm", "Lee Harper", SOCIAL_CARE, ("line-manager", "service-manager"), "Team manager"
    ),
    DemoPerson(
        "dana.dsl",
        "Dana Whitfield",
        SOCIAL_CARE,
        ("safeguarding-lead", "senior-manager"),
        "Head of safeguarding",
    ),
    DemoPerson(
        "drew.director",
        "Drew Castellan",
        SOCIAL_CARE,
        ("director", "service-director", "board-representative"),
        "Director of children's services",
    ),
    DemoPerson("nia.nurse", "Nia Evans", HEALTH, ("practitioner",), "Health visitor"),
    DemoPerson(
        "max.manager",
        "Max Lindqvist",
        HEALTH,
        ("line-manager", "service-manager"),
        "Health visiting team lead",
    ),
    DemoPerson(
        "priya.lead",
        "Priya Raman",
        HEALTH,
        ("safeguarding-lead", "senior-manager"),
        "Named nurse for safeguarding",
    ),
    DemoPerson(
        "hal.director",
        "Hal Brennan",
        HEALTH,
        ("director", "corporate-director", "board-representative"),
        "Chief nurse",
    ),
    DemoPerson("pat.police", "Pat Douglas", POLICE, ("practitioner",), "Detective constable"),
    DemoPerson(
        "ira.inspector",
        "Ira Novak",
        POLICE,
        ("line-manager", "safeguarding-lead", "service-manager"),
        "Detective inspector",
    ),
    DemoPerson(
        "cas.chief",
        "Cas Moreau",
        POLICE,
        ("senior-manager", "director", "board-representative"),
        "Chief inspector",
    ),
    DemoPerson("tess.teacher", "Tess Adeyemi", SCHOOL, ("practitioner",), "Class teacher"),
    DemoPerson(
        "dev.dsl",
        "Dev Sharma",
        SCHOOL,
        ("safeguarding-lead", "line-manager"),
        "Designated safeguarding lead",
    ),
    DemoPerson("ada.adults", "Ada Lovell", ADULTS, ("practitioner",), "Social worker (adults)"),
    DemoPerson(
        "ben.business", "Ben Achebe", None, ("business-manager",), "Partnership business manager"
    ),
    DemoPerson(
        "chris.chair", "Chris Ferreira", None, ("board-chair", "panel-chair"), "Independent chair"
    ),
    DemoPerson(
        "cora.channel",
        "Cora Blake",
        None,
        ("channel-chair", "channel-panel-member"),
        "Channel panel chair",
    ),
    DemoPerson(
        "col.coordinator",
        "Col Mensah",
        None,
        ("channel-coordinator",),
        "Local authority Channel coordinator",
    ),
    DemoPerson(
        "tia.executive",
        "Tia Osei",
        None,
        ("twsp-executive", "csp-board-chair"),
        "Partnership executive",
    ),
    DemoPerson("ari.admin", "Ari Kowalski", None, ("administrator",), "Partnership administrator"),
)


def library_files() -> list[Path]:
    return sorted(LIBRARY.glob("*.yaml"))


@transaction.atomic
def demo_load(*, with_cases: bool = True) -> Partnership:
    demo_refuse_in_production()
    partnership, _ = Partnership.objects.get_or_create(
        slug=DEMO_SLUG, defaults={"name": "Demoshire Safeguarding Partnership"}
    )
    for path in library_files():
        try:
            services.procedure_load(
                partnership=partnership,
                text=path.read_text(encoding="utf-8"),
                source_name=path.name,
                via="demo",
            )
        except ProcedureError as refused:
            # A file edited without a new version: keep the loaded one and say why.
            logger.warning("%s was not loaded: %s", path.name, refused)
    agencies = {}
    for name, kind in AGENCIES:
        agencies[name], _ = Agency.objects.get_or_create(
            partnership=partnership, name=name, defaults={"kind": kind}
        )
    user_model = get_user_model()
    password = make_password(DEMO_PASSWORD)  # once: a strong hash is slow on purpose
    for demo in PEOPLE:
        user, created = user_model.objects.get_or_create(
            username=demo.username, defaults={"email": f"{demo.username}@demoshire.example"}
        )
        if created:
            user.password = password
            user.save()
        person, _ = Person.objects.get_or_create(
            user=user,
            defaults={
                "partnership": partnership,
                "name": demo.name,
                "email": user.email,
                "job_title": demo.job_title,
            },
        )
        for role in demo.roles:
            RoleAssignment.objects.get_or_create(
                person=person, agency=agencies[demo.agency] if demo.agency else None, role=role
            )
    if with_cases and not Disagreement.objects.filter(partnership=partnership).exists():
        _demo_cases(partnership, agencies)
    for step in _AFTER_LOAD.values():
        step()
    return partnership


def person(username: str) -> Person:
    return Person.objects.get(user__username=username)


def _demo_cases(partnership: Partnership, agencies: dict[str, Agency]) -> None:
    """A few disagreements at different points, raised over the last weeks."""
    zone = ZoneInfo("Europe/London")
    now = datetime.now(zone).replace(minute=0, second=0, microsecond=0)
    versions = {v.procedure_id: v for v in partnership.procedures.filter(is_current=True)}
    twsp = services.disagreement_raise(
        procedure=versions["twsp"],
        raised_by=person("nia.nurse"),
        raising_agency=agencies[HEALTH],
        other_agency=agencies[SOCIAL_CARE],
        other_professional=person("sam.social"),
        summary="Children's social care closed the case of a 2-year-old after one home visit, "
        "although the health visitor has seen repeated unexplained bruising.",
        evidence="Health visiting records of three visits; photographs on the health record.",
        outcome_sought="A strategy discussion and a child and family assessment.",
        category="closing-involvement",
        subject_name="Child A",
        subject_client_reference="CS-104233",
        at=now - timedelta(days=12),
        via="demo",
    )
    services.disagreement_act(
        disagreement=twsp,
        person=person("sam.social"),
        kind=EventKind.RESPONSE_RECORDED,
        via="demo",
        text="Reviewed the file; the threshold for a child and family assessment is not met.",
        at=now - timedelta(days=10),
    )
    services.disagreement_act(
        disagreement=twsp,
        person=person("nia.nurse"),
        kind=EventKind.ESCALATED,
        via="demo",
        reason="no-agreement",
        text="We could not agree; raising with our managers.",
        at=now - timedelta(days=9),
    )
    services.disagreement_raise(
        procedure=versions["twsp"],
        raised_by=person("tess.teacher"),
        raising_agency=agencies[SCHOOL],
        other_agency=agencies[POLICE],
        summary="Police declined to share information about a domestic incident at a pupil's home.",
        outcome_sought="Information shared under the local information sharing agreement.",
        category="information-sharing",
        subject_name="Child B",
        at=now - timedelta(days=1),
        via="demo",
    )
