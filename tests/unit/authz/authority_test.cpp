// The polkit client against a polkit double on a private bus: the verdicts,
// the subject and flags polkit receives, and how it fails when polkit is
// missing, broken or silent.
#include "authz/authority.h"

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "bus_harness.h"

namespace l2tp::authz {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::pump_until;

constexpr const char* kPolkitName = "org.freedesktop.PolicyKit1";
constexpr const char* kPolkitPath = "/org/freedesktop/PolicyKit1/Authority";
constexpr const char* kControl = "org.l2tpbus1.Test.PolkitDouble";
constexpr const char* kSender = ":1.4711";
// Generous: the machine is shared and Python is slow to start.
constexpr milliseconds kPatience = seconds(20);

struct ReceivedCheck {
  std::string subject_kind;
  std::string subject_name;
  std::string action_id;
  std::uint32_t flags = 0;
  std::string cancellation_id;
};

// tests/support/polkit_double.py on `bus`, steered over its own connection.
class PolkitDouble {
 public:
  explicit PolkitDouble(const test::PrivateBus& bus)
      : process_({test::kDebianPython, L2TP_POLKIT_DOUBLE, "--address", bus.address()}, {}),
        control_connection_(bus.connect()) {
    if (process_.read_line(kPatience) != "ready") {
      throw std::runtime_error("the polkit double did not start");
    }
    control_ = sdbus::createProxy(*control_connection_, kPolkitName, kPolkitPath);
  }

  void set_mode(const std::string& action_id, const std::string& mode) {
    control_->callMethod("SetMode").onInterface(kControl).withArguments(action_id, mode);
  }
  void set_default_mode(const std::string& mode) {
    control_->callMethod("SetDefaultMode").onInterface(kControl).withArguments(mode);
  }
  void reset() { control_->callMethod("Reset").onInterface(kControl); }
  std::uint32_t hanging_count() {
    std::uint32_t count = 0;
    control_->callMethod("HangingCount").onInterface(kControl).storeResultsTo(count);
    return count;
  }
  std::uint32_t release_hanging(const std::string& mode) {
    std::uint32_t count = 0;
    control_->callMethod("ReleaseHanging")
        .onInterface(kControl)
        .withArguments(mode)
        .storeResultsTo(count);
    return count;
  }
  std::vector<std::string> cancellations() {
    std::vector<std::string> ids;
    control_->callMethod("GetCancellations").onInterface(kControl).storeResultsTo(ids);
    return ids;
  }
  std::vector<ReceivedCheck> calls() {
    std::vector<sdbus::Struct<std::string, std::string, std::string, std::uint32_t, std::string>>
        raw;
    control_->callMethod("GetCalls").onInterface(kControl).storeResultsTo(raw);
    std::vector<ReceivedCheck> received;
    for (const auto& call : raw) {
      received.push_back({std::get<0>(call), std::get<1>(call), std::get<2>(call),
                          std::get<3>(call), std::get<4>(call)});
    }
    return received;
  }

 private:
  test::ChildProcess process_;
  std::unique_ptr<sdbus::IConnection> control_connection_;
  std::unique_ptr<sdbus::IProxy> control_;
};

// Collects verdicts and proves none arrives from inside check().
class Checker {
 public:
  Checker(sdbus::IConnection& connection, Authority& authority)
      : connection_(connection), authority_(authority) {}

  // Returns a slot that fills when the verdict arrives.
  std::shared_ptr<std::optional<Verdict>> start(const std::string& action_id,
                                                bool allow_interaction,
                                                const std::string& sender = kSender) {
    auto verdict = std::make_shared<std::optional<Verdict>>();
    inside_check_ = true;
    authority_.check(sender, action_id, allow_interaction, [this, verdict](Verdict v) {
      EXPECT_FALSE(inside_check_) << "callback ran from inside check()";
      *verdict = std::move(v);
    });
    inside_check_ = false;
    EXPECT_FALSE(verdict->has_value());
    return verdict;
  }

  std::optional<Verdict> run(const std::string& action_id, bool allow_interaction,
                             const std::string& sender = kSender) {
    auto verdict = start(action_id, allow_interaction, sender);
    pump_until(
        connection_, [&] { return verdict->has_value(); }, kPatience);
    return *verdict;
  }

 private:
  sdbus::IConnection& connection_;
  Authority& authority_;
  bool inside_check_ = false;
};

class AuthorityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bus_ = new test::PrivateBus();
    polkit_ = new PolkitDouble(*bus_);
  }
  static void TearDownTestSuite() {
    delete polkit_;
    delete bus_;
  }
  void SetUp() override {
    polkit_->reset();
    polkit_->release_hanging("deny");
    connection_ = bus_->connect();
    authority_ = Authority::create(*connection_);
    checker_ = std::make_unique<Checker>(*connection_, *authority_);
  }

  static test::PrivateBus* bus_;
  static PolkitDouble* polkit_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<Authority> authority_;
  std::unique_ptr<Checker> checker_;
};

test::PrivateBus* AuthorityTest::bus_ = nullptr;
PolkitDouble* AuthorityTest::polkit_ = nullptr;

TEST_F(AuthorityTest, AllowedActionIsAllowed) {
  polkit_->set_mode(kActionCreateTunnel, "allow");
  auto verdict = checker_->run(kActionCreateTunnel, false);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->decision, Decision::kAllowed);
}

TEST_F(AuthorityTest, DeniedActionIsDenied) {
  polkit_->set_mode(kActionCreateTunnel, "allow");
  polkit_->set_mode(kActionListen, "deny");
  auto verdict = checker_->run(kActionListen, true);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->decision, Decision::kDenied);
}

TEST_F(AuthorityTest, SubjectIsTheSenderAsSystemBusName) {
  polkit_->set_default_mode("allow");
  ASSERT_TRUE(checker_->run(kActionManageTunnels, false, ":1.99"));
  const std::vector<ReceivedCheck> calls = polkit_->calls();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].subject_kind, "system-bus-name");
  EXPECT_EQ(calls[0].subject_name, ":1.99");
  EXPECT_EQ(calls[0].action_id, kActionManageTunnels);
  EXPECT_EQ(calls[0].flags, 0U);
  EXPECT_FALSE(calls[0].cancellation_id.empty());
}

TEST_F(AuthorityTest, EachCheckHasItsOwnCancellationId) {
  polkit_->set_default_mode("allow");
  ASSERT_TRUE(checker_->run(kActionManageTunnels, false));
  ASSERT_TRUE(checker_->run(kActionManageTunnels, false));
  const std::vector<ReceivedCheck> calls = polkit_->calls();
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_NE(calls[0].cancellation_id, calls[1].cancellation_id);
}

TEST_F(AuthorityTest, CancelledCheckIsDroppedAtPolkitAndNeverAnswered) {
  polkit_->set_mode(kActionListen, "hang");
  polkit_->set_mode(kActionCreateTunnel, "allow");
  bool called = false;
  const CheckId id =
      authority_->check(kSender, kActionListen, true, [&](Verdict) { called = true; });
  ASSERT_TRUE(pump_until(
      *connection_, [&] { return polkit_->hanging_count() == 1; }, kPatience));
  authority_->cancel(id);
  ASSERT_TRUE(pump_until(
      *connection_, [&] { return polkit_->hanging_count() == 0; }, kPatience));
  const std::vector<std::string> cancelled = polkit_->cancellations();
  ASSERT_EQ(cancelled.size(), 1U);
  EXPECT_EQ(cancelled[0], polkit_->calls().at(0).cancellation_id);
  // Others go on being answered; the cancelled one never is.
  auto verdict = checker_->run(kActionCreateTunnel, false);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->decision, Decision::kAllowed);
  EXPECT_FALSE(called);
  authority_->cancel(id);  // again, and an id never given: both ignored
  authority_->cancel(id + 1000);
  EXPECT_EQ(polkit_->cancellations().size(), 1U);
}

TEST_F(AuthorityTest, ChallengeWithoutInteractionNeedsInteraction) {
  polkit_->set_mode(kActionCreateTunnel, "challenge");
  auto verdict = checker_->run(kActionCreateTunnel, false);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->decision, Decision::kInteractionRequired);
  const std::vector<ReceivedCheck> calls = polkit_->calls();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].flags, 0U);
}

TEST_F(AuthorityTest, ChallengeWithInteractionPassesTheFlagAndIsAllowed) {
  polkit_->set_mode(kActionCreateTunnel, "challenge");
  auto verdict = checker_->run(kActionCreateTunnel, true);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->decision, Decision::kAllowed);
  const std::vector<ReceivedCheck> calls = polkit_->calls();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].flags, 1U);  // AllowUserInteraction
}

TEST_F(AuthorityTest, DismissedAuthenticationIsDenied) {
  polkit_->set_mode(kActionCreateTunnel, "challenge-refused");
  auto verdict = checker_->run(kActionCreateTunnel, true);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->decision, Decision::kDenied);
}

TEST_F(AuthorityTest, PolkitErrorFailsNamingPolkitAndTheError) {
  polkit_->set_mode(kActionListen, "error");
  auto verdict = checker_->run(kActionListen, false);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->decision, Decision::kFailed);
  EXPECT_NE(verdict->message.find("polkit"), std::string::npos) << verdict->message;
  EXPECT_NE(verdict->message.find("org.freedesktop.PolicyKit1.Error.Failed"), std::string::npos)
      << verdict->message;
}

TEST_F(AuthorityTest, MalformedAnswerFails) {
  polkit_->set_mode(kActionListen, "malformed");
  auto verdict = checker_->run(kActionListen, false);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->decision, Decision::kFailed);
  EXPECT_NE(verdict->message.find("polkit"), std::string::npos) << verdict->message;
}

TEST_F(AuthorityTest, UnsendableCheckFailsFromTheBusNotFromInsideCheck) {
  // The bus refuses a string that is not UTF-8, so the call is never sent.
  auto verdict = checker_->run(kActionListen, false, "\xff\xfe");
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->decision, Decision::kFailed);
  EXPECT_NE(verdict->message.find("polkit"), std::string::npos) << verdict->message;
  EXPECT_TRUE(polkit_->calls().empty());
}

TEST_F(AuthorityTest, ManyChecksAtOnceEachGetTheirOwnVerdict) {
  polkit_->set_mode(kActionCreateTunnel, "allow");
  polkit_->set_mode(kActionListen, "deny");
  polkit_->set_mode(kActionManageTunnels, "challenge");
  std::vector<std::pair<Decision, std::shared_ptr<std::optional<Verdict>>>> started;
  for (int i = 0; i < 30; ++i) {
    started.emplace_back(Decision::kAllowed, checker_->start(kActionCreateTunnel, false));
    started.emplace_back(Decision::kDenied, checker_->start(kActionListen, false));
    started.emplace_back(Decision::kInteractionRequired,
                         checker_->start(kActionManageTunnels, false));
  }
  auto all_answered = [&] {
    return std::all_of(started.begin(), started.end(),
                       [](const auto& entry) { return entry.second->has_value(); });
  };
  ASSERT_TRUE(pump_until(*connection_, all_answered, kPatience));
  for (const auto& [expected, verdict] : started) EXPECT_EQ((*verdict)->decision, expected);
}

TEST_F(AuthorityTest, HangingPolkitFailsOnlyAfterTheTimeoutAndStallsNothingElse) {
  constexpr milliseconds kTimeout(1500);
  authority_ =
      Authority::create(*connection_, {.interactive = kTimeout, .non_interactive = kTimeout});
  checker_ = std::make_unique<Checker>(*connection_, *authority_);
  polkit_->set_mode(kActionListen, "hang");
  polkit_->set_mode(kActionCreateTunnel, "allow");

  const auto started_at = std::chrono::steady_clock::now();
  auto hanging = checker_->start(kActionListen, false);
  auto quick = checker_->start(kActionCreateTunnel, false);
  ASSERT_TRUE(pump_until(
      *connection_, [&] { return quick->has_value(); }, kPatience));
  EXPECT_EQ((*quick)->decision, Decision::kAllowed);
  EXPECT_FALSE(hanging->has_value());

  ASSERT_TRUE(pump_until(
      *connection_, [&] { return hanging->has_value(); }, kPatience));
  const auto waited = std::chrono::steady_clock::now() - started_at;
  EXPECT_GE(waited, kTimeout - milliseconds(50));
  EXPECT_EQ((*hanging)->decision, Decision::kFailed);
  EXPECT_NE((*hanging)->message.find("polkit"), std::string::npos) << (*hanging)->message;
  EXPECT_EQ(polkit_->hanging_count(), 1U);
}

TEST_F(AuthorityTest, ChecksWithoutInteractionGiveUpSoonerThanInteractiveOnes) {
  constexpr milliseconds kQuick(1000);
  authority_ =
      Authority::create(*connection_, {.interactive = seconds(60), .non_interactive = kQuick});
  checker_ = std::make_unique<Checker>(*connection_, *authority_);
  polkit_->set_mode(kActionListen, "hang");
  const auto started_at = std::chrono::steady_clock::now();
  auto interactive = checker_->start(kActionListen, true);
  auto quick = checker_->start(kActionListen, false);
  ASSERT_TRUE(pump_until(
      *connection_, [&] { return quick->has_value(); }, kPatience));
  EXPECT_GE(std::chrono::steady_clock::now() - started_at, kQuick - milliseconds(50));
  EXPECT_EQ((*quick)->decision, Decision::kFailed);
  test::pump_for(*connection_, milliseconds(500));
  EXPECT_FALSE(interactive->has_value());
}

TEST_F(AuthorityTest, DestroyedAuthorityNeverCallsBack) {
  polkit_->set_mode(kActionListen, "hang");
  bool called = false;
  authority_->check(kSender, kActionListen, false, [&](Verdict) { called = true; });
  ASSERT_TRUE(pump_until(
      *connection_, [&] { return polkit_->hanging_count() == 1; }, kPatience));
  authority_.reset();
  EXPECT_EQ(polkit_->release_hanging("allow"), 1U);
  test::pump_for(*connection_, milliseconds(300));
  EXPECT_FALSE(called);
}

TEST(AuthorityWithoutPolkitTest, MissingPolkitFailsFast) {
  test::PrivateBus bus;
  auto connection = bus.connect();
  auto authority = Authority::create(*connection);
  Checker checker(*connection, *authority);
  const auto started_at = std::chrono::steady_clock::now();
  auto verdict = checker.run(kActionCreateTunnel, true);
  ASSERT_TRUE(verdict);
  EXPECT_LT(std::chrono::steady_clock::now() - started_at, seconds(5));
  EXPECT_EQ(verdict->decision, Decision::kFailed);
  EXPECT_NE(verdict->message.find("polkit"), std::string::npos) << verdict->message;
  EXPECT_NE(verdict->message.find("org.freedesktop.DBus.Error.ServiceUnknown"), std::string::npos)
      << verdict->message;
}

// The same client against python3-dbusmock's own polkitd template, a double
// written by others from polkit's interface.
TEST(AuthorityWithDbusmockTest, AgreesWithTheStockPolkitdTemplate) {
  test::PrivateBus bus;
  test::ChildProcess mock(
      {test::kDebianPython, "-m", "dbusmock", "--system", "--template", "polkitd"},
      {"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()});
  auto control_connection = bus.connect();
  ASSERT_TRUE(test::wait_for_name(*control_connection, kPolkitName, kPatience));
  auto control = sdbus::createProxy(*control_connection, kPolkitName, kPolkitPath);
  control->callMethod("SetAllowed")
      .onInterface("org.freedesktop.DBus.Mock")
      .withArguments(std::vector<std::string>{kActionCreateTunnel});

  auto connection = bus.connect();
  auto authority = Authority::create(*connection);
  Checker checker(*connection, *authority);
  auto allowed = checker.run(kActionCreateTunnel, false);
  auto denied = checker.run(kActionListen, false);
  ASSERT_TRUE(allowed);
  ASSERT_TRUE(denied);
  EXPECT_EQ(allowed->decision, Decision::kAllowed);
  EXPECT_EQ(denied->decision, Decision::kDenied);
}

}  // namespace
}  // namespace l2tp::authz
