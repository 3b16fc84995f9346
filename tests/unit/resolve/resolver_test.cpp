// The c-ares resolver on the sd-event loop, against a DNS server the test
// owns on 127.0.0.1 (no query leaves the machine): numeric addresses,
// /etc/hosts, DNS answers, NXDOMAIN, silence, cancellation and load.
#include "resolve/resolver.h"

#include <gtest/gtest.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "fake_dns_server.h"
#include "loop/event_loop.h"

namespace l2tp::resolve {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Outcome = std::expected<std::vector<Endpoint>, ResolveError>;

constexpr std::uint16_t kPort = 1701;
constexpr milliseconds kPatience = seconds(20);

const std::array<std::uint8_t, 16> kVpnIpv6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                               0,    0,    0,    0,    0, 0, 0, 7};

struct Answer {
  std::optional<Outcome> outcome;
  int calls = 0;
};

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = loop::EventLoop::create();
    ASSERT_TRUE(loop);
    loop_ = std::move(*loop);
    server_ = std::make_unique<test::FakeDnsServer>(*loop_);
    // Added in this order so that DNS gives IPv6 first where it can.
    server_->add_ipv6("vpn.test", kVpnIpv6);
    server_->add_ipv4("vpn.test", {192, 0, 2, 7});
    server_->add_ipv4("vpn.test", {192, 0, 2, 8});
    server_->add_ipv4("v4only.test", {198, 51, 100, 1});
    resolver_ = make_resolver(seconds(2), 2);
  }

  std::unique_ptr<Resolver> make_resolver(milliseconds attempt_timeout, int tries) {
    ResolverOptions options;
    options.servers = server_->address();
    options.attempt_timeout = attempt_timeout;
    options.tries = tries;
    auto resolver = Resolver::create(*loop_, options);
    EXPECT_TRUE(resolver) << resolver.error().message;
    return std::move(*resolver);
  }

  // Starts a request and proves its callback does not run from inside resolve().
  std::shared_ptr<Answer> start(const std::string& host, AddressFamily family,
                                std::unique_ptr<ResolveRequest>& request) {
    auto answer = std::make_shared<Answer>();
    inside_resolve_ = true;
    request = resolver_->resolve(host, kPort, family, [this, answer](Outcome outcome) {
      EXPECT_FALSE(inside_resolve_) << "callback ran from inside resolve()";
      answer->outcome = std::move(outcome);
      ++answer->calls;
    });
    inside_resolve_ = false;
    EXPECT_EQ(answer->calls, 0);
    return answer;
  }

  Outcome resolve(const std::string& host, AddressFamily family = AddressFamily::kAny) {
    std::unique_ptr<ResolveRequest> request;
    auto answer = start(host, family, request);
    EXPECT_TRUE(run_until([&] { return answer->calls > 0; }, kPatience)) << host;
    EXPECT_EQ(answer->calls, 1);
    if (!answer->outcome) return std::unexpected(ResolveError{"no answer"});
    return *answer->outcome;
  }

  // Runs the loop until `done()` holds or `timeout` passes. One iteration at
  // a time: EventLoop::run() ends for good once exit() was called.
  bool run_until(const std::function<bool()>& done, milliseconds timeout) {
    const TimePoint deadline = loop_->now() + timeout;
    while (!done() && loop_->now() < deadline) {
      constexpr std::uint64_t kSliceUsec = 5000;
      if (sd_event_run(loop_->raw(), kSliceUsec) < 0) break;
    }
    return done();
  }

  void run_for(milliseconds duration) {
    run_until([] { return false; }, duration);
  }

  std::unique_ptr<loop::EventLoop> loop_;
  std::unique_ptr<test::FakeDnsServer> server_;
  std::unique_ptr<Resolver> resolver_;
  bool inside_resolve_ = false;
};

std::vector<std::string> texts(const std::vector<Endpoint>& endpoints) {
  std::vector<std::string> result;
  for (const Endpoint& e : endpoints) result.push_back(e.to_string());
  return result;
}

TEST_F(ResolverTest, NumericIpv4AnswersWithoutAQuery) {
  Outcome outcome = resolve("192.0.2.1");
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(texts(*outcome), std::vector<std::string>{"192.0.2.1:1701"});
  EXPECT_TRUE(server_->questions().empty());
}

TEST_F(ResolverTest, NumericIpv6PlainAndBracketed) {
  Outcome plain = resolve("2001:db8::1", AddressFamily::kIpv6);
  Outcome bracketed = resolve("[2001:db8::2]");
  ASSERT_TRUE(plain) << plain.error().message;
  ASSERT_TRUE(bracketed) << bracketed.error().message;
  EXPECT_EQ(texts(*plain), std::vector<std::string>{"[2001:db8::1]:1701"});
  EXPECT_EQ(texts(*bracketed), std::vector<std::string>{"[2001:db8::2]:1701"});
  EXPECT_TRUE(server_->questions().empty());
}

TEST_F(ResolverTest, NumericAddressOfTheWrongFamilyOrMalformedIsRefusedWithoutAQuery) {
  EXPECT_FALSE(resolve("192.0.2.1", AddressFamily::kIpv6));
  EXPECT_FALSE(resolve("2001:db8::1", AddressFamily::kIpv4));
  Outcome out_of_range = resolve("192.0.2.256");
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().message.find("192.0.2.256"), std::string::npos);
  EXPECT_FALSE(resolve("[192.0.2.1]"));
  EXPECT_FALSE(resolve("2001:db8::1::2"));
  EXPECT_TRUE(server_->questions().empty());
}

TEST_F(ResolverTest, InvalidNamesAreRefusedWithoutAQuery) {
  EXPECT_FALSE(resolve(""));
  EXPECT_FALSE(resolve("vpn example.test"));
  EXPECT_FALSE(resolve("vpn.test\nsecond-line"));
  EXPECT_FALSE(resolve(std::string("vpn.test\0.evil", 14)));
  EXPECT_FALSE(resolve(std::string(300, 'a')));
  EXPECT_TRUE(server_->questions().empty());
}

TEST_F(ResolverTest, LocalhostComesFromTheHostsFileBeforeDns) {
  Outcome outcome = resolve("localhost", AddressFamily::kIpv4);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(texts(*outcome), std::vector<std::string>{"127.0.0.1:1701"});

  Outcome any = resolve("localhost");
  ASSERT_TRUE(any) << any.error().message;
  ASSERT_FALSE(any->empty());
  EXPECT_EQ(any->front().to_string(), "127.0.0.1:1701");
  EXPECT_TRUE(server_->questions().empty());
}

TEST_F(ResolverTest, DnsAnswersCarryThePortAndPutIpv4First) {
  Outcome outcome = resolve("vpn.test");
  ASSERT_TRUE(outcome) << outcome.error().message;
  ASSERT_EQ(outcome->size(), 3U);
  EXPECT_EQ((*outcome)[0].family, Endpoint::Family::kIpv4);
  EXPECT_EQ((*outcome)[1].family, Endpoint::Family::kIpv4);
  EXPECT_EQ((*outcome)[2].to_string(), "[2001:db8::7]:1701");
  std::vector<std::string> ipv4 = {(*outcome)[0].to_string(), (*outcome)[1].to_string()};
  std::sort(ipv4.begin(), ipv4.end());
  EXPECT_EQ(ipv4, (std::vector<std::string>{"192.0.2.7:1701", "192.0.2.8:1701"}));
}

TEST_F(ResolverTest, FamilyLimitsTheAnswerAndTheQuestions) {
  Outcome ipv6 = resolve("vpn.test", AddressFamily::kIpv6);
  ASSERT_TRUE(ipv6) << ipv6.error().message;
  EXPECT_EQ(texts(*ipv6), std::vector<std::string>{"[2001:db8::7]:1701"});
  EXPECT_EQ(server_->questions(), std::vector<std::string>{"vpn.test AAAA"});

  Outcome missing = resolve("v4only.test", AddressFamily::kIpv6);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "no address for v4only.test");
}

TEST_F(ResolverTest, NameThatDoesNotExistFailsQuickly) {
  const TimePoint started = loop_->now();
  Outcome outcome = resolve("nowhere.invalid");
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().message, "no address for nowhere.invalid");
  EXPECT_LT(loop_->now() - started, seconds(2));  // well before the attempt timeout
  EXPECT_FALSE(server_->questions().empty());
}

TEST_F(ResolverTest, SilentServerTimesOutAfterEveryTry) {
  server_->set_silent(true);
  resolver_ = make_resolver(milliseconds(200), 2);
  const TimePoint started = loop_->now();
  Outcome outcome = resolve("vpn.test", AddressFamily::kIpv4);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().message, "timed out resolving vpn.test");
  EXPECT_GE(loop_->now() - started, milliseconds(200));
  EXPECT_EQ(server_->questions().size(), 2U);  // asked once per try
}

TEST_F(ResolverTest, OtherRequestsCompleteWhileOneWaitsForASilentServer) {
  server_->set_silent(true);
  resolver_ = make_resolver(milliseconds(1500), 1);
  std::unique_ptr<ResolveRequest> slow_request, quick_request;
  auto slow = start("vpn.test", AddressFamily::kIpv4, slow_request);
  auto quick = start("localhost", AddressFamily::kIpv4, quick_request);
  ASSERT_TRUE(run_until([&] { return quick->calls > 0; }, kPatience));
  EXPECT_EQ(slow->calls, 0);
  ASSERT_TRUE(run_until([&] { return slow->calls > 0; }, kPatience));
  EXPECT_FALSE(*slow->outcome);
}

TEST_F(ResolverTest, DestroyedRequestsNeverCallBack) {
  std::unique_ptr<ResolveRequest> dns_request, numeric_request, hosts_request, kept_request;
  auto dns = start("vpn.test", AddressFamily::kAny, dns_request);
  auto numeric = start("192.0.2.1", AddressFamily::kAny, numeric_request);
  auto hosts = start("localhost", AddressFamily::kAny, hosts_request);
  auto kept = start("v4only.test", AddressFamily::kAny, kept_request);
  dns_request.reset();
  numeric_request.reset();
  hosts_request.reset();
  // The server still answers the cancelled question; the answer is dropped.
  ASSERT_TRUE(run_until([&] { return kept->calls > 0; }, kPatience));
  run_for(milliseconds(100));
  EXPECT_EQ(dns->calls + numeric->calls + hosts->calls, 0);
  EXPECT_EQ(kept->calls, 1);
  EXPECT_NE(std::find(server_->questions().begin(), server_->questions().end(), "vpn.test A"),
            server_->questions().end());
}

TEST_F(ResolverTest, RequestMayBeDestroyedFromItsOwnCallback) {
  std::unique_ptr<ResolveRequest> request;
  int calls = 0;
  request = resolver_->resolve("vpn.test", kPort, AddressFamily::kIpv4, [&](Outcome) {
    ++calls;
    request.reset();
  });
  ASSERT_TRUE(run_until([&] { return calls > 0; }, kPatience));
  EXPECT_EQ(request, nullptr);
}

TEST_F(ResolverTest, DestroyingTheResolverCancelsEverythingAndHandlesMayOutliveIt) {
  server_->set_silent(true);
  std::unique_ptr<ResolveRequest> dns_request, numeric_request;
  auto dns = start("vpn.test", AddressFamily::kAny, dns_request);
  auto numeric = start("192.0.2.1", AddressFamily::kAny, numeric_request);
  resolver_.reset();
  run_for(milliseconds(100));
  dns_request.reset();
  numeric_request.reset();
  EXPECT_EQ(dns->calls + numeric->calls, 0);
}

TEST_F(ResolverTest, ResolverMayBeDestroyedFromACallback) {
  std::vector<std::unique_ptr<ResolveRequest>> requests(3);
  int calls = 0;
  for (auto& request : requests) {
    request = resolver_->resolve("192.0.2.1", kPort, AddressFamily::kAny, [&](Outcome) {
      ++calls;
      resolver_.reset();
    });
  }
  run_for(milliseconds(50));
  EXPECT_EQ(calls, 1);  // the others went with the resolver
  requests.clear();
}

TEST_F(ResolverTest, ChangedResolvConfIsReadAgain) {
  const std::filesystem::path directory =
      std::filesystem::path(::testing::TempDir()) / ("resolv-" + std::to_string(getpid()));
  std::filesystem::create_directories(directory);
  const std::filesystem::path resolv_conf = directory / "resolv.conf";
  // Replaced by rename, as resolvconf and NetworkManager do: a new inode.
  auto write_search_domain = [&](const std::string& domain) {
    const std::filesystem::path next = directory / "resolv.conf.new";
    std::ofstream(next) << "search " << domain << "\n";
    std::filesystem::rename(next, resolv_conf);
  };
  write_search_domain("one.test");
  server_->add_ipv4("vpn.one.test", {192, 0, 2, 1});
  server_->add_ipv4("vpn.two.test", {192, 0, 2, 2});
  ResolverOptions options;
  options.servers = server_->address();
  options.resolv_conf = resolv_conf.string();
  auto resolver = Resolver::create(*loop_, options);
  ASSERT_TRUE(resolver) << resolver.error().message;
  resolver_ = std::move(*resolver);

  Outcome first = resolve("vpn", AddressFamily::kIpv4);
  write_search_domain("two.test");
  Outcome second = resolve("vpn", AddressFamily::kIpv4);
  std::filesystem::remove_all(directory);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(texts(*first), std::vector<std::string>{"192.0.2.1:1701"});
  EXPECT_EQ(texts(*second), std::vector<std::string>{"192.0.2.2:1701"});
}

TEST_F(ResolverTest, ManyConcurrentRequestsEachGetTheirOwnAnswer) {
  constexpr int kEach = 100;
  for (int i = 0; i < kEach; ++i) {
    server_->add_ipv4("host-" + std::to_string(i) + ".test",
                      {10, 0, static_cast<std::uint8_t>(i / 256), static_cast<std::uint8_t>(i)});
  }
  struct Expected {
    std::shared_ptr<Answer> answer;
    std::string first;
  };
  std::vector<std::unique_ptr<ResolveRequest>> requests;
  std::vector<Expected> expected;
  for (int i = 0; i < kEach; ++i) {
    const std::string octet = std::to_string(i);
    for (auto [host, first] :
         {std::pair{"host-" + octet + ".test", "10.0.0." + octet + ":1701"},
          std::pair{"198.51.100." + octet, "198.51.100." + octet + ":1701"},
          std::pair{std::string("localhost"), std::string("127.0.0.1:1701")}}) {
      requests.emplace_back();
      expected.push_back({start(host, AddressFamily::kIpv4, requests.back()), first});
    }
  }
  auto all_answered = [&] {
    return std::all_of(expected.begin(), expected.end(),
                       [](const Expected& e) { return e.answer->calls > 0; });
  };
  ASSERT_TRUE(run_until(all_answered, kPatience));
  for (const Expected& e : expected) {
    EXPECT_EQ(e.answer->calls, 1);
    ASSERT_TRUE(*e.answer->outcome) << e.first << ": " << e.answer->outcome->error().message;
    EXPECT_EQ((*e.answer->outcome)->front().to_string(), e.first);
  }
}

}  // namespace
}  // namespace l2tp::resolve
