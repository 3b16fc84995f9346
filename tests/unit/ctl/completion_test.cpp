#include "lib/completion.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace l2tp::ctl {
namespace {

using Words = std::vector<std::string>;

LiveNames names() {
  return LiveNames{{"4711", "4711/9422", "listener/1", "office"}, {"4711", "office"}, {"office"}};
}

Words complete_line(const Words& words, int* asked = nullptr) {
  return complete(words, [asked] {
    if (asked) ++*asked;
    return names();
  });
}

bool has(const Words& words, const std::string& word) {
  return std::ranges::find(words, word) != words.end();
}

TEST(Completion, VerbsFirst) {
  EXPECT_EQ(complete_line({"st"}), (Words{"status"}));
  const Words all = complete_line({""});
  EXPECT_TRUE(has(all, "monitor"));
  EXPECT_TRUE(has(all, "reload"));
  EXPECT_FALSE(has(all, "__complete"));
  EXPECT_EQ(complete_line({"--json", "li"}), (Words{"list", "listen"}));
}

TEST(Completion, OptionsAndTheirValues) {
  EXPECT_TRUE(has(complete_line({"--no"}), "--no-legend"));
  EXPECT_EQ(complete_line({"--color=n"}), (Words{"--color=never"}));
  EXPECT_EQ(complete_line({"status", "--json=s"}), (Words{"--json=short"}));
}

TEST(Completion, KeysAndEnumeratedValues) {
  EXPECT_EQ(complete_line({"tunnel", "add", "Mo"}), (Words{"Mode="}));
  EXPECT_EQ(complete_line({"tunnel", "add", "mode="}),
            (Words{"mode=dynamic", "mode=quiescent", "mode=static"}));
  EXPECT_EQ(complete_line({"tunnel", "add", "HideAvps=t"}), (Words{"HideAvps=true"}));
  EXPECT_TRUE(has(complete_line({"listen", "Ppp"}), "PppAddressPool="));
  EXPECT_TRUE(has(complete_line({"tunnel", "add", "Ipsec"}), "IpsecPsk="));
  EXPECT_EQ(complete_line({"session", "add", "4711", "Pseudowire="}),
            (Words{"Pseudowire=ppp", "Pseudowire=eth"}));
  EXPECT_TRUE(complete_line({"tunnel", "add", "Peer="}).empty());
}

TEST(Completion, ObjectNamesComeFromTheDaemonOnlyWhereTheyBelong) {
  int asked = 0;
  EXPECT_EQ(complete_line({"close", "4711/"}, &asked), (Words{"4711/9422"}));
  EXPECT_EQ(complete_line({"status", "l"}, &asked), (Words{"listener/1"}));
  EXPECT_EQ(complete_line({"up", ""}, &asked), (Words{"office"}));
  EXPECT_EQ(complete_line({"session", "add", "o"}, &asked), (Words{"office"}));
  EXPECT_EQ(asked, 4);
  EXPECT_EQ(complete_line({"list", "s"}, &asked), (Words{"sessions"}));
  EXPECT_EQ(complete_line({"tunnel", "a"}, &asked), (Words{"add"}));
  EXPECT_EQ(asked, 4);
}

}  // namespace
}  // namespace l2tp::ctl
