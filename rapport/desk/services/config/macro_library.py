"""Macros leads and admins keep: canned replies with actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from rapport.accounts.audit import record_audit, snapshot
from rapport.accounts.models import Team, User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import PermissionDenied, ValidationFailed
from rapport.desk.models import (
    Macro,
)
from rapport.desk.selectors.config import may_manage_macros_of
from rapport.desk.services import macros
from rapport.desk.services.config._common import (
    MACRO_FIELDS,
    MAX_MACRO_BODY,
    audit_save,
    clean_name,
    invalid,
)
from rapport.desk.services.routing import can_take_conversations


def _require_macro_scope(actor: Actor, team_id: int | None) -> None:
    actor.require(Perm.DESK_ASSIGN)
    if not may_manage_macros_of(actor, team_id):
        raise PermissionDenied(
            "a lead manages shared macros and those of their own team", code="permission_denied"
        )


def clean_macro_actions(actions: Mapping[str, Any]) -> dict[str, Any]:
    """The actions a macro applies, normalised, blank ones dropped; raises with errors per action.

    The shape is the one macros.apply_macro runs (one rule for both); on top, whoever a macro
    assigns to must exist now and take conversations, so a macro is not saved broken.
    """
    checked = macros.clean_macro_actions(dict(actions))
    if isinstance(checked.assign, int):
        assignee = User.objects.filter(pk=checked.assign).first()
        if assignee is None or not can_take_conversations(assignee):
            problem = "assign to whoever uses the macro, or to a member of staff who takes conversations"
            raise invalid({"assign": problem}, "invalid_macro_actions")
    return checked.as_dict()


def _check_body(body: str, errors: dict[str, str]) -> None:
    if len(body) > MAX_MACRO_BODY:
        errors["body"] = f"at most {MAX_MACRO_BODY} characters"
        return
    unknown = macros.unknown_variables(body)
    if unknown:
        names = ", ".join(f"{{{{ {name} }}}}" for name in unknown)
        errors["body"] = f"the desk cannot fill {names}; use the variables listed below the text"


@transaction.atomic
def save_macro(
    *,
    actor: Actor,
    macro: Macro | None = None,
    name: str,
    body: str,
    actions: Mapping[str, Any],
    team: Team | None,
    is_active: bool = True,
) -> Macro:
    """Create or change a macro: a reply text with variables, and actions applied when it is used."""
    if macro is not None:
        macro = Macro.objects.select_for_update().get(pk=macro.pk)
        _require_macro_scope(actor, macro.team_id)
    _require_macro_scope(actor, team.pk if team else None)
    errors: dict[str, str] = {}
    same_scope = Macro.objects.filter(name__iexact=name.strip(), team=team)
    if macro is not None:
        same_scope = same_scope.exclude(pk=macro.pk)
    name = clean_name(
        name, errors, what="macro of this team" if team else "shared macro", taken=same_scope.exists()
    )
    _check_body(body, errors)
    try:
        cleaned_actions = clean_macro_actions(actions)
    except ValidationFailed as error:
        errors |= error.errors
        cleaned_actions = {}
    if not body.strip() and not cleaned_actions and not errors:
        errors["body"] = "a macro needs a reply text, at least one action, or both"
    if errors:
        raise invalid(errors, "invalid_macro")
    target = macro or Macro(created_by=actor.user)
    before = snapshot(target, MACRO_FIELDS) if macro is not None else None
    target.name, target.body, target.actions = name, body.strip(), cleaned_actions
    target.team, target.is_active = team, is_active
    target.save()
    audit_save(actor, "desk.macro", target, before, MACRO_FIELDS)
    return target


@transaction.atomic
def delete_macro(*, actor: Actor, macro: Macro) -> None:
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    _require_macro_scope(actor, macro.team_id)
    record_audit(actor=actor, action="desk.macro.delete", target=macro, before=snapshot(macro, MACRO_FIELDS))
    macro.delete()
