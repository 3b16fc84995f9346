// The record of static kernel objects: its text form and the atomic file.
#include "kernel/state_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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

// A fresh state directory (0700, ours) under /tmp, removed with everything
// in it.
class StateDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/l2tpbus-state-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    directory_ = name;
    path_ = directory_ + "/static-tunnels";
    record_.tunnels = {9};
    record_.sessions = {{9, 3}};
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  static std::string contents(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string directory_;
  std::string path_;
  StaticRecord record_;
};

TEST_F(StateDirectoryTest, RefusesADirectoryOfAnotherOwner) {
  // Another expected owner stands for a directory chowned away, also when
  // the test cannot chown.
  auto written = write_static_record(path_, record_, geteuid() + 1);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().find(directory_ + ": owned by uid"), std::string::npos)
      << written.error();
  EXPECT_FALSE(read_static_record(path_, geteuid() + 1));
  EXPECT_NE(access(path_.c_str(), F_OK), 0);

  if (geteuid() != 0) GTEST_SKIP() << "chown needs root";
  ASSERT_EQ(chown(directory_.c_str(), 4242, 4242), 0);
  written = write_static_record(path_, record_);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().find("owned by uid 4242, not 0; refused"), std::string::npos)
      << written.error();
  EXPECT_FALSE(read_static_record(path_));
  EXPECT_NE(access(path_.c_str(), F_OK), 0);
  EXPECT_TRUE(write_static_record(path_, record_, 4242));
}

TEST_F(StateDirectoryTest, RefusesAGroupOrWorldWritableDirectory) {
  for (mode_t mode : {0770, 0707, 0777, 01777}) {
    ASSERT_EQ(chmod(directory_.c_str(), mode), 0);
    auto written = write_static_record(path_, record_);
    ASSERT_FALSE(written) << std::oct << mode;
    EXPECT_EQ(written.error(), directory_ + ": writable by group or others; refused");
    EXPECT_FALSE(read_static_record(path_));
    EXPECT_NE(access(path_.c_str(), F_OK), 0);
  }
  ASSERT_EQ(chmod(directory_.c_str(), 0755), 0);
  EXPECT_TRUE(write_static_record(path_, record_));
}

TEST_F(StateDirectoryTest, RefusesASymbolicLinkAsTheDirectory) {
  const std::string link = directory_ + "/link";
  const std::string real = directory_ + "/real";
  ASSERT_EQ(mkdir(real.c_str(), 0700), 0);
  ASSERT_EQ(symlink(real.c_str(), link.c_str()), 0);
  auto written = write_static_record(link + "/static-tunnels", record_);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().find("not a directory"), std::string::npos) << written.error();
  EXPECT_FALSE(std::filesystem::exists(real + "/static-tunnels"));
}

TEST_F(StateDirectoryTest, NeverWritesThroughALinkPlantedAtTheTemporaryName) {
  const std::string victim = directory_ + "/victim";
  std::ofstream(victim) << "precious\n";
  ASSERT_EQ(symlink(victim.c_str(), (path_ + ".new").c_str()), 0);
  ASSERT_TRUE(write_static_record(path_, record_));
  EXPECT_EQ(contents(victim), "precious\n");
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(path_)));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path_ + ".new")));
  auto read = read_static_record(path_);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(*read, record_);
}

TEST_F(StateDirectoryTest, NeverReadsThroughALinkAtTheRecord) {
  const std::string elsewhere = directory_ + "/elsewhere";
  std::ofstream(elsewhere) << "tunnel 77\n";
  ASSERT_EQ(symlink(elsewhere.c_str(), path_.c_str()), 0);
  EXPECT_FALSE(read_static_record(path_));
}

TEST_F(StateDirectoryTest, ReplacesTheRecordWithAPrivateFile) {
  std::ofstream(path_) << "tunnel 1\n";
  ASSERT_TRUE(write_static_record(path_, record_));
  struct stat status {};
  ASSERT_EQ(stat(path_.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0600);
  EXPECT_EQ(contents(path_), format_static_record(record_));
}

}  // namespace
}  // namespace l2tp::kernel
