from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "rapport.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from django.core.checks import Tags, register

        from rapport.accounts.checks import check_no_demo_users_in_production

        register(check_no_demo_users_in_production, Tags.security, deploy=True)
