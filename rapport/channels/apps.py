from datetime import timedelta

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "rapport.channels"
    label = "channels"

    def ready(self) -> None:
        from django.core.checks import register

        from rapport.channels.email import outgoing
        from rapport.channels.email.ingest import process_email, process_emails, read_email
        from rapport.channels.models import ChannelKind
        from rapport.channels.phone.ingest import process_phone
        from rapport.channels.phone.services import move_phone_calls
        from rapport.channels.protocol import register_processor, register_reading_processor
        from rapport.channels.services.deliveries import mail_waiting
        from rapport.channels.signatures import check_webhook_secrets
        from rapport.channels.social.ingest import process_social
        from rapport.channels.social.services import move_social_mentions
        from rapport.channels.tasks import run_channels_clock
        from rapport.channels.tasks_imap import poll_imap_mailboxes
        from rapport.channels.widget import outbound as widget_outbound
        from rapport.channels.widget.ingest import process_widget
        from rapport.channels.widget.tasks import forget_idle_visitors_task, sweep_widget_task
        from rapport.core.schedule import register_periodic
        from rapport.core.urgent_work import register_urgent_work
        from rapport.customers.merge import register_merge_step
        from rapport.desk.live import register_live
        from rapport.desk.models import Channel
        from rapport.desk.outbound import register_outbound

        register_reading_processor(
            ChannelKind.EMAIL, read=read_email, process=process_email, process_batch=process_emails
        )
        register_processor(ChannelKind.PHONE, process_phone)
        # Customers' messages waiting to reach the inbox go before background analysis.
        register_urgent_work(mail_waiting)
        register_processor(ChannelKind.SOCIAL, process_social)
        register_processor(ChannelKind.WIDGET, process_widget)
        register_merge_step("channels.phone", move_phone_calls)
        register_merge_step("channels.social", move_social_mentions)
        register(check_webhook_secrets)
        register_outbound(Channel.EMAIL, dispatch=outgoing.record_reply, states=outgoing.delivery_states)
        register_outbound(
            Channel.CHAT, dispatch=widget_outbound.record_chat_reply, states=widget_outbound.chat_states
        )
        register_live(Channel.CHAT, customer_typing=widget_outbound.visitor_typing)
        register_periodic("channels.clock", timedelta(minutes=1), run_channels_clock)
        register_periodic("channels.imap", timedelta(minutes=1), poll_imap_mailboxes)
        register_periodic("channels.widget.sweep", timedelta(minutes=1), sweep_widget_task)
        register_periodic("channels.widget.visitors", timedelta(hours=1), forget_idle_visitors_task)
