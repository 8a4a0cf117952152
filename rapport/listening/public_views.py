"""The survey page a customer opens from the invitation: a GET shows it, only a POST records an answer.

Mail clients and link scanners open links before the customer does, so the one-click links only choose
the score on the page; the customer confirms it with the button (a form with Django's CSRF token).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rapport.core.errors import Conflict, NotFound, ValidationFailed
from rapport.listening.models import SCALES, SurveyInvitation, SurveyResponse
from rapport.listening.services import surveys

PAGE = "listening/survey_page.html"
CLOSED = "listening/survey_closed.html"


def _chosen(invitation: SurveyInvitation, raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return surveys.clean_score(invitation.kind, raw)
    except ValidationFailed:
        return None


def _page(
    request: HttpRequest,
    invitation: SurveyInvitation,
    response: SurveyResponse | None,
    *,
    chosen: int | None,
    comment: str = "",
    error: str = "",
    thanks: bool = False,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    words = surveys.texts_for(invitation.customer.language)
    low, high = SCALES[invitation.kind]
    changeable = response is None or surveys.can_change(response, now)
    context: dict[str, Any] = {
        "invitation": invitation,
        "response": response,
        "words": words,
        "question": words[f"{invitation.kind}_question"],
        "low_label": words[f"{invitation.kind}_low"],
        "high_label": words[f"{invitation.kind}_high"],
        "scores": list(range(low, high + 1)),
        "chosen": chosen if chosen is not None else (response.score if response else None),
        "comment": comment or (response.comment if response else ""),
        "changeable": changeable,
        "change_until": words["can_change"].format(
            date=f"{response.first_answered_at + surveys.CHANGE_WINDOW:%Y-%m-%d %H:%M} UTC"
        )
        if response is not None
        else "",
        "error": error,
        "thanks": thanks,
        "wide": high - low >= 7,
    }
    return render(request, PAGE, context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = surveys.invitation_for_token(token)
    except NotFound as exc:
        raise Http404("no such survey") from exc
    except surveys.SurveyClosed:
        return render(request, CLOSED, {}, status=410)
    if request.method == "POST":
        comment = request.POST.get("comment", "")
        try:
            surveys.answer_survey(token=token, score=request.POST.get("score"), comment=comment)
        except surveys.SurveyClosed:
            return render(request, CLOSED, {}, status=410)
        except Conflict as error:
            return _page(
                request,
                invitation,
                surveys.response_of(invitation),
                chosen=None,
                error=error.detail,
                status=409,
            )
        except ValidationFailed as error:
            return _page(
                request,
                invitation,
                surveys.response_of(invitation),
                chosen=_chosen(invitation, request.POST.get("score")),
                comment=comment,
                error=error.detail,
                status=422,
            )
        # Post/redirect/get: reloading the thank-you page does not send the form again.
        return redirect(f"{request.path}?answered=1")
    response = surveys.response_of(invitation)
    return _page(
        request,
        invitation,
        response,
        chosen=_chosen(invitation, request.GET.get("score")),
        thanks=request.GET.get("answered") == "1" and response is not None,
    )
