"""What a notification says: plain English, and nothing about the people in the case.

A notification leaves the secure system (an email, GOV.UK Notify), so it carries only
what is due, the case reference and a link. The words come from the procedure file
(stage names, step names, its reasons for telling someone) and from here; nothing typed
into a case (names, the summary, an agency's free text) is ever used. Tests check this.

The outbox keeps a notice's subject and words as :func:`compose` wrote them when it was
queued; the link and the footer are added by :func:`finish` when it is sent, so that the
address is the one Parley is served at then. A Channel (Prevent) case's reference, which
names the procedure, is never in a subject: subjects show in inbox lists and on locked
phones (issue: Channel cases show through the side door).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from parley.cases.access import is_reference_like
from parley.core.notify import Audience, Notice, NoticeKind
from parley.core.procedure import Procedure
from parley.core.words import moment_words

SUBJECT_PREFIX = "Parley"


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def document_link(reference: str, template: str) -> str:
    """Where a case's form is, as a PDF (``parley.web.documents``)."""
    base = str(getattr(settings, "PARLEY_BASE_URL", "")).rstrip("/")
    return f"{base}{reverse('case_document', args=[reference, template, 'pdf'])}"


def case_link(reference: str) -> str:
    base = str(getattr(settings, "PARLEY_BASE_URL", "")).rstrip("/")
    if not is_reference_like(reference):
        return f"{base}{reverse('case_detail', args=[reference])}"
    # A reference is letters, digits and hyphens, which a URL takes as they are: the
    # path is reversed once and the reference put in it (a sweep writes thousands).
    key = (get_script_prefix(), get_urlconf())
    pattern = _CASE_PATHS.get(key)
    if pattern is None:
        pattern = _CASE_PATHS[key] = reverse("case_detail", args=["REFERENCE"]).split("REFERENCE")
    return f"{base}{pattern[0]}{reference}{pattern[1]}"


_CASE_PATHS: dict[tuple[str, object], list[str]] = {}


def mine_link() -> str:
    base = str(getattr(settings, "PARLEY_BASE_URL", "")).rstrip("/")
    return f"{base}{reverse('notifications:mine')}"


def when(moment: datetime, zone: ZoneInfo) -> str:
    """GOV.UK style: "5pm on Tuesday 29 December 2026", "10:30am on ..."."""
    return moment_words(moment.astimezone(zone))


def compose(
    notice: Notice, *, reference: str, procedure: Procedure, track: str, zone: ZoneInfo
) -> Message:
    try:
        stage = procedure.track(track or None).stage(notice.stage)
        where = f"stage {stage.number}: {stage.name}"
    except KeyError:
        where = "its current stage"
    kind = notice.kind
    lines: list[str] = []
    due = when(notice.due, zone) if notice.due else ""
    if kind is NoticeKind.IMMEDIATE_RISK:
        headline = "Immediate risk, act today"
        lines.append(
            f"A disagreement on the immediate-risk route needs you today. It is at {where}."
        )
    elif kind is NoticeKind.RAISED_WITH_YOU:
        headline = "A disagreement needs you"
        lines.append(f"A disagreement has been raised under the {procedure.name}.")
        lines.append(f"It is at {where}.")
    elif kind is NoticeKind.ESCALATED_TO_YOU:
        headline = "A disagreement has been escalated to you"
        lines.append(f"It is now at {where}.")
    elif kind is NoticeKind.REMINDER:
        headline = f"Reminder: due by {due}"
        lines.append(f"Due by {due}: {notice.label}.")
        lines.append(f"The disagreement is at {where}.")
    elif kind is NoticeKind.DUE_TODAY:
        headline = f"Due today by {when(notice.due, zone).split(' on ')[0]}" if notice.due else ""
        lines.append(f"Due by {due}: {notice.label}.")
        lines.append(f"The disagreement is at {where}.")
    elif kind is NoticeKind.OVERDUE and notice.recipient.audience is Audience.NEXT_RUNG:
        headline = "Overdue at the stage below you"
        lines.append(f"A deadline at {where} passed at {due} and has not been met:")
        lines.append(f"{notice.label}.")
        lines.append("Under the procedure it may now be escalated to you.")
    elif kind is NoticeKind.OVERDUE:
        headline = "Overdue"
        lines.append(f"This was due by {due} and has not been recorded as done:")
        lines.append(f"{notice.label}.")
        lines.append(f"The disagreement is at {where}. It may now be escalated.")
    elif kind is NoticeKind.RESPONSE_RECEIVED:
        headline = "A response has been recorded"
        lines.append(f"The other agency has responded at {where}.")
    elif kind is NoticeKind.FEEDBACK:
        headline, line = _feedback(notice.label, where)
        lines.append(line)
    elif kind is NoticeKind.FORM_SENT and notice.event == "closed":
        headline = "A copy of the completed forms"
        lines.append(
            f"The {procedure.name} sends you a copy of the completed forms: the "
            f"disagreement has been closed at {where}."
        )
        names = notice.why.split("; ")
        for name, template in zip(names, notice.label.split(), strict=False):
            lines.append(f"{name}: {document_link(reference, template)}")
        notice = replace(notice, why="")
    elif kind is NoticeKind.FORM_SENT:
        headline = "A form is sent to you"
        lines.append(
            f"The {procedure.name} sends you this form: the disagreement was resolved at {where}."
        )
        lines.append(f"{notice.why}: {document_link(reference, notice.label)}")
        lines.append("Acknowledge it on the case page once you have it.")
        notice = replace(notice, why="")
    elif kind is NoticeKind.NAMED_ALERT:
        headline = "For your attention"
        lines.append(
            f"The {procedure.name} asks that you are told: the disagreement is at {where}."
        )
    elif kind is NoticeKind.KEPT_INFORMED:
        headline = "For your information"
        lines.append(f"You are kept informed at {where}.")
    else:
        headline = "A disagreement has been withdrawn"
        lines.append(f"It was withdrawn by the person who raised it, at {where}.")
    if notice.why:
        lines.append("")
        lines.append(f"Why you are told: {notice.why}")
    lines += ["", f"Case reference: {reference}"]
    subject = (
        f"{SUBJECT_PREFIX}: {URGENT}{headline}"
        if notice.urgent
        else f"{SUBJECT_PREFIX}: {headline}"
    )
    if not procedure.is_channel:
        subject += f" – {reference}"
    return Message(subject=subject[:200], body="\n".join(lines))


URGENT = "Urgent: "
_LINK = "See it in Parley: "


def finish(body: str, reference: str) -> str:
    """The words of one queued notice as sent: with the link as Parley is served now,
    and the footer. (A notice queued before links were added at sending carries an old
    link: it is replaced.)"""
    kept = body.split(f"\n{_LINK}", 1)[0].rstrip("\n")
    return "\n".join([kept, f"{_LINK}{case_link(reference)}", "", _FOOTER])


def _feedback(label: str, where: str) -> tuple[str, str]:
    if label == "resolved":
        return "Your disagreement has been resolved", f"It was resolved at {where}."
    if label == "closed":
        return "Your disagreement has been closed", "The written outcome is on the case."
    if label == "feedback-given":
        return "Feedback on your disagreement", f"Feedback has been recorded at {where}."
    return "Your disagreement has moved on", f"It is now at {where}."


_FOOTER = (
    "This message has no details of the case: sign in to Parley to see them. "
    "Do not reply to this email."
)


def digest(subjects: Sequence[tuple[str, str]], *, urgent: bool = False) -> Message:
    """One message for several notifications at once (the morning's digest; or urgent
    notices due together, which never travel with anything that is not urgent).

    ``subjects`` are (subject, case reference) pairs, already free of personal details.
    """
    lines = [f"You have {len(subjects)} notifications from Parley:", ""]
    for subject, reference in subjects:
        headline = subject.removeprefix(f"{SUBJECT_PREFIX}: ")
        lines.append(f"- {headline}: {case_link(reference)}")
    lines += ["", f"Every notification sent to you: {mine_link()}", "", _FOOTER]
    if urgent:
        subject = f"{SUBJECT_PREFIX}: {URGENT}{len(subjects)} things need your attention today"
    else:
        subject = f"{SUBJECT_PREFIX}: {len(subjects)} things need your attention"
    return Message(subject=subject, body="\n".join(lines))
