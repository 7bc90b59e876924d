"""The personal API tokens page: list, create (the token shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from syllabus.accounts.forms_tokens import TokenCreateForm
from syllabus.accounts.tokens import token_create, token_get_own, token_list, token_revoke
from syllabus.core.forms import add_service_errors


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None, user=request.user)
    new = None
    if request.method == "POST" and form.is_valid():
        try:
            new = token_create(
                actor=request.user,
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = TokenCreateForm(user=request.user)
    response = render(
        request,
        "accounts/tokens/list.html",
        {
            "form": form,
            "new": new,
            "tokens": token_list(user=request.user),
            "now": timezone.now(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
    if new is not None:
        # The only page that ever shows the token: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke_view(request: HttpRequest, public_id: str) -> HttpResponse:
    token = token_get_own(user=request.user, public_id=public_id)
    if token is None:
        raise Http404
    if request.method == "GET":  # confirmation step
        return render(request, "accounts/tokens/revoke.html", {"token": token})
    if token_revoke(actor=request.user, token=token):
        messages.success(
            request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name}
        )
    else:
        messages.info(request, _("Token “%(name)s” was already revoked.") % {"name": token.name})
    return redirect("accounts:tokens")
