from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "rapport.commerce"
    label = "commerce"

    def ready(self) -> None:
        from rapport.commerce.services import move_commerce_records
        from rapport.customers.merge import register_merge_step

        register_merge_step("commerce", move_commerce_records)
