// Host name resolution that never blocks the daemon: c-ares on the event
// loop. Numeric addresses answer without a query.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fsm/endpoint.h"

namespace l2tp::loop {
class EventLoop;
}

namespace l2tp::resolve {

enum class AddressFamily : std::uint8_t { kAny, kIpv4, kIpv6 };

struct ResolveError {
  std::string message;  // "no address for vpn.example.com", "timed out", ...
};

using ResolveCallback =
    std::function<void(std::expected<std::vector<fsm::Endpoint>, ResolveError> result)>;

// Cancels the request when destroyed: its callback is never called after.
class ResolveRequest {
 public:
  virtual ~ResolveRequest() = default;
};

class Resolver {
 public:
  static std::expected<std::unique_ptr<Resolver>, ResolveError> create(loop::EventLoop& loop);
  virtual ~Resolver() = default;

  // Endpoints carry `port`. IPv4 results first when `family` is kAny.
  // The callback runs from the loop, never from inside resolve().
  virtual std::unique_ptr<ResolveRequest> resolve(const std::string& host, std::uint16_t port,
                                                  AddressFamily family,
                                                  ResolveCallback done) = 0;
};

}  // namespace l2tp::resolve
