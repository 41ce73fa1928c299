"""Hostile input to every address Parley answers, signed in and not: never a server error.

Every URL pattern (found from the URL configuration, so a new page is fuzzed without
anyone remembering to add it) is asked with NUL characters, overlong values, deeply
nested and malformed input in its path, query string, form body, JSON body, headers and
cookies: by someone signed out, by a practitioner, a business manager and an
administrator (pages), and with and without a token (API). No answer may be a 5xx.

Run it on PostgreSQL too, where a NUL or an out-of-range number reaching a query is an
error rather than nothing found. The counts it prints are in docs/security.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from parley.api.tokens import api_token_create
from parley.cases import demo
from parley.cases.models import Disagreement, Event
from parley.web.forms import TEXT
from parley.web.services import evidence_attach

pytestmark = pytest.mark.django_db

BIG = "9" * 5000  # more digits than int() will read (Python's 4300-digit limit)
LONG = "x" * 100_000
NESTED_JSON = b"[" * 100_000 + b"]" * 100_000

# Values for each path parameter: one that finds something, then hostile ones. A
# parameter not listed here fails the test, so that a new kind of address gets a value.
GOOD = {
    "reference": "{reference}",
    "action": "respond",
    "token": "{token}",
    "form_id": "twsp-referral",
    "fmt": "pdf",
    "procedure_id": "twsp",
    "kind": "child-protection",
    "slug": "summary",
    "pk": "{pk}",
    "event_id": "{event_id}",
    "secret": "x" * 43,
    "path": "v1/nothing",
    "day": "2026-12-24",
}
HOSTILE_TEXT = ["%00", "A" * 3000, "%ZZ", "..%2F..%2Fetc", "%F0%9F%92%A9", "%C0%AF", "'--"]
HOSTILE_NUMBER = ["9" * 30, "0", BIG[:400]]
# re_path patterns, by their regex: how to write one address each matches.
REGEX_SAMPLES = {
    r"^(?P<procedure_id>[-a-zA-Z0-9_]+)/report\.(?P<fmt>pdf|csv|xlsx)$": "twsp/report.{fmt}",
    r"^(?P<path>.*)$": "{path}",
}
HOSTILE_QUERIES = [
    "?a=%00&procedure=%00&stage=%00&status=%00&category=%00&next=%00",
    "?%00=1",
    f"?procedure={LONG}&stage={LONG}&person={LONG}&reference={LONG}",
    f"?page={BIG}&before={BIG}&limit={BIG}&hours={BIG}&cursor={BIG}&agency={BIG}",
    "?page=-1&before=-5&limit=1e9&period=2026-13&figure=raised&raising=x&highest=%FF"
    "&late=2&cursor=%%%&status=shut&sort=%27&order=up&all=yes&view=shared",
    "?period=" + "FY" * 500 + "&figure=overdue&stage=" + "s" * 500 + "&category=-",
    "?from_day=31&from_month=2&from_year=99999&to_day=x&action=%ZZ&next=//evil.example",
    "?procedure=twsp&procedure=wirral-children&status=open&status=closed",
]
FORM_BODIES: list[dict[str, Any]] = [
    {"text": "nul\x00", "summary": "x"},
    {name: LONG for name in ("text", "summary", "reason", "outcome", "username", "code")},
    {"action": ["invite", "deactivate"], "kind": "\u202e", "at_risk": "maybe", "agency": BIG},
    {
        "password": "p" * 5000,
        "password_again": "q",
        "current": "",
        "suppression_threshold": BIG,
        "upload": "not-a-uuid",
    },
    {"file": "not a file", "agreed": "perhaps", "to_stage": "../../etc", "visibility": "x"},
]
JSON_BODIES: list[tuple[bytes, str]] = [
    (NESTED_JSON, "application/json"),
    (b'{"kind": "note-added", "text": "' + b"x" * 2_700_000 + b'"}', "application/json"),
    (b'{"summary": "a\\u0000b", "procedure": "twsp"}', "application/json"),
    (b"{not json", "application/json"),
    (b"\xff\xfe\x00\x00", "application/json"),
    (b'{"procedure": ["twsp"], "raising_agency": 1e400, "other_agency": -1}', "application/json"),
    (b"--x\r\nContent-Disposition: form-data\r\n\r\nbroken", "multipart/form-data; boundary=x"),
    (b"--x\r\ngarbage", "multipart/form-data"),
    (b"a=1&" * 2000, "application/x-www-form-urlencoded"),
]
HOSTILE_HEADERS: list[dict[str, str]] = [
    {"HTTP_COOKIE": "sessionid=\x00; csrftoken=" + "x" * 5000},
    {"HTTP_AUTHORIZATION": "Bearer parley_\x00_x"},
    {"HTTP_AUTHORIZATION": "Bearer " + "parley_" + "a" * 5000 + "_b"},
    {"HTTP_X_FORWARDED_FOR": "1.2.3.4, \x00, not-an-address", "HTTP_USER_AGENT": LONG},
    {"HTTP_ACCEPT_LANGUAGE": "%%%;q=xx," * 100, "HTTP_REFERER": "javascript:alert(1)"},
    {"HTTP_IDEMPOTENCY_KEY": "\x07" * 300},
]


def url_patterns() -> Iterator[tuple[str, URLPattern]]:
    def walk(resolver: URLResolver, prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for item in resolver.url_patterns:
            if isinstance(item, URLResolver):
                yield from walk(item, prefix + str(item.pattern))
            else:
                yield prefix + str(item.pattern), item

    yield from walk(get_resolver(), "/")


def addresses(route: str, values: dict[str, str]) -> list[str]:
    """One address for the pattern with good values, then one for each hostile value of
    each parameter in turn."""
    regex = next((r for r in REGEX_SAMPLES if route.endswith(r)), None)
    if regex is not None:
        template = route[: -len(regex)] + REGEX_SAMPLES[regex]
        names = re.findall(r"\(\?P<(\w+)>", regex)
    else:
        names = [name for _, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)]
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    missing = [n for n in names if n not in GOOD]
    assert not missing, f"no sample value for {missing} in {route}: add one to GOOD"
    good = {n: GOOD[n].format(**values) for n in names}
    found = [template.format(**good)]
    for name in names:
        hostile = HOSTILE_NUMBER if "<int:" + name in route or name in ("pk",) else HOSTILE_TEXT
        for value in hostile:
            found.append(template.format(**{**good, name: value}))
    return found


class Findings:
    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.requests = 0

    def check(self, response: Any, what: str) -> None:
        self.requests += 1
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.errors.append(f"{response.status_code} {what}")
        if hasattr(response, "streaming_content"):
            try:
                b"".join(response.streaming_content)
            except Exception as error:  # the body died after the status line
                self.errors.append(f"stream broke ({error!r}) {what}")


@pytest.fixture
def world(tmp_path: Path, settings: Any) -> dict[str, str]:
    settings.PARLEY_EVIDENCE_DIR = tmp_path / "evidence"
    demo.demo_load()
    case = Disagreement.objects.filter(raised_by__user__username="nia.nurse").first()
    assert case is not None
    evidence = evidence_attach(
        disagreement=case,
        person=demo.person("nia.nurse"),
        upload=SimpleUploadedFile("notes.txt", b"Seen on 3 March."),
        kind=TEXT,
    )
    event = Event.objects.filter(disagreement=case).first()
    assert event is not None
    return {
        "reference": case.reference,
        "token": evidence.token,
        "pk": str(demo.person("nia.nurse").pk),
        "event_id": str(event.pk),
    }


def send(client: Client, method: str, path: str, findings: Findings, **kwargs: Any) -> None:
    what = f"{method.upper()} {path[:120]} {str(kwargs)[:120]}"
    try:
        response = getattr(client, method)(path, **kwargs)
    except Exception as error:  # the test client itself could not send it: not a finding
        if "Client" in type(error).__name__:
            return
        raise
    findings.check(response, what)


def fuzz_all(client: Client, path: str, findings: Findings, *, api: bool) -> None:
    """Every hostile query, header and body at one address."""
    send(client, "get", path, findings)
    for query in HOSTILE_QUERIES:
        send(client, "get", path + query, findings)
    for headers in HOSTILE_HEADERS:
        send(client, "get", path, findings, **headers)
    bodies = JSON_BODIES if api else JSON_BODIES[3:]
    if not api:
        for data in FORM_BODIES:
            send(client, "post", path, findings, data=data)
    for body, content_type in bodies:
        send(client, "post", path, findings, data=body, content_type=content_type)
    send(client, "put", path, findings, data=b"x", content_type="text/plain")
    send(client, "delete", path, findings)


def fuzz_some(client: Client, path: str, findings: Findings, *, api: bool) -> None:
    """A few at one address: for someone signed out, who is sent to sign in before any
    page reads the rest, and for the hostile addresses themselves."""
    send(client, "get", path, findings)
    send(client, "get", path + HOSTILE_QUERIES[0], findings)
    send(client, "get", path, findings, **HOSTILE_HEADERS[0])
    if api:
        send(
            client, "post", path, findings, data=JSON_BODIES[0][0], content_type="application/json"
        )
    else:
        send(client, "post", path, findings, data=FORM_BODIES[1])


def test_no_input_anywhere_gives_a_server_error(
    world: dict[str, str], signed_in: Callable[[str], Client], capsys: Any
) -> None:
    findings = Findings()
    routes = list(url_patterns())
    covered = set()

    def person(username: str) -> Client:
        client = signed_in(username)
        client.raise_request_exception = False
        return client

    def anonymous() -> Client:
        return Client(raise_request_exception=False)

    def bearer(who: str) -> Callable[[], Client]:
        secret = api_token_create(
            person=demo.person(who), name="fuzz", scopes=["read", "write"], days=1
        ).secret
        return lambda: Client(
            raise_request_exception=False, headers={"Authorization": f"Bearer {secret}"}
        )

    # Signed in: a practitioner, a business manager (the register, reports) and an
    # administrator (audit, directory, notifications). The API: with each's token.
    page_people = [lambda u=u: person(u) for u in ("nia.nurse", "ben.business", "ari.admin")]
    api_people = [bearer("nia.nurse"), bearer("ben.business")]
    for number, (route, _pattern) in enumerate(routes):
        api = route.startswith("/api/")
        signed = api_people if api else page_people
        good, *hostile = addresses(route, world)
        # A fresh client for each: a lockout or sign-out one request caused must not
        # hide what the next would find.
        fuzz_some(anonymous(), good, findings, api=api)
        for make in signed:
            fuzz_all(make(), good, findings, api=api)
        for index, path in enumerate(hostile):
            fuzz_some(anonymous(), path, findings, api=api)
            fuzz_some(signed[(number + index) % len(signed)](), path, findings, api=api)
        covered.add(route)
    assert covered == {route for route, _ in routes}
    with capsys.disabled():
        print(
            f"\nfuzz: {findings.requests} requests to {len(covered)} URL patterns; "
            f"statuses {dict(sorted(findings.statuses.items()))}"
        )
    assert findings.errors == [], "\n".join(findings.errors[:50])


def test_the_fuzzer_covers_every_pattern_with_a_value() -> None:
    """A new parameter name or regex fails here first, asking for a sample value."""
    for route, _ in url_patterns():
        assert addresses(route, {"reference": "R", "token": "t", "pk": "1", "event_id": "1"})


def test_json_helpers_are_what_they_say() -> None:
    assert json.loads(b"[[1]]") == [[1]]
    assert len(NESTED_JSON) == 200_000
