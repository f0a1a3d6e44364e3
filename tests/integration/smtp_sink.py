"""A real SMTP server for integration tests: an aiosmtpd Controller on 127.0.0.1 that collects
every message it accepts.

    sink = SmtpSink()               # listening on 127.0.0.1:<free port>
    sink.port                       # give this to the server (VESTIBULE_SMTP__PORT)
    sink.wait_for(2, to="eve@partner.example")   # bounded wait; returns the messages
    code_of(msg), share_url_of(msg), token_of(msg)
    sink.rcpt_reply = "550 5.1.1 Mailbox unavailable"   # answer RCPT TO with this
    sink.data_reply = "451 4.3.0 Try again later"       # answer DATA with this
    sink.data_delay = 0.5           # accept each message, then wait before answering 250
    sink.stop(); sink.start()       # relay down / up again on the same port
    sink.close()

The relay's answers are switches read at the moment of each command, so a test can flip them
between deliveries. Everything the sink saw is kept in thread-safe lists: `messages` (accepted,
parsed) and `attempts` (every RCPT TO, accepted or refused).

Needs Debian's python3-aiosmtpd (import aiosmtpd under /usr/bin/python3); otherwise only the
standard library.
"""

import asyncio
import email
import email.policy
import re
import socket
import threading
import time

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"

_CODE = re.compile(r"(?<![0-9])([0-9]{6,10})(?![0-9])")
_SHARE_URL = re.compile(r"https?://[^\s<>\"']+/s/([A-Za-z0-9_-]+)")


def free_port(host=HOST):
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Received:
    """One message the sink accepted."""

    def __init__(self, mail_from, rcpt_tos, data, peer):
        self.mail_from = mail_from
        self.rcpt_tos = [r.lower() for r in rcpt_tos]
        self.data = data  # the raw bytes, as the client sent them after DATA
        self.peer = peer
        self.received_at = time.monotonic()
        self.message = email.message_from_bytes(data, policy=email.policy.default)
        self._text = None
        self.facts = {}  # for callers to memoize what they derived from the message

    @property
    def message_id(self):
        return self.message.get("Message-ID")

    @property
    def subject(self):
        return str(self.message.get("Subject", ""))

    @property
    def to_header(self):
        return str(self.message.get("To", ""))

    def text(self):
        """The decoded text/plain part (multipart/alternative, base64 UTF-8 from Vestibule)."""
        if self._text is None:
            part = self.message.get_body(preferencelist=("plain",))
            if part is None:
                raise AssertionError("message %s has no text/plain part:\n%r"
                                     % (self.message_id, self.data[:2000]))
            self._text = part.get_content()
        return self._text

    def html(self):
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    def is_to(self, address):
        return address.lower() in self.rcpt_tos

    def __repr__(self):
        return "<Received %s to %s: %r>" % (self.message_id, self.rcpt_tos, self.subject)


def code_of(received):
    """The 6-10 digit code in a message's text part (exactly one distinct such number)."""
    text = received.text()
    found = set(_CODE.findall(text))
    if len(found) != 1:
        raise AssertionError("expected one 6-10 digit code in the text of %r, found %r:\n%s"
                             % (received, sorted(found), text))
    return found.pop()


def share_urls_of(received):
    """Every .../s/<token> URL in a message's text part, as (url, token) pairs."""
    return [(m.group(0), m.group(1)) for m in _SHARE_URL.finditer(received.text())]


def share_url_of(received):
    """The one /s/<token> URL in a message's text part."""
    found = set(share_urls_of(received))
    if len(found) != 1:
        raise AssertionError("expected one /s/<token> URL in the text of %r, found %r:\n%s"
                             % (received, sorted(found), received.text()))
    return found.pop()[0]


def token_of(received):
    return share_url_of(received).rsplit("/s/", 1)[1]


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.rcpt_reply
        self.sink._record_attempt(address, reply or "250 OK")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.sink.data_reply
        if reply:
            return reply
        self.sink._store(Received(envelope.mail_from, envelope.rcpt_tos,
                                  envelope.original_content or envelope.content,
                                  session.peer))
        if self.sink.data_delay:
            # Accepted but not yet acknowledged: a sender killed now never hears the 250, the
            # window in which a relay has a message its sender does not know it delivered.
            await asyncio.sleep(self.sink.data_delay)
        return "250 2.0.0 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on 127.0.0.1 collecting messages; see the module docstring."""

    def __init__(self, port=None, start=True, tls_context=None, require_starttls=False):
        self.port = port or free_port()
        # With a TLS context the sink offers STARTTLS; with require_starttls it refuses mail
        # until the client has switched to TLS.
        self._smtp_options = {}
        if tls_context is not None:
            self._smtp_options = {"tls_context": tls_context, "require_starttls": require_starttls}
        self.rcpt_reply = None  # e.g. "550 5.1.1 Mailbox unavailable"; None accepts
        self.data_reply = None  # e.g. "451 4.3.0 Try again later"; None accepts
        self.data_delay = 0.0  # seconds between accepting a message and answering 250
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._messages = []
        self._attempts = []
        self._controller = None
        if start:
            self.start()

    # -- relay up / down ----------------------------------------------------------------------

    @property
    def listening(self):
        return self._controller is not None

    def start(self):
        """Listens on self.port (the same port after a stop)."""
        if self._controller is not None:
            return
        controller = Controller(_Handler(self), hostname=HOST, port=self.port,
                                ready_timeout=10, **self._smtp_options)
        deadline = time.monotonic() + 10
        while True:
            try:
                controller.start()
                break
            except OSError:
                # The port may linger for a moment after stop(); a bounded retry.
                if time.monotonic() > deadline:
                    raise
                controller = Controller(_Handler(self), hostname=HOST, port=self.port,
                                        ready_timeout=10, **self._smtp_options)
                time.sleep(0.05)
        self._controller = controller

    def stop(self):
        """Stops listening: connections to the port are refused until start()."""
        if self._controller is None:
            return
        controller, self._controller = self._controller, None
        controller.stop()

    def close(self):
        self.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- what arrived ------------------------------------------------------------------------

    def _store(self, received):
        with self._changed:
            self._messages.append(received)
            self._changed.notify_all()

    def _record_attempt(self, address, reply):
        with self._changed:
            self._attempts.append((address.lower(), reply))
            self._changed.notify_all()

    @property
    def messages(self):
        with self._lock:
            return list(self._messages)

    @property
    def attempts(self):
        """(recipient address, the sink's answer) for every RCPT TO it was sent."""
        with self._lock:
            return list(self._attempts)

    def messages_to(self, address):
        return [m for m in self.messages if m.is_to(address)]

    def wait_for(self, count, to=None, where=None, timeout=10.0):
        """Waits (bounded) until at least `count` messages arrived (to `to`, and matching the
        predicate `where`, when given); returns all the matching ones, oldest first."""
        def matching():
            out = self._messages
            if to is not None:
                out = [m for m in out if m.is_to(to)]
            if where is not None:
                out = [m for m in out if where(m)]
            return out

        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = matching()
                if len(found) >= count:
                    return list(found)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "timed out after %.0f s waiting for %d message(s)%s; the sink has %d "
                        "matching of %d, the last: %r" % (timeout, count,
                                                          " to %s" % to if to else "",
                                                          len(found), len(self._messages),
                                                          self._messages[-5:]))
                self._changed.wait(min(left, 0.1))

    def wait_for_attempts(self, count, to=None, timeout=10.0):
        """Waits (bounded) until the sink was sent at least `count` RCPT TO (for `to`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [a for a in self._attempts if to is None or a[0] == to.lower()]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out after %.0f s waiting for %d RCPT TO%s; "
                                         "saw %r" % (timeout, count,
                                                     " for %s" % to if to else "",
                                                     self._attempts))
                self._changed.wait(min(left, 0.1))
