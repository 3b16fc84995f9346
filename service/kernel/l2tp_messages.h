// The kernel's "l2tp" generic netlink family as bytes: requests are built
// here apart from sending them, and answers parsed apart from receiving them,
// so both are tested without a kernel. libnl does the framing.
//
// Cookies. The kernel's L2TP_ATTR_COOKIE is the cookie it puts into the
// packets it sends, L2TP_ATTR_PEER_COOKIE the one it expects in the packets it
// receives. Our KernelSessionParams::cookie is what we expect to receive and
// peer_cookie what we send, so they cross over: cookie -> PEER_COOKIE,
// peer_cookie -> COOKIE.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/data_plane.h"
#include "core/endpoint.h"
#include "wire/bytes.h"
#include "wire/header.h"

namespace l2tp::kernel {

using NetlinkBytes = std::vector<std::uint8_t>;

// Values of <linux/l2tp.h> kept here, so that the byte layout the tests pin
// does not depend on which kernel headers the build machine has.
namespace l2tp_nl {
inline constexpr const char* kFamilyName = "l2tp";
inline constexpr std::uint8_t kVersion = 1;

enum Command : std::uint8_t {
  kTunnelCreate = 1,
  kTunnelDelete = 2,
  kTunnelModify = 3,
  kTunnelGet = 4,
  kSessionCreate = 5,
  kSessionDelete = 6,
  kSessionModify = 7,
  kSessionGet = 8,
};

enum Attribute : std::uint16_t {
  kPwType = 1,        // u16
  kEncapType = 2,     // u16
  kL2specType = 5,    // u8
  kL2specLen = 6,     // u8
  kProtoVersion = 7,  // u8
  kIfname = 8,        // string
  kConnId = 9,        // u32
  kPeerConnId = 10,   // u32
  kSessionId = 11,    // u32
  kPeerSessionId = 12,
  kUdpCsum = 13,      // u8
  kCookie = 15,       // 0, 4 or 8 bytes: sent
  kPeerCookie = 16,   // expected on receive
  kDebug = 17,        // u32
  kRecvSeq = 18,      // u8
  kSendSeq = 19,      // u8
  kLnsMode = 20,      // u8
  kUsingIpsec = 21,   // u8
  kRecvTimeout = 22,  // u64 milliseconds
  kFd = 23,           // u32
  kIpSaddr = 24,      // be32
  kIpDaddr = 25,
  kUdpSport = 26,  // u16, host order
  kUdpDport = 27,
  kMtu = 28,  // u16
  kMru = 29,
  kStats = 30,     // nested
  kIp6Saddr = 31,  // 16 bytes
  kIp6Daddr = 32,
  kUdpZeroCsum6Tx = 33,  // flag
  kUdpZeroCsum6Rx = 34,  // flag
  kPad = 35,
  kMaxAttribute = kPad,
};

enum StatsAttribute : std::uint16_t {
  kTxPackets = 1,
  kTxBytes = 2,
  kTxErrors = 3,
  kRxPackets = 4,
  kRxBytes = 5,
  kRxSeqDiscards = 6,
  kRxOosPackets = 7,
  kRxErrors = 8,
  kStatsPad = 9,
  kRxCookieDiscards = 10,
  kRxInvalid = 11,
  kMaxStatsAttribute = kRxInvalid,
};

inline constexpr std::uint16_t kPwTypeEth = 0x0005;
inline constexpr std::uint16_t kPwTypePpp = 0x0007;
inline constexpr std::uint16_t kEncapUdp = 0;
inline constexpr std::uint16_t kEncapIp = 1;
inline constexpr std::uint8_t kL2specNone = 0;
inline constexpr std::uint8_t kL2specDefault = 1;
}  // namespace l2tp_nl

// Requests. Each is one complete netlink message with sequence number 0 and
// port 0; the sender stamps its own sequence number (set_sequence).
// Create, delete and modify ask for an acknowledgement, get asks for the
// object and an acknowledgement, dump for every object and NLMSG_DONE.

// Managed tunnels (fd set) use our connected control socket; the others get
// a kernel socket made from the addresses, ports and checksum settings.
NetlinkBytes build_tunnel_create(std::uint16_t family, const KernelTunnelParams& params,
                                 std::optional<int> fd);
NetlinkBytes build_tunnel_delete(std::uint16_t family, std::uint32_t tunnel_id);
NetlinkBytes build_tunnel_modify(std::uint16_t family, std::uint32_t tunnel_id,
                                 std::uint32_t debug_flags);
NetlinkBytes build_tunnel_get(std::uint16_t family, std::uint32_t tunnel_id);
NetlinkBytes build_tunnel_dump(std::uint16_t family);

NetlinkBytes build_session_create(std::uint16_t family, const KernelSessionParams& params);
NetlinkBytes build_session_delete(std::uint16_t family, std::uint32_t tunnel_id,
                                  std::uint32_t session_id);
// What L2TP_CMD_SESSION_MODIFY can change on a live session.
struct SessionChange {
  Sequencing sequencing = Sequencing::kNone;
  bool lns_mode = false;
  std::chrono::milliseconds reorder_timeout{0};
};
NetlinkBytes build_session_modify(std::uint16_t family, std::uint32_t tunnel_id,
                                  std::uint32_t session_id, const SessionChange& change);
NetlinkBytes build_session_get(std::uint16_t family, std::uint32_t tunnel_id,
                               std::uint32_t session_id);
NetlinkBytes build_session_dump(std::uint16_t family);

void set_sequence(NetlinkBytes& message, std::uint32_t sequence);

// rtnetlink RTM_NEWLINK for an existing interface, found by name: sets it up
// and, when `mtu` is not 0, its MTU. (l2tpeth devices are created down.)
NetlinkBytes build_link_up(const std::string& interface_name, std::uint32_t mtu);

// ---- Answers -------------------------------------------------------------------

enum class ReplyKind : std::uint8_t { kData, kAck, kError, kDone, kOther };

// One netlink message of a received datagram. `error` is a positive errno
// (kError, or a kDone that ends a failed dump); `bytes` is the whole message.
struct Reply {
  ReplyKind kind = ReplyKind::kOther;
  std::uint32_t sequence = 0;
  int error = 0;
  std::string error_message;  // the kernel's extended ACK text, when it gave one
  std::span<const std::uint8_t> bytes;
};

// Splits a datagram into its messages; refuses lengths that run past it.
std::expected<std::vector<Reply>, std::string> split_replies(std::span<const std::uint8_t> data);

struct KernelTunnel {
  std::uint32_t tunnel_id = 0;
  std::uint32_t peer_tunnel_id = 0;
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  Endpoint local;  // family kUnspecified when the kernel reports no socket
  Endpoint peer;
  bool udp_checksum = false;
  bool udp_zero_checksum6_tx = false;
  bool udp_zero_checksum6_rx = false;
};

struct SessionCounters {
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_errors = 0;
  std::uint64_t rx_packets = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_errors = 0;
  std::uint64_t rx_seq_discards = 0;
  std::uint64_t rx_oos_packets = 0;
  std::uint64_t rx_cookie_discards = 0;
  std::uint64_t rx_invalid = 0;
};

struct KernelSession {
  std::uint32_t tunnel_id = 0;
  std::uint32_t session_id = 0;
  std::uint32_t peer_tunnel_id = 0;
  std::uint32_t peer_session_id = 0;
  std::uint16_t pw_type = 0;
  std::string interface_name;  // Ethernet sessions
  wire::Bytes send_cookie;     // L2TP_ATTR_COOKIE
  wire::Bytes receive_cookie;  // L2TP_ATTR_PEER_COOKIE
  std::optional<std::uint8_t> l2spec_type;
  bool send_seq = false;
  bool recv_seq = false;
  bool lns_mode = false;
  std::uint64_t reorder_timeout_ms = 0;
  SessionCounters counters;
};

// A kData reply of a tunnel or session get / dump.
std::expected<KernelTunnel, std::string> parse_tunnel(std::span<const std::uint8_t> message);
std::expected<KernelSession, std::string> parse_session(std::span<const std::uint8_t> message);

}  // namespace l2tp::kernel
