"""Account pages of our own (allauth's live under /accounts/)."""

from django.urls import URLPattern, URLResolver, path

from syllabus.accounts import views_roles, views_signin, views_tokens

app_name = "accounts"

urlpatterns: list[URLPattern | URLResolver] = [
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
    path(
        "tokens/<str:public_id>/revoke/", views_tokens.token_revoke_view, name="token_revoke"
    ),
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
    path("security/", views_signin.security, name="security"),
]
