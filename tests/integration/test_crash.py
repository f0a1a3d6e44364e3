"""kill -9 during uploads, while mail is sent, and during schema migrations (SECURITY-CHECKLIST
item 36, SPEC §7): a crash at any moment leaves every file either at its old or at its new
version, never torn; committed uploads survive; temporary files are swept at start; every queued
mail is delivered at least once, a repeat carrying the same Message-ID; a migration is applied
whole or not at all; the database passes its integrity check after every kill.

The kill point is chosen by a byte counter in the upload generator (no sleeps): the server is
SIGKILLed once N bytes of a 1 GiB upload were handed to the socket, N random; or, every third
time, the moment the server moves a finished upload's blob out of `tmp/` (inotify), which is
after hashing and syncing and before or during the commit of its metadata. Meanwhile a second
connection re-uploads one committed file with new content. Set VESTIBULE_CRASH_SEED to replay a
run.
"""

import ctypes
import ctypes.util
import hashlib
import http.client
import os
import random
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from harness import (HERE, Client, MiB, VestibuleTestCase, binary_path, child_env,
                     integrity_check, pattern_chunks, pattern_sha256, run_cli, sha256, wait_until)
from smtp_sink import SmtpSink

ITERATIONS = 6  # of 1 GiB each: 4 killed at a random byte, 2 at the commit
BIG = 1024 * MiB
SIZES = [0, 1, 1000, 65536, MiB - 1, MiB, 2 * MiB + 3, 3 * MiB, 5 * MiB + 7, 8 * MiB]
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(MiB)
            if not block:
                return h.hexdigest()
            h.update(block)


class MoveWatch:
    """Tells when a file is moved out of a folder (inotify IN_MOVED_FROM): an upload's blob
    leaving `tmp/` for its place, just before the metadata that refers to it is committed."""

    IN_MOVED_FROM = 0x40
    IN_NONBLOCK = os.O_NONBLOCK

    def __init__(self, folder):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(self.IN_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, os.fsencode(folder), self.IN_MOVED_FROM) < 0:
            os.close(self.fd)
            raise OSError(ctypes.get_errno(), "inotify_add_watch " + folder)

    def forget(self):
        """Drops the moves seen so far."""
        try:
            while os.read(self.fd, 65536):
                pass
        except BlockingIOError:
            pass

    def wait(self, timeout):
        """True once a file was moved out; False after `timeout` seconds without one."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        return bool(ready)

    def close(self):
        os.close(self.fd)


class DataChecks:
    """What must hold in a data folder after any kill."""

    @staticmethod
    def tmp_files(data_dir):
        tmp = os.path.join(data_dir, "tmp")
        return sorted(os.listdir(tmp)) if os.path.isdir(tmp) else []

    def verify_blobs(self, data_dir, where):
        """Blobs are content-addressed: each one's bytes hash to its name."""
        blobs = os.path.join(data_dir, "blobs")
        self.assertTrue(os.path.isdir(blobs), "%s: no blobs/ in the data dir" % where)
        for base, _, files in os.walk(blobs):
            for f in files:
                if HEX64.match(f):
                    self.assertEqual(file_sha256(os.path.join(base, f)), f,
                                     "%s: blob %s is torn" % (where, os.path.join(base, f)))

    def verify_after_kill(self, data_dir, where):
        self.assertEqual(integrity_check(os.path.join(data_dir, "vestibule.db")), ["ok"], where)
        self.verify_blobs(data_dir, where)


def seeded(test):
    seed = int(os.environ.get("VESTIBULE_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
    sys.stderr.write("\n%s seed: VESTIBULE_CRASH_SEED=%d\n" % (test.id(), seed))
    return seed, random.Random(seed)


class CrashTest(DataChecks, VestibuleTestCase):

    def test_kill_9_during_uploads_never_tears_a_file(self):
        seed = int(os.environ.get("VESTIBULE_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
        sys.stderr.write("\ncrash test seed: VESTIBULE_CRASH_SEED=%d\n" % seed)
        rng = random.Random(seed)
        self.seed = seed
        data_dir = tempfile.mkdtemp(prefix="vestibule-it-crash-")
        self.addCleanup(shutil.rmtree, data_dir, True)

        server = self.start_server(data_dir=data_dir)
        c = self.admin(server)
        folder = c.mkdir(c.personal_root(), "crash")["id"]
        expected = {}  # name -> (sha256, size) of the committed content
        for i, size in enumerate(SIZES):
            data = os.urandom(size)
            name = "file-%02d.bin" % i
            self.assertStatus(c.upload(folder, name, data), 201)
            expected[name] = (sha256(data), size)
        self.verify(c, folder, expected, "before any crash")

        for it in range(ITERATIONS):
            where = "iteration %d (seed %d)" % (it, seed)
            big_name = "big-%d.bin" % it
            big_seed = seed * 100 + it
            # Every third kill comes after the whole body was sent, when a blob is in place and
            # its metadata is being committed.
            at_commit = it % 3 == 2
            kill_at = BIG if at_commit else rng.randrange(1, BIG)
            moves = MoveWatch(os.path.join(data_dir, "tmp"))
            reupload_at = rng.randrange(0, kill_at + 1)
            victim = rng.choice(sorted(n for n in expected if n.startswith("file-")))
            new_data = os.urandom(rng.randrange(1, 4 * MiB))
            new_version = (sha256(new_data), len(new_data))
            old_version = expected[victim]
            sys.stderr.write("%s: kill after %d of %d bytes; re-upload %s (%d bytes) from byte "
                             "%d\n" % (where, kill_at, BIG, victim, len(new_data), reupload_at))

            state = {}
            reupload_go = threading.Event()
            cookies = dict(c.cookies)
            port = server.port

            def big_body(srv=server):
                sent = 0
                for chunk in pattern_chunks(big_seed, BIG):
                    if sent >= reupload_at:
                        reupload_go.set()
                    if sent >= kill_at:
                        break
                    if sent + len(chunk) > kill_at:
                        chunk = chunk[:kill_at - sent]
                    yield chunk
                    sent += len(chunk)
                reupload_go.set()
                state["killed_after"] = sent
                if at_commit:
                    moves.forget()
                    state["blob_moved"] = moves.wait(120)
                srv.kill()

            def big_upload():
                client = Client(port, cookies=cookies)
                try:
                    r = client.upload(folder, big_name, big_body(), size=BIG)
                    state["big_status"] = r.status
                except (OSError, http.client.HTTPException) as e:
                    state["big_error"] = repr(e)
                finally:
                    client.close()

            def reupload():
                if not reupload_go.wait(300):
                    state["re_error"] = "never started"
                    return
                client = Client(port, cookies=cookies)
                try:
                    r = client.upload(folder, victim, new_data)
                    state["re_status"] = r.status
                    state["re_body"] = r.body[:300]
                except (OSError, http.client.HTTPException) as e:
                    state["re_error"] = repr(e)
                finally:
                    client.close()

            threads = [threading.Thread(target=big_upload), threading.Thread(target=reupload)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(600)
                self.assertFalse(t.is_alive(), "%s: an upload thread hangs" % where)
            moves.close()
            state["tmp_files_left_by_the_crash"] = len(self.tmp_files(data_dir))
            sys.stderr.write("%s: %r\n" % (where, {k: v for k, v in state.items()
                                                    if k != "re_body"}))
            self.assertIn("killed_after", state, "%s: the kill never happened: %r"
                          % (where, state))
            # At commit the kill races the last few milliseconds (the metadata commit and the
            # answer) once the blob is in place: an upload answered before the kill lands is
            # acknowledged, so it must be there, whole, after the restart.
            acknowledged = at_commit and state.get("big_status") == 201
            if not acknowledged:
                self.assertIn("big_error", state, "%s: the killed upload got an answer: %r"
                              % (where, state))
            if at_commit:
                self.assertTrue(state["blob_moved"], "%s: no blob left tmp/ within 120 s of "
                                "the last byte: %r" % (where, state))
            self.assertFalse(server.running())
            if "re_status" in state:
                self.assertEqual(state["re_status"], 200,
                                 "%s: re-upload answered %r" % (where, state))

            server = self.start_server(data_dir=data_dir)
            self.assertEqual(self.tmp_files(data_dir), [],
                             "%s: temporary files not swept at start" % where)
            self.assertEqual(integrity_check(os.path.join(data_dir, "vestibule.db")), ["ok"],
                             where)
            c = self.admin(server)
            if state.get("re_status") == 200:
                allowed = {victim: [new_version]}  # acknowledged, so durable
            else:
                allowed = {victim: [old_version, new_version]}
            self.verify(c, folder, expected, where, allowed=allowed,
                        maybe={big_name: lambda s=big_seed: (pattern_sha256(s, BIG), BIG)})
            if acknowledged:
                self.assertIn(big_name, expected, "%s: an acknowledged upload is gone" % where)
            self.verify_blobs(data_dir, where)

        code = server.stop()
        self.assertEqual(code, 0, "exit code after SIGTERM")
        self.assertEqual(integrity_check(os.path.join(data_dir, "vestibule.db")), ["ok"])

    # -- checks -----------------------------------------------------------------------------

    def verify(self, c, folder, expected, where, allowed=None, maybe=None):
        """Every expected file is there with one of its allowed contents (default: exactly the
        expected one); a `maybe` file is absent or complete; nothing else exists. Updates
        `expected` with what was found."""
        allowed = allowed or {}
        maybe = maybe or {}
        items = {i["name"]: i for i in c.children(folder)}
        for name in sorted(expected):
            self.assertIn(name, items, "%s: committed file %s is gone" % (where, name))
            item = items.pop(name)
            resp, digest, n = c.download(item["id"])
            self.assertStatus(resp, 200)
            options = allowed.get(name, [expected[name]])
            self.assertIn((digest, n), options,
                          "%s: %s is torn or wrong: got %d bytes sha256 %s, allowed %r"
                          % (where, name, n, digest, options))
            self.assertEqual(item["size"], n, "%s: %s listed with size %s but has %d bytes"
                             % (where, name, item["size"], n))
            self.assertEqual(resp.headers.get("ETag"), '"%s"' % digest, where)
            versions = c.get("/api/v1/items/%d/versions" % item["id"]).json()["versions"]
            self.assertEqual(versions[0]["size"], n,
                             "%s: %s: newest version's size differs from the content" %
                             (where, name))
            expected[name] = (digest, n)
        for name, want in maybe.items():
            if name in items:
                want = want() if callable(want) else want
                item = items.pop(name)
                resp, digest, n = c.download(item["id"])
                self.assertStatus(resp, 200)
                self.assertEqual((digest, n), want,
                                 "%s: %s exists but is not the complete upload (%d bytes)"
                                 % (where, name, n))
                self.assertEqual(item["size"], want[1], where)
                expected[name] = want
                sys.stderr.write("%s: %s was committed before the kill\n" % (where, name))
        self.assertEqual(sorted(items), [], "%s: unexpected items: %r" % (where, items))

# -- mail ------------------------------------------------------------------------------------

RECIPIENTS = ["r%02d@partner.example" % i for i in range(24)]
MAIL_KILLS = 8


class MailCrashTest(DataChecks, VestibuleTestCase):
    """SIGKILL while the outbox worker talks to a real SMTP relay that is slow to acknowledge:
    each message is accepted, then the 250 comes 0.3 s later, so kills land between the relay
    taking a message and the server recording it as sent — the one window SMTP cannot close.

    Guarantee (docs/operations.md, "Mail"): every queued mail is delivered at least once; a mail
    sent again after a crash is the same message with the same Message-ID (fixed when it was
    queued), so a receiver can tell a repeat from a new message."""

    def test_kill_9_while_mail_is_sent_delivers_each_at_least_once_with_one_message_id(self):
        seed, rng = seeded(self)
        data_dir = tempfile.mkdtemp(prefix="vestibule-it-crash-mail-")
        self.addCleanup(shutil.rmtree, data_dir, True)
        sink = SmtpSink()
        self.addCleanup(sink.close)
        sink.data_delay = 0.3
        env = {"VESTIBULE_SMTP__HOST": "127.0.0.1", "VESTIBULE_SMTP__PORT": str(sink.port),
               "VESTIBULE_SMTP__TLS": "none", "VESTIBULE_SMTP__FROM": "vestibule@example.org"}

        server = self.start_server(data_dir=data_dir, env=env)
        c = self.admin(server)
        root = c.personal_root()
        for i in range(3):
            self.assertStatus(c.upload(root, "kept-%d.bin" % i, os.urandom(100000 + i)), 201)
        item = c.upload(root, "plan.txt", b"the plan\n").json()
        r = c.post("/api/v1/items/%d/links" % item["id"],
                   json={"kind": "specific", "recipients": RECIPIENTS})
        self.assertStatus(r, 201)

        kills = []
        for it in range(MAIL_KILLS):
            where = "kill %d (seed %d)" % (it, seed)
            before = len(sink.messages)
            if before >= len(RECIPIENTS) + len(kills):
                break  # everything went out already
            # Half the kills wait for the relay to take a message (and kill before its 250),
            # half come at a random moment of sending.
            mode = "accepted" if it % 2 == 0 else "random"
            if mode == "accepted":
                wait_until(lambda: len(sink.messages) > before, 30, "%s: a delivery" % where,
                           interval=0.005)
            else:
                wait_until(lambda: len(sink.messages) > before, 30, "%s: a delivery" % where)
                time.sleep(rng.uniform(0.0, 0.6))  # a random point of the next sends
            server.kill()
            kills.append((mode, len(sink.messages)))
            self.assertFalse(server.running())
            self.verify_after_kill(data_dir, where)
            server = self.start_server(data_dir=data_dir, env=env)

        def everyone_has_one():
            return all(sink.messages_to(a) for a in RECIPIENTS)
        wait_until(everyone_has_one, 120, "every invitation delivered")
        c = self.admin(server)
        # Sent is recorded after the relay's 250: wait for the database to say so, then stop.
        db = os.path.join(data_dir, "vestibule.db")

        def all_sent():
            conn = sqlite3.connect(db, timeout=30)
            try:
                return conn.execute("SELECT count(*) FROM outbox WHERE state != 'sent'"
                                    ).fetchone()[0] == 0
            finally:
                conn.close()
        wait_until(all_sent, 60, "every outbox row marked sent")
        self.assertEqual(server.stop(), 0)
        self.verify_after_kill(data_dir, "after the last stop")

        ids_by_recipient = {}
        for m in sink.messages:
            self.assertIsNotNone(m.message_id, m)
            for a in m.rcpt_tos:
                ids_by_recipient.setdefault(a, []).append(m.message_id)
        self.assertEqual(sorted(ids_by_recipient), sorted(RECIPIENTS))
        duplicates = 0
        for a, ids in ids_by_recipient.items():
            # At least once; a repeat is the same message (same Message-ID).
            self.assertEqual(len(set(ids)), 1, "%s got different messages: %r" % (a, ids))
            duplicates += len(ids) - 1
        # Distinct mails have distinct Message-IDs.
        firsts = [ids[0] for ids in ids_by_recipient.values()]
        self.assertEqual(len(set(firsts)), len(firsts))
        sys.stderr.write("mail crash: kills %r, %d messages for %d mails, %d repeated\n"
                         % (kills, len(sink.messages), len(RECIPIENTS), duplicates))
        # The kills before a 250 did land in the window: those mails were sent again.
        if any(mode == "accepted" for mode, _ in kills):
            self.assertGreater(duplicates, 0, kills)


# -- schema migrations -----------------------------------------------------------------------

MIGRATIONS_CPP = os.path.join(HERE, "..", "..", "src", "store", "sqlite", "migrations.cpp")
OLD_SCHEMA = 7
FILES_IN_OLD_DB = 150000
REQUESTS_IN_OLD_DB = 150000


def migrations():
    with open(MIGRATIONS_CPP, encoding="utf-8") as f:
        return re.findall(r'R"sql\((.*?)\)sql"', f.read(), re.S)


def schema_version(db_path):
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


class MigrationCrashTest(DataChecks, VestibuleTestCase):
    """SIGKILL during `vestibule migrate` and during the first `serve` on a database at an older
    schema (7) holding enough rows that the migrations take a while. All migrations run in one
    transaction: after every kill the database is intact and at the old schema or the newest,
    never between; the next run finishes the job, with the data carried over."""

    def make_old_database(self, data_dir):
        """Schema 7 as the migrations of that time made it, with a member, a personal space of
        FILES_IN_OLD_DB files (three of them with real blobs) and REQUESTS_IN_OLD_DB code
        requests."""
        sql = migrations()
        self.assertGreater(len(sql), OLD_SCHEMA)
        db = os.path.join(data_dir, "vestibule.db")
        conn = sqlite3.connect(db)
        for script in sql[:OLD_SCHEMA]:
            conn.executescript(script)
        conn.execute("PRAGMA user_version = %d" % OLD_SCHEMA)
        conn.execute("INSERT INTO users (id, email, display_name, password_hash, role, created_at)"
                     " VALUES (1, 'o@example.org', 'O', 'x', 'admin', 0)")
        conn.execute("INSERT INTO spaces (id, name, kind, root_item_id, owner_user_id, "
                     "created_at) VALUES (1, 'My files', 'personal', 1, 1, 0)")
        conn.execute("INSERT INTO space_members (space_id, user_id, role) VALUES (1, 1, 'owner')")
        conn.execute("INSERT INTO items (id, space_id, name, kind, path, modified_at) "
                     "VALUES (1, 1, 'My files', 'folder', '/1/', 0)")
        real = []
        for i in range(3):
            data = os.urandom(1000 + i)
            digest = sha256(data)
            folder = os.path.join(data_dir, "blobs", digest[:2], digest[2:4])
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, digest), "wb") as f:
                f.write(data)
            real.append((digest, len(data)))
        fake = "0" * 64
        rows = []
        for i in range(FILES_IN_OLD_DB):
            blob, size = real[i] if i < len(real) else (fake, 10)
            rows.append((i + 2, "f%06d" % i, "/1/%d/" % (i + 2), size, blob))
        conn.executemany("INSERT INTO items (id, space_id, parent_id, name, kind, path, size, "
                         "version, blob, modified_at) VALUES (?, 1, 1, ?, 'file', ?, ?, 1, ?, 0)",
                         rows)
        conn.executemany("INSERT INTO versions (item_id, number, blob, size, created_at) "
                         "VALUES (?, 1, ?, ?, 0)", [(r[0], r[4], r[3]) for r in rows])
        conn.execute("INSERT INTO links (id, item_id, kind, role, token_hash, created_by, "
                     "created_at) VALUES (5, 1, 'specific', 'view', 'h', 1, 0)")
        conn.executemany("INSERT INTO verification_requests (link_id, address, browser_hash, "
                         "client_address, created_at, processed) VALUES (5, ?, 'b', "
                         "'198.51.100.7', ?, 1)",
                         [("r%d@partner.example" % i, i) for i in range(REQUESTS_IN_OLD_DB)])
        conn.commit()
        conn.close()
        return sum(r[3] for r in rows)

    def test_kill_9_during_migrate_and_first_start_leaves_the_old_or_the_new_schema(self):
        seed, rng = seeded(self)
        latest = len(migrations())
        template = tempfile.mkdtemp(prefix="vestibule-it-crash-old-")
        self.addCleanup(shutil.rmtree, template, True)
        used = self.make_old_database(template)

        # How long an undisturbed migration takes here, process start included.
        timing = tempfile.mkdtemp(prefix="vestibule-it-crash-timing-")
        self.addCleanup(shutil.rmtree, timing, True)
        shutil.rmtree(timing)
        shutil.copytree(template, timing)
        began = time.monotonic()
        code, out, err = run_cli("migrate", "--data-dir", timing)
        full = time.monotonic() - began
        self.assertEqual(code, 0, err)
        self.assertEqual(schema_version(os.path.join(timing, "vestibule.db")), latest)
        sys.stderr.write("migration from schema %d to %d: %.2f s\n" % (OLD_SCHEMA, latest, full))

        data_dir = tempfile.mkdtemp(prefix="vestibule-it-crash-migrate-")
        self.addCleanup(shutil.rmtree, data_dir, True)
        shutil.rmtree(data_dir)
        shutil.copytree(template, data_dir)
        db = os.path.join(data_dir, "vestibule.db")
        outcomes = []
        for it in range(8):
            where = "kill %d (seed %d)" % (it, seed)
            # Even kills during `vestibule migrate`, odd ones during a first `serve`. The first
            # six come the moment the log says a step of the migration is done (a step before the
            # last: the transaction holding them all is surely open); the last two at a random
            # time of the run.
            command = ["migrate", "--data-dir", data_dir] if it % 2 == 0 else [
                "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0"]
            step = rng.randrange(OLD_SCHEMA + 1, latest) if it < 6 else None
            proc = subprocess.Popen([binary_path()] + command, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    env=child_env())
            logged = threading.Event()

            def watch(stream=proc.stderr, step=step, logged=logged):
                for raw in iter(stream.readline, b""):
                    if step is not None and b"migrated to schema version %d" % step in raw:
                        logged.set()
                stream.close()
            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            if step is not None:
                self.assertTrue(logged.wait(120), "%s: step %d never logged" % (where, step))
            else:
                try:
                    proc.wait(rng.uniform(0.1, 1.0) * full)
                except subprocess.TimeoutExpired:
                    pass
            finished = proc.poll() is not None
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            watcher.join(10)
            wal = os.path.join(data_dir, "vestibule.db-wal")
            wal_bytes = os.path.getsize(wal) if os.path.exists(wal) else 0
            self.verify_after_kill(data_dir, where)
            version = schema_version(db)
            self.assertIn(version, (OLD_SCHEMA, latest), where)
            if step is not None:
                self.assertEqual(version, OLD_SCHEMA, "%s: killed after step %d" % (where, step))
            outcomes.append((command[0], step, version, finished, wal_bytes))
            if version == latest:
                break
        sys.stderr.write("migration kills (command, killed after step, schema after, exited by "
                         "itself, WAL bytes): %r\n" % outcomes)
        # A run to the end finishes the job whatever happened before.
        code, out, err = run_cli("migrate", "--data-dir", data_dir)
        self.assertEqual(code, 0, err)
        self.verify_after_kill(data_dir, "after the last migrate")
        self.assertEqual(schema_version(db), latest)
        conn = sqlite3.connect(db)
        try:
            self.assertEqual(conn.execute("SELECT count(*) FROM versions").fetchone()[0],
                             FILES_IN_OLD_DB)
            self.assertEqual(conn.execute("SELECT count(*) FROM verification_requests"
                                          ).fetchone()[0], REQUESTS_IN_OLD_DB)
            self.assertEqual(conn.execute("SELECT used_bytes FROM spaces WHERE id = 1"
                                          ).fetchone()[0], used)
        finally:
            conn.close()
        # The kills after a step came in the middle of the migration's transaction.
        self.assertGreaterEqual(len([o for o in outcomes if o[1] is not None]), 6, outcomes)
        server = self.start_server(data_dir=data_dir)
        self.assertTrue(server.healthy())


if __name__ == "__main__":
    unittest.main()
