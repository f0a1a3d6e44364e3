"""The session cookies under an https public URL, and the recipient cookie's flags over plain http.

A server behind a TLS-terminating proxy listens on plain http on loopback while its
`server.public_url` is `https://…`; it must then mark every session cookie `Secure` and give the
member and recipient sessions the `__Host-` name (SPEC §7: "Secure whenever the public URL is
https", "under https the cookie uses the `__Host-` prefix"), keep `HttpOnly`, `SameSite=Lax`,
`Path=/` and no `Domain`, and read those names back. The server here is configured by a TOML file
(`[server] public_url`, `[smtp]` to a real SMTP sink: with an https public URL there is no
development mailbox, so codes are read off the wire). Requests name the public host in `Host`,
as a proxy passes it on.

SECURITY-CHECKLIST B14.
"""

import unittest

from harness import ADMIN_EMAIL, ADMIN_PASSWORD, Client, VestibuleTestCase
from smtp_sink import SmtpSink, code_of
from test_external import EVE, SMTP_FROM, is_code_mail, smtp_env

PUBLIC_HOST = "files.example.org"
PUBLIC_URL = "https://" + PUBLIC_HOST

MEMBER_COOKIE = "__Host-vestibule_session"
RECIPIENT_COOKIE = "__Host-vestibule_recipient"
BROWSER_COOKIE = "__Secure-vestibule_browser"
PLAIN_MEMBER_COOKIE = "vestibule_session"
PLAIN_RECIPIENT_COOKIE = "vestibule_recipient"

DELIVERY_TIMEOUT = 10.0


def set_cookies(resp):
    """{name: (value, {attribute (lower-case): value}, raw header)} of every Set-Cookie."""
    found = {}
    for header in resp.headers.get_all("Set-Cookie"):
        parts = [p.strip() for p in header.split(";")]
        name, _, value = parts[0].partition("=")
        attributes = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            attributes[k.strip().lower()] = v.strip()
        found[name.strip()] = (value, attributes, header)
    return found


class PublicHostClient(Client):
    """A browser reaching the server through the proxy: every request names the public host."""

    def _headers(self, headers, body_is_json):
        h = super()._headers(headers, body_is_json)
        h.setdefault("Host", PUBLIC_HOST)
        return h


class CookieCase(VestibuleTestCase):

    def browser(self, cls=Client, cookies=None):
        c = cls(self.server.port, cookies=cookies)
        self._clients.append(c)
        self.addCleanup(c.close)
        return c

    def share_with_eve(self, admin, role="view", remember=False):
        """Shares a new file with EVE; returns (link, content bytes)."""
        data = b"for eve over a proxied https\n"
        item = admin.upload(admin.personal_root(), "eve-%d.txt" % len(self.sink.messages), data)
        self.assertStatus(item, 201)
        r = admin.post("/api/v1/items/%d/links" % item.json()["id"],
                       json={"kind": "specific", "role": role, "recipients": [EVE]})
        self.assertStatus(r, 201)
        return r.json(), data

    def verify(self, browser, token, remember=False):
        """Asks for a code in `browser`, reads it from the sink, confirms it; returns the
        request's and the confirm's responses."""
        before = len([m for m in self.sink.messages_to(EVE) if is_code_mail(m)])
        asked = browser.post("/api/v1/shares/%s/verification" % token, json={"email": EVE})
        self.assertStatus(asked, 202)
        mails = self.sink.wait_for(before + 1, to=EVE, where=is_code_mail,
                                   timeout=DELIVERY_TIMEOUT)
        code = code_of(mails[before])
        confirmed = browser.post("/api/v1/shares/%s/verification/confirm" % token,
                                 json={"email": EVE, "code": code, "remember": remember})
        self.assertStatus(confirmed, 200)
        return asked, confirmed

    def assertSessionCookie(self, resp, name, secure, max_age=None):
        """`name` is set with HttpOnly, SameSite=Lax, Path=/, no Domain, Secure as asked, and
        Max-Age only when given (then at most `max_age`)."""
        cookies = set_cookies(resp)
        self.assertIn(name, cookies, resp.describe())
        value, attributes, raw = cookies[name]
        self.assertGreaterEqual(len(value), 22, raw)  # >= 128 bits, base64url
        self.assertIn("httponly", attributes, raw)
        self.assertEqual(attributes.get("samesite"), "Lax", raw)
        self.assertEqual(attributes.get("path"), "/", raw)
        self.assertNotIn("domain", attributes, raw)
        self.assertNotIn("expires", attributes, raw)
        if secure:
            self.assertIn("secure", attributes, raw)
        else:
            self.assertNotIn("secure", attributes, raw)
        if max_age is None:
            self.assertNotIn("max-age", attributes, raw)
        else:
            self.assertIn("max-age", attributes, raw)
            self.assertGreater(int(attributes["max-age"]), 0, raw)
            self.assertLessEqual(int(attributes["max-age"]), max_age, raw)
        return value


class HttpsPublicUrlTest(CookieCase):

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink()
        self.addCleanup(self.sink.close)  # after the server's cleanup (LIFO)
        config = ('[server]\npublic_url = "%s"\n\n'
                  '[smtp]\nhost = "127.0.0.1"\nport = %d\ntls = "none"\nfrom = "%s"\n'
                  % (PUBLIC_URL, self.sink.port, SMTP_FROM.replace('"', '\\"')))
        self.server = self.start_server(config=config)

    def test_the_member_cookie_is_secure_host_prefixed_and_read_back_by_that_name(self):
        c = self.browser(PublicHostClient)
        r = c.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.assertEqual(set(set_cookies(r)), {MEMBER_COOKIE}, r.describe())
        token = self.assertSessionCookie(r, MEMBER_COOKIE, secure=True)
        self.assertIn("Strict-Transport-Security", r.headers, r.describe())

        # Read back by its name.
        self.assertEqual(c.me()["email"], ADMIN_EMAIL)
        # The same token under the plain name is not a session (a cookie without the prefix can
        # be planted by a sibling host or over http; only the __Host- one counts).
        plain = self.browser(PublicHostClient, cookies={PLAIN_MEMBER_COOKIE: token})
        self.assertStatus(plain.get("/api/v1/me"), 401, "unauthenticated")
        # A state change from the public origin is accepted with it; sign-out clears it by the
        # same name with the same flags.
        r = c.delete("/api/v1/session", headers={"Origin": PUBLIC_URL})
        self.assertStatus(r, 204)
        cleared = set_cookies(r)
        self.assertIn(MEMBER_COOKIE, cleared, r.describe())
        _, attributes, raw = cleared[MEMBER_COOKIE]
        self.assertIn("secure", attributes, raw)
        self.assertEqual(attributes.get("path"), "/", raw)
        self.assertNotIn("domain", attributes, raw)
        self.assertStatus(c.get("/api/v1/me"), 401)
        again = self.browser(PublicHostClient, cookies={MEMBER_COOKIE: token})
        self.assertStatus(again.get("/api/v1/me"), 401)

    def test_the_recipient_cookies_are_secure_prefixed_and_read_back_by_those_names(self):
        admin = self.browser(PublicHostClient)
        admin.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        link, data = self.share_with_eve(admin)
        self.assertTrue(link["url"].startswith(PUBLIC_URL + "/s/"), link)
        self.sink.wait_for(1, to=EVE, timeout=DELIVERY_TIMEOUT)  # the invitation

        eve = self.browser(PublicHostClient)
        asked, confirmed = self.verify(eve, link["token"])
        # The browser binding of the code: __Secure- (its Path is /api/v1, so not __Host-).
        cookies = set_cookies(asked)
        self.assertIn(BROWSER_COOKIE, cookies, asked.describe())
        _, attributes, raw = cookies[BROWSER_COOKIE]
        self.assertIn("secure", attributes, raw)
        self.assertIn("httponly", attributes, raw)
        self.assertEqual(attributes.get("samesite"), "Lax", raw)
        self.assertEqual(attributes.get("path"), "/api/v1", raw)
        self.assertNotIn("domain", attributes, raw)
        # The recipient session: __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, no
        # Max-Age (not remembered).
        self.assertNotIn(PLAIN_RECIPIENT_COOKIE, set_cookies(confirmed), confirmed.describe())
        token = self.assertSessionCookie(confirmed, RECIPIENT_COOKIE, secure=True)

        # Read back by its name: it opens the file.
        me = eve.me()
        self.assertEqual((me["kind"], me["email"]), ("external", EVE))
        r = eve.get("/api/v1/shares/%s/content" % link["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body, data)
        # Under the plain name the same token opens nothing.
        plain = self.browser(PublicHostClient, cookies={PLAIN_RECIPIENT_COOKIE: token})
        self.assertStatus(plain.get("/api/v1/me"), 401)
        self.assertStatus(plain.get("/api/v1/shares/%s/content" % link["token"]), 401)

        # A remembered device: the same flags, with Max-Age at most the period (30 days).
        phone = self.browser(PublicHostClient)
        _, confirmed = self.verify(phone, link["token"], remember=True)
        self.assertSessionCookie(confirmed, RECIPIENT_COOKIE, secure=True, max_age=30 * 86400)
        self.assertEqual(phone.me()["email"], EVE)


class PlainHttpRecipientCookieTest(CookieCase):
    """Over plain http (no https public URL) the recipient cookie has its plain name and no
    Secure, and the same HttpOnly, SameSite=Lax, Path=/ and no Domain."""

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink()
        self.addCleanup(self.sink.close)
        self.server = self.start_server(env=smtp_env(self.sink.port))

    def test_the_recipient_cookie_is_samesite_lax_httponly_and_not_secure(self):
        admin = self.browser()
        admin.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        link, data = self.share_with_eve(admin)
        eve = self.browser()
        _, confirmed = self.verify(eve, link["token"])
        self.assertNotIn(RECIPIENT_COOKIE, set_cookies(confirmed), confirmed.describe())
        self.assertSessionCookie(confirmed, PLAIN_RECIPIENT_COOKIE, secure=False)
        self.assertEqual(eve.get("/api/v1/shares/%s/content" % link["token"]).body, data)

        phone = self.browser()
        _, confirmed = self.verify(phone, link["token"], remember=True)
        self.assertSessionCookie(confirmed, PLAIN_RECIPIENT_COOKIE, secure=False,
                                 max_age=30 * 86400)


if __name__ == "__main__":
    unittest.main()
