from datetime import timedelta

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "rapport.channels"
    label = "channels"

    def ready(self) -> None:
        from rapport.channels.email import outgoing
        from rapport.channels.email.ingest import process_email
        from rapport.channels.models import ChannelKind
        from rapport.channels.protocol import register_processor
        from rapport.channels.tasks import run_channels_clock
        from rapport.channels.tasks_imap import poll_imap_mailboxes
        from rapport.core.schedule import register_periodic
        from rapport.desk.models import Channel
        from rapport.desk.outbound import register_outbound

        register_processor(ChannelKind.EMAIL, process_email)
        register_outbound(Channel.EMAIL, dispatch=outgoing.record_reply, states=outgoing.delivery_states)
        register_periodic("channels.clock", timedelta(minutes=1), run_channels_clock)
        register_periodic("channels.imap", timedelta(minutes=1), poll_imap_mailboxes)
