"""The SMTP listener: mail for Rapport's mailboxes is committed to the database before it is accepted.

A sending server counts a message as delivered once it reads 250 after DATA. So the raw bytes are
stored and committed first; if that fails the answer is 451 and the sender retries later (RFC 5321
section 4.2.5). Mail for an address that is not an active mailbox is refused at RCPT (550), and mail
over the size limit at DATA (552, by aiosmtpd), before anything is stored.

Messages are committed in groups: mail that arrives while a commit is under way goes into the next
commit together, and each sender gets its 250 once the commit holding its message is done. A burst of
mail then costs a few transactions, and each waits for SQLite's one write lock once for all it holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections

from rapport.channels.email.addresses import mailbox_key
from rapport.channels.email.headers import header_message_id
from rapport.channels.models import ChannelKind, Mailbox
from rapport.channels.services.deliveries import DeliveryInput, store_deliveries
from rapport.core.task_queue import waiting_to_start

logger = logging.getLogger(__name__)

# How long the listener trusts its list of mailboxes before reading it again.
MAILBOX_REFRESH_SECONDS = 10.0
# Threads for the database: one commit at a time stores mail (SQLite takes one writer anyway), the
# others read the mailboxes and queue processing meanwhile.
STORE_THREADS = 4
# The most messages one commit stores; more wait for the next.
GROUP_MOST = 100
# Mail stored within this many seconds is processed by one task, in batches: a burst of mail costs a
# few transactions instead of one task and one transaction per message.
DRAIN_DELAY_SECONDS = 0.1


def _active_mailboxes() -> frozenset[str]:
    close_old_connections()
    return frozenset(Mailbox.objects.filter(is_active=True).values_list("address", flat=True))


@dataclass(frozen=True)
class Incoming:
    mailbox: str
    envelope_from: str
    raw: bytes
    peer: str


def _store_all(group: list[Incoming]) -> None:
    close_old_connections()
    store_deliveries(
        [
            DeliveryInput(
                kind=ChannelKind.EMAIL,
                source=item.mailbox,
                raw=item.raw,
                sender=item.envelope_from,
                external_id=header_message_id(item.raw),
                remote_addr=item.peer,
            )
            for item in group
        ]
    )


def _queue_processing() -> None:
    from rapport.channels.tasks import process_received_task

    close_old_connections()
    # A drain that has not started yet will see this mail: queueing another would only cost a write.
    if not waiting_to_start(process_received_task):
        process_received_task.enqueue()


class MailHandler:
    """aiosmtpd handler: RCPT checks the mailbox, DATA stores and commits before answering."""

    def __init__(
        self,
        *,
        executor: ThreadPoolExecutor,
        mailboxes: Callable[[], frozenset[str]] = _active_mailboxes,
        store: Callable[[list[Incoming]], None] = _store_all,
        queue_processing: Callable[[], None] = _queue_processing,
    ) -> None:
        self._executor = executor
        self._store = store
        self._waiting: list[tuple[Incoming, asyncio.Future[None]]] = []
        self._committer: asyncio.Task[None] | None = None
        self._queue_processing = queue_processing
        self._processing_queued = False
        self._load_mailboxes = mailboxes
        self._mailboxes: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")

    async def _known(self) -> frozenset[str]:
        if time.monotonic() - self._loaded_at > MAILBOX_REFRESH_SECONDS:
            loop = asyncio.get_running_loop()
            self._mailboxes = await loop.run_in_executor(self._executor, self._load_mailboxes)
            self._loaded_at = time.monotonic()
        return self._mailboxes

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            known = await self._known()
        except Exception:
            logger.exception("could not read the mailboxes")
            return "451 4.3.0 Mailboxes cannot be read now; try again later"
        if mailbox_key(address) not in known:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        mailbox = mailbox_key(envelope.rcpt_tos[0])
        peer = str(session.peer[0]) if isinstance(session.peer, tuple) else str(session.peer or "")
        try:
            await self._stored(Incoming(mailbox, str(envelope.mail_from or ""), bytes(raw), peer))
        except Exception:
            logger.exception("could not store a message for %s", mailbox)
            return "451 4.3.0 The message could not be stored; try again later"
        self._process_soon()
        return "250 2.0.0 Message accepted for delivery"

    async def _stored(self, item: Incoming) -> None:
        """Returns once a commit holding `item` is done; raises if that commit failed."""
        committed = asyncio.get_running_loop().create_future()
        self._waiting.append((item, committed))
        # The committer loops until nothing waits; it runs in this loop, so no message slips between its
        # last look and its end.
        if self._committer is None or self._committer.done():
            self._committer = asyncio.ensure_future(self._commit_waiting())
        await committed

    async def _commit_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            group, self._waiting = self._waiting[:GROUP_MOST], self._waiting[GROUP_MOST:]
            try:
                await loop.run_in_executor(self._executor, self._store, [item for item, _ in group])
            except Exception as error:
                for _, committed in group:
                    if not committed.done():
                        committed.set_exception(error)
            else:
                for _, committed in group:
                    if not committed.done():
                        committed.set_result(None)

    def _process_soon(self) -> None:
        """Queue one processing task for the mail stored in the next moments.

        Every stored message is followed by a queued task: the flag is cleared before the task is
        queued, so mail stored while it is being queued schedules another.
        """
        if self._processing_queued:
            return
        self._processing_queued = True
        asyncio.get_running_loop().call_later(
            DRAIN_DELAY_SECONDS, lambda: asyncio.ensure_future(self._queue_now())
        )

    async def _queue_now(self) -> None:
        self._processing_queued = False
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._queue_processing)
        except Exception:
            # The mail is committed; the clock's sweep processes what this task would have.
            logger.exception("could not queue the processing of stored mail; the sweep will")


def make_server_factory(handler: MailHandler, *, max_bytes: int, hostname: str) -> Callable[[], Any]:
    def factory() -> SMTP:
        # decode_data=False keeps the exact bytes; the 8BITMIME and SMTPUTF8 extensions let senders
        # pass non-ASCII mail unchanged.
        return SMTP(
            handler,
            data_size_limit=max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="Rapport",
        )

    return factory


async def serve_smtp(
    *, host: str, port: int, max_bytes: int, ready: Callable[[], None] | None = None
) -> None:
    """Listen until cancelled."""
    executor = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="smtp-store")
    handler = MailHandler(executor=executor)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        make_server_factory(handler, max_bytes=max_bytes, hostname=host), host, port
    )
    if ready is not None:
        ready()
    try:
        async with server:
            await server.serve_forever()
    finally:
        executor.shutdown(wait=True)
