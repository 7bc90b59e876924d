"""MFA secrets are bound to their authenticator row in the database (owner and type)."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from syllabus.accounts.mfa import verify_second_factor
from syllabus.accounts.mfa_adapter import MFA_CONTEXT, MfaAdapter
from syllabus.accounts.mfa_binding import row_context
from syllabus.accounts.tests.mfa_helpers import enrol_totp, recovery_codes
from syllabus.core.crypto import TamperedValue, keyring
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def stored(user, type_: str) -> dict:
    return Authenticator.objects.filter(user=user, type=type_).values_list("data", flat=True)[0]


def test_stored_secrets_open_only_under_their_rows_context(learner):
    secret = enrol_totp(learner)
    raw = stored(learner, "totp")["secret"]
    ring = keyring()
    assert ring.open(raw, row_context(learner.pk, "totp")).decode() == secret
    with pytest.raises(TamperedValue):
        ring.open(raw, MFA_CONTEXT)
    seed = stored(learner, "recovery_codes")["seed"]
    ring.open(seed, row_context(learner.pk, "recovery_codes"))
    # loaded through the ORM, allauth reads them as usual
    totp = Authenticator.objects.get(user=learner, type="totp")
    assert MfaAdapter().decrypt(totp.data["secret"]) == secret


def test_a_secret_copied_to_another_persons_row_is_refused(learner, outsider):
    enrol_totp(learner)
    enrol_totp(outsider)
    known = stored(learner, "totp")
    Authenticator.objects.filter(user=outsider, type="totp").update(data=known)
    victim = Authenticator.objects.get(user=outsider, type="totp")
    with pytest.raises(TamperedValue, match="mfa_authenticator.data"):
        MfaAdapter().decrypt(victim.data["secret"])


def test_using_a_recovery_code_keeps_the_stored_values_bound(learner):
    enrol_totp(learner)
    codes = recovery_codes(learner)
    assert verify_second_factor(user=learner, code=codes[0]) is True
    seed = stored(learner, "recovery_codes")["seed"]
    keyring().open(seed, row_context(learner.pk, "recovery_codes"))
    assert recovery_codes(learner) == codes[1:]


def test_rotation_binds_values_written_before_binding():
    user = UserFactory()
    secret = enrol_totp(user)
    unbound = keyring().seal(secret.encode(), MFA_CONTEXT)
    Authenticator.objects.filter(user=user, type="totp").update(data={"secret": unbound})
    # still readable before the rotation (values from before binding)
    totp = Authenticator.objects.get(user=user, type="totp")
    assert MfaAdapter().decrypt(totp.data["secret"]) == secret

    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    assert "MFA secrets (mfa.Authenticator)" in out.getvalue()
    raw = stored(user, "totp")["secret"]
    assert keyring().open(raw, row_context(user.pk, "totp")).decode() == secret
    second = io.StringIO()
    call_command("rotate_keys", stdout=second)
    assert "Every value is under 'test2' already." in second.getvalue()
