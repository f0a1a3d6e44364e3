"""Source rules that keep secrets safe, checked over src/ (SECURITY-CHECKLIST items 1 and 11).

- Random numbers for security come from libsodium through src/util/crypto.cpp only: no rand(),
  srand(), std::mt19937 or std::random_device anywhere else.
- Secrets (tokens, HMACs, password hashes, proofs) are compared with util::secure_equal, never
  with ==, !=, memcmp or std::equal.
"""
import pathlib
import re
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "src"
RNG_MODULE = ROOT / "util" / "crypto.cpp"
WEAK_RANDOM = re.compile(r"\b(rand|srand|rand_r|drand48)\s*\(|mt19937|random_device|minstd_rand")
SECRET = r"[A-Za-z_>.\-]*(hmac|token|secret|password_hash|proof)[A-Za-z_]*"
SECRET_COMPARE = re.compile(
    r"(" + SECRET + r"\s*(==|!=)\s*[A-Za-z_\"])|((==|!=)\s*" + SECRET + r"\b(?!\s*\())"
    r"|\b(memcmp|std::equal)\s*\([^;]*(hmac|token|secret|password_hash|proof)")
# Comparisons that are not authentication: detecting that a stored hash changed.
ALLOWED = {
    ("store/sql/sharing_store.cpp", "before.password_hash != link.password_hash"),
}


def sources():
    for path in sorted(ROOT.rglob("*")):
        if path.suffix in (".cpp", ".hpp") and not path.name.endswith("_test.cpp"):
            yield path


class SourceRulesTest(unittest.TestCase):

    def test_only_the_rng_module_draws_random_numbers(self):
        offenders = []
        for path in sources():
            if path == RNG_MODULE:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if WEAK_RANDOM.search(line.split("//")[0]):
                    offenders.append("%s:%d: %s" % (path.relative_to(ROOT), number, line.strip()))
        self.assertEqual(offenders, [], "random numbers outside src/util/crypto.cpp")

    def test_secrets_are_compared_in_constant_time(self):
        offenders = []
        for path in sources():
            relative = str(path.relative_to(ROOT))
            for number, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("//")[0]
                if not SECRET_COMPARE.search(code):
                    continue
                if any(relative == f and snippet in code for f, snippet in ALLOWED):
                    continue
                offenders.append("%s:%d: %s" % (relative, number, line.strip()))
        self.assertEqual(offenders, [], "secrets compared with == / != / memcmp")

    def test_the_rules_catch_what_they_are_meant_to(self):
        self.assertTrue(WEAK_RANDOM.search("int x = rand();"))
        self.assertTrue(WEAK_RANDOM.search("std::mt19937 gen;"))
        self.assertTrue(SECRET_COMPARE.search("if (stored.code_hmac == given) {"))
        self.assertTrue(SECRET_COMPARE.search("return session.token_hash != hash;"))
        self.assertTrue(SECRET_COMPARE.search("memcmp(a.token_hash.data(), b, 32)"))
        self.assertFalse(SECRET_COMPARE.search("if (error.code == Errc::kConflict) {"))
        self.assertFalse(SECRET_COMPARE.search("if (token.size() == 43) {"))


if __name__ == "__main__":
    unittest.main()
