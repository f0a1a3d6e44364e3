"""Malformed input to every handler that reads a JSON body: always a 4xx, never a 5xx.

SECURITY-CHECKLIST F35 asks "malformed input -> 4xx, never 5xx" for JSON bodies; the fuzz target
proves it for the readers, and this test proves it for every handler over HTTP. For each
operation of `docs/openapi.json` with a JSON request body, on real paths of a state with
something behind every parameter, and as the owner (an admin), a verified recipient and nobody,
it sends: no body (a 4xx where the body is required), text that is not JSON, a truncated object, an array, JSON nested 50,000 deep,
invalid UTF-8, and for every property of the operation's schema a value of each wrong type,
`null`, and a 70,000-character string. Each must answer below 500, and the ones that are not a
JSON object must answer 4xx. At the end the server is still healthy and its database intact.
"""

import json
import os
import unittest

from harness import HERE, integrity_check
from test_get_is_safe import StatefulCase

# Routes whose handlers are test hooks, not part of a production start (SECURITY-CHECKLIST H41).
EXCLUDED = {("post", "/api/v1/dev/clock")}

WRONG = {"string": [12345, True, ["x"], {"x": 1}], "integer": ["x", 1.5, True, [1]],
         "number": ["x", True], "boolean": ["yes", 1, [True]], "array": [{"a": 1}, "x", 7],
         "object": [[1], "x", 7]}


def openapi():
    with open(os.path.join(HERE, "..", "..", "docs", "openapi.json"), encoding="utf-8") as f:
        return json.load(f)


def resolve(doc, schema):
    while "$ref" in schema:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def properties(doc, schema):
    """name -> type of the schema's properties (allOf and oneOf merged)."""
    schema = resolve(doc, schema)
    out = {}
    for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        out.update(properties(doc, part))
    for name, prop in schema.get("properties", {}).items():
        prop = resolve(doc, prop)
        out[name] = prop.get("type", "object" if "properties" in prop else "string")
    return out


NOT_OBJECTS = [b"", b"not json", b'{"a":', b"[1, 2]", b"[" * 50000 + b"]" * 50000,
               b'{"name": "\xff\xfe"}', b"null", b'"text"']


def bodies(doc, op):
    for raw in NOT_OBJECTS:
        # An optional body may be left out: no body at all is then a well-formed request.
        yield raw, raw != b"" or op["requestBody"].get("required", False)
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    for name, kind in sorted(properties(doc, schema).items()):
        for value in WRONG.get(kind, []) + [None]:
            yield json.dumps({name: value}).encode(), False
        yield json.dumps({name: "x" * 70000}).encode(), False


class MalformedBodiesTest(StatefulCase):

    def test_every_json_handler_answers_malformed_input_with_a_4xx(self):
        self.build_state()
        doc = openapi()
        callers = {k: self.callers[k] for k in ("owner", "recipient", "nobody")}
        operations = [(method, route, op) for route, ops in doc["paths"].items()
                      for method, op in ops.items()
                      if method in ("post", "put", "patch", "delete")
                      and "application/json" in op.get("requestBody", {}).get("content", {})
                      and (method, route) not in EXCLUDED]
        self.assertGreater(len(operations), 30)
        sent = 0
        problems = []
        for method, route, op in operations:
            for path in self.concrete(route):
                for body, not_an_object in bodies(doc, op):
                    for who, c in callers.items():
                        r = c.request(method.upper(), path, body=body,
                                      headers={"Content-Type": "application/json"})
                        sent += 1
                        if r.status >= 500 or (not_an_object and not 400 <= r.status < 500):
                            problems.append("%s %s as %s with %r -> %d %s" % (
                                method.upper(), path, who, body[:60], r.status, r.body[:200]))
        self.assertEqual(problems, [], "%d of %d requests" % (len(problems), sent))
        self.assertTrue(self.server.healthy())
        self.assertEqual(integrity_check(self.server.db_path), ["ok"])


if __name__ == "__main__":
    unittest.main()
