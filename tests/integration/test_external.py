"""External recipients end to end, with a real SMTP server receiving the mail.

Every test starts its own SMTP sink (smtp_sink.py, aiosmtpd on 127.0.0.1) and its own
`vestibule serve --test-clock` configured through VESTIBULE_SMTP__* to deliver to it, so what a
recipient would find in their mailbox is read off the wire: the invitation with its /s/<token>
URL, the verification codes. Time moves only through POST /api/v1/dev/clock; the outbox worker is
asynchronous, so arrivals are awaited with bounded polling. Assertions are on statuses, error
codes and fields, cookies and delivery states, never on message wording. Where the absence of a
message must be shown, a later message is used as a fence (the worker handles requests and due
mail oldest first). One fence has no API to observe and reads the server's log instead: that a
code was created while the relay is down (the `verification.code_sent` event).

SPEC §2 (verification code, session, outbox), §3, §4 flows 1-7, §7;
SECURITY-CHECKLIST A1-A3, A5-A7, A9 (link budget), A10, A12 and B14, B15, B17, C21, C23, D28
(the recipient's cookie), H44.
"""

import collections
import http.client
import itertools
import math
import os
import re
import shutil
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
import unittest

from harness import Client, VestibuleTestCase, stored_bytes, wait_until
from smtp_sink import SmtpSink, code_of, share_url_of, share_urls_of

EVE = "eve@partner.example"           # the invited external recipient
EVA = "eva@partner.example"           # never invited; masks like EVE ("e**@partner.example")
MALLORY = "mallory@elsewhere.example"  # never invited
YAN = "yan@partner.example"           # invited next to EVE on a second link
SMTP_FROM = "Vestibule <no-reply@test.example>"

BROWSER_COOKIE = "vestibule_browser"
RECIPIENT_COOKIE = "vestibule_recipient"

DELIVERY_TIMEOUT = 10.0  # seconds the asynchronous outbox worker gets to deliver one thing

_counter = itertools.count(1)


def unique(prefix):
    return "%s-%d-%d" % (prefix, os.getpid(), next(_counter))


def shares(token, rest=""):
    return "/api/v1/shares/%s%s" % (token, rest)


def smtp_env(port):
    return {"VESTIBULE_SMTP__HOST": "127.0.0.1", "VESTIBULE_SMTP__PORT": str(port),
            "VESTIBULE_SMTP__TLS": "none", "VESTIBULE_SMTP__FROM": SMTP_FROM}


def is_code_mail(received):
    """A verification-code email: it carries a code and no link."""
    if "is_code_mail" not in received.facts:
        answer = not share_urls_of(received)
        if answer:
            try:
                code_of(received)
            except AssertionError:
                answer = False
        received.facts["is_code_mail"] = answer
    return received.facts["is_code_mail"]


def is_invitation(received):
    return bool(share_urls_of(received))


def wrong_code(code, *avoid):
    """A code of the same length that is neither `code` nor any of `avoid`."""
    n = len(code)
    for k in itertools.count(1):
        candidate = str((int(code) + 7919 * k) % 10 ** n).zfill(n)
        if candidate != code and candidate not in avoid:
            return candidate


def cookie_names(resp):
    return [sc.split("=", 1)[0].strip() for sc in resp.headers.get_all("Set-Cookie")]


def chi2_sf(x, dof):
    """P(X >= x) for X ~ chi-squared with `dof` degrees of freedom: the regularized upper
    incomplete gamma Q(dof/2, x/2) (series below a+1, Lentz's continued fraction above)."""
    a, x = dof / 2.0, x / 2.0
    if x <= 0:
        return 1.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * 1e-15:
            n += 1
            term *= x / n
            total += term
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = d if abs(d) > tiny else tiny
        c = b + an / c
        c = c if abs(c) > tiny else tiny
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(log_prefix) * h


def chi2_uniform(counts):
    """(statistic, p-value) of counts against the uniform distribution over their cells."""
    total = sum(counts)
    expected = total / len(counts)
    stat = sum((c - expected) ** 2 / expected for c in counts)
    return stat, chi2_sf(stat, len(counts) - 1)


class ClientFrom(Client):
    """A Client whose connections come from another loopback address (another "IP")."""

    def __init__(self, port, source, **kw):
        super().__init__(port, **kw)
        self.source = source

    def _connection(self):
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout,
                                                    source_address=(self.source, 0))
            self._used = False
        return self._conn


class KeepAliveClient(Client):
    """A Client whose every request must go over the one connection its first request opened:
    the request fails if the server closed it or a new connection was needed."""

    _local = None

    def request(self, method, path, **kw):
        r = super().request(method, path, **kw)
        if self._conn is None or self._conn.sock is None:
            raise AssertionError("the server closed the keep-alive connection after\n"
                                 + r.describe())
        local = self._conn.sock.getsockname()
        if self._local is not None and local != self._local:
            raise AssertionError("%s %s went over a new connection" % (method, path))
        self._local = local
        return r


class ExternalCase(VestibuleTestCase):
    """A fresh SMTP sink and a fresh server delivering to it (with a test clock and a signed-in
    admin) for every test."""

    server_env = {}  # more environment for the server (settings as VESTIBULE_<SECTION>__<KEY>)

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink()
        self.addCleanup(self.sink.close)  # runs after the server's cleanup (LIFO)
        self.server = self.start_server(extra_args=["--test-clock"],
                                        env=dict(smtp_env(self.sink.port), **self.server_env))
        self.admin_c = self.admin(self.server)
        self.root = self.admin_c.personal_root()

    # -- clients ----------------------------------------------------------------------------

    def _track(self, c):
        self._clients.append(c)
        self.addCleanup(c.close)
        return c

    def browser(self, source=None, cookies=None):
        """A fresh browser: its own cookie jar and connection (from `source` when given)."""
        if source:
            return self._track(ClientFrom(self.server.port, source, cookies=cookies))
        return self._track(Client(self.server.port, cookies=cookies))

    def keep_alive_browser(self, cookies=None):
        return self._track(KeepAliveClient(self.server.port, cookies=cookies))

    # -- server helpers ---------------------------------------------------------------------

    def advance(self, duration):
        r = self.admin_c.post("/api/v1/dev/clock", json={"advance": duration})
        self.assertStatus(r, 200)
        return r.json()["now"]

    def settings(self, **patch):
        r = self.admin_c.patch("/api/v1/admin/settings", json=patch)
        self.assertStatus(r, 200)
        return r.json()

    def share(self, recipients, name=None, data=b"shared bytes\n", message=None):
        """Uploads a file and shares it with a specific link; returns (file item, link)."""
        item = self.admin_c.upload(self.root, name or unique("report") + ".txt", data)
        self.assertStatus(item, 201)
        body = {"kind": "specific", "recipients": list(recipients)}
        if message is not None:
            body["message"] = message
        r = self.admin_c.post("/api/v1/items/%d/links" % item.json()["id"], json=body)
        self.assertStatus(r, 201)
        return item.json(), r.json()

    def recipient_row(self, item_id, address):
        r = self.admin_c.get("/api/v1/items/%d/access" % item_id)
        self.assertStatus(r, 200)
        for link in r.json()["links"]:
            for rec in link["recipients"]:
                if rec["address"] == address:
                    return rec
        self.fail("%s is not a recipient in manage access of item %d:\n%s"
                  % (address, item_id, r.describe()))

    def wait_delivery(self, item_id, address, state, timeout=DELIVERY_TIMEOUT):
        """Bounded polling of manage access until the recipient's delivery is `state`."""
        last = {}

        def reached():
            last["row"] = self.recipient_row(item_id, address)
            return last["row"] if last["row"]["delivery"] == state else None
        try:
            return wait_until(reached, timeout, "delivery %s to %s" % (state, address))
        except AssertionError as e:
            raise AssertionError("%s; last manage-access row: %r" % (e, last.get("row")))

    def wait_attempted(self, item_id, address, timeout=DELIVERY_TIMEOUT):
        """Bounded polling of manage access until a delivery attempt to the recipient failed
        (delivery_error set); returns the row."""
        def attempted():
            row = self.recipient_row(item_id, address)
            return row if row["delivery_error"] else None
        return wait_until(attempted, timeout, "a failed delivery attempt to %s" % address)

    def wait_log(self, pattern, count=1, timeout=DELIVERY_TIMEOUT):
        """A synchronization fence on the server's log (never an assertion on wording): waits
        until `pattern` matched `count` lines."""
        rx = re.compile(pattern)
        wait_until(lambda: len(rx.findall(self.server.output())) >= count, timeout,
                   "%d server log line(s) matching %r" % (count, pattern))

    # -- the recipient's side ---------------------------------------------------------------

    def request_code(self, client, token, address):
        r = client.post(shares(token, "/verification"), json={"email": address})
        self.assertStatus(r, 202)
        return r

    def confirm(self, client, token, address, code, remember=False):
        return client.post(shares(token, "/verification/confirm"),
                           json={"email": address, "code": code, "remember": remember})

    def code_mails(self, address, count, timeout=DELIVERY_TIMEOUT):
        return self.sink.wait_for(count, to=address, where=is_code_mail, timeout=timeout)

    def nth_code(self, address, n, timeout=DELIVERY_TIMEOUT):
        """The code of the n-th (1-based) code email to `address`, waiting for it."""
        return code_of(self.code_mails(address, n, timeout)[n - 1])

    def verified_browser(self, token, address=EVE, remember=False, client=None):
        """A browser that asked for a code, read it from the sink and confirmed it."""
        c = client or self.browser()
        before = len([m for m in self.sink.messages_to(address) if is_code_mail(m)])
        self.request_code(c, token, address)
        code = self.nth_code(address, before + 1)
        r = self.confirm(c, token, address, code, remember=remember)
        self.assertStatus(r, 200)
        self.assertIn(RECIPIENT_COOKIE, c.cookies, r.describe())
        return c, r


# 1 ---------------------------------------------------------------------------------------------


class InvitationTest(ExternalCase):

    def test_invitation_reaches_the_relay_with_the_link_and_the_address(self):
        item, link = self.share([EVE], message="The Q3 figures, as promised.")
        [mail] = self.sink.wait_for(1, to=EVE)
        self.assertEqual(mail.rcpt_tos, [EVE])
        self.assertIn(EVE, mail.to_header)
        self.assertIn("no-reply@test.example", str(mail.message["From"]))
        self.assertIn("no-reply@test.example", mail.mail_from)
        self.assertTrue(mail.message_id, "no Message-ID")
        self.assertEqual(mail.message.get_content_type(), "multipart/alternative")

        text = mail.text()
        self.assertEqual(share_url_of(mail), link["url"], text)
        self.assertEqual(link["url"], "%s/s/%s" % (self.admin_c.origin, link["token"]))
        self.assertIn(EVE, text)
        self.assertIn("The Q3 figures, as promised.", text)
        self.assertIn(link["url"], mail.html())
        self.assertNotIn(link["token"], mail.subject)

        row = self.wait_delivery(item["id"], EVE, "sent")
        self.assertEqual(row["delivery_error"], "", row)
        self.assertEqual(row["state"], "pending", row)
        # The link in the mail is the share: it asks an anonymous browser for the address.
        anon = self.browser()
        r = anon.get(shares(share_url_of(mail).rsplit("/s/", 1)[1]))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "verification", r.describe())


class StartTlsTest(ExternalCase):
    """`[smtp] tls = "starttls"` is required, not opportunistic: mail goes only over TLS to a
    relay whose certificate verifies against `[smtp] ca_file`."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cert_dir = tempfile.mkdtemp(prefix="vestibule-tls-")
        cls.cert = os.path.join(cls.cert_dir, "relay.pem")
        cls.key = os.path.join(cls.cert_dir, "relay.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", cls.key, "-out", cls.cert],
                       check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cert_dir, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        VestibuleTestCase.setUp(self)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        self.sink = SmtpSink(tls_context=context, require_starttls=True)
        self.addCleanup(self.sink.close)
        self.plain_sink = SmtpSink()  # offers no STARTTLS at all
        self.addCleanup(self.plain_sink.close)

    def serve(self, port):
        env = dict(smtp_env(port), VESTIBULE_SMTP__TLS="starttls",
                   VESTIBULE_SMTP__CA_FILE=self.cert)
        self.server = self.start_server(extra_args=["--test-clock"], env=env)
        self.admin_c = self.admin(self.server)
        self.root = self.admin_c.personal_root()

    def test_mail_goes_over_starttls_to_a_verified_relay(self):
        self.serve(self.sink.port)
        item, _ = self.share([EVE])
        [mail] = self.sink.wait_for(1, to=EVE)  # the sink refuses mail before STARTTLS
        self.assertIn(EVE, mail.text())
        self.wait_delivery(item["id"], EVE, "sent")

    def test_a_relay_without_starttls_gets_nothing_in_clear(self):
        self.serve(self.plain_sink.port)
        item, _ = self.share([EVE])
        row = self.wait_attempted(item["id"], EVE)
        self.assertEqual(row["delivery"], "queued", row)
        self.assertEqual(self.plain_sink.messages, [])
        self.assertEqual(self.plain_sink.attempts, [])


# 2 ---------------------------------------------------------------------------------------------


class NoEnumerationTest(ExternalCase):

    @staticmethod
    def comparable(resp, mask_browser_cookie=False):
        """(status, body, headers minus Date and X-Request-Id, in order), with the random value
        of a new browser cookie masked when asked."""
        headers = []
        for k, v in resp.headers.items():
            if k.lower() in ("date", "x-request-id"):
                continue
            if mask_browser_cookie and k.lower() == "set-cookie":
                v = re.sub(r"^(%s=)[^;]*" % BROWSER_COOKIE, r"\1<random>", v)
            headers.append((k.lower(), v))
        return resp.status, resp.body, headers

    def test_a_non_recipient_gets_the_same_answer_and_no_mail(self):
        _, link = self.share([EVE])
        self.sink.wait_for(1, to=EVE)  # the invitation
        token = link["token"]
        recipient, stranger = self.browser(), self.browser()

        # Fresh browsers (no cookie yet): both get a new browser cookie, otherwise the same.
        n1 = self.request_code(stranger, token, EVA)
        r1 = self.request_code(recipient, token, EVE)
        self.assertIn(BROWSER_COOKIE, cookie_names(r1), r1.describe())
        self.assertEqual(self.comparable(n1, True), self.comparable(r1, True))
        for c in (recipient, stranger):
            self.assertIn(BROWSER_COOKIE, c.cookies)

        # Browsers that already have their cookie: byte-identical, no Set-Cookie at all.
        n2 = self.request_code(stranger, token, EVA)
        n3 = self.request_code(stranger, token, MALLORY)
        r2 = self.request_code(recipient, token, EVE)
        self.assertEqual(self.comparable(n2), self.comparable(r2))
        self.assertNotIn("Set-Cookie", r2.headers, r2.describe())
        # Another address masks differently; apart from that echo nothing differs.
        self.assertEqual(n3.status, r2.status)
        self.assertEqual({k: v for k, v in n3.json().items() if k != "sent_to"},
                         {k: v for k, v in r2.json().items() if k != "sent_to"})
        def without_length(resp):
            return [h for h in self.comparable(resp)[2] if h[0] != "content-length"]
        self.assertEqual(without_length(n3), without_length(r2))

        # The worker handles requests in order: once both of the recipient's codes arrived, the
        # strangers' requests (made before them) were decided too — and sent nothing.
        self.code_mails(EVE, 2)
        for address in (EVA, MALLORY):
            self.assertEqual(self.sink.messages_to(address), [])
            self.assertEqual([a for a in self.sink.attempts if a[0] == address], [])
        self.assertEqual(len(self.sink.messages), 3, self.sink.messages)

    def test_wrong_confirms_answer_a_recipient_and_a_stranger_byte_for_byte_alike(self):
        _, link = self.share([EVE])
        token = link["token"]
        recipient, stranger = self.browser(), self.browser()

        def wrong_tries(count, code):
            pairs = []
            for _ in range(count):
                r = self.confirm(recipient, token, EVE, wrong_code(code))
                n = self.confirm(stranger, token, EVA, wrong_code(code))
                self.assertNotIn(RECIPIENT_COOKIE, cookie_names(r) + cookie_names(n))
                self.assertEqual(self.comparable(r), self.comparable(n),
                                 "\n%s\n%s" % (r.describe(), n.describe()))
                pairs.append(r.status)
            return pairs

        # Both asked for a code (only Eve got one); each browser has its cookie already.
        for c, address in ((recipient, EVE), (stranger, EVA)):
            self.request_code(c, token, address)
        code = self.nth_code(EVE, 1)
        # Tries 1-5 are wrong codes, the 6th and 7th find the code burned: alike at every count.
        self.assertEqual(wrong_tries(7, code), [400] * 5 + [429] * 2)
        # A new request starts again for both; past the code's lifetime both are plain wrong.
        for c, address in ((recipient, EVE), (stranger, EVA)):
            self.request_code(c, token, address)
        code = self.nth_code(EVE, 2)
        self.assertEqual(wrong_tries(2, code), [400, 400])
        self.advance("11m")
        self.assertEqual(wrong_tries(3, code), [400] * 3)


# 3 ---------------------------------------------------------------------------------------------


class SingleUseTest(ExternalCase):

    def test_wrong_right_reused_and_parallel_confirms(self):
        _, link = self.share([EVE])
        token = link["token"]
        a = self.browser()
        self.request_code(a, token, EVE)
        code = self.nth_code(EVE, 1)
        self.assertEqual(len(code), 8, "default code length is 8 digits")

        r = self.confirm(a, token, EVE, wrong_code(code))
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"].get("field"), "code", r.describe())
        self.assertNotIn(RECIPIENT_COOKIE, cookie_names(r))

        r = self.confirm(a, token, EVE, code)
        self.assertStatus(r, 200)
        self.assertIn(RECIPIENT_COOKIE, cookie_names(r), r.describe())
        me = a.me()
        self.assertEqual((me["kind"], me["email"]), ("external", EVE), me)
        content = a.get(shares(token, "/content"))
        self.assertStatus(content, 200)
        self.assertEqual(content.body, b"shared bytes\n")

        # The same code again: refused, and no new session cookie.
        again = self.browser(cookies={BROWSER_COOKIE: a.cookies[BROWSER_COOKIE]})
        r = self.confirm(again, token, EVE, code)
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"].get("field"), "code", r.describe())
        self.assertNotIn(RECIPIENT_COOKIE, cookie_names(r), r.describe())
        r = self.confirm(a, token, EVE, code)
        self.assertStatus(r, 400, "invalid_argument")
        self.assertNotIn(RECIPIENT_COOKIE, cookie_names(r), r.describe())

        # A fresh code confirmed by 10 connections of the same browser at once: one wins.
        self.request_code(a, token, EVE)
        fresh = self.nth_code(EVE, 2)
        racers = [self.browser(cookies={BROWSER_COOKIE: a.cookies[BROWSER_COOKIE]})
                  for _ in range(10)]
        for c in racers:
            self.assertStatus(c.get(shares(token)), 200)  # each opens its own connection now
        barrier = threading.Barrier(len(racers))
        results = [None] * len(racers)

        def race(i):
            try:
                barrier.wait(10)
                results[i] = self.confirm(racers[i], token, EVE, fresh)
            except BaseException as e:  # reported below
                results[i] = e

        threads = [threading.Thread(target=race, args=(i,)) for i in range(len(racers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        errors = [r for r in results if not hasattr(r, "status")]
        self.assertEqual(errors, [])
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [200] + [400] * 9,
                         "\n".join(r.describe() for r in results))
        winners = [r for r in results if r.status == 200]
        self.assertIn(RECIPIENT_COOKIE, cookie_names(winners[0]))
        for r in results:
            if r.status != 200:
                self.assertError(r, "invalid_argument")
                self.assertNotIn(RECIPIENT_COOKIE, cookie_names(r), r.describe())


# 4 ---------------------------------------------------------------------------------------------


class ForwardedLinkTest(ExternalCase):

    def test_a_forwarded_links_requests_never_use_up_the_recipients_codes(self):
        _, link = self.share([EVE])
        token = link["token"]
        # Whoever holds the forwarded link asks, again and again, from their own browser.
        b = self.browser(source="127.0.0.2")
        for _ in range(8):
            self.request_code(b, token, EVE)
        self.code_mails(EVE, 5)  # that browser's hourly budget, all to Eve's mailbox
        # Eve's own browser still gets a code (the 6th), and it works.
        a = self.browser()
        self.request_code(a, token, EVE)
        r = self.confirm(a, token, EVE, self.nth_code(EVE, 6))
        self.assertStatus(r, 200)
        self.assertStatus(a.get(shares(token, "/content")), 200)

    def test_another_browser_gets_nothing_and_cannot_burn_the_recipients_code(self):
        _, link = self.share([EVE])
        token = link["token"]
        a = self.browser()
        self.request_code(a, token, EVE)
        code_a = self.nth_code(EVE, 1)

        # Browser B: another cookie jar, another client address, holding the forwarded link.
        b = self.browser(source="127.0.0.2")
        r = b.get(shares(token))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "verification", r.describe())
        self.assertStatus(b.get(shares(token, "/content")), 401)

        # A's code is A's browser's: B, with no code of its own, cannot use it...
        r = self.confirm(b, token, EVE, code_a)
        self.assertStatus(r, 400, "invalid_argument")
        self.assertNotIn(RECIPIENT_COOKIE, b.cookies)
        # ...nor once B asked for a code of its own (which goes to Eve's mailbox, not to B).
        self.request_code(b, token, EVE)
        code_b = self.nth_code(EVE, 2)
        r = self.confirm(b, token, EVE, code_a)
        self.assertStatus(r, 400, "invalid_argument")

        # B guesses until its own code is burned (5 tries per code by default).
        statuses = []
        for _ in range(6):
            r = self.confirm(b, token, EVE, wrong_code(code_b, code_a))
            statuses.append(r.status)
            self.assertIn(r.status, (400, 429), r.describe())
            self.assertNotIn(RECIPIENT_COOKIE, cookie_names(r))
        self.assertEqual(statuses[-1], 429, statuses)
        self.assertError(r, "too_many_requests")
        r = self.confirm(b, token, EVE, code_b)  # burned: even the right code no longer works
        self.assertStatus(r, (400, 429))
        self.assertStatus(b.get(shares(token, "/content")), 401)

        # A's code was never touched by B's tries.
        r = self.confirm(a, token, EVE, code_a)
        self.assertStatus(r, 200)
        self.assertIn(RECIPIENT_COOKIE, cookie_names(r))
        self.assertStatus(a.get(shares(token, "/content")), 200)
        self.assertStatus(b.get(shares(token, "/content")), 401)


class CodeRequestBudgetTest(ExternalCase):

    def test_past_the_links_budget_per_client_address_a_request_gets_429_with_retry_after(self):
        budget = self.admin_c.expect(200, "GET", "/api/v1/admin/settings").json()
        self.assertEqual(budget["code_sends_per_link_per_hour"], 20, budget)
        _, link = self.share([EVE])
        _, other = self.share([EVE])
        token = link["token"]
        c = self.browser()
        # 20 requests from one client address through one link, for any addresses: all 202.
        for i in range(20):
            self.request_code(c, token, (EVE, EVA, MALLORY)[i % 3])
        r = c.post(shares(token, "/verification"), json={"email": EVE})
        self.assertStatus(r, 429, "too_many_requests")
        retry_after = r.headers.get("Retry-After")
        self.assertIsNotNone(retry_after, r.describe())
        self.assertRegex(retry_after, r"^[0-9]+$", r.describe())
        seconds = int(retry_after)
        self.assertTrue(0 < seconds <= 3600, r.describe())
        self.assertNotIn(RECIPIENT_COOKIE, cookie_names(r))
        # The budget is the (link, client address)'s: another client address on this link and
        # this client on another link are still served.
        self.request_code(self.browser(source="127.0.0.2"), token, EVE)
        self.request_code(c, other["token"], EVE)
        # Retry-After is the truth: one second before it the request is still refused...
        self.advance("%ds" % (seconds - 1))
        r = c.post(shares(token, "/verification"), json={"email": EVE})
        self.assertStatus(r, 429, "too_many_requests")
        self.assertIn("Retry-After", r.headers, r.describe())
        # ...and once it has passed, served.
        self.advance("1s")
        self.request_code(c, token, EVE)


class CodeBindingTest(ExternalCase):

    def test_a_code_is_refused_on_another_link_and_under_another_address(self):
        _, l1 = self.share([EVE])
        _, l2 = self.share([EVE, YAN])
        a = self.browser()
        # One browser holds a live code for each (link, address), so each refusal below is a
        # mismatch of link or address, not the absence of a code.
        self.request_code(a, l1["token"], EVE)
        l1_eve = self.nth_code(EVE, 1)
        self.request_code(a, l2["token"], EVE)
        l2_eve = self.nth_code(EVE, 2)
        self.request_code(a, l2["token"], YAN)
        l2_yan = self.nth_code(YAN, 1)
        self.assertEqual(len({l1_eve, l2_eve, l2_yan}), 3)

        refusals = (
            (l2, EVE, l1_eve),  # link L1's code on link L2, same address
            (l2, YAN, l2_eve),  # Eve's code under Yan, same link
            (l1, EVE, l2_eve),  # and the reverse of each
            (l2, EVE, l2_yan),
        )
        for link, address, code in refusals:
            r = self.confirm(a, link["token"], address, code)
            self.assertStatus(r, 400, "invalid_argument")
            self.assertNotIn(RECIPIENT_COOKIE, cookie_names(r), r.describe())
        self.assertStatus(a.get(shares(l1["token"], "/content")), 401)
        self.assertStatus(a.get(shares(l2["token"], "/content")), 401)

        # Each code still works where it belongs, for whom it was sent.
        for link, address, code in ((l2, YAN, l2_yan), (l2, EVE, l2_eve), (l1, EVE, l1_eve)):
            r = self.confirm(a, link["token"], address, code)
            self.assertStatus(r, 200)
            self.assertEqual(a.me()["email"], address)
        self.assertStatus(a.get(shares(l1["token"], "/content")), 200)


class FixationTest(ExternalCase):

    def test_a_planted_live_session_is_replaced_and_never_becomes_the_recipients(self):
        _, for_eve = self.share([EVE])
        _, for_yan = self.share([YAN])
        # The attacker (Yan) verifies on his own link: a live recipient session.
        attacker, _ = self.verified_browser(for_yan["token"], YAN)
        planted = attacker.cookies[RECIPIENT_COOKIE]
        # ...and plants it in Eve's browser before she verifies.
        victim = self.browser(cookies={RECIPIENT_COOKIE: planted})
        self.assertEqual(victim.me()["email"], YAN)
        self.assertIn(victim.get(shares(for_eve["token"], "/content")).status, (401, 403))

        _, r = self.verified_browser(for_eve["token"], EVE, client=victim)
        self.assertIn(RECIPIENT_COOKIE, cookie_names(r), r.describe())
        self.assertNotEqual(victim.cookies[RECIPIENT_COOKIE], planted)
        self.assertEqual(victim.me()["email"], EVE)
        self.assertStatus(victim.get(shares(for_eve["token"], "/content")), 200)

        # The planted value was signed out when Eve verified: it is nobody's now, least of all
        # Eve's.
        for c in (attacker, self.browser(cookies={RECIPIENT_COOKIE: planted})):
            self.assertStatus(c.get("/api/v1/me"), 401, "unauthenticated")
            r = c.get(shares(for_eve["token"], "/content"))
            self.assertIn(r.status, (401, 403), r.describe())
            self.assertNotEqual(r.body, b"shared bytes\n")
            self.assertStatus(c.get("/api/v1/shared-with-me/%d" % for_eve["id"]), (401, 403, 404))


class CrossSiteTest(ExternalCase):

    def test_a_recipients_cookie_alone_changes_nothing_from_another_site(self):
        folder = self.admin_c.mkdir(self.root, unique("drop"))
        keep = self.admin_c.upload(folder["id"], "keep.txt", b"keep")
        self.assertStatus(keep, 201)
        keep = keep.json()
        r = self.admin_c.post("/api/v1/items/%d/links" % folder["id"],
                              json={"kind": "specific", "role": "edit", "recipients": [EVE]})
        self.assertStatus(r, 201)
        link = r.json()
        eve, _ = self.verified_browser(link["token"])
        self.assertNotIn("vestibule_session", eve.cookies)  # the recipient cookie only
        self.assertEqual(eve.me()["email"], EVE)

        bases = (shares(link["token"]), "/api/v1/shared-with-me/%d" % link["id"])
        for label, headers in (("origin", {"Origin": "http://evil.example"}),
                               ("cross-site", {"Sec-Fetch-Site": "cross-site"}),
                               ("same-site", {"Sec-Fetch-Site": "same-site"})):
            for base in bases:
                with self.subTest(header=label, base=base.split("/")[3]):
                    refused = [
                        eve.post(base + "/items/%d/children" % folder["id"],
                                 json={"name": "csrf-" + label, "kind": "folder"},
                                 headers=headers),
                        eve.patch(base + "/items/%d" % keep["id"], json={"name": "csrf.txt"},
                                  headers=headers),
                        eve.delete(base + "/items/%d" % keep["id"], headers=headers),
                        eve.put(base + "/items/%d/files/csrf.txt" % folder["id"], body=b"x",
                                headers=dict(headers, **{"Content-Type": "text/plain"})),
                    ]
                    for r in refused:
                        self.assertStatus(r, 403, "forbidden")
            r = eve.delete("/api/v1/session", headers=headers)
            self.assertStatus(r, 403, "forbidden")
            self.assertEqual(eve.me()["email"], EVE)
        self.assertEqual([i["name"] for i in self.admin_c.children(folder["id"])], ["keep.txt"])
        # The same change from the server's own pages (or a client that is not a browser) is made.
        r = eve.post(shares(link["token"], "/items/%d/children" % folder["id"]),
                     json={"name": "made", "kind": "folder"},
                     headers={"Origin": eve.origin, "Sec-Fetch-Site": "same-origin"})
        self.assertStatus(r, 201)
        self.assertEqual(sorted(i["name"] for i in self.admin_c.children(folder["id"])),
                         ["keep.txt", "made"])


# 5 ---------------------------------------------------------------------------------------------


class ReverificationTest(ExternalCase):

    def test_shortening_the_period_refuses_an_older_session_on_its_next_request(self):
        _, link = self.share([EVE])
        token = link["token"]
        c = self.keep_alive_browser()
        _, r = self.verified_browser(token, remember=True, client=c)
        set_cookie = [sc for sc in r.headers.get_all("Set-Cookie")
                      if sc.startswith(RECIPIENT_COOKIE + "=")][0]
        max_age = re.search(r"(?i);\s*Max-Age=(\d+)", set_cookie)
        self.assertIsNotNone(max_age, "a remembered session has a Max-Age: " + set_cookie)
        self.assertLessEqual(int(max_age.group(1)), 30 * 86400, set_cookie)
        self.assertStatus(c.get(shares(token, "/content")), 200)

        self.advance("2h")  # within the default 30d period
        self.assertStatus(c.get(shares(token, "/content")), 200)

        self.settings(reverify_after="1h", remember_device_for="1h")
        r = c.get(shares(token))  # the same keep-alive connection, the very next request
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "verification", r.describe())
        self.assertStatus(c.get(shares(token, "/content")), 401)

        # No dead end: a new code in the same browser opens it again.
        self.request_code(c, token, EVE)
        r = self.confirm(c, token, EVE, self.nth_code(EVE, 2), remember=True)
        self.assertStatus(r, 200)
        self.assertStatus(c.get(shares(token, "/content")), 200)

    def test_the_period_is_checked_on_every_request_even_for_a_remembered_device(self):
        self.settings(reverify_after="1h", remember_device_for="1h")
        _, link = self.share([EVE])
        token = link["token"]
        c = self.keep_alive_browser()
        _, r = self.verified_browser(token, remember=True, client=c)
        set_cookie = [sc for sc in r.headers.get_all("Set-Cookie")
                      if sc.startswith(RECIPIENT_COOKIE + "=")][0]
        max_age = re.search(r"(?i);\s*Max-Age=(\d+)", set_cookie)
        self.assertIsNotNone(max_age, set_cookie)
        self.assertLessEqual(int(max_age.group(1)), 3600, set_cookie)

        self.advance("3599s")
        self.assertStatus(c.get(shares(token, "/content")), 200)
        self.advance("2s")
        r = c.get(shares(token))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "verification", r.describe())
        self.assertStatus(c.get(shares(token, "/content")), 401)
        self.advance("2h")
        self.assertEqual(c.get(shares(token)).json()["needs"], "verification")
        self.assertStatus(c.get(shares(token, "/content")), 401)


# 6 ---------------------------------------------------------------------------------------------


class RevokeTest(ExternalCase):

    def test_revoking_the_link_ends_access_on_the_next_request(self):
        _, link = self.share([EVE])
        token = link["token"]
        c = self.keep_alive_browser()
        self.verified_browser(token, client=c)
        self.assertStatus(c.get(shares(token, "/content")), 200)

        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % link["id"]), 204)
        self.assertStatus(c.get(shares(token, "/content")), 410, "gone")
        self.assertStatus(c.get(shares(token)), 410, "gone")


# 7 ---------------------------------------------------------------------------------------------


class RelayDownTest(ExternalCase):

    def test_queued_mail_survives_the_relay_being_down_and_dead_codes_are_dropped(self):
        frank, grace = "frank@partner.example", "grace@other.example"
        self.sink.stop()  # relay down: connections refused

        item1, link1 = self.share([EVE, frank])
        item2, _ = self.share([grace])
        self.request_code(self.browser(), link1["token"], EVE)
        for item_id, address in ((item1["id"], EVE), (item1["id"], frank), (item2["id"], grace)):
            row = self.wait_attempted(item_id, address)
            self.assertEqual(row["delivery"], "queued", row)
        # Fence: the worker has created the code (and queued its email, valid for 10m).
        self.wait_log(r"verification\.code_sent")

        self.advance("11m")  # the code, and so its email, expires
        self.sink.start()    # relay up again, same port
        def invitations():
            return [m for m in self.sink.messages if is_invitation(m)]
        for _ in range(10):  # retries are due 30s, 60s, 120s... after each failure
            self.advance("2m")
            try:
                self.sink.wait_for(3, where=is_invitation, timeout=1.5)
                break
            except AssertionError:
                continue
        self.assertEqual(len(invitations()), 3, self.sink.messages)
        for _ in range(3):  # give a duplicate every chance to show up
            self.advance("10m")
        # Fence: a new code mail is the newest message; once it arrived, everything older that
        # was due has been handled.
        c = self.browser()
        self.request_code(c, link1["token"], EVE)
        [fresh] = self.code_mails(EVE, 1)

        ids = [m.message_id for m in self.sink.messages]
        self.assertEqual(len(ids), len(set(ids)), "a message was delivered twice: %r" % ids)
        self.assertEqual(sorted(a for m in invitations() for a in m.rcpt_tos),
                         sorted([EVE, frank, grace]))
        self.assertEqual(len(self.sink.messages), 4, self.sink.messages)
        # The expired code's email was never delivered: Eve got her invitation and the new code.
        self.assertEqual([is_code_mail(m) for m in self.sink.messages_to(EVE)], [False, True])
        for item_id, address in ((item1["id"], EVE), (item1["id"], frank), (item2["id"], grace)):
            row = self.wait_delivery(item_id, address, "sent")
            self.assertEqual(row["delivery_error"], "", row)
        r = self.confirm(c, link1["token"], EVE, code_of(fresh))
        self.assertStatus(r, 200)


# 8 ---------------------------------------------------------------------------------------------


class RelayRefusesTest(ExternalCase):

    def test_a_permanent_refusal_fails_the_delivery_with_the_relays_answer(self):
        self.sink.rcpt_reply = "550 5.1.1 Mailbox unavailable"
        item, _ = self.share([EVE])
        row = self.wait_delivery(item["id"], EVE, "failed")
        self.assertEqual(self.sink.messages, [])

        # Permanent: never retried, even when the relay would now accept.
        self.sink.rcpt_reply = None
        for _ in range(3):
            self.advance("30m")
        fence = "fence@partner.example"
        self.share([fence])
        self.sink.wait_for(1, to=fence)
        self.assertEqual([a for a in self.sink.attempts if a[0] == EVE],
                         [(EVE, "550 5.1.1 Mailbox unavailable")])
        self.assertEqual(self.sink.messages_to(EVE), [])
        row = self.recipient_row(item["id"], EVE)
        self.assertEqual(row["delivery"], "failed", row)
        # The sharer sees why: the relay's answer to the refused command.
        self.assertIn("550", row["delivery_error"], row)

    def test_a_temporary_refusal_of_the_data_is_retried_once_due_and_sent_once(self):
        self.sink.data_reply = "451 4.3.0 Try again later"
        item, link = self.share([EVE])
        row = self.wait_attempted(item["id"], EVE)
        self.assertEqual(row["delivery"], "queued", row)
        self.assertIn("451", row["delivery_error"], row)

        self.sink.data_reply = None
        self.advance("31s")
        [mail] = self.sink.wait_for(1, to=EVE)
        self.assertEqual(share_url_of(mail), link["url"])
        row = self.wait_delivery(item["id"], EVE, "sent")
        self.assertEqual(row["delivery_error"], "", row)
        for _ in range(3):
            self.advance("30m")
        fence = "fence@partner.example"
        self.share([fence])
        self.sink.wait_for(1, to=fence)
        self.assertEqual(len(self.sink.messages_to(EVE)), 1, self.sink.messages)


# 9 ---------------------------------------------------------------------------------------------


class CodeStatisticsTest(ExternalCase):

    ROUNDS = 10      # separated by an hour on the test clock, to renew the send budgets
    MIN_ROUNDS = 3   # 3,000 digits: the least that is still a meaningful test
    PER_ROUND = 100  # the largest allowed code_sends_per_address_per_hour
    TIME_BUDGET = 15.0  # seconds; on a loaded machine fewer rounds are done (never < MIN_ROUNDS)

    def test_code_digits_are_uniform(self):
        self.settings(code_length=10, code_sends_per_address_per_hour=self.PER_ROUND,
                      code_sends_per_link_per_hour=1000)
        _, link = self.share([EVE])
        token = link["token"]
        c = self.browser()
        got = 0
        started = time.monotonic()
        for done in range(1, self.ROUNDS + 1):
            for _ in range(self.PER_ROUND):
                self.request_code(c, token, EVE)
            got += self.PER_ROUND
            self.code_mails(EVE, got, timeout=30)  # all of them before the clock moves
            self.advance("61m")
            if done >= self.MIN_ROUNDS and time.monotonic() - started > self.TIME_BUDGET:
                break
        codes = [code_of(m) for m in self.sink.messages_to(EVE) if is_code_mail(m)]
        self.assertEqual(len(codes), got)
        self.assertTrue(all(len(code) == 10 for code in codes), codes[:10])

        digits = collections.Counter(d for code in codes for d in code)
        stat, p = chi2_uniform([digits[str(d)] for d in range(10)])
        self.assertGreater(p, 0.001, "digits are not uniform: chi2=%.1f p=%.2g %r"
                           % (stat, p, sorted(digits.items())))
        # Every position on its own (90 degrees of freedom in one statistic): no digit is
        # favoured in the first place, none avoided as a leading zero, and so on.
        cells = [sum(1 for code in codes if code[i] == str(d))
                 for i in range(10) for d in range(10)]
        expected = len(codes) / 10
        stat = sum((n - expected) ** 2 / expected for n in cells)
        p = chi2_sf(stat, 90)
        self.assertGreater(p, 0.001, "digits by position are not uniform: chi2=%.1f p=%.2g"
                           % (stat, p))
        self.assertGreaterEqual(len(set(codes)), len(codes) - 1, "codes repeat")



class Chi2HelperTest(unittest.TestCase):
    """The statistics helper itself, against known quantiles (no server)."""

    def test_known_quantiles(self):
        # chi2(9) at 27.877 and chi2(90) at 137.21 are the 0.999 points.
        self.assertAlmostEqual(chi2_sf(27.877, 9), 0.001, delta=2e-5)
        self.assertAlmostEqual(chi2_sf(137.21, 90), 0.001, delta=2e-5)
        self.assertAlmostEqual(chi2_sf(9.0, 9), 0.4373, delta=1e-3)
        self.assertAlmostEqual(chi2_sf(2.0, 9), 0.9912, delta=1e-3)
        self.assertAlmostEqual(chi2_uniform([100] * 10)[1], 1.0)


class RequestTimingTest(ExternalCase):

    PAIRS = 100

    def test_recipient_and_non_recipient_requests_take_the_same_time(self):
        self.settings(code_sends_per_link_per_hour=1000)
        _, link = self.share([EVE])
        token = link["token"]
        self.sink.wait_for(1, to=EVE)
        recipient, stranger = self.keep_alive_browser(), self.keep_alive_browser()
        for c, address in ((recipient, EVE), (stranger, EVA)):  # cookies set, warmed up
            for _ in range(3):
                self.request_code(c, token, address)

        def timed(c, address):
            start = time.perf_counter()
            r = c.post(shares(token, "/verification"), json={"email": address})
            elapsed = time.perf_counter() - start
            self.assertStatus(r, 202)
            return elapsed, r

        times = {EVE: [], EVA: []}
        bodies = set()
        for i in range(self.PAIRS):
            order = ((recipient, EVE), (stranger, EVA))
            for c, address in (order if i % 2 == 0 else order[::-1]):
                elapsed, r = timed(c, address)
                times[address].append(elapsed)
                bodies.add(r.body)
        self.assertEqual(len(bodies), 1, bodies)
        median_r = statistics.median(times[EVE]) * 1000
        median_n = statistics.median(times[EVA]) * 1000
        self.assertLess(abs(median_r - median_n), 5.0,
                        "median latency: recipient %.2f ms, non-recipient %.2f ms"
                        % (median_r, median_n))


class ConfirmTimingTest(ExternalCase):

    PAIRS = 100

    def test_wrong_confirms_take_the_same_time_for_a_recipient_and_a_stranger(self):
        # Up to 9 wrong tries per code (never the burn, a cheaper path), and enough codes.
        self.settings(code_max_tries=10, code_sends_per_address_per_hour=100,
                      code_sends_per_link_per_hour=1000)
        _, link = self.share([EVE])
        token = link["token"]
        self.sink.wait_for(1, to=EVE)
        recipient, stranger = self.keep_alive_browser(), self.keep_alive_browser()
        times = {EVE: [], EVA: []}
        codes = 0
        while len(times[EVE]) < self.PAIRS:
            for c, address in ((recipient, EVE), (stranger, EVA)):
                self.request_code(c, token, address)
            codes += 1
            code = self.nth_code(EVE, codes)
            for i in range(9):
                order = ((recipient, EVE), (stranger, EVA))
                for c, address in (order if i % 2 == 0 else order[::-1]):
                    start = time.perf_counter()
                    r = self.confirm(c, token, address, wrong_code(code))
                    elapsed = time.perf_counter() - start
                    self.assertStatus(r, 400, "invalid_argument")
                    if codes > 1:  # the first code warms both paths up
                        times[address].append(elapsed)
            # The right code at last: the address's count of failures starts again (past 100 a
            # one-time link would replace the codes).
            self.assertStatus(self.confirm(recipient, token, EVE, code), 200)
        median_r = statistics.median(times[EVE]) * 1000
        median_n = statistics.median(times[EVA]) * 1000
        self.assertLess(abs(median_r - median_n), 5.0,
                        "median latency of a wrong confirm: recipient %.2f ms, non-recipient "
                        "%.2f ms" % (median_r, median_n))


# 10 --------------------------------------------------------------------------------------------


class SecretsAtRestTest(ExternalCase):

    def files_containing(self, needle):
        found = []
        for folder, _, files in os.walk(self.server.data_dir):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    with open(path, "rb") as f:
                        if needle in f.read():
                            found.append(os.path.relpath(path, self.server.data_dir))
                except FileNotFoundError:
                    pass  # a -wal or temporary file that went away meanwhile
        return found

    def test_the_code_and_the_token_are_in_no_file_and_no_log_line(self):
        _, link = self.share([EVE])
        token = link["token"]
        self.sink.wait_for(1, to=EVE)
        c = self.browser()
        self.request_code(c, token, EVE)
        code = self.nth_code(EVE, 1)

        # Once sent, the outbox body is scrubbed (the relay's receipt comes just before the
        # server records "sent", hence the bounded wait).
        for secret in (code.encode(), token.encode()):
            deadline = time.monotonic() + DELIVERY_TIMEOUT
            while self.files_containing(secret):
                if time.monotonic() > deadline:
                    self.fail("%r is still in %r of the data folder %.0f s after it was sent"
                              % (secret, self.files_containing(secret), DELIVERY_TIMEOUT))
                time.sleep(0.05)
            self.assertNotIn(secret, stored_bytes(self.server.data_dir), "in the database")
            self.assertNotIn(secret.decode(), self.server.output(), "in the server's log")

        # It was a live code all along.
        r = self.confirm(c, token, EVE, code)
        self.assertStatus(r, 200)
        self.assertEqual(self.files_containing(code.encode()), [])
        self.assertNotIn(code, self.server.output())
        session = c.cookies[RECIPIENT_COOKIE]
        self.assertEqual(self.files_containing(session.encode()), [])


if __name__ == "__main__":
    unittest.main()
