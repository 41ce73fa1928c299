"""Publishing a procedure in the browser: upload or paste, every problem with its line,
check the new version, publish it, list and download versions, move open cases."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from parley.audit.models import AuditEntry
from parley.cases.demo import demo_load
from parley.cases.models import Disagreement, Event, Partnership, ProcedureVersion
from parley.core.engine import EventKind

pytestmark = pytest.mark.django_db
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
TWSP = (LIBRARY / "twsp.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[int]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(with_cases=True).pk
        transaction.set_rollback(True)


@pytest.fixture
def partnership(demo, db) -> Partnership:
    return Partnership.objects.get(pk=demo)


@pytest.fixture
def ben(partnership, signed_in):
    return signed_in("ben.business")


def words(response) -> str:
    import html

    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(text.split())


def twsp(version: str = "2027-1") -> str:
    return TWSP.replace('version: "2024-3"', f'version: "{version}"', 1)


def upload(client, text: str, name: str = "twsp.yaml"):
    return client.post("/publishing/new/", {"file": SimpleUploadedFile(name, text.encode("utf-8"))})


@pytest.mark.parametrize("url", ["/publishing/", "/publishing/new/", "/publishing/twsp/move/"])
def test_only_the_roles_table_s_procedures_column_opens_the_pages(partnership, signed_in, url):
    assert signed_in("nia.nurse").get(url).status_code == 404
    assert signed_in("ari.admin").get(url).status_code == 404
    assert signed_in("ben.business").get(url).status_code == 200


def test_every_problem_is_in_the_error_summary_with_its_line(ben):
    broken = twsp().replace("within: 5 working days", "within: 5 days", 1)
    broken = broken.replace("raising_side: [practitioner]", "raising_side: [practitionr]", 1)
    response = upload(ben, broken)
    assert response.status_code == 400
    html = response.content.decode()
    summary = html.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    items = re.findall(r'<a href="#id_file">([^<]+)</a>', summary)
    assert len(items) == 2
    assert all(re.match(r"twsp\.yaml, line \d+: ", item) for item in items)
    assert "practitionr" in items[0] or "practitionr" in items[1]
    assert "<title>Error: " in html
    assert ProcedureVersion.objects.filter(version="2027-1").count() == 0


def test_pasted_aliases_are_refused_at_once(ben):
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    started = time.perf_counter()
    response = ben.post("/publishing/new/", {"text": "\n".join(lines)})
    assert time.perf_counter() - started < 2
    assert response.status_code == 400
    assert "Line 2: this line repeats another part of the file with a YAML alias" in words(response)


def test_check_publish_list_and_download(partnership, ben):
    open_twsp = Disagreement.objects.filter(
        partnership=partnership, procedure__procedure_id="twsp", status="open"
    ).values_list("reference", flat=True)
    changed = twsp() + "# 2027: reviewed by the partnership, no change to the rules\n"
    response = upload(ben, changed)
    assert response.status_code == 200, words(response)[:600]
    text = words(response)
    assert "Check version 2027-1 before you publish it" in text
    assert "Version in use now 2024-3" in text
    assert "What would change for open disagreements" in text
    for reference in open_twsp:
        assert reference in text
    assert "If raised today" in text and "Stage ends by" in text
    assert "<svg" in response.content.decode()
    assert ProcedureVersion.objects.filter(version="2027-1").count() == 0  # nothing yet

    hidden = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', response.content.decode())
    )
    import html

    form = {k: html.unescape(v) for k, v in hidden.items()}
    form["text"] = form["text"].replace("\n", "\r\n")  # as a browser sends it
    published = ben.post("/publishing/publish/", form)
    assert published.status_code == 302 and published["Location"] == "/publishing/"
    new = ProcedureVersion.objects.get(
        partnership=partnership, procedure_id="twsp", is_current=True
    )
    assert (new.version, new.published_by.name, new.published_via) == (
        "2027-1",
        "Ben Achebe",
        "web",
    )
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None and (entry.action, entry.username) == (
        "procedure.publish",
        "ben.business",
    )
    listing = ben.get("/publishing/")
    text = words(listing)
    assert "Version 2027-1 of TWSP Resolution and Escalation Process published" in text
    assert "2027-1 In use" in text and "Ben Achebe" in text
    old = ProcedureVersion.objects.get(
        partnership=partnership, procedure_id="twsp", version="2024-3"
    )
    download = ben.get(f"/publishing/versions/{old.pk}.yaml")
    assert download.status_code == 200
    assert download.content.decode() == TWSP
    assert 'filename="twsp-2024-3.yaml"' in download["Content-Disposition"]


def test_open_cases_stay_until_moved_and_each_move_is_on_its_record(partnership, ben):
    upload_and_publish(ben, twsp())
    new = ProcedureVersion.objects.get(
        partnership=partnership, procedure_id="twsp", is_current=True
    )
    cases = list(
        Disagreement.objects.filter(
            partnership=partnership, procedure__procedure_id="twsp", status="open"
        )
    )
    assert cases and all(case.procedure_id != new.pk for case in cases)  # stayed
    page = ben.get("/publishing/twsp/move/")
    for case in cases:
        assert case.reference in words(page)
    nothing = ben.post("/publishing/twsp/move/", {})
    assert nothing.status_code == 400
    assert "Select the disagreements to move" in words(nothing)
    moved = ben.post("/publishing/twsp/move/", {"cases": [c.reference for c in cases]})
    assert moved.status_code == 302
    for case in cases:
        case.refresh_from_db()
        assert case.procedure_id == new.pk
        last = Event.objects.filter(disagreement=case).order_by("-sequence").first()
        assert last is not None and last.kind == EventKind.VERSION_CHANGED.value
        assert last.actor.name == "Ben Achebe"
        assert last.data == {"from_version": "2024-3", "to_version": "2027-1"}
    assert AuditEntry.objects.filter(action="case.change").order_by("-sequence").first()


def upload_and_publish(client, text: str, name: str = "twsp.yaml") -> None:
    response = upload(client, text, name)
    assert response.status_code == 200, words(response)[:600]
    import html

    hidden = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', response.content.decode())
    )
    form = {k: html.unescape(v) for k, v in hidden.items()}
    assert client.post("/publishing/publish/", form).status_code == 302


FIXTURES = Path(__file__).resolve().parents[1] / "core" / "fixtures" / "procedures"


def test_a_local_file_is_checked_over_the_regional_one_and_merged_again_after(ben):
    regional = (FIXTURES / "pennine-regional.yaml").read_text()
    local = (FIXTURES / "pennine-eastdale.yaml").read_text()
    refused = upload(ben, local, "pennine-eastdale.yaml")
    assert refused.status_code == 400
    assert "which this partnership has not published: publish that file first" in words(refused)

    upload_and_publish(ben, regional, "pennine-regional.yaml")
    check = upload(ben, local, "pennine-eastdale.yaml")
    text = words(check)
    assert "Laid over Pennine regional escalation procedure, version 2026-1" in text
    assert "Practitioners : 5 working days" in text and "As in pennine-regional.yaml." in text
    assert "Line managers : 3 working days" in text and "Set or changed in this file." in text
    upload_and_publish(ben, local, "pennine-eastdale.yaml")

    newer = regional.replace('version: "2026-1"', 'version: "2027-1"', 1)
    preview = words(upload(ben, newer, "pennine-regional.yaml"))
    assert "Local procedures laid over this one" in preview
    assert (
        "Eastdale escalation procedure (version 2026-1 in use): becomes version 2026-1+2027-1"
        in (preview)
    )
    upload_and_publish(ben, newer, "pennine-regional.yaml")
    assert "2026-1+2027-1 In use" in words(ben.get("/publishing/"))


def test_a_regional_file_under_a_local_one_is_not_offered_for_raising(partnership, ben):
    from parley.cases.selectors import procedure_versions_to_raise_under

    def raisable() -> set[str]:
        return set(
            procedure_versions_to_raise_under(partnership_id=partnership.pk).values_list(
                "procedure_id", flat=True
            )
        )

    upload_and_publish(
        ben, (FIXTURES / "pennine-regional.yaml").read_text(), "pennine-regional.yaml"
    )
    assert "pennine-regional" in raisable()
    upload_and_publish(
        ben, (FIXTURES / "pennine-eastdale.yaml").read_text(), "pennine-eastdale.yaml"
    )
    assert "pennine-eastdale" in raisable() and "pennine-regional" not in raisable()


def test_the_check_page_says_which_file_every_rule_comes_from_not_only_the_stages(ben):
    """A local file changes more than stages: here a category and the immediate-risk start.
    The check page lists each rule under the file it comes from."""
    upload_and_publish(
        ben, (FIXTURES / "pennine-regional.yaml").read_text(), "pennine-regional.yaml"
    )
    local = (FIXTURES / "pennine-eastdale.yaml").read_text()
    text = words(upload(ben, local, "pennine-eastdale.yaml"))
    assert "Which rules come from which file" in text
    mine = text.split("Set or changed in pennine-eastdale.yaml", 1)[1].split(
        "As in pennine-regional.yaml", 1
    )[0]
    theirs = text.split("As in pennine-regional.yaml (", 1)[1].split("Written in neither file", 1)[
        0
    ]
    assert "Category “Self-neglect”" in mine and "Immediate risk" in mine
    assert "Stage 2, Line managers" in mine
    assert "Category “Self-neglect”" not in theirs and "Immediate risk" not in theirs
    assert "Stage 1, Practitioners" in theirs
