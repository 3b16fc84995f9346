// Local addresses: the probe that says whether an address is this host's,
// freebind UDP sockets on an address that is not, and rtnetlink's address
// events (in a network namespace of a child process, so the machine's own
// addresses are never touched).
#include "kernel/local_addresses.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>

#include "kernel/tunnel_socket.h"

namespace l2tp::kernel {
namespace {

// TEST-NET-1 (RFC 5737): on no host's interfaces.
const Endpoint kAbsent = Endpoint::ipv4({192, 0, 2, 77}, 0);

TEST(LocalAddressesTest, LoopbackAndTheWildcardAreLocalATestNetAddressIsNot) {
  EXPECT_TRUE(is_local_address(Endpoint::ipv4({127, 0, 0, 1}, 1701)));
  EXPECT_TRUE(is_local_address(Endpoint::ipv4({0, 0, 0, 0}, 1701)));
  EXPECT_TRUE(is_local_address(Endpoint::ipv6({}, 0)));
  EXPECT_FALSE(is_local_address(kAbsent));
}

TEST(LocalAddressesTest, AFreeBindUdpSocketBindsToAnAddressThatIsNotHere) {
  ASSERT_FALSE(is_local_address(kAbsent)) << "192.0.2.77 is configured on this machine";
  auto refused = open_tunnel_socket({.local = kAbsent.with_port(0)});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), EADDRNOTAVAIL);

  auto bound = open_tunnel_socket({.local = kAbsent.with_port(0), .free_bind = true});
  ASSERT_TRUE(bound.has_value()) << bound.error();
  auto address = bound_address(bound->get());
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->with_port(0), kAbsent);
  EXPECT_NE(address->port, 0);
}

TEST(LocalAddressesTest, AFreeBindIpv6UdpSocketBindsToAnAddressThatIsNotHere) {
  std::array<std::uint8_t, 16> documentation{0x20, 0x01, 0x0d, 0xb8};
  documentation[15] = 0x77;
  const Endpoint absent = Endpoint::ipv6(documentation, 0);
  ASSERT_FALSE(is_local_address(absent)) << "2001:db8::77 is configured on this machine";
  auto bound = open_tunnel_socket({.local = absent, .free_bind = true});
  if (!bound && bound.error() == EAFNOSUPPORT) GTEST_SKIP() << "no IPv6 in this kernel";
  ASSERT_TRUE(bound.has_value()) << bound.error();
  EXPECT_EQ(bound_address(bound->get())->with_port(0), absent);
}

// What the child reports through its exit code.
enum ChildOutcome : int {
  kPassed = 0,
  kNoNamespace = 77,
  kOpenFailed = 10,
  kPresentTooEarly,
  kAddFailed,
  kNoEvent,
  kAbsentAfterEvent,
  kDeleteFailed,
  kNoDeleteEvent,
  kPresentAfterDelete,
};

bool wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 5000) == 1;
}

// In a fresh network namespace: an address added to lo is announced by an
// event and is local from then on; removed, it is announced and gone.
int address_events_in_new_namespace() {
  if (unshare(CLONE_NEWNET) != 0) return kNoNamespace;
  if (std::system("ip link set lo up") != 0) return kAddFailed;
  auto events = AddressEvents::open();
  if (!events) return kOpenFailed;
  const Endpoint address = Endpoint::ipv4({10, 99, 0, 1}, 0);
  if (is_local_address(address)) return kPresentTooEarly;
  events->drain();  // whatever bringing lo up announced
  if (std::system("ip addr add 10.99.0.1/32 dev lo") != 0) return kAddFailed;
  if (!wait_readable(events->fd()) || !events->drain()) return kNoEvent;
  if (!is_local_address(address)) return kAbsentAfterEvent;
  if (std::system("ip addr del 10.99.0.1/32 dev lo") != 0) return kDeleteFailed;
  if (!wait_readable(events->fd()) || !events->drain()) return kNoDeleteEvent;
  if (is_local_address(address)) return kPresentAfterDelete;
  return kPassed;
}

TEST(LocalAddressesTest, AddressEventsAnnounceAnAddressAddedAndRemoved) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(address_events_in_new_namespace());
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kNoNamespace)
    GTEST_SKIP() << "cannot make a network namespace here (unshare needs CAP_SYS_ADMIN)";
  EXPECT_EQ(WEXITSTATUS(status), kPassed)
      << "the child failed at step " << WEXITSTATUS(status) << " (see ChildOutcome)";
}

TEST(LocalAddressesTest, AnyUserMayFollowAddressEvents) {
  auto events = AddressEvents::open();
  ASSERT_TRUE(events.has_value()) << events.error();
  EXPECT_GE(events->fd(), 0);
}

}  // namespace
}  // namespace l2tp::kernel
