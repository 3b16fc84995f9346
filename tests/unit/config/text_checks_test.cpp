// The library's internal building blocks: text predicates and the key file
// line scan. Their mistakes would surface as wrong line numbers or accepted
// garbage far away, so they are pinned down here directly.
#include "config/text_checks.h"

#include <gtest/gtest.h>

#include "config/key_file_layout.h"
#include "config/options.h"

namespace l2tp::config::detail {
namespace {

TEST(TextChecksTest, ControlCharacters) {
  EXPECT_FALSE(has_control_characters(""));
  EXPECT_FALSE(has_control_characters("plain text ~ with \"quotes\" and ünïcode"));
  for (int byte = 0; byte < 0x20; ++byte) {
    EXPECT_TRUE(has_control_characters(std::string(1, static_cast<char>(byte)))) << byte;
  }
  EXPECT_TRUE(has_control_characters("\x7f"));
  EXPECT_FALSE(has_control_characters("\x80\xff"));  // not ASCII controls; UTF-8 is judged apart
}

TEST(TextChecksTest, Utf8) {
  for (const std::string good : {"", "ascii", "\xc3\xa4", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                 "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80"}) {
    EXPECT_TRUE(is_valid_utf8(good)) << good;
  }
  for (const std::string bad :
       {"\x80", "\xbf", "\xc3", "\xc3\x28", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
        "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x80\x80\x80", "\xf4\x90\x80\x80",
        "\xf8\x88\x80\x80\x80", "\xfe", "\xff", "a\xe2\x82"}) {
    EXPECT_FALSE(is_valid_utf8(bad)) << ::testing::PrintToString(bad);
  }
}

TEST(TextChecksTest, DecimalNumbers) {
  EXPECT_EQ(parse_decimal_u32("0"), 0u);
  EXPECT_EQ(parse_decimal_u32("4294967295"), 4294967295u);
  EXPECT_EQ(parse_decimal_u32("0004294967295"), 4294967295u);
  for (const char* bad : {"", "4294967296", "99999999999999999999999", "-1", "+1", " 1", "1 ",
                          "0x10", "1e3", "1.0", "١"}) {
    EXPECT_FALSE(parse_decimal_u32(bad).has_value()) << bad;
  }
}

TEST(TextChecksTest, DnsHostNames) {
  for (const char* good : {"a", "localhost", "lns.example.com", "lns.example.com.", "1-2.a0",
                           "xn--zrich-kva.example", "A.EXAMPLE"}) {
    EXPECT_TRUE(is_dns_host_name(good)) << good;
  }
  for (const char* bad : {"", ".", "..", "a..b", ".a", "-a", "a-", "a_b", "a b", "a/b", "a:b",
                          "192.0.2.1", "192.0.2.256", "10", "a.123", "a.example..", "ü.example"}) {
    EXPECT_FALSE(is_dns_host_name(bad)) << bad;
  }
}

// Found by fuzz-options: errors echoed a client's text as it came.
TEST(TextChecksTest, ShownInErrorKeepsNamesAndTamesTheRest) {
  EXPECT_EQ(shown_in_error("Bogus"), "Bogus");
  EXPECT_EQ(shown_in_error(std::string(64, 'k')), std::string(64, 'k'));
  EXPECT_EQ(shown_in_error(""), "\"\"");
  EXPECT_EQ(shown_in_error("a b"), "\"a b\"");
  EXPECT_EQ(shown_in_error("a\nb\x7f\"\\"), "\"a\\x0ab\\x7f\\x22\\x5c\"");
  EXPECT_EQ(shown_in_error("caf\xc3\xa9"), "\"caf\\xc3\\xa9\"");
  const std::string shown = shown_in_error(std::string(100000, 'x'));
  EXPECT_EQ(shown, "\"" + std::string(64, 'x') + "...\" (100000 bytes)");
}

TEST(TextChecksTest, HostNameAvp) {
  EXPECT_FALSE(host_name_avp_problem("lac 1 \"north\"").has_value());
  EXPECT_EQ(host_name_avp_problem(""), "must not be empty");
  EXPECT_EQ(host_name_avp_problem(std::string(256, 'a')), "must be at most 255 bytes");
  EXPECT_EQ(host_name_avp_problem("a\nb"), "contains control characters");
  EXPECT_EQ(host_name_avp_problem("a\xff"), "is not valid UTF-8");
}

TEST(KeyFileLayoutTest, SectionsKeysAndLines) {
  const auto layout = scan_key_file_layout(
      "# comment\n"
      "\n"
      "[Tunnel]\r\n"
      "  Peer = 192.0.2.1\n"
      "\tVersion=3\n"
      "[Session a] \n"
      "Mtu==1400\n"
      "User[de]=x");
  ASSERT_TRUE(layout.has_value()) << layout.error().message;
  ASSERT_EQ(layout->size(), 2u);
  const SectionLayout& tunnel = (*layout)[0];
  EXPECT_EQ(tunnel.name, "Tunnel");
  EXPECT_EQ(tunnel.line, 3);
  ASSERT_EQ(tunnel.keys.size(), 2u);
  EXPECT_EQ(tunnel.keys[0].key, "Peer");
  EXPECT_EQ(tunnel.keys[0].line, 4);
  EXPECT_EQ(tunnel.keys[1].key, "Version");
  EXPECT_EQ(tunnel.line_of("Version"), 5);
  EXPECT_EQ(tunnel.line_of("Absent"), 3);
  EXPECT_TRUE(tunnel.has("Peer"));
  EXPECT_FALSE(tunnel.has("Absent"));
  const SectionLayout& session = (*layout)[1];
  EXPECT_EQ(session.name, "Session a");
  EXPECT_EQ(session.line_of("Mtu"), 7);
  EXPECT_EQ(session.line_of("User[de]"), 8);
}

TEST(KeyFileLayoutTest, Problems) {
  struct Case {
    std::string text;
    int line;
    std::string subject;
    std::string message;
  };
  const std::vector<Case> cases{
      {"[A]\nK=1\nK=2\n", 3, "K", "given twice"},
      {"[A]\n[B]\n[A]\n", 3, "[A]", "duplicate section"},
      {"K=1\n", 1, "K", "outside of any section"},
      {"[A]\nnothing\n", 2, "", "expected [Section], Key=value or a # comment"},
      {"[A\n", 1, "", "malformed section header"},
      {"[A]]\n", 1, "", "malformed section header"},
      {"[A]\n = 1\n", 2, "", "missing key before ="},
  };
  for (const Case& problem : cases) {
    const auto layout = scan_key_file_layout(problem.text);
    ASSERT_FALSE(layout.has_value()) << problem.text;
    EXPECT_EQ(layout.error().line, problem.line) << problem.text;
    EXPECT_EQ(layout.error().subject, problem.subject) << problem.text;
    EXPECT_EQ(layout.error().message, problem.message) << problem.text;
  }
  // The same key in different sections is fine.
  EXPECT_TRUE(scan_key_file_layout("[A]\nK=1\n[B]\nK=1\n").has_value());
}

}  // namespace
}  // namespace l2tp::config::detail
