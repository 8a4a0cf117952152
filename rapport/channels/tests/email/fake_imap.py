"""A small IMAP4rev1 server on loopback for the polling tests: the commands polling sends, nothing else.

It holds messages with UIDs and flags, answers `n:*` the way RFC 3501 says (the highest UID always
matches, even below n), and records what it was asked, so a test can say which UIDs were fetched.
"""

from __future__ import annotations

import base64
import contextlib
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class FakeMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class FakeImapServer:
    """`with FakeImapServer(...) as server:` listens on 127.0.0.1:server.port until the block ends."""

    def __init__(
        self,
        *,
        username: str = "support@shop.test",
        password: str,
        folders: tuple[str, ...] = ("INBOX",),
        uid_validity: int = 1,
        uid_after_body: bool = False,
        auth_plain: bool = True,
    ) -> None:
        self.username = username
        self.password = password
        self.folders = set(folders)
        self.uid_validity = uid_validity
        # Some servers put `UID n` after the body literal; clients must find it there too.
        self.uid_after_body = uid_after_body
        self.capabilities = "IMAP4rev1 AUTH=PLAIN" if auth_plain else "IMAP4rev1"
        self.messages: list[FakeMessage] = []
        self.next_uid = 1
        # Every command line received (LOGIN's password masked), every UID fetched, every UID SEARCH
        # with the UIDs it answered, and the number of connections.
        self.commands: list[str] = []
        self.fetched: list[int] = []
        self.searches: list[tuple[str, list[int]]] = []
        self.connections = 0
        # Called in the server's thread before a message's body is sent.
        self.on_fetch: Callable[[int], None] | None = None
        self.lock = threading.Lock()
        self._server = _TcpServer(("127.0.0.1", 0), _Session, fake=self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> FakeImapServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def add(self, raw: bytes) -> int:
        """A message arrives in the folder; returns its UID."""
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            self.messages.append(FakeMessage(uid=uid, raw=raw))
            return uid

    def renumber(self, uid_validity: int) -> None:
        """The folder is rebuilt (a server migration, say): new UIDVALIDITY, UIDs from 1 again."""
        with self.lock:
            self.uid_validity = uid_validity
            for uid, message in enumerate(self.messages, start=1):
                message.uid = uid
            self.next_uid = len(self.messages) + 1

    def flags(self, uid: int) -> set[str]:
        with self.lock:
            return next(message.flags for message in self.messages if message.uid == uid)


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[socketserver.BaseRequestHandler],
        *,
        fake: FakeImapServer,
    ) -> None:
        self.fake = fake
        super().__init__(address, handler)


class _Session(socketserver.StreamRequestHandler):
    server: _TcpServer
    # Answers go out in several writes; Nagle's algorithm would hold each one for the client's ACK.
    disable_nagle_algorithm = True

    def handle(self) -> None:
        # A client that hangs up (or speaks TLS to this plain server) ends its session, nothing more.
        with contextlib.suppress(ConnectionError):
            self._converse()

    def _converse(self) -> None:
        fake = self.server.fake
        with fake.lock:
            fake.connections += 1
        authenticated = False
        selected = False
        self._send(f"* OK [CAPABILITY {fake.capabilities}] Fake IMAP ready")
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            tag, _, rest = text.partition(" ")
            words = _tokens(rest)
            if not words:
                self._send(f"{tag} BAD empty command")
                continue
            command, args = words[0].upper(), words[1:]
            if command == "UID" and args:
                command, args = f"UID {args[0].upper()}", args[1:]
            with fake.lock:
                fake.commands.append(f"LOGIN {args[0]} ********" if command == "LOGIN" else rest)
            if command == "CAPABILITY":
                self._send(f"* CAPABILITY {fake.capabilities}")
                self._send(f"{tag} OK CAPABILITY completed")
            elif command == "NOOP":
                self._send(f"{tag} OK NOOP completed")
            elif command == "LOGOUT":
                self._send("* BYE Fake IMAP logging out")
                self._send(f"{tag} OK LOGOUT completed")
                return
            elif command == "LOGIN":
                authenticated = args == [fake.username, fake.password]
                if authenticated:
                    self._send(f"{tag} OK LOGIN completed")
                else:
                    self._send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
            elif command == "AUTHENTICATE" and args[:1] == ["PLAIN"] and "AUTH=PLAIN" in fake.capabilities:
                authenticated = self._authenticate_plain(tag)
            elif not authenticated:
                self._send(f"{tag} BAD log in first")
            elif command == "SELECT":
                selected = self._select(tag, args)
            elif not selected:
                self._send(f"{tag} BAD select a folder first")
            elif command == "UID SEARCH":
                self._search(tag, args)
            elif command == "UID FETCH":
                self._fetch(tag, args)
            elif command == "UID STORE":
                self._store(tag, args)
            else:
                self._send(f"{tag} BAD unknown command {command}")

    def _authenticate_plain(self, tag: str) -> bool:
        fake = self.server.fake
        self._send("+ ")
        answer = self.rfile.readline(65536).strip()
        try:
            _, username, password = base64.b64decode(answer, validate=True).decode().split("\0")
        except ValueError:
            self._send(f"{tag} BAD not SASL PLAIN")
            return False
        if (username, password) == (fake.username, fake.password):
            self._send(f"{tag} OK AUTHENTICATE completed")
            return True
        self._send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
        return False

    def _select(self, tag: str, args: list[str]) -> bool:
        fake = self.server.fake
        if len(args) != 1 or args[0] not in fake.folders:
            self._send(f"{tag} NO [NONEXISTENT] no such folder")
            return False
        with fake.lock:
            exists, validity, next_uid = len(fake.messages), fake.uid_validity, fake.next_uid
        self._send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
        self._send(f"* {exists} EXISTS")
        self._send("* 0 RECENT")
        self._send(f"* OK [UIDVALIDITY {validity}] UIDs valid")
        self._send(f"* OK [UIDNEXT {next_uid}] Predicted next UID")
        self._send(f"{tag} OK [READ-WRITE] SELECT completed")
        return True

    def _search(self, tag: str, args: list[str]) -> None:
        fake = self.server.fake
        if len(args) != 2 or args[0].upper() != "UID":
            self._send(f"{tag} BAD only UID SEARCH UID <set> is known here")
            return
        with fake.lock:
            found = [message.uid for message in _matching(fake.messages, args[1])]
            fake.searches.append((args[1], found))
        self._send(" ".join(["* SEARCH", *map(str, found)]))
        self._send(f"{tag} OK SEARCH completed")

    def _fetch(self, tag: str, args: list[str]) -> None:
        fake = self.server.fake
        if len(args) != 2 or args[1].upper() != "(BODY.PEEK[])":
            self._send(f"{tag} BAD only UID FETCH <set> (BODY.PEEK[]) is known here")
            return
        with fake.lock:
            chosen = [
                (fake.messages.index(message) + 1, message) for message in _matching(fake.messages, args[0])
            ]
        for number, message in chosen:
            with fake.lock:
                fake.fetched.append(message.uid)
            if fake.on_fetch is not None:
                fake.on_fetch(message.uid)
            size = len(message.raw)
            if fake.uid_after_body:
                self._send(f"* {number} FETCH (BODY[] {{{size}}}".encode() + b"\r\n" + message.raw, end=b"")
                self._send(f" UID {message.uid})")
            else:
                head = f"* {number} FETCH (UID {message.uid} BODY[] {{{size}}}"
                self._send(head.encode() + b"\r\n" + message.raw, end=b"")
                self._send(")")
        self._send(f"{tag} OK FETCH completed")

    def _store(self, tag: str, args: list[str]) -> None:
        fake = self.server.fake
        if len(args) != 3 or args[1].upper() != "+FLAGS":
            self._send(f"{tag} BAD only UID STORE <set> +FLAGS (...) is known here")
            return
        added = set(args[2].strip("()").split())
        with fake.lock:
            chosen = [
                (fake.messages.index(message) + 1, message) for message in _matching(fake.messages, args[0])
            ]
            for _, message in chosen:
                message.flags |= added
        for number, message in chosen:
            self._send(f"* {number} FETCH (UID {message.uid} FLAGS ({' '.join(sorted(message.flags))}))")
        self._send(f"{tag} OK STORE completed")

    def _send(self, line: str | bytes, *, end: bytes = b"\r\n") -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + end)
        self.wfile.flush()


def _matching(messages: list[FakeMessage], uid_set: str) -> list[FakeMessage]:
    """Messages whose UID is in an IMAP sequence set; `*` is the highest UID in the folder."""
    if not messages:
        return []
    highest = max(message.uid for message in messages)
    wanted: set[int] = set()
    for part in uid_set.split(","):
        first, _, last = part.partition(":")
        low = highest if first == "*" else int(first)
        high = low if not last else highest if last == "*" else int(last)
        # RFC 3501 section 6.4.8: a range may be given in either order, so 7:* with 5 the highest is 5:7.
        low, high = min(low, high), max(low, high)
        wanted.update(message.uid for message in messages if low <= message.uid <= high)
    return sorted((message for message in messages if message.uid in wanted), key=lambda message: message.uid)


def _tokens(text: str) -> list[str]:
    """Atoms, quoted strings (unquoted here) and parenthesised lists (kept with their parentheses)."""
    tokens: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == " ":
            index += 1
        elif char == '"':
            value: list[str] = []
            index += 1
            while index < len(text) and text[index] != '"':
                if text[index] == "\\" and index + 1 < len(text):
                    index += 1
                value.append(text[index])
                index += 1
            tokens.append("".join(value))
            index += 1
        elif char == "(":
            depth, start = 0, index
            while index < len(text):
                depth += {"(": 1, ")": -1}.get(text[index], 0)
                index += 1
                if depth == 0:
                    break
            tokens.append(text[start:index])
        else:
            end = text.find(" ", index)
            end = len(text) if end < 0 else end
            tokens.append(text[index:end])
            index = end
    return tokens
