"""HTML forms of the quiz authoring pages: parsing only; the services hold the rules.

A question's answer options (and matching pairs, ordering items) are a formset of rows
that works without JavaScript: blank rows are ignored, a row's "Remove" box drops it,
and the "Add a row" button sends the form back with one more blank row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from syllabus.assessments.models import Question, QuestionBank, QuestionTag, Quiz
from syllabus.assessments.validators import PARTIAL_CREDIT
from syllabus.courses.forms_authoring import DateTimeLocalInput

ROW_KINDS = {"single", "multiple", "matching", "ordering"}
ROW_NOUN = {"single": "option", "multiple": "option", "matching": "pair", "ordering": "item"}
ROWS_PREFIX = "rows"
PARTIAL_CREDIT_LABELS = {
    "all_or_nothing": _("All or nothing: full points only for exactly the right options"),
    "right_minus_wrong": _(
        "Right minus wrong: each right option adds, each wrong one takes away (never below 0)"
    ),
    "proportional": _("Proportional: a share of the points per option judged correctly"),
}


class BankForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        help_text=_("What the bank holds, for other authors."),
    )


class RowForm(forms.Form):
    """One option, pair or item of a question."""

    id = forms.CharField(required=False, widget=forms.HiddenInput, max_length=16)
    text = forms.CharField(required=False, max_length=500)
    match = forms.CharField(required=False, max_length=500)
    correct = forms.BooleanField(required=False)

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        n = (self.prefix or "").rsplit("-", 1)[-1]
        number = int(n) + 1 if n.isdigit() else ""
        # Whole labels per kind of row (option, pair, item), each translated as a whole.
        values = {"number": number}
        if kind == "matching":
            self.fields["text"].label = gettext("Prompt %(number)s") % values
            self.fields["match"].label = gettext("Its match %(number)s") % values
        else:
            del self.fields["match"]
            self.fields["text"].label = (
                gettext("Item %(number)s") if kind == "ordering" else gettext("Option %(number)s")
            ) % values
        if kind in ("single", "multiple"):
            self.fields["correct"].label = gettext("Option %(number)s is correct") % values
        else:
            del self.fields["correct"]
        if "DELETE" in self.fields:
            self.fields["DELETE"].label = {
                "matching": gettext("Remove pair %(number)s"),
                "ordering": gettext("Remove item %(number)s"),
            }.get(kind, gettext("Remove option %(number)s")) % values
        if "ORDER" in self.fields:
            self.fields["ORDER"].label = gettext("Position of item %(number)s") % values

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not (data.get("text") or "").strip() and not (data.get("match") or "").strip()


if TYPE_CHECKING:
    _RowFormSetBase = BaseFormSet[RowForm]
else:  # BaseFormSet is generic for type checkers only
    _RowFormSetBase = BaseFormSet


class RowFormSet(_RowFormSetBase):
    def rows(self) -> list[dict[str, Any]]:
        """The rows kept (not removed, not blank), in order (by position when the rows
        have one; rows without a position keep their place after the numbered ones)."""
        kept: list[tuple[int, int, dict[str, Any]]] = []
        for index, form in enumerate(self.forms):
            if not hasattr(form, "cleaned_data") or form.is_blank():
                continue
            if self.can_delete and form.cleaned_data.get("DELETE"):
                continue
            order = form.cleaned_data.get("ORDER") if self.can_order else None
            kept.append((order if order is not None else 10**6, index, form.cleaned_data))
        return [row for _first, _second, row in sorted(kept, key=lambda x: (x[0], x[1]))]


def row_formset(
    kind: str, data: Any = None, initial: list[dict[str, Any]] | None = None, extra: int = 0
) -> RowFormSet:
    cls = formset_factory(
        RowForm,
        formset=RowFormSet,
        extra=extra,
        can_delete=True,
        can_order=kind == "ordering",
        max_num=20,
        absolute_max=40,
    )
    formset = cls(data, initial=initial, prefix=ROWS_PREFIX, form_kwargs={"kind": kind})
    assert isinstance(formset, RowFormSet)
    return formset


def rows_initial(question: Question | None, kind: str) -> list[dict[str, Any]]:
    if question is None:
        return []
    config = question.config
    if kind in ("single", "multiple"):
        return [
            {"id": o["id"], "text": o["text"], "correct": o["correct"]}
            for o in config.get("options", [])
        ]
    if kind == "matching":
        return [
            {"id": p["id"], "text": p["prompt"], "match": p["match"]}
            for p in config.get("pairs", [])
        ]
    if kind == "ordering":
        return [
            {"id": i["id"], "text": i["text"], "ORDER": n}
            for n, i in enumerate(config.get("items", []), start=1)
        ]
    return []


def with_extra_row(data: Any) -> Any:
    """The posted form with one more blank row (the no-JavaScript "Add a row" button)."""
    data = data.copy()
    key = f"{ROWS_PREFIX}-TOTAL_FORMS"
    try:
        total = int(data.get(key, "0"))
    except ValueError:
        total = 0
    data[key] = str(min(total + 1, 20))
    return data


class QuestionForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, help_text=_("A short name for lists; learners see it.")
    )
    text = forms.CharField(
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("Question"),
        help_text=_("Markdown: **bold**, *italic*, lists, links, code."),
    )
    points = forms.DecimalField(
        label=_("Points"),
        min_value=Decimal("0.01"),
        max_value=Decimal("1000"),
        decimal_places=2,
        initial=1,
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=600,
        help_text=_("Separate tags with commas; quizzes can draw random questions by tag."),
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown with the correct answers, when the quiz shows them."),
    )
    # Per kind (the constructor removes those another kind does not use).
    partial_credit = forms.ChoiceField(
        choices=[(k, PARTIAL_CREDIT_LABELS[k]) for k in PARTIAL_CREDIT],
        widget=forms.RadioSelect,
        initial="all_or_nothing",
        label=_("Partial credit"),
    )
    answer_bool = forms.TypedChoiceField(
        choices=[("true", _("True")), ("false", _("False"))],
        coerce=lambda v: v == "true",
        widget=forms.RadioSelect,
        label=_("The statement is"),
    )
    accepted = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Accepted answers"),
        help_text=_("One per line."),
    )
    case_sensitive = forms.BooleanField(
        required=False, label=_("Capital letters matter (“Paris” is not “paris”)")
    )
    whitespace = forms.ChoiceField(
        choices=[
            ("normalize", _("Ignore spaces at the ends and repeated spaces")),
            ("exact", _("Spaces must match exactly")),
        ],
        widget=forms.RadioSelect,
        initial="normalize",
        label=_("Spaces"),
    )
    answer_number = forms.CharField(
        max_length=40, label=_("Correct answer"), help_text=_("A number such as 12.5 or -3.")
    )
    tolerance = forms.CharField(
        max_length=40,
        required=False,
        initial="0",
        help_text=_("How far from the answer still counts as right."),
    )
    tolerance_kind = forms.ChoiceField(
        choices=[
            ("absolute", _("In the answer's units")),
            ("percent", _("Percent of the answer")),
        ],
        widget=forms.RadioSelect,
        initial="absolute",
        label=_("Tolerance is"),
    )
    guidance = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Guidance for graders"),
        help_text=_("What a good answer contains; learners do not see it."),
    )

    KIND_FIELDS = {
        "single": set(),
        "multiple": {"partial_credit"},
        "true_false": {"answer_bool"},
        "short_text": {"accepted", "case_sensitive", "whitespace"},
        "numeric": {"answer_number", "tolerance", "tolerance_kind"},
        "matching": set(),
        "ordering": set(),
        "essay": {"guidance"},
    }
    ALL_KIND_FIELDS = set().union(*KIND_FIELDS.values())

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in self.ALL_KIND_FIELDS - self.KIND_FIELDS[kind]:
            del self.fields[name]

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name in self.ALL_KIND_FIELDS]

    def common_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.ALL_KIND_FIELDS]

    def config(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        data = self.cleaned_data
        kind = self.kind
        if kind in ("single", "multiple"):
            config: dict[str, Any] = {
                "options": [
                    {"id": r["id"] or None, "text": r["text"], "correct": r["correct"]}
                    for r in rows
                ]
            }
            if kind == "multiple":
                config["partial_credit"] = data["partial_credit"]
            return config
        if kind == "matching":
            return {
                "pairs": [
                    {"id": r["id"] or None, "prompt": r["text"], "match": r["match"]} for r in rows
                ]
            }
        if kind == "ordering":
            return {"items": [{"id": r["id"] or None, "text": r["text"]} for r in rows]}
        if kind == "true_false":
            return {"answer": data["answer_bool"]}
        if kind == "short_text":
            lines = [line for line in data["accepted"].splitlines() if line.strip()]
            return {
                "accepted": lines,
                "case_sensitive": data["case_sensitive"],
                "whitespace": data["whitespace"],
            }
        if kind == "numeric":
            return {
                "answer": data["answer_number"],
                "tolerance": data["tolerance"] or "0",
                "tolerance_kind": data["tolerance_kind"],
            }
        return {"guidance": data.get("guidance", "")}

    def tag_names(self) -> list[str]:
        return [t for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]


def question_initial(question: Question) -> dict[str, Any]:
    config = question.config
    initial: dict[str, Any] = {
        "title": question.title,
        "text": question.text,
        "points": question.points,
        "explanation": question.explanation,
        "tags": ", ".join(sorted(t.name for t in question.tags.all())),
    }
    kind = question.kind
    if kind == "multiple":
        initial["partial_credit"] = config.get("partial_credit", "all_or_nothing")
    elif kind == "true_false":
        initial["answer_bool"] = "true" if config.get("answer") else "false"
    elif kind == "short_text":
        initial["accepted"] = "\n".join(config.get("accepted", []))
        initial["case_sensitive"] = config.get("case_sensitive", False)
        initial["whitespace"] = config.get("whitespace", "normalize")
    elif kind == "numeric":
        initial["answer_number"] = config.get("answer", "")
        initial["tolerance"] = config.get("tolerance", "0")
        initial["tolerance_kind"] = config.get("tolerance_kind", "absolute")
    elif kind == "essay":
        initial["guidance"] = config.get("guidance", "")
    return initial


class QuizSettingsForm(forms.Form):
    instructions = forms.CharField(
        label=_("Instructions"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown, shown before learners start."),
    )
    opens_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        label=_("Opens"),
        help_text=_("Empty: open as soon as the lesson is."),
    )
    closes_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        label=_("Closes"),
        help_text=_("No attempt starts after this; running attempts end."),
    )
    due_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        label=_("Due"),
        help_text=_(
            "Empty: the lesson's due date. Results or answers shown “after the due "
            "date” wait for it."
        ),
    )
    time_limit_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=24 * 60,
        label=_("Time limit (minutes)"),
        help_text=_("Empty: no time limit. The server ends the attempt when time is up."),
    )
    attempts_allowed = forms.IntegerField(
        min_value=0, max_value=100, label=_("Attempts allowed"), help_text=_("0 allows any number.")
    )
    pass_percent = forms.DecimalField(
        min_value=0,
        max_value=100,
        decimal_places=2,
        label=_("Passing score (%)"),
        help_text=_("Reaching it completes the lesson."),
    )
    attempt_policy = forms.ChoiceField(
        choices=Quiz.AttemptPolicy.choices, label=_("Which attempt counts")
    )
    results_visibility = forms.ChoiceField(
        choices=Quiz.Visibility.choices, label=_("Learners see their score")
    )
    answers_visibility = forms.ChoiceField(
        choices=Quiz.Visibility.choices, label=_("Learners see the correct answers")
    )
    shuffle_questions = forms.BooleanField(required=False, label=_("Shuffle the questions"))
    shuffle_options = forms.BooleanField(
        required=False, label=_("Shuffle the options of choice questions")
    )

    def changes(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def quiz_initial(quiz: Quiz) -> dict[str, Any]:
    return {field: getattr(quiz, field) for field in QuizSettingsForm.base_fields}


class FixedSlotForm(forms.Form):
    question = forms.ModelChoiceField(
        label=_("Question"),
        queryset=Question.objects.none(),
        empty_label=_("Choose a question"),
        help_text=_("Every learner gets this question."),
    )

    def __init__(self, *args: Any, quiz: Quiz, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "fixed")
        super().__init__(*args, **kwargs)
        self.fields["question"].queryset = (  # type: ignore[attr-defined]
            Question.objects.filter(course_id=quiz.course_id, is_archived=False)
            .exclude(pk__in=quiz.slots.filter(question__isnull=False).values("question_id"))
            .select_related("bank")
            .order_by("bank__name", "title", "pk")
        )
        self.fields["question"].label_from_instance = (  # type: ignore[attr-defined]
            lambda q: (
                gettext("%(bank)s: %(title)s (%(kind)s, %(points)s pt)")
                % {
                    "bank": q.bank.name,
                    "title": q.title,
                    "kind": q.get_kind_display(),
                    "points": q.points,
                }
            )
        )


class RandomSlotForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=100, initial=1, label=_("How many"))
    bank = forms.ModelChoiceField(
        label=_("Bank"),
        queryset=QuestionBank.objects.none(),
        required=False,
        empty_label=_("Any bank"),
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=QuestionTag.objects.none(),
        required=False,
        empty_label=_("Any tag"),
        help_text=_("Choose a bank, a tag, or both."),
    )

    def __init__(self, *args: Any, quiz: Quiz, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "random")
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = QuestionBank.objects.filter(  # type: ignore[attr-defined]
            course_id=quiz.course_id
        )
        self.fields["tag"].queryset = QuestionTag.objects.filter(  # type: ignore[attr-defined]
            course_id=quiz.course_id
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("bank") and not data.get("tag"):
            self.add_error("bank", gettext("Choose a bank or a tag to draw from."))
        return data


class AccommodationForm(forms.Form):
    extra_minutes = forms.IntegerField(min_value=0, max_value=24 * 60, initial=0)
    extra_attempts = forms.IntegerField(min_value=0, max_value=100, initial=0)
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, learner_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name = {"name": learner_name}
        self.fields["extra_minutes"].label = gettext("Extra minutes for %(name)s") % name
        self.fields["extra_attempts"].label = gettext("Extra attempts for %(name)s") % name
        self.fields["note"].label = gettext("Note about %(name)s") % name
