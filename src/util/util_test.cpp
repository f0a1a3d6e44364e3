#include "util/byte_size.hpp"
#include "util/crypto.hpp"
#include "util/duration.hpp"
#include "util/email.hpp"
#include "util/file_io.hpp"
#include "util/names.hpp"
#include "util/rfc3339.hpp"
#include "util/time_horizon.hpp"
#include "util/url.hpp"

#include <set>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace vestibule::util {
namespace {

TEST(TimeHorizon, NotesTheEarliestTimeNotYetComeAndNothingWithoutAnOpenHorizon) {
  const TimePoint now{std::chrono::seconds{1'000'000}};
  EXPECT_TRUE(has_come(now, now));  // outside a horizon: only the comparison
  const TimeHorizon horizon;
  EXPECT_FALSE(horizon.earliest());
  EXPECT_TRUE(has_come(now - std::chrono::seconds{5}, now));  // past: never changes again
  EXPECT_FALSE(horizon.earliest());
  EXPECT_FALSE(has_come(now + std::chrono::hours{2}, now));
  EXPECT_FALSE(has_come(now + std::chrono::hours{1}, now));
  EXPECT_FALSE(has_come(now + std::chrono::hours{3}, now));
  ASSERT_TRUE(horizon.earliest());
  EXPECT_EQ(*horizon.earliest(), now + std::chrono::hours{1});
}

TEST(TimeHorizon, AnEnclosingHorizonSeesWhatANestedOneNotes) {
  const TimePoint now{std::chrono::seconds{1'000'000}};
  const TimeHorizon outer;
  TimeHorizon::note(now + std::chrono::hours{5});
  {
    const TimeHorizon inner;
    TimeHorizon::note(now + std::chrono::hours{2});
    EXPECT_EQ(inner.earliest(), now + std::chrono::hours{2});
  }
  TimeHorizon::note(now + std::chrono::hours{3});
  EXPECT_EQ(outer.earliest(), now + std::chrono::hours{2});
}

TEST(ByteSize, ReadsInBinaryUnits) {
  EXPECT_EQ(util::format_byte_size(0), "0 bytes");
  EXPECT_EQ(util::format_byte_size(1), "1 byte");
  EXPECT_EQ(util::format_byte_size(1023), "1023 bytes");
  EXPECT_EQ(util::format_byte_size(4096), "4.0 KB");
  EXPECT_EQ(util::format_byte_size((std::int64_t{3} << 30) / 2), "1.5 GB");
  EXPECT_EQ(util::format_byte_size(400 * 1024), "400 KB");  // as the web pages write it
  EXPECT_EQ(util::format_byte_size(10 * (std::int64_t{1} << 30)), "10 GB");
}

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("90s").value(), std::chrono::seconds{90});
  EXPECT_EQ(parse_duration("10m").value(), std::chrono::seconds{600});
  EXPECT_EQ(parse_duration("12h").value(), std::chrono::seconds{43200});
  EXPECT_EQ(parse_duration("30d").value(), std::chrono::seconds{2592000});
  EXPECT_EQ(parse_duration("0").value(), std::chrono::seconds{0});
}

TEST(Duration, RefusesMalformedText) {
  for (const auto* bad :
       {"", "s", "10", "10x", "-5m", "1.5h", " 10m", "10 m", "99999999999999999d"}) {
    auto r = parse_duration(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  }
}

TEST(Duration, FormatsTheShortestExactSpelling) {
  EXPECT_EQ(format_duration(std::chrono::seconds{3600}), "1h");
  EXPECT_EQ(format_duration(std::chrono::seconds{90}), "90s");
  EXPECT_EQ(format_duration(std::chrono::seconds{0}), "0");
  EXPECT_EQ(format_duration(std::chrono::seconds{172800}), "2d");
}

TEST(Names, AcceptsOrdinaryNames) {
  for (const auto* ok : {"report.pdf", "Résumé 2026.pdf", "a", ".hidden", "日本語.txt", "a..b"}) {
    EXPECT_TRUE(validate_item_name(ok)) << ok;
  }
}

TEST(Names, RefusesEveryBrokenRule) {
  const std::string nul("a\0b", 3);
  const std::string long_name(256, 'x');
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
        std::string("a\\b"), nul, std::string("a\nb"), std::string("tab\there"), long_name,
        std::string("CON"), std::string("con.txt"), std::string("LPT1"), std::string(" lead"),
        std::string("trail "), std::string("dot."), std::string("\xC3\x28"),
        std::string("\xED\xA0\x80"), std::string("\xC0\xAF")}) {
    auto r = validate_item_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(r.error().field, "name");
  }
}

TEST(DisplayableText, KeepsValidTextAndCutsOnlyAtACharacterBoundary) {
  EXPECT_EQ(util::displayable_text("Mozilla/5.0 (X11; Linux) Firefox/120", 512),
            "Mozilla/5.0 (X11; Linux) Firefox/120");
  // "é" is two bytes: a limit that falls inside it drops the whole character.
  EXPECT_EQ(util::displayable_text("ab\xC3\xA9", 3), "ab");
  EXPECT_EQ(util::displayable_text("ab\xC3\xA9", 4), "ab\xC3\xA9");
}

TEST(DisplayableText, InvalidBytesAndControlsReadAsReplacementCharacters) {
  const std::string nul("a\0b", 3);
  EXPECT_EQ(util::displayable_text(nul, 512),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(util::displayable_text("a\xFF\xC3", 512), "a\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(util::displayable_text("tab\there", 512), "tab\xEF\xBF\xBDhere");
  const std::string cut = util::displayable_text(std::string(600, '\xFF'), 512);
  EXPECT_EQ(cut.size(), 510U);  // 170 whole replacement characters
  EXPECT_TRUE(util::is_valid_utf8(cut));
}

TEST(Names, NfdAndNfcSpellingsAreOneName) {
  const std::string nfc = "R\xC3\xA9sum\xC3\xA9.pdf";    // é as U+00E9
  const std::string nfd = "Re\xCC\x81sume\xCC\x81.pdf";  // e + U+0301
  EXPECT_EQ(normalized_item_name(nfd).value(), nfc);
  EXPECT_EQ(normalized_item_name(nfc).value(), nfc);
  EXPECT_EQ(normalized_item_name("plain.txt").value(), "plain.txt");
}

TEST(Names, RefusesBidiAndC1ControlsAndEdgeNoBreakSpacesNamingTheRule) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"invoice\xE2\x80\xAEtxt.exe", "bidirectional"},  // U+202E RIGHT-TO-LEFT OVERRIDE
      {"a\xE2\x81\xA6"
       "b",
       "bidirectional"},  // U+2066 LEFT-TO-RIGHT ISOLATE
      {"a\xE2\x80\x8F"
       "b",
       "bidirectional"},  // U+200F RIGHT-TO-LEFT MARK
      {"a\xC2\x85"
       "b",
       "U+0080 to U+009F"},                      // U+0085 NEXT LINE
      {"\xC2\xA0lead.txt", "white space"},       // U+00A0 NO-BREAK SPACE
      {"trail.txt\xE2\x80\xAF", "white space"},  // U+202F NARROW NO-BREAK SPACE
      {"\xEF\xBB\xBF"
       "bom.txt",
       "white space"},  // U+FEFF
  };
  for (const auto& [bad, rule] : cases) {
    auto r = normalized_item_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "name");
    EXPECT_NE(r.error().message.find(rule), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(
      normalized_item_name("a\xC2\xA0"
                           "b.txt"));  // inside a name, a no-break space is fine
}

TEST(Email, NormalizesCaseAndSpaces) {
  EXPECT_EQ(normalize_email("  Ada@Example.ORG ").value(), "ada@example.org");
}

TEST(Email, RefusesMalformedAddresses) {
  for (const auto* bad : {"", "ada", "@example.org", "ada@", "ada@localhost", "a b@example.org",
                          "ada@@example.org", "ada@example..org", "<ada@example.org>"}) {
    EXPECT_FALSE(normalize_email(bad)) << bad;
  }
}

// Found by fuzz.token_codec: an address whose stored form did not read back as itself.
TEST(Email, TheStoredFormReadsBackAsItself) {
  const std::string input(
      "\x61\x64\x61\x65\x78\x6d\x70\x61\x6c\x65\x2e\x6f\x72\x67\x40\x62\xc3\xbe\x61\x62\x62\x62\x62"
      "\x65\x62\x78\x61\x6d\x70\x6c\x65\x2e\x70\x6c\x65\x2e\x63\x61\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x4a"
      "\x4a\x4a\x4a\x4a\x68\x65\x2e\x6d\x78\x6e\x2d\x2d\x60\x2f\x7b\x65\x6d\x78\x6e\x2d\x2d\x70\x2f"
      "\x7b\x65\x60\x6d\x78\x6e\x2d\x2d\x70\x2f\x7b\x65\x60\x63\x61\x25\x32\x61\x25\x32\x61\x25\x5e"
      "\x5e\x5e\x4a\x68\x65\x2e\x62\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x61\x25\x32\x61\x25\x32\x61"
      "\x25\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x4a"
      "\x4a\x4a\x4a\x4a\x4a\x68\x65\x2e\x6d\x78\x6e\x2d\x2d\x70\x2f\x7b\x65\x2e\x63\x61\x25\x32\x61"
      "\x25\x32\x61\x25\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x5e\x4a\x4a\x4a\x4a\x4a\x4a\x4a"
      "\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x68\x65\x2e\x62\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x61\x4a"
      "\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x4a\x68\x65\x2e\x6d\x78\x6e\x2d\x2d\x60\x2f\x7b\x65"
      "\x6d\x78\x6e\x2d\x2d\x70\x2f\x7b\x65\x60\x6d\x78\x6e\x2d\x2d\x70\x2f\x7b\x65\x60",
      250);
  if (const auto address = normalize_email(input)) {
    const auto again = normalize_email(address.value());
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again.value(), address.value());
  }
}

TEST(Email, AnIgnorableCharacterCannotHideAnEmptyLastLabel) {
  // IDNA drops U+034F (combining grapheme joiner): "e_.<U+034F>" would be stored as "e_.", which
  // is no domain and would not read back.
  const auto refused = normalize_email("e@E_.\xcd\x8f");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("not a valid domain"), std::string::npos);
  EXPECT_EQ(normalize_email("e@example.\xcd\x8forg").value(), "e@example.org");
}

TEST(Email, InternationalDomainsTakeTheirAsciiForm) {
  EXPECT_EQ(normalize_email(" X@Bücher.Example ").value(), "x@xn--bcher-kva.example");
  EXPECT_EQ(normalize_email("x@xn--bcher-kva.example").value(), "x@xn--bcher-kva.example");
  // NFD input (u + combining diaeresis) normalizes to the same address.
  EXPECT_EQ(normalize_email("x@bu\xcc\x88"
                            "cher.example")
                .value(),
            "x@xn--bcher-kva.example");
  const auto bad = normalize_email("x@\xe2\x98\x83\xe2\x80\x8b.example");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

TEST(Rfc3339, ParsesUtcOffsetsAndFractions) {
  const auto base = parse_rfc3339("2030-01-31T17:00:00Z", "t").value();
  EXPECT_EQ(to_unix(base), 1896109200);
  EXPECT_EQ(parse_rfc3339("2030-01-31T18:00:00+01:00", "t").value(), base);
  EXPECT_EQ(parse_rfc3339("2030-01-31T16:30:00-00:30", "t").value(), base);
  EXPECT_EQ(parse_rfc3339("2030-01-31T17:00:00.123Z", "t").value(), base);
  EXPECT_EQ(format_rfc3339(base), "2030-01-31T17:00:00Z");
}

TEST(Rfc3339, RefusesOtherShapesNamingTheField) {
  for (const auto* bad :
       {"", "2030-01-31", "2030-01-31T17:00:00", "2030-02-31T00:00:00Z", "2030-13-01T00:00:00Z",
        "2030-01-31T25:00:00Z", "tomorrow", "2030-01-31T17:00:00+1", "2030-01-31T17:00:00.Z",
        "2999-01-01T00:00:00Z", "1969-12-31T23:59:59Z"}) {
    const auto r = parse_rfc3339(bad, "expires_at");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "expires_at");
  }
}

TEST(Url, PercentEncodesAllButUnreservedCharacters) {
  EXPECT_EQ(percent_encode("b@partner.example"), "b%40partner.example");
  EXPECT_EQ(percent_encode("a+b c/d?e=f&g"), "a%2Bb%20c%2Fd%3Fe%3Df%26g");
  EXPECT_EQ(percent_encode("Az09-._~"), "Az09-._~");
  EXPECT_EQ(percent_encode("\xc3\xa9\r\n"), "%C3%A9%0D%0A");
  EXPECT_EQ(percent_encode(""), "");
}

TEST(Crypto, TokensAreLongAndDistinct) {
  crypto_init();
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto token = random_token(32);
    EXPECT_EQ(base64url_decode(token).value().size(), 32U);
    EXPECT_TRUE(seen.insert(token).second);
  }
}

TEST(Crypto, Base64urlRoundTripsAndRefusesOtherAlphabets) {
  const std::string raw("\x00\xff\xfe binary", 10);
  EXPECT_EQ(base64url_decode(base64url_encode(raw)).value(), raw);
  EXPECT_FALSE(base64url_decode("ab+/"));
  EXPECT_FALSE(base64url_decode("abc="));
}

// libsodium's decoder reads a byte above 0x7F (a negative char) as a base64 digit: "3\xff\xff\xff"
// decoded to the bytes of "3___". Found by fuzz/token_codec_fuzzer.cpp.
TEST(Crypto, Base64urlRefusesBytesOutsideTheAlphabet) {
  EXPECT_FALSE(base64url_decode("3\xff\xff\xff"));
  EXPECT_FALSE(base64url_decode("abc\x80"));
  EXPECT_FALSE(base64url_decode(std::string("ab\0d", 4)));
  EXPECT_FALSE(base64url_decode("ab d"));
  EXPECT_EQ(base64url_decode("3___").value(), "\xdf\xff\xff");
}

TEST(Crypto, Sha256MatchesTheKnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, StreamedSha256MatchesTheKnownVectorsWhateverThePieces) {
  Sha256Stream whole;
  whole.update("abc");
  EXPECT_EQ(whole.final_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Stream empty;
  EXPECT_EQ(empty.final_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // A megabyte in uneven pieces hashes as in one piece.
  std::string data(1 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>(i * 131 % 251);
  }
  Sha256Stream pieces;
  for (std::size_t at = 0, step = 1; at < data.size(); at += step, step = step * 3 % 65521 + 1) {
    pieces.update(std::string_view(data).substr(at, step));
  }
  EXPECT_EQ(pieces.final_hex(), sha256_hex(data));
}

TEST(Crypto, PasswordsVerifyOnlyWithTheRightPasswordAndUseArgon2id) {
  crypto_init();
  const auto hash = hash_password("correct horse", {1, 8192}).value();
  EXPECT_TRUE(hash.starts_with("$argon2id$"));
  EXPECT_TRUE(verify_password(hash, "correct horse"));
  EXPECT_FALSE(verify_password(hash, "correct horsf"));
}

TEST(Crypto, AHashNamesItsOwnCostAndVerifiesWhateverTheCurrentSetting) {
  crypto_init();
  // A server whose `security.password_hash_cost` changed still holds hashes made under the old
  // setting: each stored string names its parameters, and verifying reads them from it.
  struct Case {
    PasswordHashCost cost;
    std::string prefix;
  };
  const std::vector<Case> cases = {
      {{1, 8192}, "$argon2id$v=19$m=8,t=1,p=1$"},
      {{4, 2U * 1024 * 1024}, "$argon2id$v=19$m=2048,t=4,p=1$"},
      {default_password_cost(), "$argon2id$v=19$m=65536,t=2,p=1$"},
  };
  for (const auto& c : cases) {
    const auto hash = hash_password("correct horse", c.cost).value();
    EXPECT_TRUE(hash.starts_with(c.prefix)) << hash;
    EXPECT_TRUE(verify_password(hash, "correct horse")) << hash;
    EXPECT_FALSE(verify_password(hash, "correct horsf")) << hash;
  }
  // Made elsewhere (libsodium through another binding) at t=3 and 4 MiB, a cost this server
  // never uses.
  const std::string foreign =
      "$argon2id$v=19$m=4096,t=3,p=1$/D0pdSffdZY1a6oBHHAOCA$iifAAxqEwnT0ez4pBat8PcwL55sp/"
      "ursbEqD7/OfI8I";
  EXPECT_TRUE(verify_password(foreign, "correct horse"));
  EXPECT_FALSE(verify_password(foreign, "correct horsf"));
  // The same hash with its parameters edited no longer verifies: they are read, not assumed.
  std::string edited = foreign;
  edited.replace(edited.find("t=3"), 3, "t=2");
  EXPECT_FALSE(verify_password(edited, "correct horse"));
  EXPECT_FALSE(verify_password("", "correct horse"));
}

TEST(Crypto, SecureEqualComparesContentAndLength) {
  EXPECT_TRUE(secure_equal("abc", "abc"));
  EXPECT_FALSE(secure_equal("abc", "abd"));
  EXPECT_FALSE(secure_equal("abc", "abcd"));
}

}  // namespace
}  // namespace vestibule::util

namespace vestibule::util {
namespace {

TEST(FileIo, ReadsExactlyTheRangeAskedAndRefusesToReadPastTheEnd) {
  char path[] = "/tmp/vestibule-file-io-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  const std::string text = "0123456789";
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  std::string out(4, '\0');
  ASSERT_TRUE(pread_exact(fd, out.data(), out.size(), 3));
  EXPECT_EQ(out, "3456");
  std::string past(5, '\0');
  const auto refused = pread_exact(fd, past.data(), past.size(), 7);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "the file ended before its recorded size");
  ::close(fd);
}

}  // namespace
}  // namespace vestibule::util
