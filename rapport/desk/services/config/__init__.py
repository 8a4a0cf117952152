"""Writes for the desk's configuration: calendars, SLA policies, team rules, capacities, fields, macros.

Who may change what (rules in one place, checked by every function here):
- calendars, SLA policies, team routing rules, custom fields and desk-wide settings need
  Perm.DESK_CONFIGURE: admins, signed in (no token scope grants it);
- an agent's capacity and calendar are a lead's call (Perm.DESK_ASSIGN) for the members of their
  own team, and an admin's for anyone;
- macros are managed by leads and admins (Perm.DESK_ASSIGN). An admin manages every macro. A lead
  manages the shared macros (no team) and their own team's, and cannot create, edit or delete
  another team's: that team's lead answers for what its agents send.

Each change is checked completely before anything is written, then saved and audited in one
transaction: a refused change leaves nothing half-written. Validation errors carry `errors`, a
mapping from the argument (or, for opening hours, the weekday) to a message a form can show.
"""

from __future__ import annotations

from rapport.desk.services.config._common import (
    ATTACHMENT_BYTES,
    AUTO_CLOSE_DAYS,
    CALENDAR_FIELDS,
    FIELD_FIELDS,
    MACRO_FIELDS,
    MAX_CAPACITY,
    MAX_CHOICE_LENGTH,
    MAX_CHOICES,
    MAX_HOLIDAYS,
    MAX_MACRO_BODY,
    MAX_NAME,
    MAX_TARGET_MINUTES,
    NEAR_BREACH_PERCENT,
    POLICY_FIELDS,
    SETTINGS_FIELDS,
    TEAM_DESK_FIELDS,
    WEEKDAYS,
    hhmm,
    known_time_zones,
)
from rapport.desk.services.config.calendars import clean_week, delete_calendar, save_calendar
from rapport.desk.services.config.fields import custom_field_in_use, delete_custom_field, save_custom_field
from rapport.desk.services.config.general import save_desk_settings
from rapport.desk.services.config.macro_library import clean_macro_actions, delete_macro, save_macro
from rapport.desk.services.config.sla_policies import (
    delete_sla_policy,
    move_sla_policy,
    reorder_sla_policies,
    save_sla_policy,
)
from rapport.desk.services.config.teams import (
    RosterRow,
    save_team_desk,
    set_agent_capacity_and_calendar,
    team_roster,
)

__all__ = [
    "ATTACHMENT_BYTES",
    "AUTO_CLOSE_DAYS",
    "CALENDAR_FIELDS",
    "FIELD_FIELDS",
    "MACRO_FIELDS",
    "MAX_CAPACITY",
    "MAX_CHOICES",
    "MAX_CHOICE_LENGTH",
    "MAX_HOLIDAYS",
    "MAX_MACRO_BODY",
    "MAX_NAME",
    "MAX_TARGET_MINUTES",
    "NEAR_BREACH_PERCENT",
    "POLICY_FIELDS",
    "SETTINGS_FIELDS",
    "TEAM_DESK_FIELDS",
    "WEEKDAYS",
    "RosterRow",
    "clean_macro_actions",
    "clean_week",
    "custom_field_in_use",
    "delete_calendar",
    "delete_custom_field",
    "delete_macro",
    "delete_sla_policy",
    "hhmm",
    "known_time_zones",
    "move_sla_policy",
    "reorder_sla_policies",
    "save_calendar",
    "save_custom_field",
    "save_desk_settings",
    "save_macro",
    "save_sla_policy",
    "save_team_desk",
    "set_agent_capacity_and_calendar",
    "team_roster",
]
