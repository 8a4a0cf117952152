from django.apps import AppConfig, apps


class RecoveryConfig(AppConfig):
    name = "rapport.recovery"
    label = "recovery"

    def ready(self) -> None:
        from rapport.customers.merge import register_merge_step
        from rapport.desk.services.merge import register_conversation_merge_step
        from rapport.recovery.services.actions import move_conversation_actions, move_recovery_records

        register_merge_step("recovery", move_recovery_records)
        register_conversation_merge_step("recovery", move_conversation_actions)
        if apps.is_installed("rapport.webhooks"):
            from rapport.recovery import webhooks

            webhooks.register()
