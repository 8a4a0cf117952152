from django.apps import AppConfig, apps


class RecoveryConfig(AppConfig):
    name = "rapport.recovery"
    label = "recovery"

    def ready(self) -> None:
        from rapport.customers.merge import register_merge_step
        from rapport.recovery.services.actions import move_recovery_records

        register_merge_step("recovery", move_recovery_records)
        if apps.is_installed("rapport.webhooks"):
            from rapport.recovery import webhooks

            webhooks.register()
