"""A small IMAP client for polling one folder by UID: the standard library's imaplib, errors in words.

Only what polling needs: LOGIN (AUTHENTICATE PLAIN for a non-ASCII password), SELECT (with its
UIDVALIDITY), UID SEARCH, UID FETCH (BODY.PEEK[]) and UID STORE +FLAGS (\\Seen). Every failure
(connection, login, protocol) becomes an `ImapError` whose text never contains the password.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

# Seconds a connect or a single read may take; a slow server fails this poll, the next one retries.
TIMEOUT_SECONDS = 30.0

_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)


class ImapError(Exception):
    """The server could not be reached, refused the login, or answered a command with NO or BAD."""


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    use_tls: bool
    username: str
    # Kept out of repr so that a logged account or a traceback's locals never show it.
    password: str = field(repr=False)
    folder: str = "INBOX"


def encode_folder(name: str) -> str:
    """A folder name as IMAP carries it: modified UTF-7 (RFC 3501 section 5.1.3), then quoted."""
    out: list[str] = []
    pending: list[str] = []

    def shift_out() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).rstrip(b"=").replace(b"/", b",").decode() + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            shift_out()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    shift_out()
    return quote("".join(out))


def quote(value: str) -> str:
    """An IMAP quoted string; imaplib sends arguments as they are, so a space would split them."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapFolder:
    """One session on one folder: `with ImapFolder(account) as folder:` logs in and selects it."""

    def __init__(self, account: ImapAccount, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self._account = account
        self._timeout = timeout
        self._connection: imaplib.IMAP4 | None = None
        self.uid_validity = 0

    def __enter__(self) -> ImapFolder:
        account = self._account
        try:
            if account.use_tls:
                self._connection = imaplib.IMAP4_SSL(
                    account.host,
                    account.port,
                    ssl_context=ssl.create_default_context(),
                    timeout=self._timeout,
                )
            else:
                self._connection = imaplib.IMAP4(account.host, account.port, timeout=self._timeout)
        except (OSError, imaplib.IMAP4.error) as error:
            raise self._error(f"could not connect to {account.host}:{account.port}: {_said(error)}") from None
        try:
            self._login()
            self._select()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._close()

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above last_uid, ascending.

        `n:*` always matches the highest UID even when n is above it (RFC 3501 section 6.4.8: the range
        is read as `*:n`), so a folder with nothing new still answers with its last message.
        """
        data = self._run("UID SEARCH", lambda imap: imap.uid("SEARCH", "UID", f"{last_uid + 1}:*"))
        found: set[int] = set()
        for line in data:
            if isinstance(line, bytes):
                found.update(int(word) for word in line.split() if word.isdigit())
        return sorted(uid for uid in found if uid > last_uid)

    def fetch(self, uid: int) -> bytes | None:
        """The message's bytes, without setting \\Seen; None when it was expunged meanwhile."""
        data = self._run("UID FETCH", lambda imap: imap.uid("FETCH", str(uid), "(BODY.PEEK[])"))
        return _body_of(data, uid)

    def mark_seen(self, uid: int) -> None:
        self._run("UID STORE", lambda imap: imap.uid("STORE", str(uid), "+FLAGS", "(\\Seen)"))

    def _login(self) -> None:
        account = self._account
        if account.username.isascii() and account.password.isascii():
            # imaplib quotes the password itself but not the user name.
            self._run(
                "LOGIN",
                lambda imap: imap.login(quote(account.username), account.password),
                what="login refused",
            )
            return
        assert self._connection is not None
        if "AUTH=PLAIN" not in self._connection.capabilities:
            # LOGIN carries ASCII only (imaplib would fail naming the character and its position).
            raise self._error(
                "the username or password holds non-ASCII characters and the server offers no AUTH=PLAIN"
            )
        # SASL PLAIN (RFC 4616) carries UTF-8.
        credentials = f"\0{account.username}\0{account.password}".encode()
        self._run(
            "AUTHENTICATE",
            lambda imap: imap.authenticate("PLAIN", lambda _: credentials),
            what="login refused",
        )

    def _select(self) -> None:
        folder = encode_folder(self._account.folder)
        self._run("SELECT", lambda imap: imap.select(folder))
        assert self._connection is not None
        _, values = self._connection.response("UIDVALIDITY")
        value = values[0] if values else None
        if not isinstance(value, bytes) or not value.strip().isdigit():
            raise self._error(f"the server reported no UIDVALIDITY for folder {self._account.folder!r}")
        self.uid_validity = int(value)

    def _run(
        self, command: str, call: Callable[[imaplib.IMAP4], tuple[str, Any]], *, what: str = ""
    ) -> list[Any]:
        assert self._connection is not None
        label = what or f"{command} failed"
        try:
            status, data = call(self._connection)
        except imaplib.IMAP4.readonly as error:
            raise self._error(f"{command} failed: the folder is read-only: {_said(error)}") from None
        except imaplib.IMAP4.abort as error:
            raise self._error(f"{command} failed: the connection was lost: {_said(error)}") from None
        except imaplib.IMAP4.error as error:
            raise self._error(f"{label}: {_said(error)}") from None
        except OSError as error:
            raise self._error(f"{command} failed: the connection was lost: {_said(error)}") from None
        if status != "OK":
            raise self._error(f"{label}: {status} {_said(data)}")
        return data if isinstance(data, list) else [data]

    def _error(self, message: str) -> ImapError:
        # Servers do not echo passwords, but a BAD answer may quote the command line it refused.
        password = self._account.password
        return ImapError(message.replace(password, "********") if password else message)

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # LOGOUT, not CLOSE: CLOSE would expunge messages other clients marked deleted. imaplib's
        # logout closes the socket whatever the server answers; a dead socket has nothing to say.
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()


def _body_of(data: list[Any], uid: int) -> bytes | None:
    """The BODY[] literal for this UID among a FETCH answer's items.

    imaplib gives (head, literal) pairs followed by the bytes after the literal; servers put `UID n`
    before or after the body, and may slip in unsolicited FETCH items (flag changes) for other messages.
    """
    bodies: list[tuple[int | None, bytes]] = []
    for index, item in enumerate(data):
        if not isinstance(item, tuple) or len(item) != 2 or b"BODY[]" not in item[0].upper():
            continue
        after = data[index + 1] if index + 1 < len(data) and isinstance(data[index + 1], bytes) else b""
        found = _UID.search(item[0]) or _UID.search(after)
        bodies.append((int(found.group(1)) if found else None, bytes(item[1])))
    for found_uid, body in bodies:
        if found_uid == uid:
            return body
    # RFC 3501 requires the UID in a UID FETCH answer; a server that omits it answered for this UID.
    if len(bodies) == 1 and bodies[0][0] is None:
        return bodies[0][1]
    return None


def _said(error: object) -> str:
    """The text of an imaplib error or a server answer, without Python's bytes repr around it."""
    if isinstance(error, OSError):
        return str(error) or type(error).__name__
    parts = error.args if isinstance(error, BaseException) else error
    if not isinstance(parts, list | tuple):
        parts = [parts]
    words: list[str] = []
    for part in parts:
        if isinstance(part, bytes):
            words.append(part.decode("utf-8", "replace"))
        elif part is not None:
            words.append(str(part))
    text = " ".join(words).strip()
    # imaplib formats some errors from bytes with %s, which leaves "b'...'" in the text.
    text = re.sub(r"\bb'(.*?)'", r"\1", text)
    return text[:500] or (type(error).__name__ if isinstance(error, BaseException) else "no reason given")
