"""What waits on a person beyond a case's steps: the forms a procedure sends to a role
they hold, until they acknowledge them (Wirral section 2, Appendix 2). A read of what the
person may see (:mod:`parley.cases.access`), kept apart from the selectors that access
itself reads."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from parley.cases.access import disagreement_list_visible_to, roles_of, versions_of
from parley.cases.models import Disagreement, Event, Person
from parley.cases.selectors import procedure_of
from parley.core.engine import EventKind
from parley.core.procedure import Form


@dataclass(frozen=True)
class FormToAcknowledge:
    """A form a procedure sent to this person's role, waiting for them to acknowledge it."""

    disagreement: Disagreement
    form: Form


def forms_to_acknowledge(*, person: Person) -> list[FormToAcknowledge]:
    """The forms sent to a role this person holds partnership-wide, for cases they may see,
    that they have not acknowledged: Wirral's proformas for the WSCB Business Manager
    (section 2, Appendix 2). The core says which forms a case sends
    (:func:`parley.core.engine.forms_sent`); this finds the cases that may have one."""
    held = {a.role for a in roles_of(person) if a.agency_id is None}
    wanted = Q()
    forms: dict[tuple[int, str], list[Form]] = {}
    for version in versions_of(person):
        procedure = procedure_of(version)
        for form in procedure.forms:
            if form.when != "resolved-at" or not held & set(form.send_to):
                continue
            where = Q(procedure_id=version.pk)
            if form.from_stage:
                where &= Q(stage=form.from_stage)
            wanted |= where
            forms.setdefault((version.pk, form.from_stage), []).append(form)
    if not forms:
        return []
    ended = (Disagreement.Status.RESOLVED, Disagreement.Status.CLOSED)
    found: list[FormToAcknowledge] = []
    cases = list(
        disagreement_list_visible_to(person=person)
        .filter(wanted, status__in=ended)
        .select_related("raising_agency", "other_agency")
        .order_by("-pk")
    )
    done = set(
        Event.objects.filter(
            disagreement__in=cases, kind=EventKind.FORM_ACKNOWLEDGED.value
        ).values_list("disagreement_id", "data__form")
    )
    for case in cases:
        for key in ((case.procedure_id, case.stage), (case.procedure_id, "")):
            found.extend(
                FormToAcknowledge(case, form)
                for form in forms.get(key, ())
                if (case.pk, form.id) not in done
            )
    return found
