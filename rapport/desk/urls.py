from django.urls import path

from rapport.desk.views import config, conversation, inbox, new

app_name = "desk"

urlpatterns = [
    # inbox (views/inbox.py)
    path("", inbox.inbox, name="inbox"),
    path("inbox/counts/", inbox.inbox_counts, name="inbox_counts"),
    path("inbox/bulk/", inbox.inbox_bulk, name="inbox_bulk"),
    path("inbox/presence/", inbox.inbox_presence, name="inbox_presence"),
    path("inbox/views/", inbox.save_view, name="inbox_save_view"),
    path("inbox/views/<int:view_id>/delete/", inbox.delete_view, name="inbox_delete_view"),
    # conversation page (views/conversation.py)
    path("conversations/<int:conversation_id>/", conversation.conversation_detail, name="conversation"),
    path("conversations/<int:conversation_id>/send/", conversation.send, name="conversation_send"),
    path("conversations/<int:conversation_id>/status/", conversation.set_status, name="conversation_status"),
    path(
        "conversations/<int:conversation_id>/priority/",
        conversation.set_priority,
        name="conversation_priority",
    ),
    path("conversations/<int:conversation_id>/assign/", conversation.assign, name="conversation_assign"),
    path("conversations/<int:conversation_id>/tags/", conversation.add_tag, name="conversation_add_tag"),
    path(
        "conversations/<int:conversation_id>/tags/<str:name>/remove/",
        conversation.remove_tag,
        name="conversation_remove_tag",
    ),
    path(
        "conversations/<int:conversation_id>/macros/<int:macro_id>/",
        conversation.macro_fill,
        name="conversation_macro",
    ),
    path(
        "conversations/<int:conversation_id>/macros/<int:macro_id>/apply/",
        conversation.apply_macro_now,
        name="conversation_apply_macro",
    ),
    path(
        "conversations/<int:conversation_id>/presence/",
        conversation.ping_presence,
        name="conversation_presence",
    ),
    path("conversations/<int:conversation_id>/leave/", conversation.leave, name="conversation_leave"),
    path("conversations/<int:conversation_id>/merge/", conversation.merge_into, name="conversation_merge"),
    path(
        "conversations/<int:conversation_id>/details/",
        conversation.edit_details,
        name="conversation_details",
    ),
    path("messages/<int:message_id>/split/", conversation.split, name="message_split"),
    path("attachments/<int:attachment_id>/", conversation.download_attachment, name="attachment"),
    # opening a conversation by hand (views/new.py)
    path("new/<int:customer_id>/", new.new_conversation, name="new"),
    # configuration (views/config.py)
    path("settings/", config.desk_settings, name="settings"),
    path("settings/calendars/", config.calendars, name="settings_calendars"),
    path("settings/calendars/new/", config.calendar_new, name="settings_calendar_new"),
    path("settings/calendars/<int:calendar_id>/", config.calendar_edit, name="settings_calendar"),
    path(
        "settings/calendars/<int:calendar_id>/delete/",
        config.calendar_delete,
        name="settings_calendar_delete",
    ),
    path("settings/sla/", config.sla_policies, name="settings_sla"),
    path("settings/sla/<int:policy_id>/", config.sla_policy_edit, name="settings_sla_policy"),
    path("settings/sla/<int:policy_id>/delete/", config.sla_policy_delete, name="settings_sla_delete"),
    path("settings/sla/<int:policy_id>/move/", config.sla_policy_move, name="settings_sla_move"),
    path("settings/teams/", config.teams, name="settings_teams"),
    path("settings/teams/<int:team_id>/", config.team, name="settings_team"),
    path(
        "settings/teams/<int:team_id>/members/<int:user_id>/",
        config.team_member,
        name="settings_team_member",
    ),
    path("settings/fields/", config.custom_fields, name="settings_fields"),
    path("settings/fields/<int:field_id>/", config.custom_field_edit, name="settings_field"),
    path("settings/fields/<int:field_id>/delete/", config.custom_field_delete, name="settings_field_delete"),
    path("settings/general/", config.general, name="settings_general"),
    path("settings/macros/", config.macros, name="settings_macros"),
    path("settings/macros/new/", config.macro_new, name="settings_macro_new"),
    path("settings/macros/<int:macro_id>/", config.macro_edit, name="settings_macro"),
    path("settings/macros/<int:macro_id>/delete/", config.macro_delete, name="settings_macro_delete"),
]
