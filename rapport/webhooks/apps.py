from datetime import timedelta

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "rapport.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from rapport.core.schedule import register_periodic
        from rapport.customers.events import register_timeline_listener
        from rapport.webhooks.payloads import register_core_event_types
        from rapport.webhooks.services.outbox import record_outbox_event
        from rapport.webhooks.tasks import run_webhooks_clock

        register_core_event_types()
        register_timeline_listener(record_outbox_event)
        register_periodic("webhooks.clock", timedelta(minutes=1), run_webhooks_clock)
