#include "ppp/address_pool.h"

#include <arpa/inet.h>

#include <optional>

namespace l2tp::ppp {
namespace {

std::optional<std::uint32_t> parse(const std::string& text) {
  in_addr address{};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1) return std::nullopt;
  return ntohl(address.s_addr);
}

std::string format(std::uint32_t host_order) {
  in_addr address{};
  address.s_addr = htonl(host_order);
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address, text, sizeof text);
  return text;
}

}  // namespace

std::expected<std::string, std::string> AddressPool::lease(const std::string& range) {
  const std::size_t dash = range.find('-');
  if (dash == std::string::npos)
    return std::unexpected("address pool '" + range + "' is not first-last");
  const auto first = parse(range.substr(0, dash));
  const auto last = parse(range.substr(dash + 1));
  if (!first || !last || *first > *last) {
    return std::unexpected("address pool '" + range + "' is not first-last");
  }
  // Walk the leases inside the range in order: the first gap is the answer,
  // so a lease costs the number of leased addresses below it, not the range.
  std::uint64_t candidate = *first;
  for (auto it = leases_.lower_bound(*first); it != leases_.end() && *it <= *last; ++it) {
    if (*it != candidate) break;
    ++candidate;
  }
  if (candidate > *last) return std::unexpected("address pool " + range + " is exhausted");
  const auto address = static_cast<std::uint32_t>(candidate);
  leases_.insert(address);
  return format(address);
}

void AddressPool::release(const std::string& address) {
  if (const auto parsed = parse(address)) leases_.erase(*parsed);
}

}  // namespace l2tp::ppp
