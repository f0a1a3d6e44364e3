#!/usr/bin/python3
"""Compares the PostgreSQL schema with the schema SQLite reaches after all of its migrations.

The repositories run the same SQL text on both engines, so both must hold the same tables, columns
(in order, with matching types, NOT NULL and defaults; an INTEGER PRIMARY KEY rowid alias is an
identity column), primary keys, indexes (name, columns, uniqueness, partial WHERE), UNIQUE
constraints, foreign keys (with ON DELETE), CHECK constraints (their columns, operators and
values), triggers, and the rows the migrations seed. Prints every difference and exits 1 if
there is any, 0 if none.

SQLite side: --sqlite FILE, or else a fresh database made by `vestibule migrate` (the binary is
$VESTIBULE_BINARY, else build/vestibule). PostgreSQL side: reached with psql and the usual libpq
settings (--host/--port/--user, or PGHOST, PGPORT, PGUSER). With --apply (the default when no
--dbname is given) a scratch database is created (sorting by the ICU locale en-US unless
--icu-locale says otherwise, so that text without COLLATE "C" shows), the migrations of
src/store/postgres/migrations.cpp are applied to it (each in one transaction), the same writes
and reads are run on it and on a copy of the SQLite database (both must give the same rows:
triggers, cascades, identities, text order), and it is dropped afterwards. With --dbname NAME
that database's structure is compared as it is (for example one migrated by the server).

Only the standard library; run with /usr/bin/python3.
"""

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEP = "\x1f"
# Tables the PostgreSQL engine keeps for itself, not part of the shared schema.
PG_OWN_TABLES = {"schema_version"}
PG_ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL",
                "d": "SET DEFAULT"}


# --- SQLite ---------------------------------------------------------------------------------


def migrated_sqlite(binary, workdir):
    data = os.path.join(workdir, "data")
    os.makedirs(data)
    run = subprocess.run([binary, "migrate", "--data-dir", data], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"`{binary} migrate` failed ({run.returncode}):\n{run.stderr}")
    return os.path.join(data, "vestibule.db")


def where_of(sql):
    m = re.search(r"\bWHERE\b(.*)$", sql or "", re.S | re.I)
    return m.group(1) if m else None


def sqlite_checks(sql):
    """The CHECK constraints of a CREATE TABLE, each as its check_terms()."""
    out = []
    for m in re.finditer(r"\bCHECK\s*\(", sql, re.I):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        out.append(check_terms(sql[m.end():i - 1]))
    return sorted(out)


def sqlite_schema(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    q = lambda sql, *a: db.execute(sql, a).fetchall()
    schema = {"tables": {}, "triggers": set()}
    for name, sql in q("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"):
        without_rowid = re.search(r"\)\s*WITHOUT\s+ROWID\s*$", sql, re.I) is not None
        info = q(f'PRAGMA table_info("{name}")')
        pk = [c[1] for c in sorted((c for c in info if c[5] > 0), key=lambda c: c[5])]
        rowid_alias = (not without_rowid and len(pk) == 1 and
                       next(c[2] for c in info if c[1] == pk[0]).upper() == "INTEGER")
        columns = []
        for _, col, ctype, notnull, default, _pk in info:
            columns.append({
                "name": col,
                "type": {"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea"}.get(
                    ctype.upper(), "unmapped SQLite type " + ctype),
                "notnull": bool(notnull) or col in pk,
                "default": norm_default(default),
                "identity": rowid_alias and col == pk[0],
            })
        indexes, uniques = {}, set()
        for _, iname, unique, origin, partial in q(f'PRAGMA index_list("{name}")'):
            cols = tuple(r[2] for r in sorted(q(f'PRAGMA index_info("{iname}")')))
            if origin == "pk":
                continue
            if origin == "u":
                uniques.add(cols)
                continue
            isql = q("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", iname)[0][0]
            indexes[iname] = {"columns": cols, "unique": bool(unique),
                              "where": norm_expr(where_of(isql)) if partial else None}
        fks = set()
        by_id = {}
        for fid, seq, table, col_from, col_to, _upd, on_delete, _match in q(
                f'PRAGMA foreign_key_list("{name}")'):
            by_id.setdefault(fid, []).append((seq, table, col_from, col_to, on_delete))
        for parts in by_id.values():
            parts.sort()
            fks.add((tuple(p[2] for p in parts), parts[0][1], tuple(p[3] for p in parts),
                     parts[0][4].upper()))
        rows = sorted(tuple(norm_value(v) for v in r) for r in q(f'SELECT * FROM "{name}"'))
        schema["tables"][name] = {
            "columns": columns, "pk": tuple(pk), "indexes": indexes, "uniques": uniques,
            "fks": fks, "checks": sqlite_checks(sql), "rows": rows}
    for name, table, sql in q(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"):
        m = re.search(r"\b(BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|UPDATE|DELETE)\b", sql, re.I)
        when = re.search(r"\bWHEN\b(.*?)\bBEGIN\b", sql, re.S | re.I)
        schema["triggers"].add((name, table, m.group(1).upper(), m.group(2).upper(),
                                norm_expr(when.group(1)) if when else None))
    db.close()
    return schema


# --- PostgreSQL ------------------------------------------------------------------------------


class Psql:
    def __init__(self, args, dbname):
        self.base = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        for flag, value in (("-h", args.host), ("-p", args.port), ("-U", args.user)):
            if value:
                self.base += [flag, str(value)]
        self.dbname = dbname

    def run(self, *extra, dbname=None, stdin=None):
        cmd = self.base + ["-d", dbname or self.dbname] + list(extra)
        r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"psql {' '.join(extra[:2])} failed: {r.stderr.strip()}")
        return r.stdout

    def rows(self, sql, *extra):
        out = self.run("-At", "-F", SEP, *extra, "-c", sql)
        return [line.split(SEP) for line in out.split("\n") if line != ""]


def pg_schema(pg):
    schema = {"tables": {}, "triggers": set()}
    tables = [r[0] for r in pg.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY 1")]
    for name in tables:
        if name in PG_OWN_TABLES:
            continue
        lit = "'" + name.replace("'", "''") + "'"
        columns = []
        for col, dtype, nullable, default, identity, collation in pg.rows(
                "SELECT column_name, data_type, is_nullable, coalesce(column_default, ''), "
                "is_identity, coalesce(collation_name, '') FROM information_schema.columns "
                f"WHERE table_schema = current_schema() AND table_name = {lit} "
                "ORDER BY ordinal_position"):
            if dtype == "text" and collation != "C":
                dtype = f'text (collation "{collation or "default"}", not "C")'
            columns.append({"name": col, "type": dtype, "notnull": nullable == "NO",
                            "default": norm_default(default or None),
                            "identity": identity == "YES"})
        pk, indexes, uniques = (), {}, set()
        for iname, unique, primary, constraint, cols, pred in pg.rows(
                "SELECT c.relname, i.indisunique, i.indisprimary, "
                "EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid), "
                "(SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true), ',' ORDER BY k) "
                " FROM generate_series(1, i.indnkeyatts) k), "
                "coalesce(pg_get_expr(i.indpred, i.indrelid, true), '') "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                f"WHERE i.indrelid = {lit}::regclass"):
            cols = tuple(cols.split(","))
            if primary == "t":
                pk = cols
            elif constraint == "t" and unique == "t":
                uniques.add(cols)
            else:
                indexes[iname] = {"columns": cols, "unique": unique == "t",
                                  "where": norm_expr(pred) if pred else None}
        fks = set()
        for cols, ref, refcols, deltype in pg.rows(
                "SELECT (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.conkey) "
                "  WITH ORDINALITY k(att, n) JOIN pg_attribute a "
                "  ON a.attrelid = c.conrelid AND a.attnum = k.att), "
                "c.confrelid::regclass::text, "
                "(SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.confkey) "
                "  WITH ORDINALITY k(att, n) JOIN pg_attribute a "
                "  ON a.attrelid = c.confrelid AND a.attnum = k.att), c.confdeltype "
                f"FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = {lit}::regclass"):
            fks.add((tuple(cols.split(",")), ref, tuple(refcols.split(",")), PG_ON_DELETE[deltype]))
        checks = sorted(check_terms(r[0]) for r in pg.rows(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'c' "
            f"AND conrelid = {lit}::regclass"))
        order = ", ".join(str(i + 1) for i in range(len(columns)))
        rows = sorted(tuple(norm_value(None if v == "\\N" else v) for v in r) for r in pg.rows(
            f'SELECT * FROM "{name}" ORDER BY {order}', "-P", "null=\\N"))
        schema["tables"][name] = {"columns": columns, "pk": pk, "indexes": indexes,
                                  "uniques": uniques, "fks": fks, "checks": checks, "rows": rows}
    for name, table, tgtype, definition in pg.rows(
            "SELECT t.tgname, c.relname, t.tgtype, pg_get_triggerdef(t.oid, true) "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"):
        tgtype = int(tgtype)
        timing = "BEFORE" if tgtype & 2 else ("INSTEAD OF" if tgtype & 64 else "AFTER")
        events = [e for bit, e in ((4, "INSERT"), (8, "DELETE"), (16, "UPDATE")) if tgtype & bit]
        per_row = bool(tgtype & 1)
        when = re.search(r"\bWHEN\s*\((.*)\)\s*EXECUTE\b", definition, re.S)
        event = "/".join(events) + ("" if per_row else " (FOR EACH STATEMENT, not ROW)")
        schema["triggers"].add((name, table, timing, event,
                                norm_expr(when.group(1)) if when else None))
    return schema


def apply_migrations(pg):
    source = open(os.path.join(ROOT, "src/store/postgres/migrations.cpp")).read()
    migrations = re.findall(r'R"sql\((.*?)\)sql"', source, re.S)
    if not migrations:
        sys.exit("no migration found in src/store/postgres/migrations.cpp")
    for n, sql in enumerate(migrations, 1):
        try:
            pg.run("-1", "-f", "-", stdin=sql)
        except RuntimeError as e:
            raise RuntimeError(f"migration {n}: {e}") from None
    return len(migrations)


# --- behaviour ---------------------------------------------------------------------------------

# The same statements on an empty database of each engine, with the same output expected: what the
# structure cannot show (the triggers' bodies, cascades, identity values, text order). One known
# difference is left out on purpose: SQLite gives a new row the largest id + 1, so deleting the
# row with the largest id lets its id be given again; a PostgreSQL identity never gives an id twice
# (as SQLite's AUTOINCREMENT does).
BEHAVIOUR = """
INSERT INTO users (email, display_name, password_hash, role, created_at) VALUES ('a@x.org', 'A', 'h', 'admin', 1);
INSERT INTO spaces (name, kind, owner_user_id, created_at) VALUES ('S', 'team', 1, 1);
INSERT INTO items (space_id, parent_id, name, kind, path, modified_at) VALUES (1, NULL, '', 'folder', '/1/', 1);
INSERT INTO items (space_id, parent_id, name, kind, path, modified_at) VALUES (1, 1, 'f', 'file', '/1/2/', 1);
INSERT INTO items (space_id, parent_id, name, kind, path, modified_at) VALUES (1, 1, 'g', 'file', '/1/3/', 1);
INSERT INTO versions (item_id, number, blob, size, created_at) VALUES (2, 1, 'b1', 100, 1);
INSERT INTO versions (item_id, number, blob, size, created_at) VALUES (2, 2, 'b2', 30, 1);
INSERT INTO versions (item_id, number, blob, size, created_at) VALUES (3, 1, 'b3', 5, 1);
SELECT 'after inserts', used_bytes FROM spaces;
DELETE FROM versions WHERE item_id = 2 AND number <= 1;
SELECT 'after delete', used_bytes FROM spaces;
DELETE FROM items WHERE id = 3;
SELECT 'after item cascade', used_bytes FROM spaces;
INSERT INTO external_identities (address, state, created_at) VALUES ('e@y.org', 'verified', 1);
INSERT INTO links (item_id, kind, role, token_hash, created_by, created_at) VALUES (2, 'specific', 'view', 't', 1, 1);
INSERT INTO removed_recipients (link_id, address, removed_at) VALUES (1, 'e@y.org', 5);
INSERT INTO removed_recipients (link_id, address, removed_at) VALUES (1, 'a@x.org', 5);
INSERT INTO removed_recipients (link_id, address, removed_at) VALUES (1, 'other@z.org', 5);
INSERT INTO grants (item_id, external_id, role, link_id, created_by, created_at) VALUES (2, 1, 'view', 1, 1, 1);
SELECT 'after external grant', address FROM removed_recipients ORDER BY address;
INSERT INTO grants (item_id, user_id, role, created_by, created_at) VALUES (2, 1, 'view', 1, 1);
SELECT 'after direct grant', address FROM removed_recipients ORDER BY address;
INSERT INTO grants (item_id, user_id, role, link_id, created_by, created_at) VALUES (2, 1, 'view', 1, 1, 1);
SELECT 'after member grant', address FROM removed_recipients ORDER BY address;
SELECT 'ids', id FROM grants ORDER BY id;
INSERT INTO items (space_id, parent_id, name, kind, path, modified_at) VALUES (1, 1, 'b', 'folder', '/1/4/', 1);
INSERT INTO items (space_id, parent_id, name, kind, path, modified_at) VALUES (1, 1, 'B', 'folder', '/1/5/', 1);
INSERT INTO items (space_id, parent_id, name, kind, path, modified_at) VALUES (1, 1, '_a', 'folder', '/1/6/', 1);
INSERT INTO items (space_id, parent_id, name, kind, path, modified_at) VALUES (1, 1, 'é', 'folder', '/1/7/', 1);
SELECT 'sorted', name FROM items WHERE parent_id = 1 ORDER BY name;
SELECT 'subtree', path FROM items WHERE path >= '/1/' AND path < '/10' ORDER BY path;
"""


def sqlite_behaviour(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    out = []
    for statement in BEHAVIOUR.split(";\n"):
        if statement.strip():
            out += ["|".join("" if v is None else str(v) for v in row)
                    for row in db.execute(statement).fetchall()]
    db.close()
    return out


def pg_behaviour(pg):
    return [line for line in pg.run("-At", "-F", "|", "-f", "-", stdin=BEHAVIOUR).split("\n")
            if line != ""]


# --- comparison ------------------------------------------------------------------------------


def norm_default(value):
    if value is None:
        return None
    # PostgreSQL writes a literal's type ('{}'::text); SQLite keeps the text as written.
    return re.sub(r"::[a-z ]+$", "", value.strip())


def norm_expr(expr):
    if expr is None:
        return None
    e = re.sub(r"::(text|bigint|integer)\b", "", expr)
    e = re.sub(r'COLLATE\s+"?C"?', "", e)
    e = e.replace("(", " ").replace(")", " ")
    return re.sub(r"\s+", " ", e).strip().lower()


# Words that differ between the engines' spelling of the same CHECK (PostgreSQL shows
# `x IN ('a', 'b')` as `x = ANY (ARRAY['a'::text, 'b'::text])`).
CHECK_NOISE = {"check", "in", "any", "array", "text", "bigint", "integer"}


def check_terms(expr):
    """The columns, literals and operators of a CHECK, in order, without either engine's noise."""
    terms = re.findall(r"'[^']*'|[A-Za-z_][A-Za-z_0-9]*|\d+|<>|!=|<=|>=|[<>=]", expr)
    return tuple(t.lower() if not t.startswith("'") else t for t in terms
                 if t.lower() not in CHECK_NOISE and t != "=")


def norm_value(v):
    if v is None:
        return None
    if isinstance(v, bytes):
        return "\\x" + v.hex()
    return str(v)


def compare(lite, pg):
    diffs = []
    add = diffs.append
    for name in sorted(set(lite["tables"]) - set(pg["tables"])):
        add(f"table {name}: in SQLite, missing in PostgreSQL")
    for name in sorted(set(pg["tables"]) - set(lite["tables"])):
        add(f"table {name}: in PostgreSQL, not in SQLite")
    for name in sorted(set(lite["tables"]) & set(pg["tables"])):
        a, b = lite["tables"][name], pg["tables"][name]
        names_a = [c["name"] for c in a["columns"]]
        names_b = [c["name"] for c in b["columns"]]
        if names_a != names_b:
            add(f"table {name}: columns SQLite {names_a} vs PostgreSQL {names_b}")
        cols_b = {c["name"]: c for c in b["columns"]}
        for ca in a["columns"]:
            cb = cols_b.get(ca["name"])
            if cb is None:
                continue
            for key in ("type", "notnull", "default", "identity"):
                if ca[key] != cb[key]:
                    add(f"column {name}.{ca['name']}: {key} SQLite {ca[key]!r} vs "
                        f"PostgreSQL {cb[key]!r}")
        if a["pk"] != b["pk"]:
            add(f"table {name}: primary key SQLite {a['pk']} vs PostgreSQL {b['pk']}")
        for iname in sorted(set(a["indexes"]) | set(b["indexes"])):
            ia, ib = a["indexes"].get(iname), b["indexes"].get(iname)
            if ia is None:
                add(f"index {iname} on {name}: in PostgreSQL, not in SQLite")
            elif ib is None:
                add(f"index {iname} on {name}: in SQLite, missing in PostgreSQL")
            else:
                for key in ("columns", "unique", "where"):
                    if ia[key] != ib[key]:
                        add(f"index {iname} on {name}: {key} SQLite {ia[key]!r} vs "
                            f"PostgreSQL {ib[key]!r}")
        if a["uniques"] != b["uniques"]:
            add(f"table {name}: UNIQUE constraints SQLite {sorted(a['uniques'])} vs "
                f"PostgreSQL {sorted(b['uniques'])}")
        for fk in sorted(a["fks"] - b["fks"]):
            add(f"table {name}: foreign key {fk} in SQLite, missing in PostgreSQL")
        for fk in sorted(b["fks"] - a["fks"]):
            add(f"table {name}: foreign key {fk} in PostgreSQL, not in SQLite")
        if a["checks"] != b["checks"]:
            add(f"table {name}: CHECK constraints (columns, operators, values) SQLite "
                f"{a['checks']} vs PostgreSQL {b['checks']}")
        if a["rows"] != b["rows"]:
            add(f"table {name}: rows SQLite {a['rows']} vs PostgreSQL {b['rows']}")
    for t in sorted(lite["triggers"] - pg["triggers"], key=str):
        add(f"trigger {t[0]} on {t[1]} ({t[2]} {t[3]}, WHEN {t[4]}): in SQLite, not matched in "
            "PostgreSQL")
    for t in sorted(pg["triggers"] - lite["triggers"], key=str):
        add(f"trigger {t[0]} on {t[1]} ({t[2]} {t[3]}, WHEN {t[4]}): in PostgreSQL, not matched "
            "in SQLite")
    return diffs


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sqlite", help="a migrated SQLite database (default: make one)")
    p.add_argument("--binary", default=os.environ.get("VESTIBULE_BINARY",
                                                      os.path.join(ROOT, "build/vestibule")))
    p.add_argument("--host")
    p.add_argument("--port")
    p.add_argument("--user")
    p.add_argument("--dbname", help="compare this PostgreSQL database as it is")
    p.add_argument("--icu-locale", default="en-US",
                   help="the ICU locale of the scratch database (default en-US; '' for the "
                        "server's default)")
    p.add_argument("--apply", action="store_true",
                   help="apply src/store/postgres/migrations.cpp to a scratch database (default "
                        "without --dbname)")
    p.add_argument("--no-behaviour", action="store_true",
                   help="skip running the same writes on both (they need empty databases)")
    args = p.parse_args()
    scratch = None
    with tempfile.TemporaryDirectory(prefix="schema-parity-") as tmp:
        lite_path = args.sqlite or migrated_sqlite(args.binary, tmp)
        lite = sqlite_schema(lite_path)
        if args.dbname and not args.apply:
            pg = Psql(args, args.dbname)
        else:
            scratch = args.dbname or f"vestibule_parity_{os.getpid()}"
            pg = Psql(args, scratch)
            # A scratch database sorts by a natural-language locale unless told otherwise, as
            # many servers do, so that text compared or sorted without COLLATE "C" shows up.
            locale = (f" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{args.icu_locale}'"
                      if args.icu_locale else "")
            pg.run("-c", f'CREATE DATABASE "{scratch}"{locale}', dbname="postgres")
        try:
            if scratch:
                n = apply_migrations(pg)
                print(f"applied {n} PostgreSQL migration(s) to scratch database {scratch}")
            diffs = compare(lite, pg_schema(pg))
            if scratch and not args.no_behaviour:
                copy = os.path.join(tmp, "behaviour.db")
                shutil.copyfile(lite_path, copy)
                a, b = sqlite_behaviour(copy), pg_behaviour(pg)
                if a != b:
                    diffs.append("behaviour: the same statements gave SQLite " + repr(a) +
                                 " but PostgreSQL " + repr(b))
                else:
                    print(f"behaviour matches: {len(a)} rows read back after the same writes")
        finally:
            if scratch:
                pg.run("-c", f'DROP DATABASE "{scratch}"', dbname="postgres")
    tables = len(lite["tables"])
    if diffs:
        for d in diffs:
            print(d)
        print(f"{len(diffs)} difference(s) between the SQLite and PostgreSQL schemas")
        return 1
    print(f"schemas match: {tables} tables, {len(lite['triggers'])} triggers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
