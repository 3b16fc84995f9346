// to_option_map() against what any a{sv} may carry: keys the vocabulary has
// never heard of, as a hostile client would send them.
#include "dbus/option_dictionary.h"

#include <gtest/gtest.h>

#include <string>

namespace l2tp::dbus {
namespace {

std::string error_for_key(const std::string& key) {
  const auto map = to_option_map(config::ObjectKind::kSession, {{key, sdbus::Variant(true)}});
  EXPECT_FALSE(map.has_value());
  return map ? std::string() : map.error().to_string();
}

// Found by fuzz-options: the reply (and the daemon's log line) named an
// unknown key exactly as sent, so an empty key gave ": unknown option", and a
// key with a newline or of megabytes went into the reply as it was.
TEST(OptionDictionary, NamesAnUnknownKeyReadablyWhateverItHolds) {
  EXPECT_EQ(error_for_key("Bogus"), "Bogus: unknown option");
  EXPECT_EQ(error_for_key(""), "\"\": unknown option");
  EXPECT_EQ(error_for_key("Peer\nPassword=x"), "\"Peer\\x0aPassword=x\": unknown option");
  const std::string huge = error_for_key(std::string(1 << 20, 'K'));
  EXPECT_LT(huge.size(), 200u);
  EXPECT_EQ(huge, "\"" + std::string(64, 'K') + "...\" (1048576 bytes): unknown option");
}

}  // namespace
}  // namespace l2tp::dbus
