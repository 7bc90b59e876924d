"""Password rules, their help text and errors on every password page, and Argon2id hashing."""

from __future__ import annotations

import re
import string

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.contrib.auth.password_validation import (
    get_default_password_validators,
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from syllabus.accounts.models import User
from syllabus.accounts.validators import ComplexityValidator, kinds_used
from tests.factories import PASSWORD, UserFactory
from tests.processes import syllabus_check

pytestmark = pytest.mark.django_db

PRODUCTION_HASHERS = [
    "syllabus.accounts.hashers.ConfiguredArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


def tag(html: str, name: str) -> str:
    """The <input> element named ``name`` in the page."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def messages_of(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# --- The complexity validator ----------------------------------------------------------------


def test_a_short_password_is_refused_with_the_length_rule_named():
    with pytest.raises(ValidationError) as exc:
        ComplexityValidator().validate("Ab1-Ab1-")
    assert messages_of(exc) == (
        "This password is too short: it has 8 characters and must have at least 12."
    )
    assert exc.value.error_list[0].code == "password_too_short"


def test_a_password_with_too_few_kinds_names_the_kinds_to_add():
    with pytest.raises(ValidationError) as exc:
        ComplexityValidator().validate("lowercaseanddigits12345")
    message = messages_of(exc)
    assert "uses 2 of lowercase letters, uppercase letters, digits and symbols" in message
    assert "must use at least 3" in message
    assert "Add uppercase letters or symbols." in message
    assert "too short" not in message


def test_both_rules_can_fail_at_once_and_both_are_reported():
    with pytest.raises(ValidationError) as exc:
        ComplexityValidator().validate("abc")
    codes = [error.code for error in exc.value.error_list]
    assert codes == ["password_too_short", "password_too_simple"]


def test_a_password_meeting_the_rules_passes():
    ComplexityValidator().validate("Tall-Maple-Orbit-42")
    ComplexityValidator().validate("correct horse Battery")  # lower, upper, space


def test_the_rules_are_configurable():
    strict = ComplexityValidator(min_length=16, min_classes=4)
    with pytest.raises(ValidationError, match="at least 16"):
        strict.validate("Tall-Maple-42")
    with pytest.raises(ValidationError, match="must use at least 4. Add digits."):
        strict.validate("Tall-Maple-Orbit-Seven")
    strict.validate("Tall-Maple-Orbit-Seven-7")
    assert "all four kinds" in strict.get_help_text()


def test_settings_build_the_validator_list_from_the_environment_settings(settings):
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "ComplexityValidator",
        "UserAttributeSimilarityValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    complexity = get_default_password_validators()[0]
    assert isinstance(complexity, ComplexityValidator)
    assert (complexity.min_length, complexity.min_classes) == (12, 3)
    # The test plugin puts a fast hasher first; production's list starts with Argon2.
    assert settings.PASSWORD_HASHERS[1:] == PRODUCTION_HASHERS


def test_help_text_lists_every_rule():
    texts = password_validators_help_texts()
    assert texts[0] == (
        "Your password must have at least 12 characters and use at least 3 of these 4 kinds: "
        "lowercase letters, uppercase letters, digits and symbols (anything else, such as - ! "
        "or a space)."
    )
    assert any("commonly used" in text for text in texts)
    assert any("too similar" in text for text in texts)


def test_common_and_similar_passwords_are_refused_though_complex_enough():
    with pytest.raises(ValidationError, match="too common"):
        validate_password("Password1234")
    person = User(email="maria.fernandez@example.org", full_name="Maria Fernandez")
    with pytest.raises(ValidationError, match="too similar"):
        validate_password("Maria.Fernandez1", user=person)


# --- Property tests --------------------------------------------------------------------------

# Letters from several scripts, digits, ASCII symbols and spaces.
ALPHABET = st.characters(
    categories=("Lu", "Ll", "Lo", "Nd", "Po", "Pd", "Sm", "Zs"), max_codepoint=0x30FF
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(password=st.text(alphabet=ALPHABET, max_size=40))
def test_property_refused_exactly_when_a_rule_fails_and_the_message_names_it(password):
    validator = ComplexityValidator(min_length=12, min_classes=3)
    too_short = len(password) < 12
    too_simple = len(kinds_used(password)) < 3
    if not (too_short or too_simple):
        validator.validate(password)
        return
    with pytest.raises(ValidationError) as exc:
        validator.validate(password)
    codes = {error.code for error in exc.value.error_list}
    expected = {"password_too_short"} if too_short else set()
    if too_simple:
        expected.add("password_too_simple")
    assert codes == expected
    if too_short:
        assert f"it has {len(password)} characters" in messages_of(exc)


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    min_length=st.integers(min_value=8, max_value=40),
    min_classes=st.integers(min_value=1, max_value=4),
    pools=st.permutations(
        [string.ascii_lowercase, string.ascii_uppercase, string.digits, "-!@# ."]
    ),
    data=st.data(),
)
def test_property_a_long_enough_mix_of_enough_kinds_always_passes(
    min_length, min_classes, pools, data
):
    chosen = pools[:min_classes]
    # One character of each chosen kind, then padding from those kinds up to the length.
    head = [data.draw(st.sampled_from(pool)) for pool in chosen]
    padding = data.draw(
        st.text(
            alphabet=st.sampled_from("".join(chosen)),
            min_size=max(0, min_length - len(head)),
            max_size=min_length + 5,
        )
    )
    ComplexityValidator(min_length=min_length, min_classes=min_classes).validate(
        "".join(head) + padding
    )


@hypothesis_settings(max_examples=100, deadline=None)
@given(password=st.text(alphabet=ALPHABET, max_size=30))
def test_property_kinds_are_counted_once_each(password):
    kinds = kinds_used(password)
    assert len(kinds) == len({kind.code for kind in kinds}) <= 4
    assert kinds_used(password + password) == kinds


# --- The rules on the pages ------------------------------------------------------------------


def test_signup_shows_the_rules_and_a_failure_names_the_rule_on_the_field(client, settings):
    settings.SIGNUP = "open"
    page = client.get("/accounts/signup/").content.decode()
    assert "at least 12 characters" in page
    assert 'id="id_password1_helptext"' in page

    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.org", "password1": "short1A", "password2": "short1A"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "This password is too short: it has 7 characters and must have at least 12." in html
    field = tag(html, "password1")
    assert 'aria-invalid="true"' in field
    assert "id_password1_error" in field
    assert 'id="id_password1_error"' in html
    assert not User.objects.filter(email="new@example.org").exists()


def test_password_change_page_shows_the_rules_and_refuses_a_weak_password(client):
    user = UserFactory.create(email="change@example.org")
    client.force_login(user)
    assert "at least 12 characters" in client.get("/accounts/password/change/").content.decode()
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "alllowercaseletters", "password2": "x"},
    )
    assert "mixes too few kinds of characters" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_fields_do_not_block_pasting(client, settings):
    settings.SIGNUP = "open"
    for url in ("/accounts/signup/", "/accounts/login/"):
        html = client.get(url).content.decode().lower()
        assert "onpaste" not in html
        assert "paste" not in html


# --- Hashing ---------------------------------------------------------------------------------


def test_new_passwords_are_hashed_with_argon2id(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    assert make_password("Tall-Maple-Orbit-42").startswith("argon2$argon2id$")


def test_argon2id_uses_owasps_recommended_cost_by_default(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    # 19 MiB, 2 passes, 1 lane (OWASP Password Storage Cheat Sheet).
    assert (settings.ARGON2_MEMORY_KIB, settings.ARGON2_TIME_COST) == (19_456, 2)
    assert settings.ARGON2_PARALLELISM == 1
    assert "$v=19$m=19456,t=2,p=1$" in make_password("Tall-Maple-Orbit-42")


def test_the_argon2id_cost_follows_the_settings(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    settings.ARGON2_MEMORY_KIB = 32_768
    settings.ARGON2_TIME_COST = 3
    settings.ARGON2_PARALLELISM = 2
    encoded = make_password("Tall-Maple-Orbit-42")
    assert "$m=32768,t=3,p=2$" in encoded
    assert check_password("Tall-Maple-Orbit-42", encoded)


def test_a_hash_with_another_cost_is_remade_at_sign_in(client, settings):
    """A hash of Django's own Argon2 cost (100 MiB, 8 lanes) or of an earlier setting is
    re-made with the configured cost when its owner signs in; it verifies either way."""
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = UserFactory.create(
        email="costly@example.org", password=Argon2PasswordHasher().encode(PASSWORD, "s" * 22)
    )
    assert "$m=102400,t=2,p=8$" in user.password

    form = {"login": "costly@example.org", "password": PASSWORD}
    response = client.post("/accounts/login/", form)

    assert response.status_code == 302
    user.refresh_from_db()
    assert "$m=19456,t=2,p=1$" in user.password
    assert user.check_password(PASSWORD)


def test_the_argon2_memory_setting_refuses_less_than_owasps_minimum(tmp_path):
    result = syllabus_check(tmp_path, SYLLABUS_ARGON2_MEMORY_KIB="4096")
    assert result.returncode == 1
    assert "SYLLABUS_ARGON2_MEMORY_KIB" in result.stderr


def test_a_pbkdf2_hash_is_upgraded_to_argon2id_at_sign_in(client, settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = UserFactory.create(
        email="old@example.org",
        password=make_password(PASSWORD, hasher="pbkdf2_sha256"),
    )
    assert user.password.startswith("pbkdf2_sha256$")

    response = client.post("/accounts/login/", {"login": "old@example.org", "password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)
