from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from syllabus.audit.models import AuditEvent
from syllabus.core.jobs import enqueue_on_commit, huey
from syllabus.ops.models import FailedJob
from syllabus.ops.services import failed_job_rerun
from syllabus.ops.tests import jobs_for_tests

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reset_calls():
    jobs_for_tests.CALLS.clear()


def test_a_job_that_fails_on_its_last_try_lands_in_the_dead_letter_record():
    jobs_for_tests.always_fails(42)

    failed = FailedJob.objects.get()
    assert failed.task_name.endswith("always_fails")
    assert failed.args == [42]
    assert failed.error == "RuntimeError: cannot process user 42"
    assert "Traceback" in failed.traceback
    assert not failed.is_rerun


def test_a_failing_job_is_retried_with_growing_delays_before_dead_letter(monkeypatch):
    queue = huey()
    queue.immediate = False  # queue for real (in memory) so the schedule can be read
    # A real worker closes stale connections around each job; here the job shares the
    # test's transaction, which must stay open.
    monkeypatch.setattr("huey.contrib.djhuey.close_old_connections", lambda: None)
    try:
        jobs_for_tests.fails_then_retries(7)
        task = queue.dequeue()
        queue.execute(task)
        delays = []
        for _ in range(2):
            (task,) = queue.read_schedule(_far_future())
            delays.append(round((task.eta - _now()).total_seconds()))
            queue.execute(task, timestamp=_far_future())
        assert jobs_for_tests.CALLS == [7, 7, 7]
        # First retry after 10 s, the second after 20 s (backoff x2); the third failure is final.
        assert delays == [10, 20]
        assert queue.read_schedule(_far_future()) == []
        assert FailedJob.objects.filter(task_name__endswith="fails_then_retries").count() == 1
    finally:
        queue.immediate = True


def _far_future():
    return datetime.datetime(2100, 1, 1)


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def test_an_admin_reruns_a_dead_letter_and_it_is_audited(
    admin_user, django_capture_on_commit_callbacks
):
    jobs_for_tests.always_fails(5)
    failed = FailedJob.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        new_id = failed_job_rerun(actor=admin_user, failed_job=failed)

    failed.refresh_from_db()
    assert failed.rerun_by == admin_user
    assert failed.rerun_task_id == new_id
    assert jobs_for_tests.CALLS == [5, 5]  # ran again (and failed again: a new dead letter)
    assert FailedJob.objects.count() == 2
    event = AuditEvent.objects.get(action="job.rerun")
    assert event.actor == admin_user
    assert event.target_id == failed.public_id


def test_a_dead_letter_is_rerun_only_once(admin_user):
    jobs_for_tests.always_fails(5)
    failed = FailedJob.objects.get()
    failed_job_rerun(actor=admin_user, failed_job=failed)
    with pytest.raises(ValidationError, match="already re-run"):
        failed_job_rerun(actor=admin_user, failed_job=failed)
    assert AuditEvent.objects.filter(action="job.rerun").count() == 1


def test_a_dead_letter_of_a_removed_task_cannot_be_rerun(admin_user):
    failed = FailedJob.objects.create(task_name="gone.tasks.old", task_id="x", error="E")
    with pytest.raises(ValidationError, match="No task named 'gone.tasks.old'"):
        failed_job_rerun(actor=admin_user, failed_job=failed)
    failed.refresh_from_db()
    assert failed.rerun_at is None
    assert not AuditEvent.objects.filter(action="job.rerun").exists()


def test_enqueue_on_commit_waits_for_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_on_commit(jobs_for_tests.records, 1)
        assert jobs_for_tests.CALLS == []
    assert len(callbacks) == 1
    assert jobs_for_tests.CALLS == [1]


def test_enqueue_on_commit_drops_the_job_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue_on_commit(jobs_for_tests.records, 1)
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert callbacks == []
    assert jobs_for_tests.CALLS == []


def test_failed_jobs_admin_lists_and_reruns(client, admin_user):
    jobs_for_tests.always_fails(9)
    failed = FailedJob.objects.get()
    client.force_login(admin_user)
    page = client.get("/admin/ops/failedjob/")
    assert page.status_code == 200
    assert "RuntimeError: cannot process user 9" in page.content.decode()
    response = client.post(
        "/admin/ops/failedjob/",
        {"action": "rerun", "_selected_action": [failed.pk]},
        follow=True,
        HTTP_X_REQUEST_ID="admin-rerun-0001",
        HTTP_USER_AGENT="AdminBrowser/2.0",
        REMOTE_ADDR="192.0.2.44",
    )
    assert "Re-queued 1 job." in response.content.decode()
    failed.refresh_from_db()
    assert failed.is_rerun
    # The audit event carries the request's id, address and agent, taken by the middleware.
    event = AuditEvent.objects.get(action="job.rerun")
    assert (event.request_id, event.ip, event.user_agent) == (
        "admin-rerun-0001",
        "192.0.2.44",
        "AdminBrowser/2.0",
    )
