// Host name resolution that never blocks the daemon: c-ares on the event
// loop. Numeric addresses answer without a query.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.h"

namespace l2tp::loop {
class EventLoop;
}

namespace l2tp::resolve {

enum class AddressFamily : std::uint8_t { kAny, kIpv4, kIpv6 };

struct ResolveError {
  std::string message;  // "no address for vpn.example.com", "timed out", ...
};

using ResolveCallback =
    std::function<void(std::expected<std::vector<Endpoint>, ResolveError> result)>;

// Cancels the request when destroyed: its callback is never called after.
class ResolveRequest {
 public:
  virtual ~ResolveRequest() = default;
};

// Where and how patiently to ask. The defaults take everything from the
// system (/etc/resolv.conf); /etc/hosts is always consulted before DNS.
struct ResolverOptions {
  // c-ares's CSV form: "192.0.2.53,[2001:db8::53]:5353". Empty: resolv.conf's.
  std::string servers;
  // How long the first try waits for an answer (c-ares doubles it on each
  // later round); zero: resolv.conf's or c-ares's default.
  std::chrono::milliseconds attempt_timeout{0};
  // How many times each server is asked; zero: resolv.conf's or c-ares's default.
  int tries = 0;
  // Servers (unless `servers` is set), search domains and options. Read
  // again when it has changed, so that a daemon running for weeks follows
  // the networks the machine roams between.
  std::string resolv_conf = "/etc/resolv.conf";
};

class Resolver {
 public:
  static std::expected<std::unique_ptr<Resolver>, ResolveError> create(loop::EventLoop& loop);
  static std::expected<std::unique_ptr<Resolver>, ResolveError> create(
      loop::EventLoop& loop, const ResolverOptions& options);
  // Requests still open are cancelled; their handles may outlive the
  // Resolver. Destroying it from inside one of its callbacks is allowed.
  virtual ~Resolver() = default;

  // Endpoints carry `port`. IPv4 results first when `family` is kAny.
  // The callback runs from the loop, never from inside resolve().
  virtual std::unique_ptr<ResolveRequest> resolve(const std::string& host, std::uint16_t port,
                                                  AddressFamily family, ResolveCallback done) = 0;
};

}  // namespace l2tp::resolve
