// A DNS server on 127.0.0.1 that the test owns, served from the test's event
// loop: it answers A and AAAA questions from a table, NXDOMAIN for names it
// does not know, or nothing at all. Resolver tests point c-ares here so that
// no query ever leaves the machine.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "loop/event_loop.h"

namespace l2tp::test {

class FakeDnsServer {
 public:
  explicit FakeDnsServer(loop::EventLoop& loop);
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  // "127.0.0.1:PORT", as ResolverOptions::servers wants it.
  std::string address() const;

  void add_ipv4(const std::string& name, std::array<std::uint8_t, 4> address);
  void add_ipv6(const std::string& name, const std::array<std::uint8_t, 16>& address);
  // Reads questions but never answers.
  void set_silent(bool silent) { silent_ = silent; }

  // Questions received, in order ("vpn.test A", "vpn.test AAAA").
  const std::vector<std::string>& questions() const { return questions_; }

 private:
  void answer_pending();

  int fd_ = -1;
  std::uint16_t port_ = 0;
  bool silent_ = false;
  std::multimap<std::string, std::array<std::uint8_t, 4>> ipv4_;
  std::multimap<std::string, std::array<std::uint8_t, 16>> ipv6_;
  std::vector<std::string> questions_;
  std::unique_ptr<loop::IoWatch> watch_;
};

}  // namespace l2tp::test
