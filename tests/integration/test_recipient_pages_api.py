"""What the recipient's pages (/s/{token}) read from the API, over real HTTP with a real SMTP sink.

The share summary's fields (`expires_at`, `recipient_expires_at`, `organization`, `verification`),
why a signed-in browser is not let in (`reason`: reverification_due, removed, blocked,
not_invited), the `410` of a dead link with its `link` object, the code request's answer, inline
viewing (`…/view`), what was shared with the caller (`GET /api/v1/shared-with-me`) and the
token-free twin of the recipient's routes (`/api/v1/shared-with-me/{link_id}/…`), and the
`?email=` of the invitation's link.

Each test starts its own SMTP sink and `vestibule serve --test-clock` (ExternalCase of
test_external.py); time moves only through POST /api/v1/dev/clock. Assertions are on statuses,
error codes, headers and fields, never on message wording.

SPEC §4 flows 2-4 and 7, §5 (shared-with-me); UX "The recipient"; SECURITY-CHECKLIST 29, 31.
"""

import datetime
import urllib.parse

from harness import format_time, parse_time, quote_name
from smtp_sink import share_url_of, token_of
from test_external import EVA, EVE, RECIPIENT_COOKIE, ExternalCase, shares, unique

FRED = "fred@partner.example"  # another external recipient, of other links
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56  # the type is decided by the name, not the bytes


def twin(link_id, rest=""):
    return "/api/v1/shared-with-me/%s%s" % (link_id, rest)


class RecipientPagesCase(ExternalCase):

    def now(self):
        return parse_time(self.advance("0s"))

    def upload(self, name, data=b"shared bytes\n", folder=None):
        r = self.admin_c.upload(folder or self.root, name, data)
        self.assertStatus(r, 201)
        return r.json()

    def link(self, item_id, client=None, **body):
        r = (client or self.admin_c).post("/api/v1/items/%d/links" % item_id, json=body)
        self.assertStatus(r, 201)
        return r.json()

    def member(self, name=None):
        email = "%s@example.org" % (name or unique("member"))
        password = "Member-passw0rd-%s" % unique("pw")
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": email, "password": password,
                                    "display_name": "Member " + email.split("@")[0],
                                    "role": "user"})
        self.assertStatus(r, 201)
        return email, self.client(self.server, sign_in=email, password=password)

    def summary(self, client, token, status=200):
        r = client.get(shares(token))
        self.assertStatus(r, status)
        return r.json()


# -- the summary's fields --------------------------------------------------------------------


class SummaryFieldsTest(RecipientPagesCase):

    def test_expiry_organization_and_verification_fields(self):
        self.settings(organization_name="Example Corp",
                      organization_contact="IT help desk, it-help@example.org",
                      code_length=6, code_lifetime="15m", reverify_after="7d",
                      remember_device_for="1d")
        got = self.admin_c.get("/api/v1/admin/settings").json()
        self.assertEqual((got["organization_name"], got["organization_contact"]),
                         ("Example Corp", "IT help desk, it-help@example.org"))
        now = self.now()
        link_expiry = format_time(now + datetime.timedelta(days=10))
        own_expiry = format_time(now + datetime.timedelta(days=4))
        item = self.upload(unique("plan") + ".txt")
        link = self.link(item["id"], kind="specific", expires_at=link_expiry,
                         recipients=[{"address": EVE, "expires_at": own_expiry}, FRED])
        token = link["token"]

        anon = self.summary(self.browser(), token)
        self.assertEqual(anon["needs"], "verification")
        self.assertEqual(anon["expires_at"], link_expiry)
        self.assertIsNone(anon["recipient_expires_at"])
        self.assertEqual(anon["organization"],
                         {"name": "Example Corp", "contact": "IT help desk, it-help@example.org"})
        self.assertEqual(anon["verification"],
                         {"code_length": 6, "code_lifetime": "15m", "code_lifetime_seconds": 900,
                          "remember_device_for": "1d", "remember_device_seconds": 86400})
        self.assertNotIn("reason", anon)
        self.assertNotIn("signed_in_as", anon)

        # Verified: the item, the link's expiry and the recipient's own earlier one.
        eve, _ = self.verified_browser(token, EVE)
        mine = self.summary(eve, token)
        self.assertEqual(mine["needs"], "none")
        self.assertEqual((mine["expires_at"], mine["recipient_expires_at"]),
                         (link_expiry, own_expiry))
        self.assertNotIn("verification", mine)
        fred, _ = self.verified_browser(token, FRED)
        theirs = self.summary(fred, token)
        self.assertEqual((theirs["expires_at"], theirs["recipient_expires_at"]),
                         (link_expiry, None))

        # The policy's maximum lifetime shortens the link's expiry at once.
        self.settings(specific_link_max_lifetime="2d")  # the link was created at `now`
        self.assertEqual(self.summary(eve, token)["expires_at"],
                         format_time(now + datetime.timedelta(days=2)))

        # No remembered device when every session needs a code.
        self.settings(reverify_after="0", remember_device_for="0")
        v = self.summary(self.browser(), token)["verification"]
        self.assertEqual(v["remember_device_seconds"], 0)
        self.assertEqual(v["remember_device_for"], "0")

    def test_organization_settings_are_validated_naming_the_field(self):
        for patch, field in (({"organization_name": "x" * 101}, "organization_name"),
                             ({"organization_name": "two\nlines"}, "organization_name"),
                             ({"organization_name": 7}, "organization_name"),
                             ({"organization_contact": "y" * 201}, "organization_contact"),
                             ({"organization_contact": "tab\there"}, "organization_contact")):
            with self.subTest(patch=patch):
                r = self.admin_c.patch("/api/v1/admin/settings", json=patch)
                self.assertStatus(r, 400, "invalid_argument")
                self.assertEqual(r.json()["error"].get("field"), field, r.describe())
        ok = self.settings(organization_name="\u00e9" * 100, organization_contact="z" * 200)
        self.assertEqual(len(ok["organization_name"]), 100)
        r = self.admin_c.post("/api/v1/admin/spaces", json={"name": unique("Team")})
        self.assertStatus(r, 201)
        r = self.admin_c.patch("/api/v1/spaces/%d/settings" % r.json()["id"],
                               json={"organization_name": "Team"})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"].get("field"), "organization_name")

    def test_code_request_answer_says_when_the_code_expires_and_when_to_resend(self):
        self.settings(code_length=7, code_lifetime="12m", remember_device_for="3d")
        _, link = self.share([EVE])
        now = self.now()
        invited, stranger = self.browser(), self.browser()
        self.request_code(invited, link["token"], EVE)
        self.request_code(stranger, link["token"], EVA)
        a = self.request_code(invited, link["token"], EVE)
        b = self.request_code(stranger, link["token"], EVA)
        self.assertEqual(a.body, b.body)  # the same bytes, invited or not
        body = a.json()
        self.assertEqual(body["expires_at"], format_time(now + datetime.timedelta(minutes=12)))
        self.assertEqual(body["code_length"], 7)
        self.assertEqual(body["resend_after_seconds"], 30)
        self.assertEqual(body["code_lifetime"], "12m")
        self.assertEqual(body["remember_device_seconds"], 3 * 86400)


# -- why a signed-in browser is not let in ---------------------------------------------------


class ReasonTest(RecipientPagesCase):

    def test_reverification_due(self):
        _, link = self.share([EVE])
        token = link["token"]
        proved = self.now()
        eve, _ = self.verified_browser(token, EVE)
        self.assertEqual(self.summary(eve, token)["needs"], "none")
        self.settings(reverify_after="1h", remember_device_for="1h")
        self.advance("2h")
        s = self.summary(eve, token)
        self.assertEqual(s["needs"], "verification")
        self.assertEqual(s["signed_in_as"], {"kind": "external", "email": EVE})
        self.assertEqual(s["reason"], "reverification_due")
        self.assertEqual(s["proved_at"], format_time(proved))
        self.assertStatus(eve.get(shares(token, "/content")), 401, "unauthenticated")

    def test_removed_blocked_not_invited_and_nothing_for_anonymous(self):
        _, for_eve = self.share([EVE, FRED])
        _, for_fred = self.share([FRED])
        member_email, member = self.member()
        _, with_member = self.share([member_email])
        eve, _ = self.verified_browser(for_eve["token"], EVE)
        fred, _ = self.verified_browser(for_fred["token"], FRED)

        # Another address: not invited (an external session, and a member without access).
        s = self.summary(fred, with_member["token"])
        self.assertEqual((s["needs"], s["reason"]), ("verification", "not_invited"))
        self.assertEqual(s["signed_in_as"], {"kind": "external", "email": FRED})
        s = self.summary(member, for_fred["token"])
        self.assertEqual((s["reason"], s["signed_in_as"]["kind"]), ("not_invited", "member"))

        # Removed from the link: said so, for an external address and for a member.
        self.assertEqual(self.summary(fred, for_eve["token"])["needs"], "none")
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d/recipients/%s"
                                              % (for_eve["id"], quote_name(FRED))), 204)
        s = self.summary(fred, for_eve["token"])
        self.assertEqual((s["needs"], s["reason"]), ("verification", "removed"))
        self.assertEqual(self.summary(member, with_member["token"])["needs"], "none")
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d/recipients/%s"
                                              % (with_member["id"], quote_name(member_email))),
                          204)
        s = self.summary(member, with_member["token"])
        self.assertEqual((s["needs"], s["reason"]), ("verification", "removed"))

        # Blocked in the directory: the browser is told, though its session opens nothing.
        self.assertEqual(self.summary(eve, for_eve["token"])["needs"], "none")
        r = self.admin_c.patch("/api/v1/admin/external-identities/%s" % quote_name(EVE),
                               json={"state": "blocked"})
        self.assertStatus(r, 200)
        s = self.summary(eve, for_eve["token"])
        self.assertEqual((s["needs"], s["reason"]), ("verification", "blocked"))
        self.assertEqual(s["signed_in_as"], {"kind": "external", "email": EVE})
        # The browser proved the address: it is told the truth, not to verify (no code would
        # come), on every route through the link.
        for path in ("/content", "/items/%d/children" % s["item"]["id"]):
            r = eve.get(shares(for_eve["token"], path))
            self.assertStatus(r, 403, "forbidden")
            message = r.json()["error"]["message"]
            self.assertIn(EVE, message)
            self.assertIn("turned off", message)
            self.assertNotIn("verify", message)
        # A stranger holding the link learns nothing of it.
        stranger = self.browser()
        r = stranger.get(shares(for_eve["token"], "/content"))
        self.assertStatus(r, 401, "unauthenticated")
        self.assertNotIn(b"turned off", r.body)
        self.assertNotIn(EVE.encode(), r.body)

        # Anonymous callers never get a reason (nothing to enumerate recipients with).
        for token in (for_eve["token"], for_fred["token"], with_member["token"]):
            s = self.summary(self.browser(), token)
            self.assertNotIn("reason", s)
            self.assertNotIn("signed_in_as", s)


    def test_a_blocked_address_asking_for_a_code_is_told_by_mail_and_strangers_learn_nothing(self):
        _, link = self.share([EVE])
        token = link["token"]
        self.sink.wait_for(1, to=EVE)  # the invitation
        r = self.admin_c.patch("/api/v1/admin/external-identities/%s" % quote_name(EVE),
                               json={"state": "blocked"})
        self.assertStatus(r, 200)
        # A new browser (no session): the same answer as any address, invited or not.
        blocked, stranger = self.browser(), self.browser()
        self.request_code(blocked, token, "zed@elsewhere.example")
        self.request_code(stranger, token, "zed@elsewhere.example")
        a = self.request_code(blocked, token, EVE)
        b = self.request_code(stranger, token, EVA)
        self.assertEqual((a.status, sorted(a.json())), (b.status, sorted(b.json())))
        self.assertEqual({k: v for k, v in a.json().items() if k != "sent_to"},
                         {k: v for k, v in b.json().items() if k != "sent_to"})
        # The truth goes only to the address itself: a notice, never a code.
        [notice] = self.sink.wait_for(2, to=EVE)[1:]
        self.assertIn("turned off", notice.subject)
        self.assertIn("no code was sent", notice.text())
        self.assertEqual(self.code_mails(EVE, 0), [])
        self.assertEqual(self.sink.messages_to(EVA), [])
        # Signing in by code without a link: the same notice.
        r = blocked.post("/api/v1/session/code", json={"email": EVE})
        self.assertStatus(r, 202)
        notices = self.sink.wait_for(3, to=EVE)[1:]
        self.assertEqual([m.subject for m in notices], [notice.subject] * 2)
        self.assertEqual(self.code_mails(EVE, 0), [])


# -- dead links --------------------------------------------------------------------------------


class DeadLinkTest(RecipientPagesCase):

    def test_expired_and_revoked_links_say_how_they_ended_and_nothing_of_the_item(self):
        me = self.admin_c.me()
        name = unique("secret-plan") + ".txt"
        item = self.upload(name)
        expiry = format_time(self.now() + datetime.timedelta(days=1))
        expiring = self.link(item["id"], kind="specific", recipients=[EVE], expires_at=expiry)
        revoked = self.link(item["id"], kind="specific", recipients=[EVE])
        eve, _ = self.verified_browser(revoked["token"], EVE)

        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % revoked["id"]), 204)
        for c in (eve, self.browser()):
            for path in (shares(revoked["token"]), shares(revoked["token"], "/content")):
                r = c.get(path)
                self.assertStatus(r, 410, "gone")
                self.assertEqual(r.json()["link"], {"state": "revoked",
                                                    "shared_by": {"display_name":
                                                                  me["display_name"]}})
                self.assertNotIn(name.encode(), r.body)

        self.advance("25h")
        r = self.browser().get(shares(expiring["token"]))
        self.assertStatus(r, 410, "gone")
        self.assertEqual(r.json()["link"],
                         {"state": "expired", "expired_at": expiry,
                          "shared_by": {"display_name": me["display_name"]}})
        self.assertNotIn("item", r.json())
        self.assertNotIn(name.encode(), r.body)
        r = self.browser().post(shares(expiring["token"], "/verification"), json={"email": EVE})
        self.assertStatus(r, 410, "gone")
        self.assertEqual(r.json()["link"]["state"], "expired")

        # The link still works but its item was moved to the trash.
        trashed_name = unique("trashed") + ".txt"
        trashed, trashed_link = self.share([EVE], name=trashed_name)
        self.assertStatus(self.admin_c.delete("/api/v1/items/%d" % trashed["id"]), 204)
        r = self.browser().get(shares(trashed_link["token"]))
        self.assertStatus(r, 410, "gone")
        self.assertEqual(r.json()["link"], {"state": "deleted",
                                            "shared_by": {"display_name": me["display_name"]}})
        self.assertNotIn(trashed_name.encode(), r.body)

        # An unknown token is a plain 404: nothing says whether it ever existed.
        r = self.browser().get(shares("x" * 43))
        self.assertStatus(r, 404, "not_found")
        self.assertEqual(set(r.json()), {"error"})


# -- viewing in the browser ------------------------------------------------------------------


class ViewTest(RecipientPagesCase):

    def assertInline(self, r, content_type, name):
        self.assertEqual(r.headers.get("Content-Type"), content_type, r.describe())
        disposition = r.headers.get("Content-Disposition", "")
        self.assertTrue(disposition.startswith("inline;"), r.describe())
        self.assertIn("filename*=UTF-8''" + quote_name(name), disposition)
        self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.headers.get("Content-Security-Policy"), "sandbox")
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        self.assertTrue(r.headers.get("ETag"), r.describe())

    def test_allow_listed_types_inline_others_refused_and_ranges(self):
        folder = self.admin_c.mkdir(self.root, unique("media"))
        png = self.upload("Photo.PNG", PNG, folder=folder["id"])
        data = self.upload("data.json", b'{"a": "<script>"}', folder=folder["id"])
        html = self.upload("page.html", b"<script>alert(1)</script>", folder=folder["id"])
        svg = self.upload("logo.svg", b"<svg onload='alert(1)'/>", folder=folder["id"])

        r = self.admin_c.get("/api/v1/items/%d/view" % png["id"])
        self.assertStatus(r, 200)
        self.assertInline(r, "image/png", "Photo.PNG")
        self.assertEqual(r.body, PNG)
        r = self.admin_c.get("/api/v1/items/%d/view" % data["id"])
        self.assertStatus(r, 200)
        self.assertInline(r, "text/plain; charset=utf-8", "data.json")
        r = self.admin_c.get("/api/v1/items/%d/view" % png["id"], headers={"Range": "bytes=0-7"})
        self.assertStatus(r, 206)
        self.assertEqual(r.headers.get("Content-Range"), "bytes 0-7/%d" % len(PNG))
        self.assertEqual(r.body, PNG[:8])
        etag = self.admin_c.get("/api/v1/items/%d/view" % png["id"]).headers["ETag"]
        r = self.admin_c.get("/api/v1/items/%d/view" % png["id"],
                             headers={"If-None-Match": etag})
        self.assertStatus(r, 304)
        for bad in (html, svg):
            self.assertStatus(self.admin_c.get("/api/v1/items/%d/view" % bad["id"]), 415,
                              "unsupported_media_type")
            r = self.admin_c.get("/api/v1/items/%d/content" % bad["id"])
            self.assertStatus(r, 200)  # downloading stays possible, as an attachment
            self.assertTrue(r.headers["Content-Disposition"].startswith("attachment;"))
        self.assertStatus(self.admin_c.get("/api/v1/items/%d/view" % folder["id"]), 400)

        # Through a link that blocks downloads: viewing works, the bytes as a download do not.
        member_email, member = self.member()
        file_link = self.link(png["id"], kind="specific", recipients=[member_email],
                              block_download=True)
        folder_link = self.link(folder["id"], kind="specific", recipients=[member_email],
                                block_download=True)
        r = member.get(shares(file_link["token"], "/view"))
        self.assertStatus(r, 200)
        self.assertInline(r, "image/png", "Photo.PNG")
        self.assertEqual(r.headers.get("Referrer-Policy"), "no-referrer")
        self.assertStatus(member.get(shares(file_link["token"], "/content")), 403, "forbidden")
        r = member.get(shares(file_link["token"], "/view"), headers={"Range": "bytes=2-"})
        self.assertStatus(r, 206)
        self.assertEqual(r.body, PNG[2:])
        r = member.get(shares(folder_link["token"], "/items/%d/view" % data["id"]))
        self.assertStatus(r, 200)
        self.assertInline(r, "text/plain; charset=utf-8", "data.json")
        self.assertStatus(member.get(shares(folder_link["token"], "/items/%d/content"
                                            % data["id"])), 403, "forbidden")
        self.assertStatus(member.get(shares(folder_link["token"], "/items/%d/view" % html["id"])),
                          415, "unsupported_media_type")
        # The same through the link's id, and nothing for someone it was not shared with.
        r = member.get(twin(folder_link["id"], "/items/%d/view" % png["id"]))
        self.assertStatus(r, 200)
        self.assertInline(r, "image/png", "Photo.PNG")
        _, stranger = self.member()
        self.assertStatus(stranger.get(shares(file_link["token"], "/view")), 403)
        self.assertStatus(stranger.get(twin(file_link["id"], "/view")), 404, "not_found")
        self.assertStatus(self.browser().get(shares(file_link["token"], "/view")), 401)


# -- shared with me, and the link by id --------------------------------------------------------


class SharedWithMeTest(RecipientPagesCase):

    def test_an_external_recipient_lists_what_was_shared_and_opens_it_by_link_id(self):
        me = self.admin_c.me()
        first, first_link = self.share([EVE], name=unique("first") + ".txt", data=b"first\n")
        self.advance("1m")
        second, second_link = self.share([EVE, FRED], name=unique("second") + ".txt")
        expiry = format_time(self.now() + datetime.timedelta(days=3))
        third = self.upload(unique("third") + ".png", PNG)
        third_link = self.link(third["id"], kind="specific", block_download=True,
                               recipients=[{"address": EVE, "expires_at": expiry}])
        gone, gone_link = self.share([EVE])
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % gone_link["id"]), 204)
        _, not_eves = self.share([FRED])

        eve, _ = self.verified_browser(first_link["token"], EVE)
        r = eve.get("/api/v1/shared-with-me")
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        items = r.json()["items"]
        self.assertEqual([e["item"]["id"] for e in items], [third["id"], second["id"], first["id"]])
        top = items[0]
        self.assertEqual(top["item"], {"id": third["id"], "name": third["name"], "kind": "file",
                                       "size": len(PNG), "modified_at": third["modified_at"]})
        self.assertEqual(top["shared_by"], {"display_name": me["display_name"]})
        self.assertEqual(top["link_id"], third_link["id"])
        self.assertEqual(top["url"], "%s/shared/%d" % (self.admin_c.origin, third_link["id"]))
        self.assertEqual((top["role"], top["expires_at"], top["block_download"]),
                         ("view", expiry, True))
        self.assertEqual((items[2]["expires_at"], items[2]["block_download"]), (None, False))

        # The twin of the recipient's routes: the same answers without the token.
        s = eve.get(twin(second_link["id"]))
        self.assertStatus(s, 200)
        self.assertEqual((s.json()["needs"], s.json()["item"]["id"]), ("none", second["id"]))
        r = eve.get(twin(first_link["id"], "/content"))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"first\n")
        self.assertStatus(eve.get(twin(third_link["id"], "/view")), 200)
        self.assertStatus(eve.get(twin(third_link["id"], "/content")), 403, "forbidden")
        self.assertStatus(eve.get(twin(gone_link["id"])), 410, "gone")

        # Nobody else finds the link by id: the same 404 as an unknown token, body and all.
        unknown = self.browser().get(shares("y" * 43))
        self.assertStatus(unknown, 404, "not_found")
        fred, _ = self.verified_browser(not_eves["token"], FRED)
        for c, link_id in ((fred, first_link["id"]), (self.browser(), first_link["id"]),
                           (eve, not_eves["id"]), (eve, 987654321), (eve, "abc")):
            r = c.get(twin(link_id))
            self.assertStatus(r, 404, "not_found")
            self.assertEqual(r.json(), unknown.json())
            self.assertStatus(c.get(twin(link_id, "/content")), 404, "not_found")
        # A removed recipient still finds it, and is told why it opens nothing.
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d/recipients/%s"
                                              % (second_link["id"], quote_name(EVE))), 204)
        s = eve.get(twin(second_link["id"]))
        self.assertStatus(s, 200)
        self.assertEqual((s.json()["needs"], s.json()["reason"]), ("verification", "removed"))
        self.assertStatus(eve.get(twin(second_link["id"], "/content")), 403)
        ids = [e["item"]["id"] for e in eve.get("/api/v1/shared-with-me").json()["items"]]
        self.assertEqual(ids, [third["id"], first["id"]])

        # Anyone links are never found by id, whoever asks.
        self.settings(external_sharing="anyone")
        anyone = self.link(first["id"], kind="anyone")
        for c in (eve, self.admin_c, self.browser()):
            self.assertStatus(c.get(twin(anyone["id"])), 404, "not_found")

        # Past the reverification period the list needs a new code, like everything else.
        self.settings(reverify_after="1h", remember_device_for="1h")
        self.advance("2h")
        self.assertStatus(eve.get("/api/v1/shared-with-me"), 401, "unauthenticated")
        self.assertStatus(self.browser().get("/api/v1/shared-with-me"), 401, "unauthenticated")

    def test_a_member_sees_links_and_direct_grants(self):
        me = self.admin_c.me()
        member_email, member = self.member()
        by_link = self.admin_c.mkdir(self.root, unique("by-link"))
        link = self.link(by_link["id"], kind="specific", role="edit", recipients=[member_email])
        folder = self.admin_c.mkdir(self.root, unique("granted"))
        r = self.admin_c.post("/api/v1/items/%d/grants" % folder["id"],
                              json={"email": member_email, "role": "view"})
        self.assertStatus(r, 201)
        items = member.get("/api/v1/shared-with-me")
        self.assertStatus(items, 200)
        entries = {e["item"]["id"]: e for e in items.json()["items"]}
        self.assertEqual(set(entries), {by_link["id"], folder["id"]})
        direct = entries[folder["id"]]
        self.assertEqual((direct["link_id"], direct["url"], direct["role"],
                          direct["item"]["kind"], direct["expires_at"], direct["block_download"]),
                         (None, "%s/files/%d" % (self.admin_c.origin, folder["id"]), "view",
                          "folder", None, False))
        self.assertEqual(direct["shared_by"], {"display_name": me["display_name"]})
        via_link = entries[by_link["id"]]
        self.assertEqual((via_link["link_id"], via_link["role"]), (link["id"], "edit"))
        # The member reaches the link by id, and can use its role there.
        r = member.post(twin(link["id"], "/items/%d/children" % by_link["id"]),
                        json={"name": "made through the id"})
        self.assertStatus(r, 201)
        r = member.get(twin(link["id"], "/items/%d/children" % by_link["id"]))
        self.assertStatus(r, 200)
        self.assertEqual([i["name"] for i in r.json()["items"]], ["made through the id"])
        # The admin (the owner, not a recipient) does not find it by id.
        self.assertStatus(self.admin_c.get(twin(link["id"])), 404, "not_found")
        self.assertEqual(self.admin_c.get("/api/v1/shared-with-me").json()["items"], [])
        # A revoked link drops out of the list at once.
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % link["id"]), 204)
        ids = [e["item"]["id"] for e in member.get("/api/v1/shared-with-me").json()["items"]]
        self.assertEqual(ids, [folder["id"]])


# -- the invitation ------------------------------------------------------------------------------


class InvitationAddressTest(RecipientPagesCase):

    def test_the_link_in_the_invitation_carries_the_address(self):
        address = "eve+plans@partner.example"
        _, link = self.share([address])
        [mail] = self.sink.wait_for(1, to=address)
        expected = "%s?email=%s" % (link["url"], urllib.parse.quote(address, safe=""))
        self.assertIn(expected, mail.text())
        self.assertIn(expected, mail.html())
        # The token is still read off the mail exactly, without the query.
        self.assertEqual(share_url_of(mail), link["url"])
        self.assertEqual(token_of(mail), link["token"])
        query = urllib.parse.urlsplit(expected).query
        self.assertEqual(urllib.parse.parse_qs(query), {"email": [address]})
        self.assertEqual(self.summary(self.browser(), token_of(mail))["needs"], "verification")
        self.assertIn(RECIPIENT_COOKIE, self.verified_browser(link["token"], address)[0].cookies)
