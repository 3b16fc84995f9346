// The refusal log's budget: one line a second for each kind of refusal, the
// count of those left out told with the next line of that kind.
#include "fsm/admission.h"

#include <gtest/gtest.h>

namespace l2tp::fsm {
namespace {

using namespace std::chrono_literals;

TEST(RefusalLogTest, OneLineASecondPerKindWithTheCountLeftOut) {
  RefusalLog log;
  const TimePoint t0{};
  EXPECT_EQ(log.admit(RefusalKind::kHalfOpenPerPeer, t0), 0u);
  for (int i = 0; i < 436; ++i) EXPECT_FALSE(log.admit(RefusalKind::kHalfOpenPerPeer, t0 + 1ms));
  // Another kind has its own budget.
  EXPECT_EQ(log.admit(RefusalKind::kCallRate, t0 + 2ms), 0u);
  EXPECT_FALSE(log.admit(RefusalKind::kHalfOpenPerPeer, t0 + 999ms));
  EXPECT_EQ(log.admit(RefusalKind::kHalfOpenPerPeer, t0 + 1s), 437u);
  EXPECT_FALSE(log.admit(RefusalKind::kHalfOpenPerPeer, t0 + 1500ms));
  EXPECT_EQ(log.admit(RefusalKind::kHalfOpenPerPeer, t0 + 10s), 1u);
  EXPECT_EQ(log.admit(RefusalKind::kCallRate, t0 + 10s), 0u);
}

}  // namespace
}  // namespace l2tp::fsm
