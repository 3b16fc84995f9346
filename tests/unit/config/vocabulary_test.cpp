// The vocabulary as a whole: every key of the contract with its type, every
// key refusing every other type, every string key refusing control characters
// and broken UTF-8, and unknown keys refused by name.
#include <gtest/gtest.h>

#include <functional>

#include "config/options.h"
#include "option_cases.h"

namespace l2tp::config {
namespace {

using namespace cases;  // NOLINT(google-build-using-namespace): the test vocabulary

using ParseResult = std::expected<void, OptionError>;

// A good map of each kind, and a parser that only reports success or the error.
struct Kind {
  ObjectKind kind;
  const char* name;
  OptionMap base;
  std::function<ParseResult(const OptionMap&)> parse;
};

template <typename T>
ParseResult only_error(const std::expected<T, OptionError>& result) {
  if (result) return {};
  return std::unexpected(result.error());
}

std::vector<Kind> kinds() {
  return {
      {ObjectKind::kTunnel,
       "tunnel",
       {{"Peer", s("192.0.2.1")}},
       [](const OptionMap& m) { return only_error(parse_tunnel_options(m, Defaults{})); }},
      {ObjectKind::kSession,
       "session",
       {},
       [](const OptionMap& m) {
         return only_error(
             parse_session_options(m, wire::ProtocolVersion::kV3, fsm::TunnelMode::kDynamic));
       }},
      {ObjectKind::kListener,
       "listener",
       {},
       [](const OptionMap& m) { return only_error(parse_listener_options(m, Defaults{})); }},
  };
}

TEST(VocabularyTest, SignaturesAreTheDbusOnes) {
  EXPECT_STREQ(dbus_signature(OptionType::kString), "s");
  EXPECT_STREQ(dbus_signature(OptionType::kUint32), "u");
  EXPECT_STREQ(dbus_signature(OptionType::kBool), "b");
  EXPECT_STREQ(dbus_signature(OptionType::kBytes), "ay");
  EXPECT_STREQ(dbus_signature(OptionType::kStringList), "as");
}

TEST(VocabularyTest, EveryContractKeyHasItsType) {
  for (const Kind& kind : kinds()) {
    for (const ContractKey& entry : contract_keys(kind.kind)) {
      const auto type = option_type(kind.kind, entry.key);
      ASSERT_TRUE(type.has_value()) << kind.name << " lacks " << entry.key;
      EXPECT_EQ(*type, entry.type) << kind.name << " " << entry.key;
    }
  }
}

TEST(VocabularyTest, NearMissesAndOtherKindsKeysAreUnknown) {
  for (const char* key : {"", "peer", "Peer ", " Peer", "PEER", "Sessions", "Peer\n", "Tunnel"}) {
    EXPECT_FALSE(option_type(ObjectKind::kTunnel, key).has_value()) << key;
  }
  EXPECT_FALSE(option_type(ObjectKind::kTunnel, "Pseudowire").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kTunnel, "Pseudowires").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kSession, "Peer").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kSession, "Secret").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kListener, "Peer").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kListener, "Mode").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kListener, "UdpChecksum").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kListener, "Pseudowire").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kListener, "IpsecRemoteId").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kTunnel, "IpsecRequired").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kSession, "IpsecPsk").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kTunnel, "Ipsec").has_value());
  EXPECT_FALSE(option_type(ObjectKind::kTunnel, "IpsecPSK").has_value());
}

TEST(VocabularyTest, BasesAreGood) {
  for (const Kind& kind : kinds()) {
    const ParseResult result = kind.parse(kind.base);
    EXPECT_TRUE(result.has_value()) << kind.name << ": " << result.error().to_string();
  }
}

TEST(VocabularyTest, UnknownKeysAreRefusedByName) {
  for (const Kind& kind : kinds()) {
    for (const char* key : {"Bogus", "peer", "Options", "PppOptions", "Plugin"}) {
      const ParseResult result = kind.parse(changed(kind.base, {key, s("x")}));
      ASSERT_FALSE(result.has_value()) << kind.name << " " << key;
      expect_refusal(result.error(), key, "unknown option");
    }
  }
}

TEST(VocabularyTest, EveryKeyRefusesEveryOtherType) {
  int checked = 0;
  for (const Kind& kind : kinds()) {
    for (const ContractKey& entry : contract_keys(kind.kind)) {
      for (const OptionValue& value : values_of_other_types(entry.type)) {
        const ParseResult result = kind.parse(changed(kind.base, {entry.key, value}));
        ASSERT_FALSE(result.has_value()) << kind.name << " " << entry.key << " " << value.index();
        expect_refusal(result.error(), entry.key,
                       std::string("expected type ") + dbus_signature(entry.type));
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, (30 + 21 + 34) * 4);
}

TEST(VocabularyTest, EveryStringKeyRefusesControlCharactersAndBrokenUtf8) {
  for (const Kind& kind : kinds()) {
    for (const ContractKey& entry : contract_keys(kind.kind)) {
      if (entry.type != OptionType::kString && entry.type != OptionType::kStringList) continue;
      for (const std::string& text : hostile_strings()) {
        const OptionValue value = entry.type == OptionType::kString ? s(text) : as({"ppp", text});
        const ParseResult result = kind.parse(changed(kind.base, {entry.key, value}));
        ASSERT_FALSE(result.has_value()) << kind.name << " " << entry.key;
        EXPECT_EQ(result.error().key, entry.key);
        const std::string& message = result.error().message;
        EXPECT_TRUE(message == "contains control characters" || message == "is not valid UTF-8")
            << entry.key << ": " << message;
      }
    }
  }
}

TEST(VocabularyTest, VocabularyIsCheckedBeforeMeaning) {
  // A missing Peer would be refused too, but the unknown key comes first: a
  // caller fixing one problem at a time is never sent in circles.
  const auto result = parse_tunnel_options({{"Bogus", u(1)}}, Defaults{});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().key, "Bogus");
}

TEST(VocabularyTest, TheFirstBadKeyInKeyOrderIsReported) {
  const OptionMap options{{"Peer", s("192.0.2.1")}, {"Zzz", u(1)}, {"Aaa", u(1)}};
  const auto result = parse_tunnel_options(options, Defaults{});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().key, "Aaa");
}

}  // namespace
}  // namespace l2tp::config
