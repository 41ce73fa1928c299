"""The directory's one door for writes: importing it from CSV, and exporting it.

An import is checked whole before anything is written. A dry run lists every problem
row and writes nothing; a real import refuses entirely if any problem exists, and
otherwise adds and updates agencies, teams, people (matched by email address) and their
roles in one transaction. Every change to a person's roles is audited. The file format
is in docs/directory.md.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from parley.audit.services import audit_record
from parley.cases.models import Agency, Partnership, Person, ProcedureVersion, RoleAssignment
from parley.cases.selectors import procedure_of
from parley.core.procedure import STANDARD_ROLES
from parley.core.roletable import STANDARD_ROLES as ROLE_TABLE
from parley.core.roletable import Held
from parley.directory import csv_io
from parley.directory.csv_io import Problem, Row, did_you_mean, nearest, tidy
from parley.directory.models import RoleTeam, Team

# How the roles table says each role is held: rungs of an agency's ladder need an agency;
# roles held for the whole partnership refuse one (with an agency they would give no one
# any sight of a case: parley.cases.access). Channel panel members and the roles a
# procedure declares may be held either way.
AGENCY_ROLES = frozenset(r.id for r in ROLE_TABLE.values() if r.held is Held.AGENCY)
PARTNERSHIP_WIDE_ROLES = frozenset(r.id for r in ROLE_TABLE.values() if r.held is Held.PARTNERSHIP)

LIMITS = {"agency": 200, "team": 200, "name": 200, "email": 254, "job_title": 200, "phone": 50}


# --- what the file may say --------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """The roles, agency types and procedures a partnership's directory file may name."""

    roles: dict[str, str]  # id: label
    procedure_ids: tuple[str, ...]

    def role_id(self, text: str) -> str | None:
        wanted = tidy(text).casefold()
        for role_id, label in self.roles.items():
            if wanted in (role_id.casefold(), label.casefold()):
                return role_id
        return None

    def role_label(self, role_id: str) -> str:
        return self.roles.get(role_id, role_id.replace("-", " ").capitalize())

    def role_suggestion(self, text: str) -> str:
        by_word = {label: label for label in self.roles.values()}
        by_word.update({role_id: label for role_id, label in self.roles.items()})
        found = nearest(tidy(text), by_word)
        return f"; did you mean '{by_word[found]}'?" if found else ""

    def role_for_export(self, role_id: str) -> str:
        """The label, unless reading the label back would give another role."""
        label = self.roles.get(role_id)
        return label if label and self.role_id(label) == role_id else role_id


def vocabulary_of(partnership: Partnership) -> Vocabulary:
    roles = dict(STANDARD_ROLES)
    procedure_ids: set[str] = set()
    for version in ProcedureVersion.objects.filter(partnership=partnership).order_by(
        "-is_current", "-loaded_at"
    ):
        procedure_ids.add(version.procedure_id)
        for role_id, label in procedure_of(version).roles.items():
            roles.setdefault(role_id, label)
    return Vocabulary(roles=roles, procedure_ids=tuple(sorted(procedure_ids)))


AGENCY_TYPES: dict[str, str] = {str(value): str(label) for value, label in Agency.Kind.choices}


def agency_type_of(text: str) -> str | None:
    wanted = tidy(text).casefold()
    for value, label in AGENCY_TYPES.items():
        if wanted in (value.casefold(), label.casefold()):
            return value
    return None


# --- the report -------------------------------------------------------------------------


@dataclass
class Tally:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed


@dataclass(frozen=True)
class Change:
    kind: str  # "agency", "team", "person", "role"
    action: str  # "add", "update", "remove"
    text: str


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    agencies: Tally = field(default_factory=Tally)
    teams: Tally = field(default_factory=Tally)
    people: Tally = field(default_factory=Tally)
    roles: Tally = field(default_factory=Tally)
    # Roles held in Parley but not in the file: kept unless the import removes them.
    not_in_file: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def changes_by_kind(self) -> list[tuple[str, list[str]]]:
        headings = {"agency": "Agencies", "team": "Teams", "person": "People", "role": "Roles"}
        grouped = {
            heading: [c.text for c in self.changes if c.kind == kind]
            for kind, heading in headings.items()
        }
        return [(heading, texts) for heading, texts in grouped.items() if texts]

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            name: {
                "added": tally.added,
                "updated": tally.updated,
                "unchanged": tally.unchanged,
                "removed": tally.removed,
            }
            for name, tally in (
                ("agencies", self.agencies),
                ("teams", self.teams),
                ("people", self.people),
                ("roles", self.roles),
            )
        }


# --- checking each row ------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A row that passed its own checks, in Parley's terms."""

    row: int
    agency: str  # "" for a partnership-wide role
    agency_type: str | None  # None: not given
    team: str | None  # None: no team column
    name: str
    email: str
    job_title: str | None  # None: no such column, so left as it is
    phone: str | None
    role: str  # "" for a row that only lists the person
    procedures: tuple[str, ...] | None  # () for every procedure; None: no such column
    # The agency a role held in ``agency`` acts for, which has no escalation officer of
    # its own (RoleAssignment.acts_for); "" for a role held for its own agency.
    acting_for: str = ""

    @property
    def email_key(self) -> str:
        return self.email.casefold()

    @property
    def agency_key(self) -> str:
        return self.agency.casefold()


def _check_row(
    row: Row, columns: list[str], vocabulary: Vocabulary, problems: list[Problem]
) -> Line | None:
    n = row.number
    found: list[Problem] = []

    def problem(column: str, message: str) -> None:
        found.append(Problem(n, column, f"Row {n}: {message}"))

    values = {column: tidy(row.get(column)) for column in csv_io.COLUMNS}
    for column, limit in LIMITS.items():
        if len(values[column]) > limit:
            words = column.replace("_", " ")
            problem(column, f"the {words} must be {limit} characters or fewer")
    name, email, agency = values["name"], values["email"], values["agency"]
    if not name and "name" in columns:
        problem("name", "enter the person's name")
    if not email and "email" in columns:
        problem("email", f"enter {name or 'the person'}'s email address")
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            problem("email", f"'{email}' is not an email address; write it like name@example.org")

    role = ""
    if values["role"]:
        role = vocabulary.role_id(values["role"]) or ""
        if not role:
            problem(
                "role",
                f"'{values['role']}' is not a role{vocabulary.role_suggestion(values['role'])}",
            )
    elif agency and "role" in columns:
        problem("role", f"enter the role {name or 'the person'} holds in {agency}")
    if role and role in AGENCY_ROLES and not agency:
        problem(
            "agency",
            f"the role '{vocabulary.role_label(role)}' is held in an agency: enter the agency",
        )
    if role and role in PARTNERSHIP_WIDE_ROLES and agency:
        problem(
            "agency",
            f"the role '{vocabulary.role_label(role)}' is held for the whole partnership: "
            "leave the agency blank",
        )

    agency_type: str | None = None
    if values["agency_type"]:
        agency_type = agency_type_of(values["agency_type"])
        if agency_type is None:
            suggestion = did_you_mean(values["agency_type"], AGENCY_TYPES.values())
            problem("agency_type", f"'{values['agency_type']}' is not an agency type{suggestion}")
        elif not agency:
            problem("agency_type", "there is an agency type but no agency: enter the agency")
    team = values["team"] if "team" in columns else None
    if team and not agency:
        problem("team", "a team belongs to an agency: enter the agency, or leave the team blank")

    procedures: tuple[str, ...] | None = None
    if "procedures" in columns:
        named = tuple(dict.fromkeys(values["procedures"].replace(",", " ").split()))
        for procedure_id in named:
            if procedure_id not in vocabulary.procedure_ids:
                known = vocabulary.procedure_ids
                hint = (
                    did_you_mean(procedure_id, known)
                    if known
                    else "; this partnership has no procedures loaded yet"
                )
                problem("procedures", f"'{procedure_id}' is not a procedure here{hint}")
        if named and not role:
            problem("procedures", "procedures are given but no role: enter the role")
        procedures = tuple(sorted(named))

    acting_for = values["acting_for"]
    if acting_for and not agency:
        problem("acting_for", "a role acting for another agency is held in one: enter the agency")
    elif acting_for and acting_for.casefold() == agency.casefold():
        problem("acting_for", f"a role held in {agency} acts for it already: leave it blank")
    problems.extend(found)
    if found:
        return None
    return Line(
        row=n,
        agency=agency,
        agency_type=agency_type,
        team=team,
        name=name,
        email=email,
        job_title=values["job_title"] if "job_title" in columns else None,
        phone=values["phone"] if "phone" in columns else None,
        role=role,
        procedures=procedures,
        acting_for=acting_for,
    )


def _check_together(lines: list[Line], problems: list[Problem]) -> list[Line]:
    """Rows that disagree with each other: repeats, one email for two names, and so on."""
    first_line: dict[tuple[str, str, str, str], Line] = {}
    person: dict[str, Line] = {}
    job_title: dict[str, Line] = {}
    phone: dict[str, Line] = {}
    agency_type: dict[str, Line] = {}
    kept: list[Line] = []
    for line in lines:
        n, before = line.row, len(problems)

        def problem(column: str, message: str, n: int = n) -> None:
            problems.append(Problem(n, column, f"Row {n}: {message}"))

        key = (line.email_key, line.agency_key, line.role, line.acting_for.casefold())
        if key in first_line:
            first = first_line[key].row
            problems.append(
                Problem(n, "", f"Row {n} repeats row {first}: the same person, agency and role")
            )
        first_line.setdefault(key, line)
        other = person.setdefault(line.email_key, line)
        if other.name.casefold() != line.name.casefold():
            problem(
                "email",
                f"the email address {line.email} is {other.name}'s in row {other.row} but "
                f"{line.name}'s here; each person needs their own email address",
            )
        for column, seen in (("job_title", job_title), ("phone", phone)):
            value = getattr(line, column)
            if not value:
                continue
            other = seen.setdefault(line.email_key, line)
            if getattr(other, column) != value:
                words = column.replace("_", " ")
                problem(
                    column,
                    f"{line.name}'s {words} is '{getattr(other, column)}' in row {other.row} "
                    f"but '{value}' here; give one {words}",
                )
        if line.agency and line.agency_type:
            other = agency_type.setdefault(line.agency_key, line)
            if other.agency_type != line.agency_type:
                problem(
                    "agency_type",
                    f"{line.agency} is '{AGENCY_TYPES[other.agency_type or '']}' in row "
                    f"{other.row} but '{AGENCY_TYPES[line.agency_type]}' here; give one type",
                )
        if len(problems) == before:
            kept.append(line)
    return kept


# --- comparing with what Parley holds ---------------------------------------------------


def _procedures_text(procedure_ids: Iterable[str]) -> str:
    ids = list(procedure_ids)
    return ", ".join(ids) if ids else "every procedure"


@dataclass
class _RoleWrite:
    line: Line
    assignment: RoleAssignment
    team: Team | None
    set_team: bool  # the team column says which team, and it differs


@dataclass
class _Plan:
    """What an import would do, worked out before anything is written."""

    new_agencies: list[Agency] = field(default_factory=list)
    changed_agencies: list[Agency] = field(default_factory=list)
    new_teams: list[Team] = field(default_factory=list)
    new_people: list[Person] = field(default_factory=list)
    changed_people: list[Person] = field(default_factory=list)
    new_roles: list[_RoleWrite] = field(default_factory=list)
    changed_roles: list[_RoleWrite] = field(default_factory=list)
    removed_roles: list[RoleAssignment] = field(default_factory=list)
    # For the audit: each person whose roles change, and how.
    role_changes: dict[str, tuple[Person, dict[str, list[str]]]] = field(default_factory=dict)

    def role_changed(self, person: Person, what: str, words: str) -> None:
        key = person.email.strip().casefold()
        _, changes = self.role_changes.setdefault(key, (person, {}))
        changes.setdefault(what, []).append(words)


class _Comparison:
    """Each line set against what Parley holds: adds, updates, the unchanged, the missing."""

    def __init__(
        self, partnership: Partnership, vocabulary: Vocabulary, report: ImportReport
    ) -> None:
        self.partnership = partnership
        self.vocabulary = vocabulary
        self.report = report
        self.plan = _Plan()
        self.agencies = {a.name.casefold(): a for a in partnership.agencies.all()}
        self.teams = {
            (t.agency.name.casefold(), t.name.casefold()): t
            for t in Team.objects.filter(agency__partnership=partnership).select_related("agency")
        }
        self.people: dict[str, list[Person]] = defaultdict(list)
        for person in partnership.people.all():
            self.people[person.email.strip().casefold()].append(person)
        self.assignments = {
            (a.person_id, a.agency_id, a.role, a.acts_for_id): a
            for a in RoleAssignment.objects.filter(person__partnership=partnership)
            .select_related("person", "agency", "acts_for", "team_link__team")
            .order_by("pk")
        }

    def change(self, kind: str, action: str, text: str) -> None:
        self.report.changes.append(Change(kind, action, text))

    def role_words(self, role: str, agency: str, team: str = "", acting_for: str = "") -> str:
        where = f" in {agency}" if agency else " for the whole partnership"
        in_team = f" ({team} team)" if team else ""
        acting = f", acting for {acting_for}" if acting_for else ""
        return f"{self.vocabulary.role_label(role)}{where}{in_team}{acting}"

    def acted_for(self, line: Line) -> Agency | None:
        """The agency a line's role acts for: one in Parley or in the file, else a problem."""
        if not line.acting_for:
            return None
        found = self.agencies.get(line.acting_for.casefold())
        if found is None:
            self.report.problems.append(
                Problem(
                    line.row,
                    "acting_for",
                    f"Row {line.row}: '{line.acting_for}' is not an agency here: add a row for "
                    "it, or check its name",
                )
            )
        return found

    def compare(self, lines: list[Line], remove_missing: bool) -> None:
        firsts: dict[str, Line] = {}
        for line in lines:
            if line.agency:
                first = firsts.setdefault(line.agency_key, line)
                if first.agency_type is None and line.agency_type:
                    firsts[line.agency_key] = line
        for line in firsts.values():
            self.agency(line)
        teams: dict[tuple[str, str], Line] = {}
        for line in lines:
            if line.agency and line.team:
                teams.setdefault((line.agency_key, line.team.casefold()), line)
        for key, line in teams.items():
            self.team(key, line)
        people: dict[str, list[Line]] = defaultdict(list)
        for line in lines:
            people[line.email_key].append(line)
        for rows in people.values():
            self.person(rows)
        matched: set[int] = set()
        for line in lines:
            if line.role and line.email_key in self.people:
                self.role(line, matched)
        self.missing(matched, remove_missing)

    def agency(self, line: Line) -> None:
        existing = self.agencies.get(line.agency_key)
        if existing is None:
            kind = line.agency_type or Agency.Kind.OTHER
            agency = Agency(partnership=self.partnership, name=line.agency, kind=kind)
            self.agencies[line.agency_key] = agency
            self.plan.new_agencies.append(agency)
            self.report.agencies.added += 1
            self.change("agency", "add", f"Add {line.agency} ({AGENCY_TYPES[kind]})")
        elif line.agency_type and line.agency_type != existing.kind:
            before = AGENCY_TYPES.get(existing.kind, existing.kind)
            after = AGENCY_TYPES[line.agency_type]
            self.change("agency", "update", f"Change {existing.name} from '{before}' to '{after}'")
            existing.kind = line.agency_type
            self.plan.changed_agencies.append(existing)
            self.report.agencies.updated += 1
        else:
            self.report.agencies.unchanged += 1

    def team(self, key: tuple[str, str], line: Line) -> None:
        if key in self.teams:
            self.report.teams.unchanged += 1
            return
        agency = self.agencies[line.agency_key]
        team = Team(agency=agency, name=line.team or "")
        self.teams[key] = team
        self.plan.new_teams.append(team)
        self.report.teams.added += 1
        self.change("team", "add", f"Add the {line.team} team in {agency.name}")

    def person(self, rows: list[Line]) -> None:
        line = rows[0]
        matches = self.people.get(line.email_key, [])
        if len(matches) > 1:
            self.report.problems.append(
                Problem(
                    line.row,
                    "email",
                    f"Row {line.row}: {len(matches)} people in Parley share the email address "
                    f"{line.email}, so Parley cannot tell which one this row means; ask for "
                    "the extra entries to be removed",
                )
            )
            del self.people[line.email_key]
            return
        # A column the file has is the truth, blank included; a column it lacks is left.
        values: dict[str, str | None] = {"name": line.name}
        for column in ("job_title", "phone"):
            given = [getattr(r, column) for r in rows if getattr(r, column) is not None]
            values[column] = next((v for v in given if v), "") if given else None
        if not matches:
            person = Person(
                partnership=self.partnership,
                name=line.name,
                email=line.email,
                job_title=values["job_title"] or "",
                phone=values["phone"] or "",
            )
            self.plan.new_people.append(person)
            self.people[line.email_key] = [person]
            self.report.people.added += 1
            self.change("person", "add", f"Add {line.name} ({line.email})")
            return
        person = matches[0]
        differences = []
        for attribute, value in values.items():
            if value is None or getattr(person, attribute) == value:
                continue
            words = {"job_title": "job title", "phone": "phone number"}.get(attribute, attribute)
            before = getattr(person, attribute) or "blank"
            differences.append(f"{words} from '{before}' to '{value or 'blank'}'")
            setattr(person, attribute, value)
        if differences:
            self.plan.changed_people.append(person)
            self.report.people.updated += 1
            self.change("person", "update", f"Change {line.name}'s " + "; ".join(differences))
        else:
            self.report.people.unchanged += 1

    def role(self, line: Line, matched: set[int]) -> None:
        person = self.people[line.email_key][0]
        agency = self.agencies[line.agency_key] if line.agency else None
        team = self.teams[(line.agency_key, line.team.casefold())] if line.team else None
        acts_for = self.acted_for(line)
        if line.acting_for and acts_for is None:
            return
        existing = None
        if person.pk and (agency is None or agency.pk) and (acts_for is None or acts_for.pk):
            key = (person.pk, agency.pk if agency else None, line.role, acts_for and acts_for.pk)
            existing = self.assignments.get(key)
        words = self.role_words(line.role, line.agency, line.team or "", line.acting_for)
        if existing is None:
            assignment = RoleAssignment(
                person=person,
                agency=agency,
                role=line.role,
                procedure_ids=list(line.procedures or ()),
                acts_for=acts_for,
            )
            self.plan.new_roles.append(_RoleWrite(line, assignment, team, set_team=bool(team)))
            self.report.roles.added += 1
            scope = f", for {_procedures_text(line.procedures)}" if line.procedures else ""
            self.change("role", "add", f"Give {line.name} the role {words}{scope}")
            self.plan.role_changed(person, "added", words)
            return
        matched.add(existing.pk)
        differences = []
        if line.procedures is not None and sorted(existing.procedure_ids) != list(line.procedures):
            before = _procedures_text(sorted(existing.procedure_ids))
            differences.append(f"procedures from {before} to {_procedures_text(line.procedures)}")
            existing.procedure_ids = list(line.procedures)
        set_team = False
        if line.team is not None:
            link = getattr(existing, "team_link", None)
            current = link.team if link else None
            if (current.pk if current else None) != (team.pk if team else None) or (
                team is not None and team.pk is None
            ):
                before = f"{current.name} team" if current else "no team"
                after = f"{team.name} team" if team else "no team"
                differences.append(f"{before} to {after}")
                set_team = True
        if differences:
            self.plan.changed_roles.append(_RoleWrite(line, existing, team, set_team))
            self.report.roles.updated += 1
            self.change(
                "role", "update", f"Change {line.name}'s role {words}: " + "; ".join(differences)
            )
            self.plan.role_changed(person, "changed", words)
        else:
            self.report.roles.unchanged += 1

    def missing(self, matched: set[int], remove_missing: bool) -> None:
        for assignment in self.assignments.values():
            if assignment.pk in matched:
                continue
            agency = assignment.agency.name if assignment.agency else ""
            acting = assignment.acts_for.name if assignment.acts_for else ""
            words = self.role_words(assignment.role, agency, acting_for=acting)
            if not remove_missing:
                self.report.not_in_file.append(f"{assignment.person.name}: {words}")
                continue
            self.plan.removed_roles.append(assignment)
            self.report.roles.removed += 1
            self.change("role", "remove", f"Remove {assignment.person.name}'s role {words}")
            self.plan.role_changed(assignment.person, "removed", words)
        if remove_missing:
            self.keep_an_administrator()

    def keep_an_administrator(self) -> None:
        def is_admin(a: RoleAssignment) -> bool:
            return a.role == "administrator" and a.agency_id is None

        removed = {a.pk for a in self.plan.removed_roles}
        had = any(is_admin(a) for a in self.assignments.values())
        kept = any(is_admin(a) and a.pk not in removed for a in self.assignments.values())
        added = any(w.assignment.role == "administrator" for w in self.plan.new_roles)
        if had and not kept and not added:
            self.report.problems.append(
                Problem(
                    0,
                    "role",
                    "Removing the roles not in the file would leave the partnership with no "
                    "administrator: add a row for at least one administrator",
                )
            )


# --- the import -------------------------------------------------------------------------


def _checked(
    partnership: Partnership, text: str, remove_missing: bool, report: ImportReport
) -> _Plan | None:
    sheet = csv_io.read(text)
    report.problems.extend(sheet.problems)
    report.rows = len(sheet.rows)
    vocabulary = vocabulary_of(partnership)
    lines = [
        line
        for row in sheet.rows
        if (line := _check_row(row, sheet.columns, vocabulary, report.problems)) is not None
    ]
    if any(column not in sheet.columns for column in csv_io.REQUIRED):
        # Each row was still checked for what it has, so one run lists every problem.
        report.problems.sort(key=lambda problem: problem.row)
        return None
    lines = _check_together(lines, report.problems)
    if not sheet.rows and not report.problems:
        report.problems.append(Problem(0, "", "The file has column headings but no rows"))
    # Compared even when rows have problems, so a dry run lists every problem at once.
    comparison = _Comparison(partnership, vocabulary, report)
    comparison.compare(lines, remove_missing)
    if report.problems:
        report.problems.sort(key=lambda problem: problem.row)
        report.changes.clear()
        report.not_in_file.clear()
        report.agencies, report.teams, report.people, report.roles = (
            Tally(),
            Tally(),
            Tally(),
            Tally(),
        )
        return None
    return comparison.plan


def _apply(plan: _Plan) -> None:
    # Objects made before their agency or person was saved pick its key up on save.
    for agency in plan.new_agencies:
        agency.save()
    for agency in plan.changed_agencies:
        agency.save(update_fields=["kind"])
    for team in plan.new_teams:
        team.save()
    for person in plan.new_people:
        person.save()
    for person in plan.changed_people:
        person.save(update_fields=["name", "job_title", "phone"])
    for write in plan.new_roles:
        write.assignment.save()
    for write in plan.changed_roles:
        write.assignment.save(update_fields=["procedure_ids"])
    for write in plan.new_roles + plan.changed_roles:
        if write.set_team:
            RoleTeam.objects.filter(assignment=write.assignment).delete()
            if write.team is not None:
                RoleTeam.objects.create(assignment=write.assignment, team=write.team)
    for assignment in plan.removed_roles:
        assignment.delete()


def directory_import(
    *,
    partnership: Partnership,
    text: str,
    dry_run: bool,
    remove_missing: bool = False,
    by: Person | None = None,
    request: HttpRequest | None = None,
) -> ImportReport:
    """Check a directory CSV file and, unless ``dry_run`` or any problem is found, import it.

    ``remove_missing`` also removes the roles Parley holds that the file does not list;
    otherwise they are kept and listed in ``not_in_file``. ``by`` is the administrator
    importing (None from the command line), recorded in the audit trail.
    """
    report = ImportReport(dry_run=dry_run)
    if dry_run:
        _checked(partnership, text, remove_missing, report)
        return report
    try:
        with transaction.atomic():
            plan = _checked(partnership, text, remove_missing, report)
            if plan is None:
                return report
            _apply(plan)
            # Recorded last: each append holds the audit trail's lock until commit.
            for person, what in plan.role_changes.values():
                audit_record(
                    action="role.change",
                    request=request,
                    person=by,
                    detail={"person_id": person.pk, "email": person.email, **what},
                )
            audit_record(
                action="directory.import",
                request=request,
                person=by,
                detail={
                    "partnership": partnership.slug,
                    "rows": report.rows,
                    "remove_missing": remove_missing,
                    **report.counts(),
                },
            )
            report.written = True
    except IntegrityError:
        report.problems.append(
            Problem(
                0,
                "",
                "The directory changed while this file was being imported, so nothing was "
                "imported: upload the file again",
            )
        )
        report.written = False
    return report


# --- the export -------------------------------------------------------------------------


def directory_rows(*, partnership: Partnership) -> list[list[str]]:
    """The directory as rows of the CSV file, in :data:`csv_io.COLUMNS` order."""
    vocabulary = vocabulary_of(partnership)
    order = {role: index for index, role in enumerate(vocabulary.roles)}
    assignments = RoleAssignment.objects.filter(person__partnership=partnership).select_related(
        "person", "agency", "acts_for", "team_link__team"
    )
    rows: list[tuple[tuple[str, str, str, int], list[str]]] = []
    for a in assignments:
        link = getattr(a, "team_link", None)
        agency = a.agency
        rows.append(
            (
                (
                    agency.name.casefold() if agency else "",
                    a.person.name.casefold(),
                    a.person.email.casefold(),
                    order.get(a.role, len(order)),
                ),
                [
                    agency.name if agency else "",
                    AGENCY_TYPES.get(agency.kind, agency.kind) if agency else "",
                    link.team.name if link else "",
                    a.person.name,
                    a.person.email,
                    a.person.job_title,
                    a.person.phone,
                    vocabulary.role_for_export(a.role),
                    " ".join(sorted(a.procedure_ids)),
                    a.acts_for.name if a.acts_for else "",
                ],
            )
        )
    for person in partnership.people.filter(roles__isnull=True):
        rows.append(
            (
                ("", person.name.casefold(), person.email.casefold(), -1),
                ["", "", "", person.name, person.email, person.job_title, person.phone, "", "", ""],
            )
        )
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def directory_export(
    *, partnership: Partnership, by: Person | None = None, request: HttpRequest | None = None
) -> str:
    """The whole directory as CSV text; the export is audited."""
    rows = directory_rows(partnership=partnership)
    audit_record(
        action="directory.export",
        request=request,
        person=by,
        detail={"partnership": partnership.slug, "rows": len(rows)},
    )
    return csv_io.write(rows)


# --- one entry at a time, on pages -------------------------------------------------------
#
# A person and a role added or changed on a page go through the import itself, as a file
# of one row: the same checks, the same words for each problem, the same audit entries.
# Nothing a case names is ever deleted: people and agencies stay (the cases' keys protect
# them); a role is ended, and the audit trail keeps what it was.


def directory_entry_save(
    *,
    partnership: Partnership,
    entry: dict[str, str],
    by: Person | None,
    request: HttpRequest | None = None,
) -> ImportReport:
    """Add or change one person and one role they hold (a row of the directory file:
    ``entry`` has its columns), through :func:`directory_import`. Nothing is removed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_io.COLUMNS)
    writer.writerow([entry.get(column, "") for column in csv_io.COLUMNS])
    return directory_import(
        partnership=partnership, text=out.getvalue(), dry_run=False, by=by, request=request
    )


def role_end(
    *, assignment: RoleAssignment, by: Person | None, request: HttpRequest | None = None
) -> None:
    """End a role a person holds. The person stays (cases may name them); the audit
    trail records what the role was, as the import does when it removes one."""
    vocabulary = vocabulary_of(assignment.person.partnership)
    where = assignment.agency.name if assignment.agency else ""
    words = f"{vocabulary.role_label(assignment.role)}" + (
        f" in {where}" if where else " for the whole partnership"
    )
    with transaction.atomic():
        person = assignment.person
        assignment.delete()
        audit_record(
            action="role.change",
            request=request,
            person=by,
            detail={"person_id": person.pk, "email": person.email, "removed": [words]},
        )


class EntryRefused(ValueError):
    """A change on a directory page that cannot be made, with the words to show."""

    def __init__(self, field_name: str, message: str) -> None:
        self.field_name = field_name
        self.message = message
        super().__init__(message)


def agency_save(
    *,
    partnership: Partnership,
    agency: Agency | None,
    name: str,
    kind: str,
    by: Person | None,
    request: HttpRequest | None = None,
) -> Agency:
    """Add an agency, or rename it or change its type. An agency is never deleted: the
    cases that name it keep it."""
    name = tidy(name)
    if kind not in Agency.Kind.values:
        raise EntryRefused("kind", "Select the type of agency")
    clash = partnership.agencies.filter(name__iexact=name)
    if agency is not None:
        clash = clash.exclude(pk=agency.pk)
    if clash.exists():
        raise EntryRefused("name", f"There is already an agency called {name}")
    with transaction.atomic():
        before = {"name": agency.name, "kind": agency.kind} if agency is not None else {}
        if agency is None:
            agency = Agency.objects.create(partnership=partnership, name=name, kind=kind)
        else:
            agency.name, agency.kind = name, kind
            agency.save(update_fields=["name", "kind"])
        audit_record(
            action="directory.change",
            request=request,
            person=by,
            detail={
                "agency_id": agency.pk,
                "before": before,
                "after": {"name": name, "kind": kind},
            },
        )
    return agency


def person_change(
    *,
    person: Person,
    name: str,
    job_title: str,
    phone: str,
    by: Person | None,
    request: HttpRequest | None = None,
) -> None:
    """Change a person's name, job title and phone (their e-mail address is who they are
    to the directory file, so it is not changed here)."""
    name = tidy(name)
    if not name:
        raise EntryRefused("name", "Enter the person's name")
    with transaction.atomic():
        before = {"name": person.name, "job_title": person.job_title, "phone": person.phone}
        person.name, person.job_title, person.phone = name, tidy(job_title), tidy(phone)
        person.save(update_fields=["name", "job_title", "phone"])
        audit_record(
            action="directory.change",
            request=request,
            person=by,
            detail={
                "person_id": person.pk,
                "email": person.email,
                "before": before,
                "after": {
                    "name": person.name,
                    "job_title": person.job_title,
                    "phone": person.phone,
                },
            },
        )
