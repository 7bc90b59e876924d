"""Teach pages of quizzes: question banks, questions (a form per kind, a preview as
learners see it, regrading after a fix), a quiz's settings, its questions (slots) and
learners' accommodations. Thin: the services hold every rule.

Everything needs ``course.edit`` in the course (instructors, administrators); regrading
also needs ``grade.edit``. Courses a person cannot see answer 404, seen but not editable
403. Every page works as plain forms, without JavaScript.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from syllabus.accounts.models import User
from syllabus.accounts.permissions import acting_user
from syllabus.assessments import services_authoring as services
from syllabus.assessments.forms_authoring import (
    ROW_KINDS,
    ROW_NOUN,
    AccommodationForm,
    BankForm,
    FixedSlotForm,
    QuestionForm,
    QuizSettingsForm,
    RandomSlotForm,
    question_initial,
    quiz_initial,
    row_formset,
    rows_initial,
    with_extra_row,
)
from syllabus.assessments.models import Accommodation, Question, QuestionBank, Quiz, QuizSlot
from syllabus.core.forms import add_service_errors
from syllabus.courses.models import Course, Lesson
from syllabus.courses.permissions import courses_visible_to, has_course_perm

PAGE_SIZE = 25
NEW_ROWS = {"single": 4, "multiple": 4, "matching": 3, "ordering": 4}


# --- Lookups ------------------------------------------------------------------------------------


def _editable(request: HttpRequest, course_id: int) -> Course:
    course = Course.objects.filter(courses_visible_to(request.user), pk=course_id).first()
    if course is None:
        raise Http404
    if not has_course_perm(request.user, course, "course.edit"):
        raise PermissionDenied(_("Editing quizzes needs the course.edit permission."))
    return course


def _course(request: HttpRequest, public_id: str) -> Course:
    course = get_object_or_404(Course, public_id=public_id)
    return _editable(request, course.pk)


def _bank(request: HttpRequest, public_id: str) -> QuestionBank:
    bank = get_object_or_404(QuestionBank, public_id=public_id)
    bank.course = _editable(request, bank.course_id)
    return bank


def _question(request: HttpRequest, public_id: str) -> Question:
    question = get_object_or_404(Question.objects.select_related("bank"), public_id=public_id)
    question.course = _editable(request, question.course_id)
    question.bank.course = question.course
    return question


def _quiz(request: HttpRequest, lesson_public_id: str) -> Quiz:
    lesson = get_object_or_404(Lesson.objects.select_related("module"), public_id=lesson_public_id)
    course = _editable(request, lesson.course_id)
    quiz = Quiz.objects.filter(lesson=lesson).first()
    if quiz is None:
        raise Http404
    quiz.lesson, quiz.course = lesson, course
    return quiz


def _slot(request: HttpRequest, slot_id: int) -> QuizSlot:
    slot = get_object_or_404(QuizSlot.objects.select_related("quiz__lesson"), pk=slot_id)
    slot.quiz.course = _editable(request, slot.quiz.course_id)
    return slot


def _message(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You do not have permission to do this.")


def _attempts_behind(question: Question) -> int:
    from syllabus.assessments.services_attempts import attempts_behind

    return attempts_behind(question)


# --- Banks --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def bank_list(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    form = BankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank = services.bank_create(
                actor=acting_user(request),
                course=course,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Bank “%(name)s” created: add its questions.") % {"name": bank.name}
            )
            return redirect("assessments:bank_detail", public_id=bank.public_id)
    banks = course.question_banks.annotate(
        question_count=Count("questions", filter=Q(questions__is_archived=False))
    ).order_by("name", "pk")
    quizzes = (
        Quiz.objects.filter(course=course)
        .select_related("lesson")
        .order_by("lesson__module__position", "lesson__position", "pk")
    )
    return render(
        request,
        "assessments/teach/bank_list.html",
        {"course": course, "banks": banks, "form": form, "quizzes": quizzes},
    )


@login_required
@require_safe
def bank_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    bank = _bank(request, public_id)
    tag = request.GET.get("tag", "")
    show_archived = request.GET.get("archived") == "1"
    questions = bank.questions.prefetch_related("tags").order_by("pk")
    if not show_archived:
        questions = questions.filter(is_archived=False)
    if tag:
        questions = questions.filter(tags__name=tag)
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    tags = bank.course.question_tags.filter(questions__bank=bank).distinct().order_by("name")
    return render(
        request,
        "assessments/teach/bank_detail.html",
        {
            "course": bank.course,
            "bank": bank,
            "page": page,
            "tags": tags,
            "tag": tag,
            "show_archived": show_archived,
            "querystring": urlencode(
                {k: v for k, v in (("tag", tag), ("archived", "1" if show_archived else "")) if v}
            ),
            "kinds": Question.Kind.choices,
            "form": BankForm(initial={"name": bank.name, "description": bank.description}),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def bank_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    bank = _bank(request, public_id)
    form = BankForm(
        request.POST or None, initial={"name": bank.name, "description": bank.description}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.bank_update(
                actor=acting_user(request), bank=bank, changes=dict(form.cleaned_data)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Bank saved."))
            return redirect("assessments:bank_detail", public_id=bank.public_id)
    return render(
        request,
        "assessments/teach/bank_edit.html",
        {"course": bank.course, "bank": bank, "form": form},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def bank_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    bank = _bank(request, public_id)
    if request.method == "POST":
        try:
            services.bank_delete(actor=acting_user(request), bank=bank)
        except ValidationError as exc:
            messages.error(request, _message(exc))
            return redirect("assessments:bank_detail", public_id=bank.public_id)
        messages.success(request, _("Bank “%(name)s” deleted.") % {"name": bank.name})
        return redirect("assessments:bank_list", public_id=bank.course.public_id)
    count = bank.questions.count()
    return render(
        request,
        "courses/teach/confirm.html",
        {
            "heading": _("Delete the bank “%(name)s”?") % {"name": bank.name},
            "explanation": ngettext(
                "Its %(count)s question will be deleted too. This cannot be undone.",
                "Its %(count)s questions will be deleted too. This cannot be undone.",
                count,
            )
            % {"count": count},
            "button": _("Delete the bank"),
            "danger": True,
            "cancel": reverse("assessments:bank_detail", args=[bank.public_id]),
        },
    )


# --- Questions ----------------------------------------------------------------------------------


def _question_page(
    request: HttpRequest,
    *,
    bank: QuestionBank,
    kind: str,
    question: Question | None,
) -> HttpResponse:
    initial = question_initial(question) if question else {}
    data = request.POST if request.method == "POST" else None
    adding_row = data is not None and "add_row" in data and kind in ROW_KINDS
    if adding_row:
        data = with_extra_row(data)
    form = QuestionForm(data, kind=kind, initial=initial)
    rows = None
    if kind in ROW_KINDS:
        extra = 1 if question else NEW_ROWS[kind]  # a blank row to add one more
        rows = row_formset(kind, data, initial=rows_initial(question, kind), extra=extra)
    if data is not None and not adding_row:
        rows_ok = rows is None or rows.is_valid()
        if form.is_valid() and rows_ok:
            saved = _save_question(request, form, rows, bank=bank, kind=kind, question=question)
            if saved is not None:
                return redirect("assessments:question_edit", public_id=saved.public_id)
    return render(
        request,
        "assessments/teach/question_form.html",
        {
            "course": bank.course,
            "bank": bank,
            "question": question,
            "kind": kind,
            "kind_label": Question.Kind(kind).label,
            "form": form,
            "rows": rows,
            "row_noun": ROW_NOUN.get(kind, ""),
            "behind": _attempts_behind(question) if question and request.method == "GET" else 0,
        },
    )


def _save_question(
    request: HttpRequest,
    form: QuestionForm,
    rows: Any,
    *,
    bank: QuestionBank,
    kind: str,
    question: Question | None,
) -> Question | None:
    data = form.cleaned_data
    config = form.config(rows.rows() if rows is not None else [])
    try:
        if question is None:
            saved = services.question_create(
                actor=acting_user(request),
                bank=bank,
                kind=kind,
                title=data["title"],
                text=data["text"],
                config=config,
                points=data["points"],
                explanation=data["explanation"],
                tags=form.tag_names(),
            )
        else:
            saved = services.question_update(
                actor=acting_user(request),
                question=question,
                changes={
                    "title": data["title"],
                    "text": data["text"],
                    "config": config,
                    "points": data["points"],
                    "explanation": data["explanation"],
                    "tags": form.tag_names(),
                },
            )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, _("Question saved."))
    return saved


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def question_new(request: HttpRequest, public_id: str, kind: str) -> HttpResponse:
    bank = _bank(request, public_id)
    if kind not in Question.Kind.values:
        raise Http404
    return _question_page(request, bank=bank, kind=kind, question=None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def question_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    question = _question(request, public_id)
    if question.is_archived:
        messages.info(request, _("This question is archived: it can be previewed, not changed."))
        return redirect("assessments:question_preview", public_id=question.public_id)
    return _question_page(request, bank=question.bank, kind=question.kind, question=question)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def question_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    question = _question(request, public_id)
    if request.method == "POST":
        try:
            archived = services.question_delete(actor=acting_user(request), question=question)
        except ValidationError as exc:
            messages.error(request, _message(exc))
            return redirect("assessments:question_edit", public_id=question.public_id)
        if archived:
            messages.success(
                request,
                _(
                    "Learners' attempts used this question, so it was archived: quizzes no "
                    "longer draw it and their records keep it."
                ),
            )
        else:
            messages.success(request, _("Question deleted."))
        return redirect("assessments:bank_detail", public_id=question.bank.public_id)
    return render(
        request,
        "courses/teach/confirm.html",
        {
            "heading": _("Delete the question “%(title)s”?") % {"title": question.title},
            "explanation": _(
                "If learners' attempts used it, it is archived instead so their records stay whole."
            ),
            "button": _("Delete the question"),
            "danger": True,
            "cancel": reverse("assessments:question_edit", args=[question.public_id]),
        },
    )


@login_required
@require_safe
def question_preview(request: HttpRequest, public_id: str) -> HttpResponse:
    question = _question(request, public_id)
    return render(
        request,
        "assessments/teach/question_preview.html",
        {"course": question.course, "bank": question.bank, "question": question},
    )


@login_required
@require_POST
def question_regrade(request: HttpRequest, public_id: str) -> HttpResponse:
    from syllabus.assessments.services_attempts import regrade_question

    question = _question(request, public_id)
    try:
        count = regrade_question(actor=acting_user(request), question=question)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s attempt regraded with this version.",
                "%(count)s attempts regraded with this version.",
                count,
            )
            % {"count": count},
        )
    return redirect("assessments:question_edit", public_id=question.public_id)


# --- Quiz settings ------------------------------------------------------------------------------


def _quiz_context(quiz: Quiz, current: str) -> dict[str, Any]:
    return {
        "course": quiz.course,
        "lesson": quiz.lesson,
        "quiz": quiz,
        "current": current,
        "problems": services.quiz_problems(quiz),
        "points": services.quiz_nominal_points(quiz),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def quiz_settings(request: HttpRequest, public_id: str) -> HttpResponse:
    quiz = _quiz(request, public_id)
    form = QuizSettingsForm(request.POST or None, initial=quiz_initial(quiz))
    if request.method == "POST" and form.is_valid():
        try:
            services.quiz_update(actor=acting_user(request), quiz=quiz, changes=form.changes())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Quiz settings saved."))
            return redirect("assessments:quiz_settings", public_id=quiz.lesson.public_id)
    return render(
        request,
        "assessments/teach/quiz_settings.html",
        {**_quiz_context(quiz, "settings"), "form": form},
    )


@login_required
@require_safe
def quiz_questions(request: HttpRequest, public_id: str) -> HttpResponse:
    quiz = _quiz(request, public_id)
    return _slots_page(request, quiz)


def _slots_page(
    request: HttpRequest,
    quiz: Quiz,
    fixed: FixedSlotForm | None = None,
    random: RandomSlotForm | None = None,
    status: int = 200,
) -> HttpResponse:
    slots = list(quiz.slots.select_related("question", "bank", "tag").order_by("position", "pk"))
    for slot in slots:
        slot.label = services.slot_label(slot)  # type: ignore[attr-defined]
    return render(
        request,
        "assessments/teach/quiz_questions.html",
        {
            **_quiz_context(quiz, "questions"),
            "slots": slots,
            "fixed_form": fixed or FixedSlotForm(quiz=quiz),
            "random_form": random or RandomSlotForm(quiz=quiz),
            "has_banks": quiz.course.question_banks.exists(),
        },
        status=status,
    )


@login_required
@require_POST
def slot_add(request: HttpRequest, public_id: str) -> HttpResponse:
    quiz = _quiz(request, public_id)
    actor = acting_user(request)
    if request.POST.get("source") == "random":
        random = RandomSlotForm(request.POST, quiz=quiz)
        if random.is_valid():
            try:
                services.slot_add(
                    actor=actor,
                    quiz=quiz,
                    bank=random.cleaned_data["bank"],
                    tag=random.cleaned_data["tag"],
                    count=random.cleaned_data["count"],
                )
            except ValidationError as exc:
                add_service_errors(random, exc)
            else:
                messages.success(request, _("Random questions added."))
                return redirect("assessments:quiz_questions", public_id=quiz.lesson.public_id)
        return _slots_page(request, quiz, random=random, status=422)
    fixed = FixedSlotForm(request.POST, quiz=quiz)
    if fixed.is_valid():
        try:
            services.slot_add(actor=actor, quiz=quiz, question=fixed.cleaned_data["question"])
        except ValidationError as exc:
            add_service_errors(fixed, exc)
        else:
            messages.success(request, _("Question added."))
            return redirect("assessments:quiz_questions", public_id=quiz.lesson.public_id)
    return _slots_page(request, quiz, fixed=fixed, status=422)


@login_required
@require_POST
def slot_remove(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    try:
        services.slot_remove(actor=acting_user(request), slot=slot)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Removed from the quiz."))
    return redirect("assessments:quiz_questions", public_id=slot.quiz.lesson.public_id)


@login_required
@require_POST
def slot_move(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    try:
        services.slot_move(
            actor=acting_user(request), slot=slot, direction=request.POST.get("direction", "")
        )
    except ValidationError as exc:
        messages.error(request, _message(exc))
    return redirect("assessments:quiz_questions", public_id=slot.quiz.lesson.public_id)


# --- Accommodations -----------------------------------------------------------------------------


@login_required
@require_safe
def accommodations(request: HttpRequest, public_id: str) -> HttpResponse:
    quiz = _quiz(request, public_id)
    return _accommodations_page(request, quiz)


def _accommodations_page(
    request: HttpRequest,
    quiz: Quiz,
    failed: tuple[int, AccommodationForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    learners = services.quiz_learners(quiz)
    if search:
        learners = learners.filter(
            Q(user__full_name__icontains=search) | Q(user__email__icontains=search)
        )
    page = Paginator(learners, PAGE_SIZE).get_page(request.GET.get("page"))
    members = list(page.object_list)
    given = {
        a.user_id: a
        for a in Accommodation.objects.filter(quiz=quiz, user_id__in=[m.user_id for m in members])
    }
    rows = []
    for member in members:
        user = member.user
        name = user.full_name or user.email
        current = given.get(user.pk)
        if failed is not None and failed[0] == user.pk:
            form = failed[1]
        else:
            form = AccommodationForm(
                learner_name=name,
                prefix=f"l{user.pk}",
                initial={
                    "extra_minutes": current.extra_minutes if current else 0,
                    "extra_attempts": current.extra_attempts if current else 0,
                    "note": current.note if current else "",
                },
            )
        rows.append({"user": user, "name": name, "current": current, "form": form})
    return render(
        request,
        "assessments/teach/accommodations.html",
        {
            **_quiz_context(quiz, "accommodations"),
            "page": page,
            "rows": rows,
            "search": search,
            "querystring": urlencode({"q": search}) if search else "",
            "given_count": Accommodation.objects.filter(quiz=quiz).count(),
        },
        status=status,
    )


def _quiz_learner(quiz: Quiz, public_id: str) -> User:
    user = User.objects.filter(
        public_id=public_id, pk__in=services.quiz_learners(quiz).values("user_id")
    ).first()
    if user is None:
        raise Http404
    return user


@login_required
@require_POST
def accommodation_set(request: HttpRequest, public_id: str, learner_id: str) -> HttpResponse:
    quiz = _quiz(request, public_id)
    user = _quiz_learner(quiz, learner_id)
    name = user.full_name or user.email
    form = AccommodationForm(request.POST, learner_name=name, prefix=f"l{user.pk}")
    if form.is_valid():
        try:
            services.accommodation_set(
                actor=acting_user(request), quiz=quiz, user=user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Accommodation for %(name)s saved.") % {"name": name})
            return redirect("assessments:accommodations", public_id=quiz.lesson.public_id)
    return _accommodations_page(request, quiz, failed=(user.pk, form), status=422)


@login_required
@require_POST
def accommodation_remove(request: HttpRequest, public_id: str, learner_id: str) -> HttpResponse:
    quiz = _quiz(request, public_id)
    user = _quiz_learner(quiz, learner_id)
    if services.accommodation_remove(actor=acting_user(request), quiz=quiz, user=user):
        messages.success(
            request,
            _("Accommodation for %(value)s removed.") % {"value": user.full_name or user.email},
        )
    return redirect("assessments:accommodations", public_id=quiz.lesson.public_id)
