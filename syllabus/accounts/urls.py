"""Account pages of our own (allauth's live under /accounts/)."""

from django.urls import URLPattern, URLResolver, path

from syllabus.accounts import views_roles, views_tokens

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
]
