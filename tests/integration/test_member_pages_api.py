"""The API behind the members' pages and the admin center's members page, over real HTTP: the
share dialog's recipient check and sharing options, shared by me, requests for access across
items, restoring an older version, resending an invitation (through a real SMTP sink) and the
admin's changes to accounts, and the upload limit in GET /api/v1/me.

Each test starts its own SMTP sink and server (with --test-clock: time moves only through
POST /api/v1/dev/clock). Assertions are on statuses, error codes and fields, never on message
wording.
"""

import datetime
import itertools
import os
import unittest
import urllib.parse

from harness import ADMIN_EMAIL, ADMIN_PASSWORD, VestibuleTestCase, parse_time
from smtp_sink import SmtpSink

SMTP_FROM = "Vestibule <no-reply@test.example>"
MAX_UPLOAD = 5 * 1024 * 1024  # [storage] max_upload_bytes = 5MiB
KEEP_VERSIONS = 3

_counter = itertools.count(1)


def unique(prefix):
    return "%s-%d-%d" % (prefix, os.getpid(), next(_counter))


def quoted(address):
    return urllib.parse.quote(address, safe="")


class MemberPagesCase(VestibuleTestCase):
    """A fresh SMTP sink and a fresh server delivering to it, with a test clock, a 5 MiB upload
    limit, 3 kept versions and a signed-in admin, for every test."""

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink()
        self.addCleanup(self.sink.close)  # after the server's cleanup (LIFO)
        env = {"VESTIBULE_SMTP__HOST": "127.0.0.1", "VESTIBULE_SMTP__PORT": str(self.sink.port),
               "VESTIBULE_SMTP__TLS": "none", "VESTIBULE_SMTP__FROM": SMTP_FROM,
               "VESTIBULE_STORAGE__MAX_UPLOAD_BYTES": "5MiB",
               "VESTIBULE_STORAGE__KEEP_VERSIONS": str(KEEP_VERSIONS)}
        self.server = self.start_server(extra_args=["--test-clock"], env=env)
        self.admin_c = self.admin(self.server)

    # -- helpers ----------------------------------------------------------------------------

    def settings(self, **patch):
        return self.assertStatus(self.admin_c.patch("/api/v1/admin/settings", json=patch),
                                 200).json()

    def advance(self, duration):
        r = self.assertStatus(self.admin_c.post("/api/v1/dev/clock", json={"advance": duration}),
                              200)
        return parse_time(r.json()["now"])

    def now(self):
        return self.advance("0s")

    def new_member(self, email=None, display_name=None):
        """(user JSON, email, password, signed-in client)."""
        email = email or "%s@example.org" % unique("member")
        password = "Member-passw0rd-%s" % unique("pw")
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": email, "password": password,
                                    "display_name": display_name or email.split("@")[0],
                                    "role": "member"})
        self.assertStatus(r, 201)
        return r.json(), email, password, self.client(self.server, sign_in=email,
                                                      password=password)

    def put_file(self, client, folder_id, name, data):
        r = client.upload(folder_id, name, data)
        self.assertStatus(r, (200, 201))
        return r.json()

    def link(self, client, item_id, expect=201, **body):
        r = client.post("/api/v1/items/%d/links" % item_id, json=body)
        self.assertStatus(r, expect)
        return r.json()

    def check(self, client, item_id, addresses, expect=200, **extra):
        r = client.post("/api/v1/items/%d/recipients/check" % item_id,
                        json=dict({"addresses": addresses}, **extra))
        self.assertStatus(r, expect)
        return r.json()

    def directory(self):
        return self.assertStatus(self.admin_c.get("/api/v1/admin/external-identities"),
                                 200).json()["identities"]

    def outbox(self):
        return self.assertStatus(self.admin_c.get("/api/v1/admin/outbox?limit=1000"),
                                 200).json()["messages"]

    def set_identity(self, address, state):
        self.assertStatus(self.admin_c.patch("/api/v1/admin/external-identities/" +
                                             quoted(address), json={"state": state}), 200)


class RecipientCheckTest(MemberPagesCase):

    def test_check_classifies_like_link_creation_and_writes_nothing(self):
        self.settings(internal_domains=["example.org"], blocked_domains=["rival.example"])
        _, _, _, owner = self.new_member()
        colleague, colleague_email, _, _ = self.new_member(display_name="Grace Hopper")
        item = self.put_file(owner, owner.personal_root(), "plan.txt", b"the plan")
        # Directory records in every state: shared once (pending), then moved by the admin.
        known = {"pending": "pat@partner.example", "verified": "vera@partner.example",
                 "guest": "gus@partner.example", "blocked": "bea@partner.example"}
        self.link(owner, item["id"], kind="specific", recipients=list(known.values()))
        self.sink.wait_for(len(known))  # their invitations have left the outbox
        for state in ("verified", "guest", "blocked"):
            self.set_identity(known[state], state)

        directory_before = self.directory()
        outbox_before = self.outbox()
        mail_before = len(self.sink.messages)
        typed = {
            "member": " %s " % colleague_email.upper(),
            "pending": "Pat@Partner.example",
            "verified": known["verified"],
            "guest": known["guest"],
            "blocked": known["blocked"],
            "new": "newcomer@partner.example",
            "blocked_domains": "mallory@rival.example",
            "internal_domains": "nobody-here@example.org",
            "invalid": "not an address",
        }
        answer = self.check(owner, item["id"], list(typed.values()), kind="specific")
        got = answer["recipients"]
        self.assertEqual([r["address"] for r in got], list(typed.values()))
        by = dict(zip(typed.keys(), got))

        self.assertEqual(by["member"]["status"], "member")
        self.assertEqual(by["member"]["normalized"], colleague_email)
        self.assertEqual(by["member"]["display_name"], colleague["display_name"])
        self.assertEqual(by["pending"]["status"], "pending")
        self.assertEqual(by["pending"]["normalized"], known["pending"])
        self.assertEqual(by["verified"]["status"], "verified")
        self.assertLessEqual(parse_time(by["verified"]["last_seen_at"]), self.now())
        self.assertEqual(by["guest"]["status"], "guest")
        self.assertEqual(by["blocked"]["status"], "blocked")
        self.assertEqual(by["blocked"]["rule"], "identity_blocked")
        self.assertEqual(by["new"]["status"], "new")
        self.assertEqual(by["blocked_domains"]["status"], "refused")
        self.assertEqual(by["blocked_domains"]["rule"], "blocked_domains")
        self.assertEqual(by["internal_domains"]["status"], "refused")
        self.assertEqual(by["internal_domains"]["rule"], "internal_domains")
        self.assertEqual(by["invalid"]["status"], "invalid")
        self.assertIsNone(by["invalid"]["normalized"])
        for key in ("blocked", "blocked_domains", "internal_domains", "invalid"):
            self.assertTrue(by[key]["reason"].strip(), key)
        for key in ("member", "pending", "verified", "guest", "new"):
            self.assertNotIn("reason", by[key], key)

        # Nothing was written and nothing sent: no directory record for the new address, no
        # message in the outbox (where every email is first written) nor at the relay.
        self.assertEqual(self.directory(), directory_before)
        self.assertEqual(len(self.outbox()), len(outbox_before))
        self.assertEqual(len(self.sink.messages), mail_before)

        # Link creation agrees, address by address.
        for key in ("blocked", "blocked_domains", "internal_domains"):
            r = owner.post("/api/v1/items/%d/links" % item["id"],
                           json={"kind": "specific", "recipients": [typed[key]]})
            self.assertStatus(r, 422, "policy_refused")
            refused = r.json()["error"]["refused"]
            self.assertEqual([(x["address"], x["rule"]) for x in refused],
                             [(by[key]["normalized"], by[key]["rule"])])
        r = owner.post("/api/v1/items/%d/links" % item["id"],
                       json={"kind": "specific", "recipients": [typed["invalid"]]})
        self.assertStatus(r, 400, "invalid_argument")
        accepted = [typed[k] for k in ("member", "pending", "verified", "guest", "new")]
        created = self.link(owner, item["id"], kind="specific", recipients=accepted)
        self.assertEqual(sorted(x["address"] for x in created["recipients"]),
                         sorted(by[k]["normalized"] for k in ("member", "pending", "verified",
                                                              "guest", "new")))

    def test_internal_only_policy_refuses_outside_addresses_in_check_and_create(self):
        _, _, _, owner = self.new_member()
        _, colleague_email, _, _ = self.new_member()
        item = self.put_file(owner, owner.personal_root(), "memo.txt", b"memo")
        self.settings(external_sharing="internal_only")
        got = self.check(owner, item["id"], [colleague_email, "eve@partner.example"])["recipients"]
        self.assertEqual([r["status"] for r in got], ["member", "refused"])
        self.assertEqual(got[1]["rule"], "external_sharing")
        r = owner.post("/api/v1/items/%d/links" % item["id"],
                       json={"kind": "specific", "recipients": ["eve@partner.example"]})
        self.assertStatus(r, 422, "policy_refused")
        self.assertEqual(r.json()["error"]["refused"][0]["rule"], "external_sharing")
        # The same answer under a space's own stricter policy.
        self.settings(external_sharing="anyone")
        self.assertEqual(self.check(owner, item["id"], ["eve@partner.example"])
                         ["recipients"][0]["status"], "new")
        space = owner.personal_space()
        self.assertStatus(owner.patch("/api/v1/spaces/%d/settings" % space["id"],
                                      json={"external_sharing": "internal_only"}), 200)
        self.assertEqual(self.check(owner, item["id"], ["eve@partner.example"])
                         ["recipients"][0]["rule"], "external_sharing")

    def test_check_needs_share_permission_and_bounds_its_input(self):
        _, _, _, owner = self.new_member()
        _, editor_email, _, editor = self.new_member()
        _, _, _, stranger = self.new_member()
        item = self.put_file(owner, owner.personal_root(), "a.txt", b"a")
        path = "/api/v1/items/%d/recipients/check" % item["id"]
        body = {"addresses": ["eve@partner.example"]}
        self.assertStatus(stranger.post(path, json=body), 404, "not_found")
        self.assertStatus(owner.post("/api/v1/items/%d/grants" % item["id"],
                                     json={"email": editor_email, "role": "edit"}), 201)
        self.assertStatus(editor.post(path, json=body), 403, "forbidden")
        self.assertStatus(self.client(self.server).post(path, json=body), 401, "unauthenticated")
        too_many = ["p%d@partner.example" % n for n in range(51)]
        r = owner.post(path, json={"addresses": too_many})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"]["field"], "addresses")
        self.assertEqual(len(self.check(owner, item["id"], too_many[:50])["recipients"]), 50)
        self.assertStatus(owner.post(path, json={"addresses": ["a@b.example"], "kind": "anyone"}),
                          400, "invalid_argument")
        self.assertStatus(owner.post(path, json={"addresses": "a@b.example"}), 400,
                          "invalid_argument")


class SharingOptionsTest(MemberPagesCase):

    def options(self, client, item_id, expect=200):
        r = client.get("/api/v1/items/%d/sharing-options" % item_id)
        self.assertStatus(r, expect)
        return r.json()

    def test_options_follow_the_policy_at_once(self):
        _, _, _, owner = self.new_member()
        _, colleague_email, _, _ = self.new_member()
        item = self.put_file(owner, owner.personal_root(), "o.txt", b"o")
        o = self.options(owner, item["id"])
        kinds = {k["kind"]: k for k in o["kinds"]}
        self.assertEqual(list(kinds), ["specific", "anyone", "organization", "existing"])
        self.assertFalse(kinds["anyone"]["allowed"])  # default: new_and_existing_guests
        self.assertEqual(kinds["anyone"]["rule"], "external_sharing")
        self.assertTrue(kinds["anyone"]["reason"].strip())
        for k in ("specific", "organization", "existing"):
            self.assertTrue(kinds[k]["allowed"], k)
            self.assertNotIn("reason", kinds[k], k)
        self.assertEqual((o["default_kind"], o["default_role"]), ("specific", "view"))
        self.assertEqual(o["roles"], ["view", "edit"])
        self.assertEqual((o["anyone_requires_password"], o["min_password_length"],
                          o["email_code_enabled"]), (False, 8, True))
        now = self.now()
        self.assertEqual(o["expiry"]["anyone"]["max"], "30d")
        self.assertEqual(parse_time(o["expiry"]["anyone"]["max_at"]),
                         now + datetime.timedelta(days=30))
        self.assertEqual(o["expiry"]["specific"], {"default": None, "max": None, "max_at": None})
        self.assertEqual(o["expiry"]["organization"],
                         {"default": None, "max": None, "max_at": None})

        self.settings(external_sharing="anyone", anyone_link_require_password=True,
                      specific_link_max_lifetime="7d", specific_link_default_lifetime="2d",
                      email_code_enabled=False, default_link_kind="anyone",
                      default_link_role="edit")
        o = self.options(owner, item["id"])
        self.assertTrue(all(k["allowed"] for k in o["kinds"]))
        self.assertEqual((o["default_kind"], o["default_role"]), ("anyone", "edit"))
        self.assertEqual((o["anyone_requires_password"], o["email_code_enabled"]), (True, False))
        now = self.now()
        self.assertEqual(o["expiry"]["specific"]["max"], "7d")
        self.assertEqual(parse_time(o["expiry"]["specific"]["default"]),
                         now + datetime.timedelta(days=2))
        self.assertEqual(parse_time(o["expiry"]["specific"]["max_at"]),
                         now + datetime.timedelta(days=7))
        # A link created without an expiry gets exactly the default said here.
        created = self.link(owner, item["id"], kind="specific", recipients=[colleague_email])
        self.assertEqual(created["expires_at"], o["expiry"]["specific"]["default"])

        # The space tightens: anyone links are off at once, with the reason; the default kind,
        # refused here, falls back to specific.
        space = owner.personal_space()
        self.assertStatus(owner.patch("/api/v1/spaces/%d/settings" % space["id"],
                                      json={"external_sharing": "new_and_existing_guests",
                                            "anyone_link_max_lifetime": "1d"}), 200)
        o = self.options(owner, item["id"])
        anyone = [k for k in o["kinds"] if k["kind"] == "anyone"][0]
        self.assertFalse(anyone["allowed"])
        self.assertEqual(anyone["rule"], "external_sharing")
        self.assertEqual(o["default_kind"], "specific")
        self.assertEqual(o["expiry"]["anyone"]["max"], "1d")
        r = owner.post("/api/v1/items/%d/links" % item["id"], json={"kind": "anyone",
                                                                   "password": "long enough"})
        self.assertStatus(r, 422, "policy_refused")

    def test_options_need_share_permission(self):
        _, _, _, owner = self.new_member()
        _, _, _, stranger = self.new_member()
        item = self.put_file(owner, owner.personal_root(), "p.txt", b"p")
        self.options(stranger, item["id"], expect=404)


class SharedByMeTest(MemberPagesCase):

    def test_links_are_listed_soonest_expiry_first_then_newest(self):
        _, _, _, owner = self.new_member()
        _, other_email, _, other = self.new_member()
        root = owner.personal_root()
        items = [self.put_file(owner, root, "f%d.txt" % n, b"x") for n in range(6)]
        made = {}
        made["never_old"] = self.link(owner, items[0]["id"], kind="specific",
                                      recipients=["eve@partner.example"])
        self.advance("1m")
        made["in_5d"] = self.link(owner, items[1]["id"], kind="specific",
                                  recipients=[other_email], expires_in="5d")
        self.advance("1m")
        made["in_2d"] = self.link(owner, items[2]["id"], kind="organization", expires_in="2d")
        self.advance("1m")
        made["never_new"] = self.link(owner, items[3]["id"], kind="organization")
        self.advance("1m")
        revoked = self.link(owner, items[4]["id"], kind="organization")
        self.assertStatus(owner.delete("/api/v1/links/%d" % revoked["id"]), 204)
        # Someone else's link on another member's item is not the owner's.
        theirs = self.put_file(other, other.personal_root(), "theirs.txt", b"t")
        their_link = self.link(other, theirs["id"], kind="organization")

        r = self.assertStatus(owner.get("/api/v1/me/shares"), 200)
        links = r.json()["links"]
        self.assertEqual([l["id"] for l in links],
                         [made[k]["id"] for k in ("in_2d", "in_5d", "never_new", "never_old")])
        first = links[0]
        self.assertEqual(first["item"], {"id": items[2]["id"], "name": "f2.txt", "kind": "file"})
        for key in ("kind", "role", "state", "expires_at", "effective_expires_at",
                    "block_download", "recipients", "created_at"):
            self.assertIn(key, first)
        eve = links[3]["recipients"][0]
        self.assertEqual((eve["address"], eve["state"]), ("eve@partner.example", "pending"))
        self.assertIn(eve["delivery"], ("queued", "sent"))

        # An expired link is still the caller's (first: its expiry is the soonest); a link on an
        # item in the trash is not listed.
        self.advance("3d")
        links = owner.get("/api/v1/me/shares").json()["links"]
        self.assertEqual((links[0]["id"], links[0]["state"]), (made["in_2d"]["id"], "expired"))
        self.assertStatus(owner.delete("/api/v1/items/%d" % items[1]["id"]), 204)
        links = owner.get("/api/v1/me/shares").json()["links"]
        self.assertNotIn(made["in_5d"]["id"], [l["id"] for l in links])
        self.assertEqual([l["id"] for l in other.get("/api/v1/me/shares").json()["links"]],
                         [their_link["id"]])
        self.assertStatus(self.client(self.server).get("/api/v1/me/shares"), 401,
                          "unauthenticated")


class AccessRequestsTest(MemberPagesCase):

    def ask(self, token, email):
        anon = self.client(self.server)
        self.assertStatus(anon.post("/api/v1/shares/%s/access-requests" % token,
                                    json={"email": email, "message": "may I?"}), 202)

    def requests(self, client, state=None):
        path = "/api/v1/access-requests" + ("?state=" + state if state else "")
        return self.assertStatus(client.get(path), 200).json()["requests"]

    def test_requests_are_listed_across_the_items_one_may_share(self):
        _, _, _, owner = self.new_member()
        _, helper_email, _, helper = self.new_member()
        root = owner.personal_root()
        first = self.put_file(owner, root, "first.txt", b"1")
        second = self.put_file(owner, root, "second.txt", b"2")
        mine = self.put_file(helper, helper.personal_root(), "mine.txt", b"3")
        for item, client in ((first, owner), (second, owner), (mine, helper)):
            link = self.link(client, item["id"], kind="organization")
            self.ask(link["token"], "bob-%d@partner.example" % item["id"])

        listed = self.requests(owner)
        self.assertEqual(sorted((r["item"]["id"], r["item"]["name"]) for r in listed),
                         sorted([(first["id"], "first.txt"), (second["id"], "second.txt")]))
        one = listed[0]
        for key in ("id", "link_id", "item_id", "address", "message", "state", "created_at",
                    "decided_at"):
            self.assertIn(key, one)
        self.assertEqual(one["state"], "pending")
        self.assertEqual([r["item"]["id"] for r in self.requests(helper)], [mine["id"]])

        # An edit grant does not let the helper share the owner's file; a manage grant does.
        grant = owner.post("/api/v1/items/%d/grants" % first["id"],
                           json={"email": helper_email, "role": "edit"})
        self.assertStatus(grant, 201)
        self.assertEqual([r["item"]["id"] for r in self.requests(helper)], [mine["id"]])
        self.assertStatus(owner.post("/api/v1/items/%d/grants" % first["id"],
                                     json={"email": helper_email, "role": "manage"}), 201)
        self.assertEqual(sorted(r["item"]["id"] for r in self.requests(helper)),
                         sorted([mine["id"], first["id"]]))

        # Decided requests leave the pending list and stay in state=all.
        decided = [r for r in listed if r["item"]["id"] == second["id"]][0]
        self.assertStatus(owner.post("/api/v1/access-requests/%d/decline" % decided["id"]), 200)
        self.assertEqual([r["item"]["id"] for r in self.requests(owner, "pending")],
                         [first["id"]])
        everything = self.requests(owner, "all")
        self.assertEqual([r["state"] for r in everything], ["pending", "declined"])
        r = owner.get("/api/v1/access-requests?state=nonsense")
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"]["field"], "state")


class RestoreVersionTest(MemberPagesCase):

    def test_restoring_makes_a_new_version_with_the_old_bytes(self):
        _, _, _, owner = self.new_member()
        _, editor_email, _, editor = self.new_member()
        _, viewer_email, _, viewer = self.new_member()
        folder = owner.mkdir(owner.personal_root(), "docs")
        contents = [b"first draft", b"second draft", b"third draft"]
        item = None
        for body in contents:
            item = self.put_file(owner, folder["id"], "draft.txt", body)
        self.assertEqual(item["version"], 3)
        for email, role in ((editor_email, "edit"), (viewer_email, "view")):
            self.assertStatus(owner.post("/api/v1/items/%d/grants" % folder["id"],
                                         json={"email": email, "role": role}), 201)

        self.advance("1h")
        r = editor.post("/api/v1/items/%d/versions/1/restore" % item["id"])
        self.assertStatus(r, 200)
        restored = r.json()
        self.assertEqual(restored["id"], item["id"])
        self.assertEqual(restored["version"], 4)
        self.assertEqual(restored["size"], len(contents[0]))
        self.assertEqual(restored["modified_by"]["id"], editor.me()["id"])
        self.assertGreater(parse_time(restored["modified_at"]), parse_time(item["modified_at"]))
        self.assertEqual(owner.content(item["id"]).body, contents[0])
        self.assertEqual(owner.get("/api/v1/items/%d/versions/4/content" % item["id"]).body,
                         contents[0])
        versions = owner.get("/api/v1/items/%d/versions" % item["id"]).json()["versions"]
        # keep_versions = 3: the new version pushed out version 1; 3 (what was current) stays.
        self.assertEqual([v["version"] for v in versions], [4, 3, 2])
        self.assertEqual(versions[0]["created_by"]["id"], restored["modified_by"]["id"])
        self.assertEqual(owner.get("/api/v1/items/%d/versions/3/content" % item["id"]).body,
                         contents[2])
        self.assertStatus(owner.get("/api/v1/items/%d/versions/1/content" % item["id"]), 404,
                          "not_found")

        self.assertStatus(owner.post("/api/v1/items/%d/versions/1/restore" % item["id"]), 404,
                          "not_found")
        self.assertStatus(owner.post("/api/v1/items/%d/versions/99/restore" % item["id"]), 404,
                          "not_found")
        self.assertStatus(viewer.post("/api/v1/items/%d/versions/2/restore" % item["id"]), 403,
                          "forbidden")
        self.assertStatus(owner.post("/api/v1/items/%d/versions/1/restore" % folder["id"]), 400,
                          "invalid_argument")
        # Restoring the current version changes nothing.
        same = self.assertStatus(owner.post("/api/v1/items/%d/versions/4/restore" % item["id"]),
                                 200).json()
        self.assertEqual(same["version"], 4)


class ResendInvitationTest(MemberPagesCase):

    def test_resend_delivers_a_new_invitation_within_a_budget(self):
        _, _, _, owner = self.new_member()
        item = self.put_file(owner, owner.personal_root(), "plan.pdf", b"%PDF-1.4 plan")
        eve = "eve@partner.example"
        link = self.link(owner, item["id"], kind="specific", recipients=[eve],
                         message="Here is the plan")
        [original] = self.sink.wait_for(1, to=eve)
        path = "/api/v1/links/%d/recipients/%s/resend" % (link["id"], quoted("EVE@partner.example"))

        r = owner.post(path)
        self.assertStatus(r, 202)
        self.assertEqual(r.json()["address"], eve)
        self.assertIn(r.json()["delivery"], ("queued", "sent"))
        mails = self.sink.wait_for(2, to=eve)
        resent = mails[1]
        self.assertNotEqual(resent.message_id, original.message_id)
        self.assertIn("/shared/%d" % link["id"], resent.text())
        self.assertNotIn(link["token"], resent.text())
        self.assertNotIn("/s/", resent.text())
        self.assertIn("plan.pdf", resent.subject)

        for _ in range(2):
            self.assertStatus(owner.post(path), 202)
        self.sink.wait_for(4, to=eve)
        r = owner.post(path)
        self.assertStatus(r, 429, "too_many_requests")
        retry = int(r.headers["Retry-After"])
        self.assertTrue(1 <= retry <= 3600, retry)
        self.advance("%ds" % retry)
        self.assertStatus(owner.post(path), 202)
        self.sink.wait_for(5, to=eve)
        access = owner.get("/api/v1/items/%d/access" % item["id"]).json()
        [recipient] = access["links"][0]["recipients"]
        self.assertIn(recipient["delivery"], ("queued", "sent"))

        # Only recipients of a live link, only by those who may share it.
        _, _, _, stranger = self.new_member()
        self.assertStatus(stranger.post(path), 404, "not_found")
        other = "/api/v1/links/%d/recipients/%s/resend" % (link["id"],
                                                          quoted("bob@partner.example"))
        self.assertStatus(owner.post(other), 404, "not_found")
        self.settings(blocked_domains=["partner.example"])
        r = owner.post(path)
        self.assertStatus(r, 422, "policy_refused")
        self.assertEqual(r.json()["error"]["refused"][0]["rule"], "blocked_domains")
        self.settings(blocked_domains=[])
        self.assertStatus(owner.delete("/api/v1/links/%d" % link["id"]), 204)
        self.assertStatus(owner.post(path), 409, "conflict")
        self.assertEqual(len(self.sink.messages_to(eve)), 5)


class AdminMembersTest(MemberPagesCase):

    def test_disable_ends_sessions_and_nobody_disables_or_demotes_themself(self):
        user, email, password, member = self.new_member()
        self.assertEqual(member.me()["email"], email)
        users = self.admin_c.get("/api/v1/admin/users").json()["users"]
        listed = [u for u in users if u["id"] == user["id"]][0]
        self.assertEqual(listed["disabled"], False)
        self.assertLessEqual(parse_time(listed["created_at"]), self.now())

        path = "/api/v1/admin/users/%d" % user["id"]
        r = self.admin_c.patch(path, json={"disabled": True})
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["id"], r.json()["disabled"]), (user["id"], True))
        self.assertStatus(member.get("/api/v1/me"), 401, "unauthenticated")
        self.assertStatus(self.client(self.server).sign_in(email, password, expect=None), 401,
                          "unauthenticated")
        self.assertStatus(self.admin_c.patch(path, json={"disabled": False}), 200)
        again = self.client(self.server, sign_in=email, password=password)
        self.assertEqual(again.me()["email"], email)

        r = self.admin_c.patch(path, json={"role": "admin", "display_name": "Second Admin"})
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["role"], r.json()["display_name"]), ("admin", "Second Admin"))
        self.assertEqual(again.me()["role"], "admin")

        me = self.admin_c.me()["id"]
        r = self.admin_c.patch("/api/v1/admin/users/%d" % me, json={"disabled": True})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"]["field"], "disabled")
        r = self.admin_c.patch("/api/v1/admin/users/%d" % me, json={"role": "member"})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"]["field"], "role")
        self.assertEqual(self.admin_c.me()["role"], "admin")
        # The second admin may demote the first; the first, now a member, may not change anyone.
        self.assertStatus(again.patch("/api/v1/admin/users/%d" % me, json={"role": "member"}),
                          200)
        self.assertStatus(self.admin_c.patch(path, json={"role": "member"}), 403, "forbidden")

        for bad in ({}, {"role": "owner"}, {"disabled": "yes"}, {"display_name": ""},
                    {"email": "x@example.org"}):
            self.assertStatus(again.patch("/api/v1/admin/users/%d" % me, json=bad), 400,
                              "invalid_argument")
        self.assertStatus(again.patch("/api/v1/admin/users/987654321", json={"disabled": True}),
                          404, "not_found")

    def test_reset_password_returns_one_that_signs_in_and_ends_sessions(self):
        user, email, password, member = self.new_member()
        path = "/api/v1/admin/users/%d/reset-password" % user["id"]
        r = self.admin_c.post(path)
        self.assertStatus(r, 200)
        generated = r.json()["password"]
        self.assertGreaterEqual(len(generated), 16)
        self.assertStatus(member.get("/api/v1/me"), 401, "unauthenticated")
        self.assertStatus(self.client(self.server).sign_in(email, password, expect=None), 401)
        fresh = self.client(self.server, sign_in=email, password=generated)
        self.assertEqual(fresh.me()["id"], user["id"])

        chosen = "Chosen-passw0rd-for-%s" % unique("x")
        r = self.admin_c.post(path, json={"password": chosen})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["password"], chosen)
        self.assertStatus(fresh.get("/api/v1/me"), 401, "unauthenticated")
        self.client(self.server, sign_in=email, password=chosen)
        r = self.admin_c.post(path, json={"password": "short"})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"]["field"], "password")
        self.assertStatus(self.admin_c.post("/api/v1/admin/users/987654321/reset-password"), 404,
                          "not_found")
        other = self.client(self.server, sign_in=email, password=chosen)
        self.assertStatus(other.post("/api/v1/admin/users/%d/reset-password"
                                     % self.admin_c.me()["id"]), 403, "forbidden")
        self.assertEqual(self.client(self.server, sign_in=ADMIN_EMAIL,
                                     password=ADMIN_PASSWORD).me()["role"], "admin")

    def test_me_tells_a_member_the_upload_limit(self):
        _, _, _, member = self.new_member()
        me = member.me()
        self.assertEqual(me["limits"], {"max_upload_bytes": MAX_UPLOAD})
        self.assertEqual(self.admin_c.me()["limits"]["max_upload_bytes"], MAX_UPLOAD)


if __name__ == "__main__":
    unittest.main()
