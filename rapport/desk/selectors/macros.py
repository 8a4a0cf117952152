"""Which macros (canned replies) someone may use: those shared with everyone and their team's own."""

from __future__ import annotations

from django.db.models import Q

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import NotFound
from rapport.desk.models import Conversation, Macro


def _usable_by(actor: Actor, conversation: Conversation | None) -> Q:
    if actor.user.role == Role.ADMIN:
        return Q()
    teams = {team_id for team_id in (actor.user.team_id,) if team_id is not None}
    # Helping on another team's conversation, an agent gets that team's wording too: the caller has
    # already checked that the actor may see the conversation.
    if conversation is not None and conversation.team_id is not None:
        teams.add(conversation.team_id)
    return Q(team__isnull=True) | Q(team_id__in=teams)


def macros_for(actor: Actor, conversation: Conversation | None = None) -> list[Macro]:
    """Active macros shared with every team (team null) or belonging to the actor's team, by name.

    Admins see every team's macros. With a conversation, that conversation's team's macros are
    included as well.
    """
    actor.require(Perm.DESK_VIEW)
    return list(Macro.objects.filter(_usable_by(actor, conversation), is_active=True).order_by("name", "id"))


def access_macro(actor: Actor, macro_id: int, *, conversation: Conversation | None = None) -> Macro:
    """One active macro the actor may use, or NotFound (also for another team's macros)."""
    actor.require(Perm.DESK_VIEW)
    macro = Macro.objects.filter(_usable_by(actor, conversation), is_active=True, pk=macro_id).first()
    if macro is None:
        raise NotFound(f"no macro {macro_id}", code="macro_not_found")
    return macro
