"""Gradebook pages: the staff grid (inline entry with htmx, overrides with a reason), its
set-up (categories, letter scale, manual items), CSV export and import, and the
learners' "my grades" pages. Thin: forms parse, services write, selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from syllabus.accounts.models import User
from syllabus.accounts.sensitive import sensitive_action
from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.permissions import courses_visible_to
from syllabus.grades import services
from syllabus.grades.exports import gradebook_csv, gradebook_filename
from syllabus.grades.forms import (
    CategoryForm,
    ConfirmDeleteForm,
    ImportForm,
    ItemForm,
    OverrideForm,
    PointsForm,
    RemoveOverrideForm,
    SchemeForm,
)
from syllabus.grades.imports import (
    MAX_BYTES,
    ImportFormatError,
    ImportRejected,
    import_apply,
    import_preview,
    parse_grades_csv,
)
from syllabus.grades.models import Grade, GradeCategory, GradeItem
from syllabus.grades.permissions import can_edit_grades, can_export_grades, can_view_gradebook
from syllabus.grades.selectors import (
    Scheme,
    active_learners,
    grade_history,
    grid_rows,
    learner_view,
    my_courses,
    scheme,
)
from syllabus.learning.access import learner_membership
from syllabus.learning.records import record_records_view

GRID_PAGE_SIZE = 50


# --- Lookups ----------------------------------------------------------------------------------


def _course(request: HttpRequest, public_id: str) -> Course:
    course = Course.objects.filter(courses_visible_to(request.user), public_id=public_id).first()
    if course is None:
        raise Http404
    return course


def _viewable(request: HttpRequest, public_id: str) -> Course:
    course = _course(request, public_id)
    if not can_view_gradebook(request.user, course):
        raise PermissionDenied(_("The gradebook needs the grade.view permission in this course."))
    return course


def _require_edit(request: HttpRequest, course: Course) -> None:
    if not can_edit_grades(request.user, course):
        raise PermissionDenied(_("Changing grades needs the grade.edit permission in this course."))


def _editable(request: HttpRequest, public_id: str) -> Course:
    course = _course(request, public_id)
    _require_edit(request, course)
    return course


def _item(request: HttpRequest, public_id: str) -> GradeItem:
    item = (
        GradeItem.objects.select_related("course", "category").filter(public_id=public_id).first()
    )
    if (
        item is None
        or not Course.objects.filter(courses_visible_to(request.user), pk=item.course_id).exists()
    ):
        raise Http404
    _require_edit(request, item.course)
    return item


def _learner(course: Course, public_id: str) -> User:
    """A current learner of the course (others are not in the gradebook)."""
    membership = (
        active_learners(course).filter(user__public_id=public_id).select_related("user").first()
    )
    if membership is None:
        raise Http404
    return membership.user


def _errors_into(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _gradebook_url(course: Course, page: Any = None) -> str:
    url = reverse("grades:gradebook", args=[course.public_id])
    return f"{url}?page={page}" if page else url


# --- Learners ---------------------------------------------------------------------------------


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """Every course the signed-in person learns in, with the grade released so far."""
    return render(request, "grades/mine.html", {"courses": my_courses(request.user)})


@login_required
@require_safe
def mine_course(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    if learner_membership(request.user, course) is None:
        raise PermissionDenied(_("This page shows a learner's own grades in a course they take."))
    return render(
        request,
        "grades/mine_course.html",
        {
            "course": course,
            "view": learner_view(request.user, course),
            "can_view_gradebook": can_view_gradebook(request.user, course),
        },
    )


# --- The grid ---------------------------------------------------------------------------------


def _groups(the_scheme: Scheme) -> list[tuple[int | None, str, Any]]:
    """The grid's category columns: each category, then Uncategorised when used."""
    groups: list[tuple[int | None, str, Any]] = [
        (c.pk, c.name, c.weight) for c in the_scheme.categories
    ]
    if any(item.category_id is None for item in the_scheme.items):
        # Shown in the reader's language; the stored name stays English (the CSV keeps it).
        groups.append((None, _("Uncategorised"), the_scheme.settings.uncategorised_weight))
    return groups


def _row_context(
    request: HttpRequest, course: Course, the_scheme: Scheme, rows: list[Any]
) -> dict[str, Any]:
    groups = _groups(the_scheme)
    # Reversed once, filled per cell: a page has up to 50 x 500 cells.
    cell_url = reverse("grades:cell", args=["ITEM", "LEARNER"])
    override_url = reverse("grades:override", args=["ITEM", "LEARNER"])
    for row in rows:
        row.group_cells = [
            (name, row.result.groups[key].percent if key in row.result.groups else None)
            for key, name, _weight in groups
        ]
        learner = row.user.public_id
        row.view_cells = [
            {
                "item": item,
                "grade": grade,
                "edit_url": cell_url.replace("ITEM", item.public_id).replace("LEARNER", learner),
                "override_url": override_url.replace("ITEM", item.public_id).replace(
                    "LEARNER", learner
                ),
            }
            for item, grade in row.cells
        ]
    return {
        "course": course,
        "items": the_scheme.items,
        "groups": groups,
        "rows": rows,
        "can_edit": can_edit_grades(request.user, course),
    }


@login_required
@require_safe
def gradebook(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _viewable(request, public_id)
    the_scheme = scheme(course)
    page = Paginator(active_learners(course), GRID_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = grid_rows(course, page.object_list, the_scheme)
    context = _row_context(request, course, the_scheme, rows)
    record_records_view(viewer=request.user, course=course, records="gradebook", page=page.number)
    context.update(
        {
            "page": page,
            "settings": the_scheme.settings,
            "can_export": can_export_grades(request.user, course),
        }
    )
    return render(request, "grades/gradebook.html", context)


def _render_row(
    request: HttpRequest, course: Course, learner: User, item: GradeItem
) -> HttpResponse:
    """The learner's row after a change; the edited cell's Edit link takes the focus back
    (htmx focuses an ``autofocus`` element of swapped content)."""
    the_scheme = scheme(course)
    membership = CourseMembership(user=learner, course=course)
    rows = grid_rows(course, [membership], the_scheme)
    context = _row_context(request, course, the_scheme, rows)
    context["row"] = rows[0]
    context["focus_item"] = item.pk
    return render(request, "grades/gradebook.html#row", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cell(request: HttpRequest, item_id: str, user_id: str) -> HttpResponse:
    """Enter points on a manual item: htmx swaps a small form into the cell, then the
    whole row (the totals change); without JavaScript it is a page of its own."""
    item = _item(request, item_id)
    course = item.course
    learner = _learner(course, user_id)
    if item.kind != GradeItem.Kind.MANUAL:
        raise PermissionDenied(_("Quiz and assignment grades come from them: override instead."))
    grade = Grade.objects.filter(item=item, user=learner).first()
    htmx = bool(request.headers.get("HX-Request"))
    if request.method == "POST":
        form = PointsForm(request.POST)
        if form.is_valid():
            try:
                services.grade_enter(
                    actor=request.user,
                    item=item,
                    learner=learner,
                    points=form.cleaned_data["points"],
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                if htmx:
                    return _render_row(request, course, learner, item)
                messages.success(
                    request, _("Grade saved for %(name)s.") % {"name": learner.get_full_name()}
                )
                return redirect(_gradebook_url(course, request.GET.get("page")))
    else:
        form = PointsForm(initial={"points": grade.points if grade else ""})
    context = {
        "form": form,
        "item": item,
        "learner": learner,
        "course": course,
        "grade": grade,
        "htmx": htmx,
    }
    template = "grades/cell.html#cell-form" if htmx else "grades/cell.html"
    # htmx swaps only 2xx answers: a refused value is shown in the cell's form, which
    # replaces the cell's content (a saved value replaces the whole row).
    response = render(request, template, context)
    if htmx:
        response["HX-Retarget"] = f"#grades-cell-{item.public_id}-{learner.public_id}"
        response["HX-Reswap"] = "innerHTML"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def override(request: HttpRequest, item_id: str, user_id: str) -> HttpResponse:
    """Override what counts on any item (a reason is required), or remove the override;
    the page shows the grade's history."""
    item = _item(request, item_id)
    course = item.course
    learner = _learner(course, user_id)
    if request.method != "POST":
        record_records_view(
            viewer=request.user, course=course, records="grade_history", learner=learner
        )
    grade = Grade.objects.filter(item=item, user=learner).first()
    form = OverrideForm(
        initial={"points": grade.override_points if grade and grade.override_points else ""}
    )
    remove_form = RemoveOverrideForm()
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                remove_form = RemoveOverrideForm(request.POST)
                if remove_form.is_valid():
                    services.grade_override_remove(
                        actor=request.user,
                        item=item,
                        learner=learner,
                        reason=remove_form.cleaned_data["remove_reason"],
                    )
                    messages.success(
                        request,
                        _("Override removed for %(name)s.") % {"name": learner.get_full_name()},
                    )
                    return redirect(_gradebook_url(course))
            else:
                form = OverrideForm(request.POST)
                if form.is_valid():
                    services.grade_override(
                        actor=request.user,
                        item=item,
                        learner=learner,
                        points=form.cleaned_data["points"],
                        reason=form.cleaned_data["reason"],
                    )
                    messages.success(
                        request,
                        _("Grade overridden for %(name)s on “%(title)s”.")
                        % {"name": learner.get_full_name(), "title": item.title},
                    )
                    return redirect(_gradebook_url(course))
        except ValidationError as exc:
            _errors_into(form, exc)
    return render(
        request,
        "grades/override.html",
        {
            "course": course,
            "item": item,
            "learner": learner,
            "grade": grade,
            "form": form,
            "remove_form": remove_form,
            "history": grade_history(grade) if grade else [],
        },
        status=400 if form.errors or remove_form.errors else 200,
    )


# --- Set-up: scale, categories, items ---------------------------------------------------------


def _setup_context(course: Course, **extra: Any) -> dict[str, Any]:
    the_scheme = scheme(course)
    return {
        "course": course,
        "scheme": the_scheme,
        "categories": the_scheme.categories,
        "items": the_scheme.items,
        "category_form": CategoryForm(),
        "scheme_form": SchemeForm(
            initial={
                "scale": SchemeForm.scale_text(the_scheme.settings.scale),
                "uncategorised_weight": the_scheme.settings.uncategorised_weight,
            }
        ),
        **extra,
    }


@login_required
@require_safe
def setup(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _editable(request, public_id)
    return render(request, "grades/setup.html", _setup_context(course))


@login_required
@require_POST
def scale(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _editable(request, public_id)
    form = SchemeForm(request.POST)
    if form.is_valid():
        try:
            services.scheme_update(
                actor=request.user,
                course=course,
                scale=form.cleaned_data["scale"],
                uncategorised_weight=form.cleaned_data["uncategorised_weight"],
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Letter scale and weights saved."))
            return redirect("grades:setup", public_id=course.public_id)
    return render(
        request, "grades/setup.html", _setup_context(course, scheme_form=form), status=400
    )


@login_required
@require_POST
def category_new(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _editable(request, public_id)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            category = services.category_create(
                actor=request.user, course=course, **form.cleaned_data
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Category “%(name)s” added.") % {"name": category.name})
            return redirect("grades:setup", public_id=course.public_id)
    return render(
        request, "grades/setup.html", _setup_context(course, category_form=form), status=400
    )


def _category(request: HttpRequest, public_id: str) -> GradeCategory:
    category = GradeCategory.objects.select_related("course").filter(public_id=public_id).first()
    if (
        category is None
        or not Course.objects.filter(
            courses_visible_to(request.user), pk=category.course_id
        ).exists()
    ):
        raise Http404
    _require_edit(request, category.course)
    return category


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def category_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    category = _category(request, public_id)
    course = category.course
    if request.method == "POST":
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                services.category_update(actor=request.user, category=category, **form.cleaned_data)
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("Category saved."))
                return redirect("grades:setup", public_id=course.public_id)
    else:
        form = CategoryForm(initial={"name": category.name, "weight": category.weight})
    return render(
        request,
        "grades/category_edit.html",
        {"course": course, "category": category, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def category_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    category = _category(request, public_id)
    course = category.course
    if request.method == "POST":
        moved = services.category_delete(actor=request.user, category=category)
        messages.success(
            request,
            ngettext(
                "Category “%(name)s” deleted; %(count)s item now uncategorised.",
                "Category “%(name)s” deleted; %(count)s items now uncategorised.",
                moved,
            )
            % {"name": category.name, "count": moved},
        )
        return redirect("grades:setup", public_id=course.public_id)
    return render(
        request,
        "grades/category_delete.html",
        {"course": course, "category": category, "items": category.items.count()},
    )


def _item_changes(form: ItemForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.fields}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def item_new(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _editable(request, public_id)
    if request.method == "POST":
        form = ItemForm(request.POST, course=course)
        if form.is_valid():
            try:
                item = services.manual_item_create(
                    actor=request.user, course=course, **_item_changes(form)
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(
                    request, _("Item “%(title)s” added to the gradebook.") % {"title": item.title}
                )
                return redirect("grades:setup", public_id=course.public_id)
    else:
        form = ItemForm(course=course, initial={"max_points": 100, "learner_visibility": "always"})
    return render(
        request,
        "grades/item_form.html",
        {"course": course, "form": form, "item": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def item_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id)
    course = item.course
    if request.method == "POST":
        form = ItemForm(request.POST, course=course, item=item)
        if form.is_valid():
            try:
                services.item_update(actor=request.user, item=item, **_item_changes(form))
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("Item saved."))
                return redirect("grades:setup", public_id=course.public_id)
    else:
        form = ItemForm(
            course=course,
            item=item,
            initial={
                "title": item.title,
                "max_points": item.max_points,
                "category": item.category_id,
                "due_at": item.due_at,
                "counts": item.counts,
                "learner_visibility": item.learner_visibility,
                "learner_visible_from": item.learner_visible_from,
            },
        )
    return render(
        request,
        "grades/item_form.html",
        {"course": course, "form": form, "item": item},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def item_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id)
    course = item.course
    graded = Grade.objects.filter(item=item).count()
    form = ConfirmDeleteForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.item_delete(
                actor=request.user, item=item, confirm=form.cleaned_data["confirm"]
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Item “%(title)s” deleted.") % {"title": item.title})
            return redirect("grades:setup", public_id=course.public_id)
    return render(
        request,
        "grades/item_delete.html",
        {"course": course, "item": item, "graded": graded, "form": form, "error": error},
        status=400 if error else 200,
    )


# --- Export and import ------------------------------------------------------------------------


@login_required
@require_safe
def export(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """The grid as CSV: grade.view in the course and export.run, a recent second factor;
    audited with the row count."""
    course = _viewable(request, public_id)
    if not can_export_grades(request.user, course):
        raise PermissionDenied(_("Exporting grades needs the export.run permission."))
    return _export(request, course=course)


@sensitive_action
def _export(request: HttpRequest, *, course: Course) -> HttpResponseBase:
    lines, _count = gradebook_csv(actor=request.user, course=course)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        content_disposition_header(True, gradebook_filename(course)) or ""
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_upload(request: HttpRequest, public_id: str) -> HttpResponse:
    """Upload a CSV and see what each row would do; nothing is written here."""
    course = _editable(request, public_id)
    preview = None
    csv_text = ""
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data["file"].read(  # bounded: one byte over the limit
                MAX_BYTES + 1
            )
            try:
                rows = parse_grades_csv(data)
            except ImportFormatError as exc:
                form.add_error("file", str(exc))
            else:
                preview = import_preview(course, rows)
                csv_text = data.decode("utf-8-sig")
    else:
        form = ImportForm()
    status = 200
    if form.errors or (preview is not None and not preview.ok):
        status = 400
    return render(
        request,
        "grades/import.html",
        {
            "course": course,
            "form": form,
            "preview": preview,
            "csv_text": csv_text,
            "manual_items": [i for i in scheme(course).items if i.kind == GradeItem.Kind.MANUAL],
        },
        status=status,
    )


@login_required
@require_POST
def import_apply_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Apply the previewed file (sent back as text): all rows or none."""
    course = _editable(request, public_id)
    try:
        rows = parse_grades_csv(request.POST.get("csv", ""))
        preview = import_apply(actor=request.user, course=course, rows=rows)
    except ImportFormatError as exc:
        messages.error(request, str(exc))
        return redirect("grades:import", public_id=course.public_id)
    except ImportRejected as exc:
        return render(
            request,
            "grades/import.html",
            {
                "course": course,
                "form": ImportForm(),
                "preview": exc.preview,
                "csv_text": "",
                "rejected": exc.messages[0],
                "manual_items": [],
            },
            status=400,
        )
    counts = preview.counts()
    messages.success(
        request,
        _("Import applied. Grades set: %(update)s, cleared: %(clear)s, unchanged: %(unchanged)s.")
        % counts,
    )
    return redirect(_gradebook_url(course))
