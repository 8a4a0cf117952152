from datetime import timedelta

from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "rapport.desk"
    label = "desk"

    def ready(self) -> None:
        from rapport.core.schedule import register_periodic
        from rapport.customers.merge import register_merge_step
        from rapport.customers.timeline_guards import register_timeline_guard
        from rapport.desk.selectors.conversations import conversations_hidden_on_timeline
        from rapport.desk.services.merge import move_desk_records
        from rapport.desk.tasks import run_desk_clock

        register_merge_step("desk", move_desk_records)
        register_timeline_guard("desk.conversation", conversations_hidden_on_timeline)
        register_periodic("desk.clock", timedelta(minutes=1), run_desk_clock)
