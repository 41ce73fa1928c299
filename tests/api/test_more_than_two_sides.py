"""Those beyond the two sides through the API: asking an adviser, who then reads the case
and posts advice; adding an agency involved; recording the child's views."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model

from parley.cases import services
from parley.cases.demo import demo_load, person
from parley.cases.models import Person, RoleAssignment
from tests.api.conftest import Api

SUSSEX = Path(__file__).resolve().parents[1] / "procedures" / "pan-sussex-children.yaml"


def test_an_adviser_asked_through_the_api_reads_and_advises(api: Api, db: None) -> None:
    partnership = demo_load(with_cases=False)
    version = services.procedure_load(
        partnership=partnership, text=SUSSEX.read_text(), source_name=SUSSEX.name
    )
    user = get_user_model().objects.create(username="dee.doctor", email="dee@example.org")
    dee = Person.objects.create(user=user, partnership=partnership, name="Dee", email=user.email)
    RoleAssignment.objects.create(person=dee, agency=None, role="designated-doctor")
    school = partnership.agencies.get(name="Demoshire Academy")
    case = services.disagreement_raise(
        procedure=version,
        raised_by=person("nia.nurse"),
        raising_agency=partnership.agencies.get(name__startswith="Demoshire NHS"),
        other_agency=partnership.agencies.get(name__startswith="Demoshire Council Children"),
        other_professional=person("sam.social"),
        summary="Bruising not followed up.",
    )
    url = f"/api/v1/disagreements/{case.reference}"
    assert api(dee, "get", url).status_code == 404
    offered = api("nia.nurse", "get", url).json()["your_actions"]
    assert {"views-recorded", "advice-requested", "agency-involved"} <= set(offered)

    def post(who: str | Person, **body: str) -> int:
        case.refresh_from_db()
        return api(
            who, "post", f"{url}/actions", json={**body, "version": case.version}
        ).status_code

    assert post("nia.nurse", kind="advice-requested", adviser="gp", text="?") == 422
    assert post("nia.nurse", kind="advice-requested", adviser="designated-doctor", text="?") == 201
    assert api(dee, "get", url).json()["your_actions"] == ["advice-recorded"]
    assert post(dee, kind="advice-recorded", text="Refer for a medical") == 201
    assert post(dee, kind="note-added", text="Not the adviser's to add") == 422
    assert post("nia.nurse", kind="agency-involved", agency=str(school.pk)) == 201
    assert post("nia.nurse", kind="views-recorded", text="Wants to stay", by="the child") == 201
