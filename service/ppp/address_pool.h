// IPv4 addresses an LNS hands to PPP peers from its listener's PppAddressPool
// ("first-last"). One set of leases serves every listener, so two pools that
// overlap never hand out the same address twice.
#pragma once

#include <cstdint>
#include <expected>
#include <set>
#include <string>

namespace l2tp::ppp {

class AddressPool {
 public:
  // The lowest free address of `range` ("a.b.c.d-e.f.g.h", first <= last),
  // leased until release(). Errors: a malformed range, or none left.
  std::expected<std::string, std::string> lease(const std::string& range);
  // Releasing an address not leased is a no-op.
  void release(const std::string& address);
  std::size_t leased() const { return leases_.size(); }

 private:
  std::set<std::uint32_t> leases_;  // host byte order
};

}  // namespace l2tp::ppp
