"""Enrolment pages: enrol, leave, the waiting list, the people page, cohorts, CSV imports.

Thin views over ``services_enrolment``. Learner actions work without JavaScript (a page
of their own when something is refused, with a 4xx status) and, with htmx, swap the
enrol panel in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.accounts.models import Role, User
from syllabus.accounts.permissions import acting_user
from syllabus.accounts.roles import COURSE
from syllabus.core.forms import add_service_errors
from syllabus.courses import services_enrolment as svc
from syllabus.courses.forms_enrolment import (
    AddPersonForm,
    CohortForm,
    ImportForm,
    KeyForm,
    MemberForm,
    PeopleFilterForm,
)
from syllabus.courses.models import Cohort, Course, CourseMembership, EnrolmentImport, WaitlistEntry
from syllabus.courses.permissions import courses_visible_to, has_course_perm
from syllabus.courses.role_names import role_name

PAGE_SIZE = 25
IMPORT_ROWS_PER_PAGE = 100
PANEL = "courses/includes/enrol_panel.html"


def _course(request: HttpRequest, public_id: str, perm: str | None = None) -> Course:
    course = Course.objects.filter(courses_visible_to(request.user), public_id=public_id).first()
    if course is None:
        raise Http404("No such course.")
    if perm and not has_course_perm(request.user, course, perm):
        raise PermissionDenied(_("You do not have permission to manage people in this course."))
    return course


def course_url(course: Course) -> str:
    try:
        return reverse("courses:detail", args=[course.public_id])
    except NoReverseMatch:  # the catalog pages are not installed
        return reverse("courses:enrol", args=[course.public_id])


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- Learners -------------------------------------------------------------------------------


def _learner_action(
    request: HttpRequest,
    course: Course,
    action: Callable[[], Any],
    success: str,
) -> HttpResponse:
    """Run a self-service action; answer with the panel (htmx), or a redirect to the
    course page, or, when refused, the enrol page with the reason and a 4xx status."""
    try:
        action()
    except svc.EnrolmentError as exc:
        error = " ".join(exc.messages)
        context = {"course": course, "enrol_error": error, "key_form": KeyForm(request.POST)}
        if _is_htmx(request):  # htmx swaps 2xx answers only: the panel shows the error
            return render(request, PANEL, context)
        response = render(request, "courses/enrol.html", context, status=exc.status)
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    if _is_htmx(request):
        return render(request, PANEL, {"course": course, "enrol_notice": success})
    messages.success(request, success)
    return redirect(course_url(course))


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET: the enrol page (the panel on its own); POST: enrol myself."""
    course = _course(request, public_id)
    if request.method == "GET":
        return render(request, "courses/enrol.html", {"course": course, "key_form": KeyForm()})
    form = KeyForm(request.POST)
    key = form.cleaned_data["key"] if form.is_valid() else None
    return _learner_action(
        request,
        course,
        lambda: svc.enrol_self(
            user=acting_user(request), course=course, key=key or None, base_url=_base_url(request)
        ),
        _("You are enrolled in %(title)s.") % {"title": course.title},
    )


@login_required
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET: confirm; POST: leave the course."""
    course = _course(request, public_id)
    state = svc.enrolment_state(request.user, course)
    if state.status != "member" or not state.can_leave:
        messages.info(request, _("You are not enrolled as a learner in this course."))
        return redirect(course_url(course))
    if request.method == "GET":
        return render(request, "courses/enrol_leave.html", {"course": course, "state": state})
    return _learner_action(
        request,
        course,
        lambda: svc.leave_course(
            user=acting_user(request), course=course, base_url=_base_url(request)
        ),
        _("You left %(title)s.") % {"title": course.title},
    )


@login_required
@require_POST
def waitlist_join(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    form = KeyForm(request.POST)
    key = form.cleaned_data["key"] if form.is_valid() else None
    return _learner_action(
        request,
        course,
        lambda: svc.waitlist_join(user=acting_user(request), course=course, key=key or None),
        _("You are on the waiting list. We will email you when a place is yours."),
    )


@login_required
@require_POST
def waitlist_leave(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    return _learner_action(
        request,
        course,
        lambda: svc.waitlist_leave(user=acting_user(request), course=course),
        _("You left the waiting list."),
    )


# --- People ---------------------------------------------------------------------------------


def _querystring(request: HttpRequest) -> str:
    return urlencode({k: str(v) for k, v in request.GET.items() if k != "page" and v})


@login_required
def people(request: HttpRequest, public_id: str) -> HttpResponse:
    """Members (searchable, by cohort and role, paginated) and the waiting list."""
    course = _course(request, public_id, "course.view_learners")
    can_manage = has_course_perm(request.user, course, "enrolment.manage")
    tab = "waitlist" if request.GET.get("tab") == "waitlist" else "members"
    form = PeopleFilterForm(request.GET)
    cohorts = list(Cohort.objects.filter(course=course))
    context: dict[str, Any] = {
        "course": course,
        "can_manage": can_manage,
        "tab": tab,
        "form": form,
        "cohorts": cohorts,
        "roles": Role.objects.filter(scope=COURSE),
        "querystring": _querystring(request),
        "waitlist_count": WaitlistEntry.objects.filter(course=course).count(),
        "places_left": svc.places_left(course),
        "learners": svc.learner_count(course),
    }
    if tab == "waitlist":
        entries = WaitlistEntry.objects.filter(course=course).select_related("user")
        waiting = Paginator(entries.order_by("created_at", "pk"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context["page"] = waiting
        context["first_position"] = waiting.start_index()
        return render(request, "courses/people_waitlist.html", context)
    members = course.memberships.select_related("user", "role", "cohort")
    filtered = False
    if form.is_valid():
        if query := form.cleaned_data["q"].strip():
            members = members.filter(
                Q(user__email__icontains=query) | Q(user__full_name__icontains=query)
            )
            filtered = True
        if cohort := form.cleaned_data["cohort"]:
            members = (
                members.filter(cohort__isnull=True)
                if cohort == "none"
                else members.filter(cohort__public_id=cohort)
            )
            filtered = True
        if role := form.cleaned_data["role"]:
            members = members.filter(role__slug=role)
            filtered = True
    page = Paginator(members.order_by("user__email"), PAGE_SIZE).get_page(request.GET.get("page"))
    context.update({"page": page, "filtered": filtered, "now": timezone.now()})
    return render(request, "courses/people.html", context)


@login_required
@require_POST
def people_cohort(request: HttpRequest, public_id: str) -> HttpResponse:
    """Move the selected members of the people page into one cohort (or out of any)."""
    course = _course(request, public_id, "enrolment.manage")
    back = reverse("courses:people", args=[course.public_id])
    if query := request.POST.get("back", ""):
        kept = {k: str(v) for k, v in QueryDict(query).items() if k in _KEPT and v}
        if kept:
            back = f"{back}?{urlencode(kept)}"
    selected = [v for v in request.POST.getlist("members") if v.startswith("usr_")][:PAGE_SIZE]
    choice = request.POST.get("cohort", "")
    cohort = None
    if choice != "none":
        cohort = Cohort.objects.filter(course=course, public_id=choice).first()
        if cohort is None:
            messages.error(request, _("Choose a cohort (or “No cohort”) to move people to."))
            return redirect(back)
    users = User.objects.filter(public_id__in=selected)
    if not selected:
        messages.error(
            request, _("Select the people to move first (the boxes in the first column).")
        )
        return redirect(back)
    changed = svc.cohort_assign(
        actor=acting_user(request), course=course, users=users, cohort=cohort
    )
    if cohort:
        message = ngettext(
            "%(count)s member moved to cohort %(cohort)s.",
            "%(count)s members moved to cohort %(cohort)s.",
            changed,
        ) % {"count": changed, "cohort": cohort.name}
    else:
        message = ngettext(
            "%(count)s member moved to no cohort.", "%(count)s members moved to no cohort.", changed
        ) % {"count": changed}
    messages.success(request, message)
    return redirect(back)


_KEPT = ("q", "cohort", "role", "page")


def _field_for(code: str) -> str | None:
    return {
        "unknown_user": "email",
        "already_enrolled": "email",
        "unknown_role": "role",
        "unknown_cohort": "cohort",
        "course_full": "override_capacity",
    }.get(code)


def _service_error(form: Any, exc: svc.EnrolmentError) -> None:
    name = _field_for(str(exc.code))
    end_date_errors = {
        _("End dates apply to learners only."),
        _("The end date has already passed."),
    }
    if exc.code == "invalid" and end_date_errors & set(exc.messages):
        name = "ends_at"
    form.add_error(name if name in form.fields else None, exc.messages)


@login_required
@require_http_methods(["GET", "POST"])
def people_add(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id, "enrolment.manage")
    form = AddPersonForm(request.POST or None, course=course)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                membership = svc.enrolment_add(
                    actor=acting_user(request),
                    course=course,
                    email=data["email"],
                    role=data["role"],
                    cohort=data["cohort"],
                    ends_at=svc.end_of_day(data["ends_at"]) if data["ends_at"] else None,
                    override_capacity=data["override_capacity"],
                )
            except svc.EnrolmentError as exc:
                _service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error("role", str(exc))
            else:
                messages.success(
                    request,
                    _("%(email)s is now %(name)s in %(title)s.")
                    % {
                        "email": membership.user.email,
                        "name": role_name(membership.role).lower(),
                        "title": course.title,
                    },
                )
                return redirect("courses:people", public_id=course.public_id)
        status = 400
    context = {"course": course, "form": form, "places_left": svc.places_left(course)}
    return render(request, "courses/people_add.html", context, status=status)


def _membership(course: Course, user_id: str) -> CourseMembership:
    membership = (
        CourseMembership.objects.filter(course=course, user__public_id=user_id)
        .select_related("user", "role", "cohort", "granted_by")
        .first()
    )
    if membership is None:
        raise Http404(_("This person is not in the course."))
    return membership


@login_required
@require_http_methods(["GET", "POST"])
def member(request: HttpRequest, public_id: str, user_id: str) -> HttpResponse:
    """One member: change role, cohort and end date."""
    course = _course(request, public_id, "enrolment.manage")
    membership = _membership(course, user_id)
    initial = {
        "role": membership.role.slug,
        "cohort": membership.cohort,
        "ends_at": timezone.localtime(membership.ends_at).date() if membership.ends_at else None,
    }
    form = MemberForm(request.POST or None, course=course, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                svc.member_change(
                    actor=acting_user(request),
                    course=course,
                    user=membership.user,
                    role=data["role"],
                    cohort=data["cohort"],
                    ends_at=svc.end_of_day(data["ends_at"]) if data["ends_at"] else None,
                )
            except svc.EnrolmentError as exc:
                _service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error("role", str(exc))
            else:
                messages.success(
                    request,
                    _("Saved the changes for %(email)s.") % {"email": membership.user.email},
                )
                return redirect("courses:people", public_id=course.public_id)
        status = 400
    context = {"course": course, "membership": membership, "form": form}
    return render(request, "courses/people_member.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, public_id: str, user_id: str) -> HttpResponse:
    course = _course(request, public_id, "enrolment.manage")
    membership = _membership(course, user_id)
    if request.method == "GET":
        return render(
            request, "courses/people_remove.html", {"course": course, "membership": membership}
        )
    try:
        svc.enrolment_remove(
            actor=acting_user(request),
            course=course,
            user=membership.user,
            base_url=_base_url(request),
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except svc.EnrolmentError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(email)s was removed from %(title)s.")
            % {"email": membership.user.email, "title": course.title},
        )
    return redirect("courses:people", public_id=course.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_remove(request: HttpRequest, public_id: str, user_id: str) -> HttpResponse:
    course = _course(request, public_id, "enrolment.manage")
    entry = (
        WaitlistEntry.objects.filter(course=course, user__public_id=user_id)
        .select_related("user")
        .first()
    )
    if entry is None:
        raise Http404(_("This person is not on the waiting list."))
    if request.method == "GET":
        return render(
            request, "courses/people_waitlist_remove.html", {"course": course, "entry": entry}
        )
    svc.waitlist_leave(actor=acting_user(request), user=entry.user, course=course)
    messages.success(
        request, _("%(email)s was taken off the waiting list.") % {"email": entry.user.email}
    )
    return redirect(reverse("courses:people", args=[course.public_id]) + "?tab=waitlist")


# --- Bulk CSV -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id, "enrolment.manage")
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imp, report = svc.import_preview(
                    actor=acting_user(request),
                    course=course,
                    data=upload.read(settings.UPLOAD_MAX_CSV_KB * 1024 + 1),
                    filename=upload.name or "",
                    override_capacity=form.cleaned_data["override_capacity"],
                    dry_run=form.cleaned_data["dry_run"],
                )
            except svc.EnrolmentError as exc:
                form.add_error("file", exc.messages)
            else:
                if imp is not None:
                    return redirect(
                        "courses:people_import_preview",
                        public_id=course.public_id,
                        import_id=imp.public_id,
                    )
                return _render_report(request, course, None, report, dry_run=True)
        status = 400
    return render(
        request,
        "courses/import_upload.html",
        {"course": course, "form": form, "max_kb": settings.UPLOAD_MAX_CSV_KB},
        status=status,
    )


def _render_report(
    request: HttpRequest,
    course: Course,
    imp: EnrolmentImport | None,
    report: dict[str, Any],
    *,
    dry_run: bool = False,
) -> HttpResponse:
    rows = Paginator(report.get("rows", []), IMPORT_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    show = request.GET.get("show", "")
    if show in svc.OUTCOME_LABELS:
        rows = Paginator(
            [r for r in report.get("rows", []) if r["outcome"] == show], IMPORT_ROWS_PER_PAGE
        ).get_page(request.GET.get("page"))
    context = {
        "course": course,
        "imp": imp,
        "report": report,
        "page": rows,
        "totals": [
            (key, label, report["totals"][key]) for key, label in svc.OUTCOME_LABELS.items()
        ],
        "dry_run": dry_run,
        "show": show,
        "querystring": urlencode({"show": show}) if show else "",
        "changes": report["totals"]["enrol"] + report["totals"]["update"],
        "queued_at": svc.import_queued_at(imp) if imp else None,
    }
    return render(request, "courses/import_preview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, public_id: str, import_id: str) -> HttpResponse:
    course = _course(request, public_id, "enrolment.manage")
    imp = EnrolmentImport.objects.filter(course=course, public_id=import_id).first()
    if imp is None:
        raise Http404(_("No such import."))
    if request.method == "POST":
        try:
            report = svc.import_apply_or_queue(actor=acting_user(request), imp=imp)
        except svc.EnrolmentError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if report is None:
                messages.info(
                    request,
                    _(
                        "The import is being applied in the background: this page shows the "
                        "results when it is done."
                    ),
                )
            elif report["totals"]["enrol"] + report["totals"]["update"] == 0:
                messages.info(
                    request, _("Nothing to change: everyone in this file is already as listed.")
                )
            else:
                totals = report["totals"]
                messages.success(
                    request,
                    _(
                        "Import applied: %(enrol)s enrolled, %(update)s updated, "
                        "%(unchanged)s unchanged, %(error)s rows with errors skipped."
                    )
                    % {
                        "enrol": totals["enrol"],
                        "update": totals["update"],
                        "unchanged": totals["unchanged"],
                        "error": totals["error"],
                    },
                )
        return redirect(
            "courses:people_import_preview", public_id=course.public_id, import_id=imp.public_id
        )
    if request.GET.get("poll") and _is_htmx(request):
        queued_at = svc.import_queued_at(imp)
        if queued_at is None:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"  # applied (or failed): show the page again
            return response
        return render(
            request,
            "courses/import_preview.html#queued",
            {"course": course, "imp": imp, "queued_at": queued_at},
        )
    return _render_report(request, course, imp, imp.report)


# --- Cohorts --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def cohorts(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id, "course.view_learners")
    can_manage = has_course_perm(request.user, course, "enrolment.manage")
    form = CohortForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Creating cohorts needs the enrolment.manage permission."))
        if form.is_valid():
            try:
                cohort = svc.cohort_create(
                    actor=acting_user(request), course=course, name=form.cleaned_data["name"]
                )
            except svc.EnrolmentError as exc:
                add_service_errors(form, ValidationError({"name": exc.messages}))
            else:
                messages.success(request, _("Cohort %(name)s created.") % {"name": cohort.name})
                return redirect("courses:cohorts", public_id=course.public_id)
        status = 400
    listed = Cohort.objects.filter(course=course).annotate(members=Count("memberships"))
    context = {"course": course, "cohorts": listed, "form": form, "can_manage": can_manage}
    return render(request, "courses/cohorts.html", context, status=status)


def _cohort(course: Course, cohort_id: str) -> Cohort:
    cohort = Cohort.objects.filter(course=course, public_id=cohort_id).first()
    if cohort is None:
        raise Http404(_("No such cohort."))
    return cohort


@login_required
@require_http_methods(["GET", "POST"])
def cohort_edit(request: HttpRequest, public_id: str, cohort_id: str) -> HttpResponse:
    course = _course(request, public_id, "enrolment.manage")
    cohort = _cohort(course, cohort_id)
    form = CohortForm(request.POST or None, initial={"name": cohort.name})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                svc.cohort_rename(
                    actor=acting_user(request), cohort=cohort, name=form.cleaned_data["name"]
                )
            except svc.EnrolmentError as exc:
                add_service_errors(form, ValidationError({"name": exc.messages}))
            else:
                messages.success(request, _("Cohort renamed to %(name)s.") % {"name": cohort.name})
                return redirect("courses:cohorts", public_id=course.public_id)
        status = 400
    return render(
        request,
        "courses/cohort_form.html",
        {"course": course, "cohort": cohort, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def cohort_delete(request: HttpRequest, public_id: str, cohort_id: str) -> HttpResponse:
    course = _course(request, public_id, "enrolment.manage")
    cohort = _cohort(course, cohort_id)
    if request.method == "GET":
        members = cohort.memberships.count()
        return render(
            request,
            "courses/cohort_delete.html",
            {"course": course, "cohort": cohort, "members": members},
        )
    members = svc.cohort_delete(actor=acting_user(request), cohort=cohort)
    messages.success(
        request,
        ngettext(
            "Cohort %(name)s deleted; its %(count)s member stay enrolled without a cohort.",
            "Cohort %(name)s deleted; its %(count)s members stay enrolled without a cohort.",
            members,
        )
        % {"name": cohort.name, "count": members},
    )
    return redirect("courses:cohorts", public_id=course.public_id)
