"""The language chooser: Django's ``set_language``, remembered on a signed-in account."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from syllabus.accounts.middleware import language_cookie_samesite
from syllabus.accounts.models import User
from syllabus.accounts.profile import language_update


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Sets the language cookie and goes back to ``next`` (Django's view does both); while
    signed in the choice is also saved on the account, so it follows the person to other
    browsers and to their emails. An empty choice on the profile page means "the site
    default": the account forgets its choice and the cookie goes."""
    choice = request.POST.get("language", "")
    if choice and choice not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Choose one of the languages offered."))
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        try:
            language_update(actor=user, user=user, language=choice)
        except ValidationError:
            return HttpResponseBadRequest(_("Choose one of the languages offered."))
        # Said in the language just chosen: the next page is in it.
        with translation.override(choice or settings.LANGUAGE_CODE):
            messages.success(request, _("Your language was saved."))
    response = set_language(request)
    if not choice:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=language_cookie_samesite(),
        )
    return response
