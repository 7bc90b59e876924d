"""Account pages of our own (allauth's live under /accounts/)."""

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from syllabus.accounts import (
    views_language,
    views_roles,
    views_security,
    views_signin,
    views_tokens,
)

app_name = "accounts"

urlpatterns: list[URLPattern | URLResolver] = [
    # /account/ itself, typed or left when a path is cut back: the profile, which the
    # header's "Profile" link opens too.
    path("", RedirectView.as_view(pattern_name="accounts:profile"), name="index"),
    path("people/", views_roles.people, name="people"),
    path("people/<str:public_id>/", views_roles.person, name="person"),
    path("people/<str:public_id>/roles/", views_roles.person_grant, name="person_grant"),
    path(
        "people/<str:public_id>/roles/<slug:role_slug>/remove/",
        views_roles.person_revoke,
        name="person_revoke",
    ),
    path("roles/", views_roles.roles, name="roles"),
    path("roles/new/", views_roles.role_new, name="role_new"),
    path("roles/<slug:slug>/", views_roles.role_edit, name="role_edit"),
    path("tokens/", views_tokens.tokens, name="tokens"),
    path("tokens/<str:public_id>/revoke/", views_tokens.token_revoke_view, name="token_revoke"),
    # Sign-in part: invitations, lockouts, profile, security overview.
    path("invitations/", views_signin.invitation_list, name="invitations"),
    path(
        "invitations/<str:public_id>/revoke/",
        views_signin.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", views_signin.invitation_accept, name="invitation_accept"),
    path("lockouts/", views_signin.lockout_list, name="lockouts"),
    path("lockouts/clear/", views_signin.lockout_clear, name="lockout_clear"),
    path("profile/", views_signin.profile, name="profile"),
    path("language/", views_language.language, name="language"),
    path("security/", views_signin.security, name="security"),
    # Sessions and MFA part.
    path("sessions/", views_security.sessions, name="sessions"),
    path("sessions/<int:pk>/sign-out/", views_security.session_revoke, name="session_revoke"),
    path(
        "sessions/sign-out-others/",
        views_security.sessions_revoke_others,
        name="sessions_revoke_others",
    ),
    path("session/status/", views_security.session_status, name="session_status"),
    path("session/keepalive/", views_security.session_keepalive, name="session_keepalive"),
    path(
        "security/codes/<str:channel_name>/",
        views_security.code_method_setup,
        name="code_method_setup",
    ),
    path(
        "security/codes/<str:channel_name>/remove/",
        views_security.code_method_remove,
        name="code_method_remove",
    ),
    path("mfa/code/send/", views_security.mfa_code_send, name="mfa_code_send"),
    path(
        "mfa/reauthenticate/",
        views_security.mfa_code_reauthenticate,
        name="mfa_code_reauthenticate",
    ),
    path("users/<str:public_id>/mfa/reset/", views_security.mfa_reset_view, name="mfa_reset"),
]
