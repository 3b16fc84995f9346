// pppd's exit codes and signals as the engine and a person see them.
#include "ppp/exit_status.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

namespace l2tp::ppp {
namespace {

TEST(ExitStatusTest, AuthenticationFailuresInBothDirections) {
  const auto ours = describe_exit(CLD_EXITED, 19, "CHAP authentication failed: Access denied",
                                  "Connection terminated");
  EXPECT_TRUE(ours.authentication_failed);
  EXPECT_EQ(ours.exit_status, 19);
  EXPECT_EQ(ours.message,
            "the peer refused our credentials (CHAP authentication failed: Access denied)");

  const auto theirs = describe_exit(CLD_EXITED, 11, "", "");
  EXPECT_TRUE(theirs.authentication_failed);
  EXPECT_EQ(theirs.message, "the peer failed to authenticate");
}

TEST(ExitStatusTest, OtherEndsAreNotAuthenticationFailures) {
  for (int status : {0, 1, 2, 4, 5, 10, 15, 16, 18, 20}) {
    EXPECT_FALSE(describe_exit(CLD_EXITED, status, "x", "y").authentication_failed) << status;
  }
  EXPECT_EQ(describe_exit(CLD_EXITED, 16, "", "Modem hangup").message,
            "the link went down (peer hung up)");
  EXPECT_EQ(describe_exit(CLD_EXITED, 1, "", "Couldn't open the /dev/ppp device").message,
            "fatal error (Couldn't open the /dev/ppp device)");
  EXPECT_EQ(describe_exit(CLD_EXITED, 15, "", "").message,
            "the peer stopped answering LCP echo requests");
  EXPECT_EQ(describe_exit(CLD_EXITED, 77, "", "").message, "exit status 77");
}

TEST(ExitStatusTest, Signals) {
  const auto killed = describe_exit(CLD_KILLED, SIGKILL, "", "");
  EXPECT_EQ(killed.exit_status, 128 + SIGKILL);
  EXPECT_FALSE(killed.authentication_failed);
  EXPECT_EQ(killed.message, "pppd was killed by signal SIGKILL");
  EXPECT_EQ(describe_exit(CLD_DUMPED, SIGSEGV, "", "").message,
            "pppd was killed by signal SIGSEGV");
}

}  // namespace
}  // namespace l2tp::ppp
