"""Surveys API: the answers customers gave (CSAT, CES, NPS) and inviting a customer from an integration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from rapport.api.auth import api_actor
from rapport.api.v1.pagination import paginate
from rapport.api.v1.schemas.common import Id, Instant, PageParams, problems
from rapport.customers.selectors import access_customer
from rapport.desk.selectors.conversations import access_conversation
from rapport.listening import selectors
from rapport.listening.models import InvitationStatus, SentimentLabel, SurveyInvitation, SurveyKind
from rapport.listening.services import surveys

router = Router(tags=["surveys"])


class ResponseFilters(Schema):
    kind: SurveyKind | None = None
    since: Instant | None = Field(None, description="Only answers given at or after this time")
    agent_id: Id | None = Field(None, description="Only answers about this agent's conversations")
    team_id: Id | None = Field(None, description="Only answers about this team's conversations")


class ResponseOut(Schema):
    id: int
    invitation_id: int
    kind: SurveyKind
    score: int
    comment: str
    comment_sentiment: float | None
    comment_sentiment_label: SentimentLabel | None
    customer_id: int
    conversation_id: int | None
    agent_id: int | None
    team_id: int | None
    answered_at: datetime
    first_answered_at: datetime

    @staticmethod
    def resolve_comment_sentiment_label(obj: Any) -> str | None:
        return obj.comment_sentiment_label or None


class ResponsePage(Schema):
    count: int
    items: list[ResponseOut]


class InvitationFilters(Schema):
    kind: SurveyKind | None = None
    status: InvitationStatus | None = None
    customer_id: Id | None = None


class InvitationIn(Schema):
    customer_id: Id
    kind: SurveyKind
    conversation_id: Id | None = Field(
        None, description="CSAT and CES: the conversation asked about (required)"
    )


class InvitationOut(Schema):
    id: int
    kind: SurveyKind
    status: InvitationStatus
    customer_id: int
    conversation_id: int | None
    agent_id: int | None
    team_id: int | None
    recipient: str
    send_at: datetime
    sent_at: datetime | None
    expires_at: datetime
    failure: str
    created_at: datetime


class InvitationPage(Schema):
    count: int
    items: list[InvitationOut]


@router.get("/surveys/responses", response={200: ResponsePage, **problems(422)})
def list_responses(
    request: HttpRequest, filters: Query[ResponseFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Survey answers, newest first: leads and admins see all; anyone else answers about their own
    conversations or their own customers."""
    responses = selectors.visible_survey_responses(
        api_actor(request),
        kind=filters.kind or "",
        since=filters.since,
        agent_id=filters.agent_id,
        team_id=filters.team_id,
    )
    return paginate(responses, page)


@router.get("/surveys/invitations", response={200: InvitationPage, **problems(422)})
def list_invitations(
    request: HttpRequest, filters: Query[InvitationFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Invitations, newest first, with where they went and why one was cancelled or failed (leads,
    admins; scope `listening:write`)."""
    invitations = selectors.visible_survey_invitations(
        api_actor(request),
        kind=filters.kind or "",
        status=filters.status or "",
        customer_id=filters.customer_id,
    )
    return paginate(invitations, page)


@router.post("/surveys/invitations", response={201: InvitationOut, **problems(404, 409, 422)})
def create_invitation(request: HttpRequest, payload: InvitationIn) -> Status[SurveyInvitation]:
    """Ask one customer now (sent within a minute). NPS is about the relationship (no conversation);
    CSAT and CES name the conversation. 409 `not_invitable` when the customer declined surveys or has no
    email address, `nps_too_soon` within a quarter of the last NPS invitation, `already_invited` when the
    conversation was asked already."""
    actor = api_actor(request)
    customer = access_customer(actor, payload.customer_id)
    conversation = (
        access_conversation(actor, payload.conversation_id) if payload.conversation_id is not None else None
    )
    invitation = surveys.invite_customer(
        actor=actor, customer=customer, kind=payload.kind, conversation=conversation
    )
    return Status(201, invitation)
