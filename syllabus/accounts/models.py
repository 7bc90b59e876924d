from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from syllabus.accounts.roles import COURSE, PERMISSIONS, SITE
from syllabus.core.fields import (
    BlindIndexField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedTextField,
    normalize_identifier,
)
from syllabus.core.models import PublicIdField, TimeStampedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Email is the login; ``public_id`` is what URLs expose."""

    public_id = PublicIdField(prefix="usr")
    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text=_("Can sign in to the Django admin site.")
    )
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # When the user first held a role for which MFA is required (SYLLABUS_MFA_REQUIRED_ROLES);
    # the grace period counts from here. Null while they hold no such role.
    mfa_required_since = models.DateTimeField(null=True, blank=True)
    # For one-time sign-in codes by SMS. Encrypted (docs/encryption.md), bound to the row
    # through public_id, which is set before the INSERT (the primary key is not). It is
    # never searched, so it has no blind index; history keeps no copies of it.
    phone_number = EncryptedCharField(max_length=32, blank=True, row_field="public_id")
    # The language pages and emails use for this person; blank: the browser's, else the
    # site default (SYLLABUS_LANGUAGE_CODE). Set by the language chooser while signed in.
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES
    )

    history = HistoricalRecords(
        excluded_fields=["password", "last_login", "updated_at", "phone_number"]
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ("email",)
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        indexes = [
            # Sign-in, sign-up and password reset look people up by ``email__iexact``,
            # which Django writes as UPPER(email) = UPPER(%s): without this index, a scan
            # of every user (about 0.5 s at 100,000 learners, bench/RESULTS.md).
            models.Index(Upper("email"), name="accounts_user_email_upper"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_absolute_url(self) -> str:
        return reverse("admin:accounts_user_change", args=[self.pk])

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(TimeStampedModel):
    """A named set of permission codes from ``roles.PERMISSIONS``."""

    class Scope(models.TextChoices):
        SITE = SITE, _("Site-wide")
        COURSE = COURSE, _("Within a course")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    description = models.CharField(max_length=300, blank=True)
    permissions = models.JSONField(default=list)
    is_builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ("scope", "name")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = sorted(set(self.permissions) - set(PERMISSIONS))
        if unknown:
            raise ValidationError(
                {
                    "permissions": gettext("Unknown permissions: %(codes)s.")
                    % {"codes": ", ".join(unknown)}
                }
            )


class RoleAssignment(TimeStampedModel):
    """A site-wide role held by a user. Course roles live with course memberships."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, related_name="assignments", limit_choices_to={"scope": SITE}
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"], name="accounts_one_assignment_per_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role}"


class ApiToken(TimeStampedModel):
    """A personal API token: shown once, stored as a SHA-256 hash, scoped, expiring."""

    public_id = PublicIdField(prefix="tok")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the token, kept in clear so a user can tell tokens apart.
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, help_text=_("Permission codes the token may use."))
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class UserSession(models.Model):
    """A signed-in browser session, listed on the user's "active sessions" page."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="browser_sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    device = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ("-last_seen_at",)

    def __str__(self) -> str:
        return f"{self.user} on {self.device or 'unknown device'}"


class Invitation(TimeStampedModel):
    """An invitation to sign up, sent by an admin or a manager."""

    public_id = PublicIdField(prefix="inv")
    email = models.EmailField()
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, null=True, blank=True, limit_choices_to={"scope": SITE}
    )
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Invitation for {self.email}"


class OneTimeCodeMethod(TimeStampedModel):
    """A second factor that sends a one-time code by email or SMS."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message (SMS)")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="code_methods")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "channel"], name="accounts_one_method_per_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} codes for {self.user}"


class PersonalDetails(models.Model):
    """Personal data beyond the account: every value is encrypted (docs/encryption.md).

    Seen only by the person and by holders of ``user.manage`` (who can find someone by
    their id number through its blind index); changed only by the person (rectification).
    The primary key is the user's, known before the INSERT, so values bind to it.
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="personal_details"
    )
    date_of_birth = EncryptedDateField("date of birth", blank=True)
    postal_address = EncryptedTextField("postal address", max_length=500, blank=True)
    id_number = EncryptedCharField("national or student id number", max_length=64, blank=True)
    id_number_index = BlindIndexField(source="id_number", normalizer=normalize_identifier)
    accommodation_notes = EncryptedTextField("accommodation needs", max_length=2000, blank=True)
    medical_notes = EncryptedTextField("medical notes", max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "personal details"
        verbose_name_plural = "personal details"

    def __str__(self) -> str:
        return f"Personal details of {self.user}"
