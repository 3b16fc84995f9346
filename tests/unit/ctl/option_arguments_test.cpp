#include "lib/option_arguments.h"

#include <gtest/gtest.h>

namespace l2tp::ctl {
namespace {

using config::ObjectKind;
using config::OptionMap;

std::expected<std::vector<std::uint8_t>, std::string> no_files(const std::string& path) {
  return std::unexpected("no file " + path);
}

std::expected<OptionMap, ArgumentError> parse(ObjectKind kind, std::vector<std::string> args) {
  return parse_option_arguments(kind, args, no_files);
}

TEST(OptionArguments, KeysAreMatchedWithoutCaseAndSpelledAsTheVocabulary) {
  auto options = parse(ObjectKind::kTunnel, {"peer=192.0.2.1", "VERSION=3", "hideavps=yes"});
  ASSERT_TRUE(options) << options.error().to_string();
  EXPECT_EQ(std::get<std::string>(options->at("Peer")), "192.0.2.1");
  EXPECT_EQ(std::get<std::uint32_t>(options->at("Version")), 3u);
  EXPECT_TRUE(std::get<bool>(options->at("HideAvps")));
}

TEST(OptionArguments, ValuesAreReadByTheKeysType) {
  auto options = parse(ObjectKind::kSession,
                       {"Authentication=chap, mschap-v2", "Cookie=0011AaBb", "Mtu=1400"});
  ASSERT_TRUE(options) << options.error().to_string();
  EXPECT_EQ(std::get<std::vector<std::string>>(options->at("Authentication")),
            (std::vector<std::string>{"chap", "mschap-v2"}));
  EXPECT_EQ(std::get<std::vector<std::uint8_t>>(options->at("Cookie")),
            (std::vector<std::uint8_t>{0x00, 0x11, 0xaa, 0xbb}));
  EXPECT_EQ(std::get<std::uint32_t>(options->at("Mtu")), 1400u);
}

TEST(OptionArguments, ByteValuesComeFromTextHexOrAFile) {
  const auto files =
      [](const std::string& path) -> std::expected<std::vector<std::uint8_t>, std::string> {
    if (path == "/run/secret") return std::vector<std::uint8_t>{'s', '3'};
    return std::unexpected("cannot read the file: No such file or directory");
  };
  auto options = parse_option_arguments(ObjectKind::kTunnel, {"Secret=@/run/secret"}, files);
  ASSERT_TRUE(options);
  EXPECT_EQ(std::get<std::vector<std::uint8_t>>(options->at("Secret")),
            (std::vector<std::uint8_t>{'s', '3'}));
  options = parse_option_arguments(ObjectKind::kTunnel, {"secret=hex:00ff"}, files);
  ASSERT_TRUE(options);
  EXPECT_EQ(std::get<std::vector<std::uint8_t>>(options->at("Secret")),
            (std::vector<std::uint8_t>{0x00, 0xff}));
  options = parse_option_arguments(ObjectKind::kTunnel, {"Secret=plain"}, files);
  ASSERT_TRUE(options);
  EXPECT_EQ(std::get<std::vector<std::uint8_t>>(options->at("Secret")),
            (std::vector<std::uint8_t>{'p', 'l', 'a', 'i', 'n'}));

  auto missing = parse_option_arguments(ObjectKind::kTunnel, {"Secret=@/nope"}, files);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().key, "Secret");
}

TEST(OptionArguments, ErrorsNameTheKeyAndNeverRepeatTheValue) {
  auto bad_hex = parse(ObjectKind::kTunnel, {"Secret=hex:zz-top-secret"});
  ASSERT_FALSE(bad_hex);
  EXPECT_EQ(bad_hex.error().key, "Secret");
  EXPECT_EQ(bad_hex.error().to_string().find("top-secret"), std::string::npos);

  auto bad_number = parse(ObjectKind::kTunnel, {"HelloInterval=soon"});
  ASSERT_FALSE(bad_number);
  EXPECT_EQ(bad_number.error().key, "HelloInterval");
  EXPECT_NE(bad_number.error().message.find("decimal"), std::string::npos);

  auto bad_bool = parse(ObjectKind::kTunnel, {"HideAvps=perhaps"});
  ASSERT_FALSE(bad_bool);
  EXPECT_EQ(bad_bool.error().key, "HideAvps");
}

TEST(OptionArguments, UnknownKeysMissingEqualsAndRepeatsAreRefused) {
  auto unknown = parse(ObjectKind::kTunnel, {"Pseudowire=eth"});  // a session key
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().key, "Pseudowire");

  auto control = parse(ObjectKind::kTunnel, {std::string("Pe\x1b[2Jer=x")});
  ASSERT_FALSE(control);
  EXPECT_EQ(control.error().key.find('\x1b'), std::string::npos);

  EXPECT_FALSE(parse(ObjectKind::kTunnel, {"Peer"}));
  EXPECT_FALSE(parse(ObjectKind::kTunnel, {"=x"}));
  auto twice = parse(ObjectKind::kTunnel, {"Peer=a", "peer=b"});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().key, "Peer");
}

TEST(OptionArguments, ListenerAndIpsecKeysAreKnown) {
  auto options =
      parse(ObjectKind::kListener,
            {"local=[::1]:1701", "pppaddresspool=10.0.0.2-10.0.0.9", "IpsecRequired=no"});
  ASSERT_TRUE(options) << options.error().to_string();
  EXPECT_EQ(options->size(), 3u);
  EXPECT_FALSE(std::get<bool>(options->at("IpsecRequired")));
}

}  // namespace
}  // namespace l2tp::ctl
