"""Quizzes: question banks, questions of eight kinds, quizzes drawing fixed and random
questions, accommodations, attempts and their answers.

A quiz belongs to a quiz lesson (``Lesson.kind == "quiz"``), created with it through the
lesson-kind handler (``syllabus.courses.lesson_kinds``). Questions live in a course's
banks; a quiz's slots say which questions it draws. When an attempt starts, the drawn
questions are frozen into ``AttemptQuestion`` rows with a snapshot of each question as
it was (text, options, answer key and points), so a later edit never changes what a
learner saw; fixing a question offers a regrade of existing attempts, which replaces the
snapshot's answer key and grades again (audited).

Answer formats (``AttemptQuestion.response`` and ``Question.config``), by kind:

=============  ===========================================  ==============================
kind           config (answer key and rules)                response (what the learner sent)
=============  ===========================================  ==============================
single         options [{id, text, correct}]                {"option": id}
multiple       options [...], partial_credit rule            {"options": [id, ...]}
true_false     {"answer": true|false}                        {"value": true|false}
short_text     accepted [..], case_sensitive, whitespace     {"text": "..."}
numeric        answer, tolerance, tolerance_kind             {"value": "12.5"} (a string)
matching       pairs [{id, prompt, match}]                   {"pairs": {prompt_id: pair_id}}
ordering       items [{id, text}] in the right order         {"order": [id, ...]}
essay          guidance for graders                          {"text": "..."}
=============  ===========================================  ==============================

The exact stored config of each kind (value sets of partial_credit, whitespace and
tolerance_kind; decimals as strings) is checked and described in
``syllabus.assessments.validators``: every config saved through the authoring services
has that shape.

Option, pair and item ids are short random strings, never positions, so shuffling and
editing cannot make an answer point at the wrong choice, and a tampered id is refused.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from syllabus.core.models import PublicIdField, TimeStampedModel
from syllabus.courses.models import Course, Lesson


class QuestionBank(TimeStampedModel):
    public_id = PublicIdField(prefix="qbk")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="question_banks")
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="assess_bank_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class QuestionTag(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="question_tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="assess_tag_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class Question(TimeStampedModel):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True or false")
        SHORT_TEXT = "short_text", _("Short text")
        NUMERIC = "numeric", _("Numeric")
        MATCHING = "matching", _("Matching")
        ORDERING = "ordering", _("Ordering")
        ESSAY = "essay", _("Essay (graded by hand)")

    public_id = PublicIdField(prefix="qst")
    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    # Denormalised from the bank: permission checks and listings without a join.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=200, help_text=_("A short name for lists."))
    text = models.TextField(help_text=_("Markdown."))
    text_html = models.TextField(blank=True, editable=False)
    config = models.JSONField(default=dict, blank=True)
    points = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    explanation = models.TextField(blank=True, help_text=_("Markdown, shown with the answers."))
    tags = models.ManyToManyField(QuestionTag, blank=True, related_name="questions")
    # Incremented by every change to the text, config or points: attempts record the
    # version they saw, and a regrade knows which attempts are behind.
    version = models.PositiveIntegerField(default=1)
    # Deleting a question that attempts used archives it instead: random draws skip it
    # and it cannot be added to a quiz again, but attempts keep pointing at it.
    is_archived = models.BooleanField(default=False)
    # The question this one was copied from by a course copy (None for originals): a
    # copied quiz finds its fixed questions among the copied bank's questions.
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["text_html"])

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class Quiz(TimeStampedModel):
    class AttemptPolicy(models.TextChoices):
        HIGHEST = "highest", _("Highest score")
        LATEST = "latest", _("Latest attempt")
        AVERAGE = "average", _("Average of all attempts")

    class Visibility(models.TextChoices):
        IMMEDIATELY = "immediately", _("Immediately after submitting")
        AFTER_DUE = "after_due", _("After the due date")
        NEVER = "never", _("Never")

    public_id = PublicIdField(prefix="quz")
    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quizzes")
    instructions = models.TextField(blank=True, help_text=_("Markdown, shown before starting."))
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(
        null=True, blank=True, help_text=_("No attempt starts after this; running ones end.")
    )
    due_at = models.DateTimeField(
        null=True, blank=True, help_text=_("For 'after the due date' results; the lesson's due.")
    )
    time_limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    attempts_allowed = models.PositiveIntegerField(
        default=1, help_text=_("0 allows any number of attempts.")
    )
    pass_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("50"), help_text=_("Percent to pass.")
    )
    attempt_policy = models.CharField(
        max_length=8, choices=AttemptPolicy.choices, default=AttemptPolicy.HIGHEST
    )
    results_visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.IMMEDIATELY
    )
    answers_visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.AFTER_DUE
    )
    shuffle_questions = models.BooleanField(default=False)
    shuffle_options = models.BooleanField(default=False)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Quiz of lesson {self.lesson_id}"


class QuizSlot(models.Model):
    """One line of a quiz: a fixed question, or ``count`` questions drawn at random
    from a bank (optionally only those with a tag) when an attempt starts."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="slots")
    # RESTRICT, not PROTECT: a question, bank or tag a quiz uses cannot be deleted on its
    # own, but deleting the whole course (quizzes and banks together) is allowed.
    position = models.PositiveIntegerField(default=0)
    question = models.ForeignKey(
        Question, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    bank = models.ForeignKey(
        QuestionBank, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    tag = models.ForeignKey(
        QuestionTag, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(question__isnull=False, bank__isnull=True, tag__isnull=True)
                    | models.Q(question__isnull=True)
                    & (models.Q(bank__isnull=False) | models.Q(tag__isnull=False))
                ),
                name="assess_slot_fixed_or_random",
            ),
        ]

    def __str__(self) -> str:
        if self.question_id:
            return f"Slot {self.position}: question {self.question_id}"
        return f"Slot {self.position}: {self.count} from bank {self.bank_id} tag {self.tag_id}"


class Accommodation(TimeStampedModel):
    """Extra time and attempts for one learner on one quiz."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="accommodations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    extra_minutes = models.PositiveIntegerField(default=0)
    extra_attempts = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["quiz", "user"], name="assess_accommodation_once"),
        ]


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")

    public_id = PublicIdField(prefix="att")
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    # When the server stops accepting answers (time limit with accommodation, or the
    # quiz closing, whichever is first); None when neither applies.
    deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # True when the deadline passed and the server submitted what was saved.
    submitted_by_server = models.BooleanField(default=False)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # Essay answers wait for a grader: the score is provisional until this is False.
    needs_grading = models.BooleanField(default=False)

    class Meta:
        ordering = ["quiz", "user", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "user", "number"], name="assess_attempt_number_once"
            ),
            # At most one open attempt per learner and quiz, even under concurrent starts.
            models.UniqueConstraint(
                fields=["quiz", "user"],
                condition=models.Q(status="in_progress"),
                name="assess_one_open_attempt",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline_at"])]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.user_id} on quiz {self.quiz_id}"


class AttemptQuestion(models.Model):
    """One question as drawn into an attempt, and the learner's answer to it."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    # RESTRICT: a question that attempts used is archived, never deleted, unless its whole
    # course (and so these attempts) goes with it.
    question = models.ForeignKey(Question, on_delete=models.RESTRICT, related_name="+")
    question_version = models.PositiveIntegerField()
    # The question as the learner saw it: kind, text_html, options in the order shown,
    # the answer key and rules, and points.
    snapshot = models.JSONField()
    points = models.DecimalField(max_digits=6, decimal_places=2)
    response = models.JSONField(null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    points_awarded = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # Essays (and anything a grader changed by hand).
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    graded_at = models.DateTimeField(null=True, blank=True)
    feedback = models.TextField(blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="assess_attempt_position_once"
            ),
            models.UniqueConstraint(
                fields=["attempt", "question"], name="assess_attempt_question_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Question {self.position} of attempt {self.attempt_id}"
