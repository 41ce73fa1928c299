"""Who may see what, as a matrix: every case URL × every role × every relation to the case.

Each person below is a role in one of four relations to a disagreement: in the raising
agency, in the other agency, in an unrelated agency, or partnership-wide — plus people of
another partnership. The expected cells follow the rules in ``parley/cases/access.py``.
Every URL that names a case is requested by every person: a refused cell must be a plain
404 that does not reveal whether the case exists, and an allowed cell must never be 404
on the case page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from parley.api.tokens import SCOPES, api_token_create
from parley.cases import access, services
from parley.cases.demo import demo_load, person
from parley.cases.models import Agency, Partnership, Person, RoleAssignment

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
MISSING = "TWSP-999999"

# (username, relation, role) for a TWSP case raised by Health against Children's Services,
# escalated to stage 2, and a Bedfordshire Channel case raised by Health against Police.
PEOPLE = {
    "nia.nurse": ("raising agency", "practitioner (raised it)"),
    "max.manager": ("raising agency", "line manager"),
    "priya.lead": ("raising agency", "safeguarding lead / senior manager"),
    "hal.director": ("raising agency", "director / board representative"),
    "sam.social": ("other agency", "practitioner (named party)"),
    "lee.lm": ("other agency", "line manager"),
    "dana.dsl": ("other agency", "safeguarding lead / senior manager"),
    "drew.director": ("other agency", "director / board representative"),
    "pat.police": ("unrelated agency", "practitioner"),
    "ira.inspector": ("unrelated agency", "line manager / safeguarding lead"),
    "tess.teacher": ("unrelated agency", "practitioner"),
    "ben.business": ("partnership", "business manager"),
    "chris.chair": ("partnership", "board and panel chair"),
    "cora.channel": ("partnership", "Channel chair"),
    "col.coordinator": ("partnership", "Channel coordinator"),
    "tia.executive": ("partnership", "TWSP Executive"),
    "ari.admin": ("partnership", "administrator"),
    "oz.other": ("another partnership", "business manager"),
}

# Who sees the TWSP case at stage 2: the parties, the stage 1-2 rungs of both agencies
# (line managers and safeguarding leads; directors act from stage 4), and the
# partnership-wide roles the roles table gives sight of every children's and adults' case
# (business manager, chairs). TWSP's own Executive sees a case once it reaches stage 5,
# where the procedure names it. Channel roles and the administrator do not.
SEES_TWSP = {
    "nia.nurse", "max.manager", "priya.lead", "sam.social", "lee.lm", "dana.dsl",
    "ben.business", "chris.chair",
}  # fmt: skip
# Who sees the Channel case at stage 1: the raiser, Health's rung at stage 1 (the
# service manager responding is the *other* side's line manager: Police's Ira), and only
# the Channel roles partnership-wide — not the board's business manager or chair.
SEES_CHANNEL = {"nia.nurse", "ira.inspector", "cora.channel", "col.coordinator"}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture
def cases(django_db_blocker: object) -> dict[str, str]:
    partnership = demo_load(with_cases=False)
    agencies = {a.name.split()[1]: a for a in partnership.agencies.all()}
    versions = {v.procedure_id: v for v in partnership.procedures.filter(is_current=True)}
    twsp = services.disagreement_raise(
        procedure=versions["twsp"], raised_by=person("nia.nurse"),
        raising_agency=agencies["NHS"], other_agency=agencies["Council"],
        other_professional=person("sam.social"), summary="Closed after one visit.",
        subject_name="Child A", at=at(2026, 12, 1, 10),
    )  # fmt: skip
    services.disagreement_escalate(
        disagreement=twsp, person=person("nia.nurse"), reason="no-agreement",
        at=at(2026, 12, 2, 10),
    )  # fmt: skip
    channel = services.disagreement_raise(
        procedure=versions["bedfordshire-channel"], raised_by=person("nia.nurse"),
        raising_agency=agencies["NHS"], other_agency=agencies["Police"],
        summary="Support plan not resourced.", subject_name="Person C", at=at(2026, 12, 3, 10),
    )  # fmt: skip
    other = Partnership.objects.create(name="Otherton Partnership", slug="otherton")
    user = get_user_model().objects.create_user("oz.other", password="x")
    oz = Person.objects.create(user=user, partnership=other, name="Oz Other", email="oz@o.example")
    RoleAssignment.objects.create(person=oz, role="business-manager")
    Agency.objects.create(partnership=other, name="Otherton Police")
    return {"twsp": twsp.reference, "channel": channel.reference}


def case_urls(reference: str) -> Iterator[str]:
    """Every URL in the service that names a case, filled in with ``reference``."""

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif "<reference>" in route or "<str:reference>" in route:
                yield route

    for route in sorted(set(walk(get_resolver().url_patterns, "/"))):
        url = route.replace("<str:reference>", reference).replace("<reference>", reference)
        if "<" in url:  # another parameter: a document form id and format
            for name in ("<str:form_id>", "<form_id>"):
                url = url.replace(name, "outcome-confirmation")
            url = url.replace("<str:fmt>", "pdf").replace("<fmt>", "pdf")
        if "<" not in url:
            yield url.replace("^", "").replace("$", "")


def test_the_matrix_covers_at_least_the_case_page_and_its_actions() -> None:
    urls = list(case_urls("X"))
    assert "/cases/X/" in urls
    assert len(urls) >= 5


@pytest.mark.parametrize("username", sorted(PEOPLE), ids=lambda u: f"{u}:{PEOPLE[u][0]}")
@pytest.mark.parametrize("which", ["twsp", "channel"])
def test_every_case_url_is_refused_alike_to_those_without_sight(
    cases: dict[str, str], signed_in, which: str, username: str
) -> None:
    allowed = username in (SEES_TWSP if which == "twsp" else SEES_CHANNEL)
    reference = cases[which]
    case = access.Disagreement.objects.get(reference=reference)
    assert access.can_view(person_of(username), case) is allowed
    client = signed_in(username)
    bearer = api_token_create(
        person=person_of(username), name="matrix", scopes=sorted(SCOPES), days=1
    ).secret
    for url in case_urls(reference):
        # The API answers to a token, the pages to the signed-in session: the same rules.
        headers = {"Authorization": f"Bearer {bearer}"} if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        assert response.status_code != 500, url
        if url.startswith("/audit/") and username == "ari.admin":
            # The partnership's administrator answers "who has looked at this case?"
            # (the audit trail of it, not the case itself): docs/audit.md.
            assert response.status_code == 200, url
            continue
        if not allowed:
            missing = client.get(url.replace(reference, MISSING), headers=headers)
            # Refused and missing read the same: nobody learns that the case exists. (An
            # API action answers GET with 405 before it looks for the case, for both.)
            assert response.status_code in (404, 405), f"{username} reached {url}"
            assert missing.status_code == response.status_code, url
            assert _words(response) == _words(missing).replace(MISSING, reference)
    page = client.get(f"/cases/{reference}/")
    assert (page.status_code == 200) is allowed, username


def test_the_query_and_the_predicate_agree_for_everyone(cases: dict[str, str]) -> None:
    for username in PEOPLE:
        who = person_of(username)
        visible = access.disagreement_list_visible_to(person=who)
        listed = set(visible.values_list("reference", flat=True))
        by_predicate = {
            c.reference for c in access.Disagreement.objects.all() if access.can_view(who, c)
        }
        assert listed == by_predicate, username


def person_of(username: str) -> Person:
    return Person.objects.get(user__username=username)


def _words(response: object) -> str:
    content = getattr(response, "content", b"").decode("utf-8", "replace")
    # The CSRF token and the path differ between any two responses; the message must not.
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content)


def test_a_role_acting_for_the_raising_agency_sees_its_case_and_its_own_agency_does_not(
    cases: dict[str, str], signed_in
) -> None:
    """The ICB's named GP lead, held in the ICB acting for the raising agency (an agency
    with no escalation officer of its own), holds that agency's rungs; a colleague in the
    ICB holding the same role without ``acts_for`` sees nothing, on every case URL."""
    raising = access.Disagreement.objects.get(reference=cases["twsp"]).raising_agency
    partnership = raising.partnership
    icb = Agency.objects.create(partnership=partnership, name="Demoshire ICB", kind="icb")
    for username, acts_for in (("gil.gplead", raising), ("ivy.icb", None)):
        user = get_user_model().objects.create_user(username, password="x")
        someone = Person.objects.create(
            user=user, partnership=partnership, name=username, email=f"{username}@icb.example"
        )
        RoleAssignment.objects.create(
            person=someone, agency=icb, role="line-manager", acts_for=acts_for
        )
    case = access.Disagreement.objects.get(reference=cases["twsp"])
    for username, allowed in (("gil.gplead", True), ("ivy.icb", False)):
        who = person_of(username)
        assert access.can_view(who, case) is allowed, username
        listed = set(access.disagreement_list_visible_to(person=who))
        assert (case in listed) is allowed, username
        client = signed_in(username)
        for url in case_urls(cases["twsp"]):
            if url.startswith("/api/"):
                continue  # the API answers to a token: the matrix above asks it
            response = client.get(url)
            assert response.status_code != 500, url
            if not allowed:
                assert response.status_code in (404, 405), f"{username} reached {url}"
        page = client.get(f"/cases/{cases['twsp']}/")
        assert (page.status_code == 200) is allowed, username
