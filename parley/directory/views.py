"""The directory pages, for a partnership's administrators: the list, import and export.

Anyone else gets "Page not found". Importing is two steps: upload a file and see either
every problem in it or the changes it would make; then confirm, and it is imported.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parley.accounts import lifecycle
from parley.audit.services import audit_record
from parley.cases import access
from parley.cases.access import person_of
from parley.cases.models import Agency, Person, RoleAssignment
from parley.directory import csv_io, selectors, services
from parley.directory.forms import AgencyForm, DirectoryUploadForm, PersonChangeForm, RoleEntryForm
from parley.directory.models import DirectoryUpload

UPLOAD_LIFETIME = timedelta(days=1)


def _administrator(request: HttpRequest) -> Person:
    person = person_of(request)
    # Whoever the roles table gives the directory pages (parley.core.roles).
    if person is None or not access.has_page(person, "directory"):
        raise Http404
    return person


def _counts(report: services.ImportReport) -> list[tuple[str, services.Tally]]:
    return [
        ("Agencies", report.agencies),
        ("Teams", report.teams),
        ("People", report.people),
        ("Roles", report.roles),
    ]


def _role_text(assignment: RoleAssignment, vocabulary: services.Vocabulary) -> str:
    text = vocabulary.role_label(assignment.role)
    link = getattr(assignment, "team_link", None)
    if link is not None:
        text += f", {link.team.name} team"
    if assignment.acts_for is not None:
        text += f", acting for {assignment.acts_for.name}"
    if assignment.procedure_ids:
        text += f" (only {', '.join(sorted(assignment.procedure_ids))})"
    return text


@login_required
@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    administrator = _administrator(request)
    partnership = administrator.partnership
    vocabulary = services.vocabulary_of(partnership)
    sections = [
        {
            "title": section.agency.name if section.agency else "Roles for the whole partnership",
            "agency": section.agency,
            "caption": services.AGENCY_TYPES.get(section.agency.kind, "") if section.agency else "",
            "rows": [
                {"person": entry.person, "roles": [_role_text(r, vocabulary) for r in entry.roles]}
                for entry in section.entries
            ],
        }
        for section in selectors.directory_sections(partnership=partnership)
    ]
    audit_record(action="directory.view", request=request)
    return render(
        request,
        "parley/directory/directory.html",
        {
            "partnership": partnership,
            "sections": sections,
            "accounts": access.has_page(administrator, "accounts"),
        },
    )


@login_required
@require_safe
def export_csv(request: HttpRequest) -> HttpResponse:
    administrator = _administrator(request)
    partnership = administrator.partnership
    text = services.directory_export(partnership=partnership, by=administrator, request=request)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="directory-{partnership.slug}-{day}.csv"'
    )
    return response


def _upload_page(
    request: HttpRequest, form: DirectoryUploadForm, status: int = 200
) -> HttpResponse:
    messages = form.errors.get("file", []) if form.is_bound else []
    errors = {"file": messages[0]} if messages else {}
    return render(
        request,
        "parley/directory/import.html",
        {"form": form, "errors": errors, "columns": csv_io.COLUMNS},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    administrator = _administrator(request)
    if request.method == "GET":
        return _upload_page(request, DirectoryUploadForm())
    form = DirectoryUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form)
    text: str = form.cleaned_data["file"]
    remove_missing: bool = form.cleaned_data["remove_missing"]
    partnership = administrator.partnership
    report = services.directory_import(
        partnership=partnership, text=text, dry_run=True, remove_missing=remove_missing
    )
    if not report.ok:
        return render(
            request,
            "parley/directory/import_problems.html",
            {"report": report, "form": DirectoryUploadForm(), "columns": csv_io.COLUMNS},
        )
    # It holds contact details: kept only until confirmed, and never beyond a day.
    DirectoryUpload.objects.filter(uploaded_at__lt=timezone.now() - UPLOAD_LIFETIME).delete()
    DirectoryUpload.objects.filter(uploaded_by=administrator).delete()
    upload = None
    if report.has_changes:
        upload = DirectoryUpload.objects.create(
            partnership=partnership,
            uploaded_by=administrator,
            text=text,
            remove_missing=remove_missing,
        )
    return render(
        request,
        "parley/directory/import_check.html",
        {"report": report, "report_counts": _counts(report), "upload": upload},
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    administrator = _administrator(request)
    upload = DirectoryUpload.objects.filter(
        pk=_uuid(request.POST.get("upload", "")),
        uploaded_by=administrator,
        partnership_id=administrator.partnership_id,
        uploaded_at__gte=timezone.now() - UPLOAD_LIFETIME,
    ).first()
    if upload is None:
        return render(request, "parley/directory/import_gone.html", status=404)
    report = services.directory_import(
        partnership=administrator.partnership,
        text=upload.text,
        dry_run=False,
        remove_missing=upload.remove_missing,
        by=administrator,
        request=request,
    )
    if not report.ok:
        # The directory changed since the check: the file is checked afresh.
        upload.delete()
        return render(
            request,
            "parley/directory/import_problems.html",
            {"report": report, "form": DirectoryUploadForm(), "columns": csv_io.COLUMNS},
        )
    upload.delete()
    return render(
        request,
        "parley/directory/import_done.html",
        {"report": report, "report_counts": _counts(report)},
    )


# What an administrator may do to a person's account, from the person's page; each is a
# service in parley.accounts.lifecycle, which audits it.
ACCOUNT_ACTIONS = {
    "invite": "An invitation has been emailed to {email}",
    "reset": "A link to choose a new password has been emailed to {email}",
    "deactivate": "{name}'s account is deactivated: they are signed out everywhere",
    "reactivate": "{name} can sign in again",
}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def person_account(request: HttpRequest, pk: int) -> HttpResponse:
    """One person of the directory and their account: invite them, send a link to choose
    a new password, deactivate or reactivate the account."""
    administrator = _administrator(request)
    # Accounts are the administrator's alone; the business manager keeps the directory.
    if not access.has_page(administrator, "accounts"):
        raise Http404
    person = (
        Person.objects.select_related("user")
        .filter(pk=pk, partnership_id=administrator.partnership_id)
        .first()
    )
    if person is None:
        raise Http404
    problem = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        do = {
            "invite": lifecycle.invitation_send,
            "reset": lifecycle.password_reset_send,
            "deactivate": lifecycle.account_deactivate,
            "reactivate": lifecycle.account_reactivate,
        }.get(action)
        if do is None or action == "deactivate" and person.pk == administrator.pk:
            problem = "Choose one of the buttons on this page"
        else:
            try:
                do(person=person, by=administrator, request=request)
            except lifecycle.AccountError as error:
                problem = str(error)
            else:
                messages.success(
                    request, ACCOUNT_ACTIONS[action].format(name=person.name, email=person.email)
                )
                return redirect("directory:person", pk=person.pk)
    audit_record(action="directory.view", request=request, detail={"person": person.pk})
    user = person.user
    link = person.account_links.filter(used_at__isnull=True, cancelled_at__isnull=True).first()
    return render(
        request,
        "parley/directory/person.html",
        {
            "person": person,
            "state": lifecycle.account_state(person),
            "username": user.get_username() if user else "",
            "last_login": user.last_login if user else None,
            "link": link if link and link.expires_at > timezone.now() else None,
            "is_self": person.pk == administrator.pk,
            "invitation_days": settings.PARLEY_INVITATION_DAYS,
            "roles": [
                (assignment, _role_text(assignment, services.vocabulary_of(person.partnership)))
                for assignment in person.roles.select_related(
                    "agency", "acts_for", "team_link__team"
                )
            ],
            "problem": problem,
        },
        status=400 if problem else 200,
    )


def _uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


# --- one entry at a time ------------------------------------------------------------------

# A column of the directory file and the field of the page that asks for it.
ENTRY_FIELDS = {"agency_type": "agency", "": "email"}


def _person_page(viewer: Person) -> str:
    """A person's page for this viewer: their account for those the roles table gives
    accounts; otherwise their details and roles."""
    return "directory:person" if access.has_page(viewer, "accounts") else "directory:person-change"


def _problem_words(problem: csv_io.Problem) -> str:
    message = (
        problem.message.split(": ", 1)[1]
        if problem.message.startswith("Row ")
        else (problem.message)
    )
    return message[:1].upper() + message[1:]


def _entry_choices(person: Person) -> dict[str, Any]:
    vocabulary = services.vocabulary_of(person.partnership)
    return {
        "agencies": [(str(a.pk), a.name) for a in person.partnership.agencies.order_by("name")],
        "roles": sorted(
            ((rid, label) for rid, label in vocabulary.roles.items()), key=lambda r: r[1]
        ),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def role_add(request: HttpRequest) -> HttpResponse:
    """Add a person and a role they hold, or a role to someone already in the directory."""
    administrator = _administrator(request)
    initial = {"email": request.GET.get("email", "")}
    form = RoleEntryForm(request.POST or None, initial=initial, **_entry_choices(administrator))
    if request.method == "POST" and form.is_valid():
        entry = dict(form.cleaned_data)
        names = dict(form.fields["agency"].choices)  # type: ignore[attr-defined]
        entry["agency"] = names[entry["agency"]] if entry["agency"] else ""
        acting_for = entry.get("acting_for") or ""
        entry["acting_for"] = names.get(acting_for, "") if acting_for else ""
        report = services.directory_entry_save(
            partnership=administrator.partnership, entry=entry, by=administrator, request=request
        )
        if report.written:
            email = form.cleaned_data["email"].strip().casefold()
            saved = next(
                (p for p in administrator.partnership.people.all() if p.email.casefold() == email),
                None,
            )
            changes = "; ".join(c.text for c in report.changes) or "Nothing changed"
            messages.success(request, f"Saved. {changes}.")
            if saved is not None:
                return redirect(_person_page(administrator), pk=saved.pk)
            return redirect("directory:list")
        for problem in report.problems:
            form.add_error(
                ENTRY_FIELDS.get(problem.column, problem.column) or None, _problem_words(problem)
            )
    return render(request, "parley/directory/role_add.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def role_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    administrator = _administrator(request)
    assignment = (
        RoleAssignment.objects.select_related("person", "agency")
        .filter(pk=pk, person__partnership_id=administrator.partnership_id)
        .first()
    )
    if assignment is None:
        raise Http404
    vocabulary = services.vocabulary_of(administrator.partnership)
    if request.method == "POST":
        person = assignment.person
        services.role_end(assignment=assignment, by=administrator, request=request)
        messages.success(
            request,
            f"{person.name} no longer holds the role {vocabulary.role_label(assignment.role)}"
            f"{' in ' + assignment.agency.name if assignment.agency else ''}.",
        )
        return redirect(_person_page(administrator), pk=person.pk)
    return render(
        request,
        "parley/directory/role_end.html",
        {
            "assignment": assignment,
            "role": _role_text(assignment, vocabulary),
            "person_page": _person_page(administrator),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def person_change_view(request: HttpRequest, pk: int) -> HttpResponse:
    administrator = _administrator(request)
    person = Person.objects.filter(pk=pk, partnership_id=administrator.partnership_id).first()
    if person is None:
        raise Http404
    initial = {"name": person.name, "job_title": person.job_title, "phone": person.phone}
    form = PersonChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_change(
                person=person, by=administrator, request=request, **form.cleaned_data
            )
        except services.EntryRefused as refused:
            form.add_error(refused.field_name, refused.message)
        else:
            messages.success(request, f"{person.name}'s details are saved.")
            return redirect(_person_page(administrator), pk=person.pk)
    vocabulary = services.vocabulary_of(person.partnership)
    return render(
        request,
        "parley/directory/person_change.html",
        {
            "form": form,
            "person": person,
            "accounts": access.has_page(administrator, "accounts"),
            "roles": [
                (assignment, _role_text(assignment, vocabulary))
                for assignment in person.roles.select_related(
                    "agency", "acts_for", "team_link__team"
                )
            ],
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def agency_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    administrator = _administrator(request)
    agency = None
    if pk is not None:
        agency = administrator.partnership.agencies.filter(pk=pk).first()
        if agency is None:
            raise Http404
    initial = {"name": agency.name, "kind": agency.kind} if agency else {}
    form = AgencyForm(request.POST or None, initial=initial, kinds=list(Agency.Kind.choices))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.agency_save(
                partnership=administrator.partnership,
                agency=agency,
                by=administrator,
                request=request,
                **form.cleaned_data,
            )
        except services.EntryRefused as refused:
            form.add_error(refused.field_name, refused.message)
        else:
            messages.success(request, f"{saved.name} is saved.")
            return redirect("directory:list")
    return render(request, "parley/directory/agency_edit.html", {"form": form, "agency": agency})
