// VICI messages from bytes and to bytes: the element encoding of strongSwan's
// vici README (types, 8-bit name lengths, 16-bit value lengths in network
// order), and everything a broken or hostile charon could send instead.
#include "vici/message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_bytes.h"

namespace l2tp::vici {
namespace {

using testing::Bytes;
using testing::bytes;

// mode = transport; child = { esp = [ aes, sha ]; local = { auth = psk } }
Section example() {
  Section root;
  root.add("mode", "transport");
  Section& child = root.add_section("child");
  child.add_list("esp", {"aes", "sha"});
  child.add_section("local").add("auth", "psk");
  return root;
}

const Bytes kExample = bytes({
    3, 4, 'm', 'o', 'd', 'e', 0,   9, 't', 'r', 'a', 'n', 's', 'p', 'o', 'r', 't',     //
    1, 5, 'c', 'h', 'i', 'l', 'd',                                                     //
    4, 3, 'e', 's', 'p', 5,   0,   3, 'a', 'e', 's', 5,   0,   3,   's', 'h', 'a', 6,  //
    1, 5, 'l', 'o', 'c', 'a', 'l',                                                     //
    3, 4, 'a', 'u', 't', 'h', 0,   3, 'p', 's', 'k',                                   //
    2,                                                                                 //
    2,
});

TEST(ViciMessage, EncodesEveryElementType) {
  const auto encoded = encode_message(example());
  ASSERT_TRUE(encoded.has_value()) << encoded.error().what;
  EXPECT_EQ(*encoded, kExample);
}

TEST(ViciMessage, DecodesWhatItEncodes) {
  const auto decoded = decode_message(kExample);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().what;
  EXPECT_EQ(*decoded, example());
  EXPECT_EQ(decoded->text("mode"), "transport");
  const Section* child = decoded->section("child");
  ASSERT_NE(child, nullptr);
  ASSERT_NE(child->list("esp"), nullptr);
  EXPECT_EQ(child->list("esp")->size(), 2u);
  EXPECT_EQ(child->section("local")->text("auth"), "psk");
  // A name of another kind is not found as this one.
  EXPECT_EQ(decoded->value("child"), nullptr);
  EXPECT_EQ(child->section("esp"), nullptr);
  EXPECT_EQ(decoded->text("absent"), "");
}

TEST(ViciMessage, EmptyMessagesAndListsAndBinaryValues) {
  EXPECT_EQ(encode_message(Section{}).value(), Bytes{});
  EXPECT_TRUE(decode_message(Bytes{}).value().empty());
  Section root;
  root.begin_list("none");
  root.add("secret", Blob{0, 0xff, 0, 'x'});
  const auto encoded = encode_message(root);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(*encoded, bytes({4,   4,   'n', 'o', 'n', 'e', 6, 3,    6, 's', 'e',
                             'c', 'r', 'e', 't', 0,   4,   0, 0xff, 0, 'x'}));
  EXPECT_EQ(decode_message(*encoded).value(), root);
}

TEST(ViciMessage, LongestNameAndValueFit) {
  Section root;
  root.add(std::string(255, 'n'), std::string(65535, 'v'));
  const auto encoded = encode_message(root);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(encoded->size(), 1 + 1 + 255 + 2 + 65535u);
  EXPECT_EQ(decode_message(*encoded).value(), root);
}

struct Malformed {
  const char* why;
  Bytes bytes;
};

class ViciMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(ViciMalformed, IsRefused) {
  const auto decoded = decode_message(GetParam().bytes);
  EXPECT_FALSE(decoded.has_value()) << GetParam().why;
}

INSTANTIATE_TEST_SUITE_P(
    Everything, ViciMalformed,
    ::testing::Values(
        Malformed{"unknown element type", bytes({7})}, Malformed{"element type 0", bytes({0})},
        Malformed{"truncated name length", bytes({3})},
        Malformed{"truncated name", bytes({3, 4, 'm', 'o'})},
        Malformed{"truncated value length", bytes({3, 1, 'k', 0})},
        Malformed{"truncated value", bytes({3, 1, 'k', 0, 3, 'a'})},
        Malformed{"empty name", bytes({3, 0, 0, 0})},
        Malformed{"name with a space", bytes({3, 2, 'a', ' ', 0, 0})},
        Malformed{"name with a control character", bytes({3, 2, 'a', '\n', 0, 0})},
        Malformed{"name not ASCII", bytes({3, 2, 'a', 0xc3, 0, 0})},
        Malformed{"section end without a section", bytes({2})},
        Malformed{"section not closed", bytes({1, 1, 's'})},
        Malformed{"list not closed", bytes({4, 1, 'l', 5, 0, 0})},
        Malformed{"item outside a list", bytes({5, 0, 0})},
        Malformed{"list end without a list", bytes({6})},
        Malformed{"key/value inside a list", bytes({4, 1, 'l', 3, 1, 'k', 0, 0, 6})},
        Malformed{"section inside a list", bytes({4, 1, 'l', 1, 1, 's', 2, 6})},
        Malformed{"section end inside a list", bytes({1, 1, 's', 4, 1, 'l', 2, 6, 2})},
        Malformed{"list inside a list", bytes({4, 1, 'l', 4, 1, 'm', 6, 6})},
        Malformed{"a key twice", bytes({3, 1, 'k', 0, 0, 3, 1, 'k', 0, 0})},
        Malformed{"a key and a list of one name", bytes({3, 1, 'k', 0, 0, 4, 1, 'k', 6})},
        Malformed{"a section and a key of one name", bytes({1, 1, 'k', 2, 3, 1, 'k', 0, 0})}));

Bytes nested(std::size_t depth) {
  Bytes out;
  for (std::size_t i = 0; i < depth; ++i) out.insert(out.end(), {1, 1, 's'});
  out.insert(out.end(), depth, 2);
  return out;
}

TEST(ViciMessage, NestingIsBounded) {
  EXPECT_TRUE(decode_message(nested(kMaxDepth)).has_value());
  EXPECT_FALSE(decode_message(nested(kMaxDepth + 1)).has_value());
  // A hostile depth is refused before it costs anything.
  EXPECT_FALSE(decode_message(nested(100000)).has_value());

  Section root;
  Section* innermost = &root;
  for (std::size_t i = 0; i <= kMaxDepth; ++i) innermost = &innermost->add_section("s");
  EXPECT_FALSE(encode_message(root).has_value());
}

TEST(ViciMessage, EncodingRefusesWhatCannotBeSent) {
  const auto refused = [](const Section& root) { return !encode_message(root).has_value(); };
  EXPECT_TRUE(refused(Section().add("", "v")));
  EXPECT_TRUE(refused(Section().add(std::string(256, 'n'), "v")));
  EXPECT_TRUE(refused(Section().add("two words", "v")));
  EXPECT_TRUE(refused(Section().add("caf\xc3\xa9", "v")));
  EXPECT_TRUE(refused(Section().add("k", std::string(65536, 'v'))));
  EXPECT_TRUE(refused(Section().add("k", "1").add("k", "2")));
  EXPECT_TRUE(refused(Section().add_list("l", {std::string(65536, 'v')})));
  Section unprintable;
  unprintable.add("a\x01", "v");
  const auto refusal = encode_message(unprintable);
  ASSERT_FALSE(refusal.has_value());
  EXPECT_NE(refusal.error().what.find("\\x01"), std::string::npos) << refusal.error().what;
}

}  // namespace
}  // namespace l2tp::vici
