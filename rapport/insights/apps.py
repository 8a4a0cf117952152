from datetime import timedelta

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "rapport.insights"
    label = "insights"

    def ready(self) -> None:
        from django.core.checks import register

        from rapport.insights.checks import check_health_weights

        register(check_health_weights)
        from rapport.commerce.import_jobs import register_import_listener
        from rapport.core.schedule import register_periodic
        from rapport.customers.tiers import register_tier_annotation, register_tier_source
        from rapport.insights.services.value import annotate_value_tier, refresh_after_import, value_tier_of
        from rapport.insights.tasks.recommendations import refresh_recommendations_task
        from rapport.insights.tasks.value import refresh_customer_values_task

        register_periodic("insights.customer_values", timedelta(days=1), refresh_customer_values_task)
        register_periodic("insights.recommendations", timedelta(days=1), refresh_recommendations_task)
        register_import_listener(refresh_after_import)
        # SLA policies, recovery's empowerment multipliers and listening's valuable-customer alerts use the
        # CLV tier.
        register_tier_source(value_tier_of)
        register_tier_annotation(annotate_value_tier)
