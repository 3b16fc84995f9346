// The record of static kernel objects: its text form and the atomic file.
#include "kernel/state_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

namespace l2tp::kernel {
namespace {

TEST(StateFileTest, RoundTrips) {
  StaticRecord record;
  record.tunnels = {5, 4000000000u};
  record.sessions = {{5, 1}, {5, 2}};
  const std::string text = format_static_record(record);
  EXPECT_EQ(text,
            "# l2tpbusd: kernel objects of static tunnels it created\n"
            "tunnel 5\ntunnel 4000000000\nsession 5 1\nsession 5 2\n");
  auto parsed = parse_static_record(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, record);
}

TEST(StateFileTest, RefusesWhatItDidNotWrite) {
  EXPECT_FALSE(parse_static_record("tunnel\n"));
  EXPECT_FALSE(parse_static_record("tunnel 5 6\n"));
  EXPECT_FALSE(parse_static_record("tunnel -1\n"));
  EXPECT_FALSE(parse_static_record("tunnel 99999999999\n"));
  EXPECT_FALSE(parse_static_record("session 5\n"));
  EXPECT_FALSE(parse_static_record("listener 1\n"));
  auto error = parse_static_record("tunnel 1\n\n  # fine\nbogus\n");
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error(), "line 4: not understood");
  EXPECT_TRUE(parse_static_record("  tunnel 7  # comment\n"));
}

TEST(StateFileTest, WritesAtomicallyAndReadsBack) {
  char directory[] = "/tmp/l2tpbus-state-XXXXXX";
  ASSERT_NE(mkdtemp(directory), nullptr);
  const std::string path = std::string(directory) + "/sub/kernel-objects";
  auto missing = read_static_record(path);
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->tunnels.empty());

  StaticRecord record;
  record.tunnels = {9};
  record.sessions = {{9, 3}};
  ASSERT_TRUE(write_static_record(path, record));
  EXPECT_NE(access((path + ".new").c_str(), F_OK), 0);
  auto read = read_static_record(path);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(*read, record);

  std::ofstream(path) << "garbage\n";
  EXPECT_FALSE(read_static_record(path));
  unlink(path.c_str());
  rmdir((std::string(directory) + "/sub").c_str());
  rmdir(directory);
}

}  // namespace
}  // namespace l2tp::kernel
