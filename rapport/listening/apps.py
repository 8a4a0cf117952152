from datetime import timedelta

from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "rapport.listening"
    label = "listening"

    def ready(self) -> None:
        from rapport.core.schedule import register_periodic
        from rapport.customers.events import register_timeline_listener
        from rapport.customers.merge import register_merge_step
        from rapport.listening.services.alert_mail import queue_alert_mail
        from rapport.listening.services.alerts import register_alert_listener
        from rapport.listening.services.merge import move_listening_records
        from rapport.listening.services.scoring import queue_scoring_on_commit
        from rapport.listening.services.surveys import invite_after_resolution
        from rapport.listening.tasks.dashboard import check_mentions_task, refresh_themes_task
        from rapport.listening.tasks.signals import score_messages_task, train_tag_suggestions_task
        from rapport.listening.tasks.surveys import invite_nps_task, send_due_surveys_task

        register_merge_step("listening", move_listening_records)
        # Message signals: scored after their commit (never inside the mail path), swept every minute.
        register_timeline_listener(queue_scoring_on_commit)
        register_periodic("listening.score_messages", timedelta(minutes=1), score_messages_task)
        register_periodic("listening.train_tag_suggestions", timedelta(days=7), train_tag_suggestions_task)
        # Surveys: CSAT and CES when a conversation is resolved; sending every minute; NPS daily.
        register_timeline_listener(invite_after_resolution)
        register_periodic("listening.surveys.send", timedelta(minutes=1), send_due_surveys_task)
        register_periodic("listening.surveys.nps", timedelta(days=1), invite_nps_task)
        # Mentions and spikes every 10 minutes, themes daily, alert mail after each alert's commit.
        register_alert_listener(queue_alert_mail)
        register_periodic("listening.mentions", timedelta(minutes=10), check_mentions_task)
        register_periodic("listening.themes", timedelta(days=1), refresh_themes_task)
