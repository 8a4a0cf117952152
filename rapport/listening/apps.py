from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "rapport.listening"
    label = "listening"

    def ready(self) -> None:
        from rapport.customers.merge import register_merge_step
        from rapport.listening.services.merge import move_listening_records

        register_merge_step("listening", move_listening_records)
