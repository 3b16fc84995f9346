#include "kernel/l2tp_messages.h"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <memory>

namespace l2tp::kernel {

namespace {

using namespace l2tp_nl;

struct MsgDeleter {
  void operator()(nl_msg* msg) const { nlmsg_free(msg); }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgDeleter>;

// A failed nla_put means the message outgrew libnl's default page-sized
// buffer, which none of ours can (the largest is well under 200 bytes).
MsgPtr generic_request(std::uint16_t family, std::uint8_t command, int flags) {
  MsgPtr msg(nlmsg_alloc());
  genlmsg_put(msg.get(), 0, 0, family, 0, flags, command, kVersion);
  return msg;
}

NetlinkBytes bytes_of(nl_msg* msg) {
  const nlmsghdr* header = nlmsg_hdr(msg);
  const auto* begin = reinterpret_cast<const std::uint8_t*>(header);
  return {begin, begin + header->nlmsg_len};
}

constexpr int kAckFlags = NLM_F_REQUEST | NLM_F_ACK;

void put_address(nl_msg* msg, int ipv4_type, int ipv6_type, const Endpoint& endpoint) {
  if (endpoint.family == Endpoint::Family::kIpv6)
    nla_put(msg, ipv6_type, 16, endpoint.address.data());
  else
    nla_put(msg, ipv4_type, 4, endpoint.address.data());  // network order already
}

}  // namespace

NetlinkBytes build_tunnel_create(std::uint16_t family, const KernelTunnelParams& params,
                                 std::optional<int> fd) {
  MsgPtr msg = generic_request(family, kTunnelCreate, kAckFlags);
  nl_msg* m = msg.get();
  nla_put_u32(m, kConnId, params.tunnel_id);
  nla_put_u32(m, kPeerConnId, params.peer_tunnel_id);
  nla_put_u8(m, kProtoVersion, static_cast<std::uint8_t>(params.version));
  const bool udp = params.encapsulation == wire::Encapsulation::kUdp;
  nla_put_u16(m, kEncapType, udp ? kEncapUdp : kEncapIp);
  if (fd) {
    nla_put_u32(m, kFd, static_cast<std::uint32_t>(*fd));
    return bytes_of(m);
  }
  put_address(m, kIpSaddr, kIp6Saddr, params.local);
  put_address(m, kIpDaddr, kIp6Daddr, params.peer);
  if (!udp) return bytes_of(m);
  nla_put_u16(m, kUdpSport, params.local.port);
  nla_put_u16(m, kUdpDport, params.peer.port);
  if (params.peer.family == Endpoint::Family::kIpv6) {
    // IPv6 UDP needs checksums (RFC 8200 §8.1) unless both ends agree to
    // zero ones (RFC 6935); UdpChecksum=false is that agreement.
    if (!params.udp_checksum) {
      nla_put_flag(m, kUdpZeroCsum6Tx);
      nla_put_flag(m, kUdpZeroCsum6Rx);
    }
  } else {
    nla_put_u8(m, kUdpCsum, params.udp_checksum ? 1 : 0);
  }
  return bytes_of(m);
}

NetlinkBytes build_tunnel_delete(std::uint16_t family, std::uint32_t tunnel_id) {
  MsgPtr msg = generic_request(family, kTunnelDelete, kAckFlags);
  nla_put_u32(msg.get(), kConnId, tunnel_id);
  return bytes_of(msg.get());
}

NetlinkBytes build_tunnel_modify(std::uint16_t family, std::uint32_t tunnel_id,
                                 std::uint32_t debug_flags) {
  MsgPtr msg = generic_request(family, kTunnelModify, kAckFlags);
  nla_put_u32(msg.get(), kConnId, tunnel_id);
  nla_put_u32(msg.get(), kDebug, debug_flags);
  return bytes_of(msg.get());
}

NetlinkBytes build_tunnel_get(std::uint16_t family, std::uint32_t tunnel_id) {
  MsgPtr msg = generic_request(family, kTunnelGet, kAckFlags);
  nla_put_u32(msg.get(), kConnId, tunnel_id);
  return bytes_of(msg.get());
}

NetlinkBytes build_tunnel_dump(std::uint16_t family) {
  MsgPtr msg = generic_request(family, kTunnelGet, NLM_F_REQUEST | NLM_F_DUMP);
  return bytes_of(msg.get());
}

NetlinkBytes build_session_create(std::uint16_t family, const KernelSessionParams& params) {
  MsgPtr msg = generic_request(family, kSessionCreate, kAckFlags);
  nl_msg* m = msg.get();
  const bool v3 = params.version == wire::ProtocolVersion::kV3;
  nla_put_u32(m, kConnId, params.tunnel_id);
  nla_put_u32(m, kPeerConnId, params.peer_tunnel_id);
  nla_put_u32(m, kSessionId, params.session_id);
  nla_put_u32(m, kPeerSessionId, params.peer_session_id);
  nla_put_u16(m, kPwType, params.pseudowire == Pseudowire::kEth ? kPwTypeEth : kPwTypePpp);
  if (v3) {
    // The kernel assumes the default sublayer when none is named: always say.
    const bool sublayer = params.l2_specific_sublayer == L2SpecificSublayer::kDefault;
    nla_put_u8(m, kL2specType, sublayer ? kL2specDefault : kL2specNone);
    nla_put_u8(m, kL2specLen, sublayer ? 4 : 0);
    // See the header: our peer_cookie is what the kernel sends.
    if (!params.peer_cookie.empty())
      nla_put(m, kCookie, static_cast<int>(params.peer_cookie.size()), params.peer_cookie.data());
    if (!params.cookie.empty())
      nla_put(m, kPeerCookie, static_cast<int>(params.cookie.size()), params.cookie.data());
  }
  const bool send =
      params.sequencing == Sequencing::kSend || params.sequencing == Sequencing::kBoth;
  const bool recv =
      params.sequencing == Sequencing::kRecv || params.sequencing == Sequencing::kBoth;
  nla_put_u8(m, kSendSeq, send ? 1 : 0);
  nla_put_u8(m, kRecvSeq, recv ? 1 : 0);
  nla_put_u8(m, kLnsMode, params.lns_mode ? 1 : 0);
  if (params.reorder_timeout.count() > 0)
    nla_put_u64(m, kRecvTimeout, static_cast<std::uint64_t>(params.reorder_timeout.count()));
  if (v3 && !params.interface_name.empty())
    nla_put_string(m, kIfname, params.interface_name.c_str());
  // Kernels since 4.x ignore it (the MTU is set on the device afterwards);
  // older ones sized the device from it.
  if (params.mtu != 0 && params.mtu <= 0xffff)
    nla_put_u16(m, kMtu, static_cast<std::uint16_t>(params.mtu));
  return bytes_of(m);
}

namespace {

// A request about one session, which the kernel finds by tunnel and session id.
MsgPtr session_request(std::uint16_t family, std::uint8_t command, std::uint32_t tunnel_id,
                       std::uint32_t session_id) {
  MsgPtr msg = generic_request(family, command, kAckFlags);
  nla_put_u32(msg.get(), kConnId, tunnel_id);
  nla_put_u32(msg.get(), kSessionId, session_id);
  return msg;
}

}  // namespace

NetlinkBytes build_session_delete(std::uint16_t family, std::uint32_t tunnel_id,
                                  std::uint32_t session_id) {
  return bytes_of(session_request(family, kSessionDelete, tunnel_id, session_id).get());
}

NetlinkBytes build_session_modify(std::uint16_t family, std::uint32_t tunnel_id,
                                  std::uint32_t session_id, const SessionChange& change) {
  MsgPtr msg = session_request(family, kSessionModify, tunnel_id, session_id);
  nl_msg* m = msg.get();
  const bool send =
      change.sequencing == Sequencing::kSend || change.sequencing == Sequencing::kBoth;
  const bool recv =
      change.sequencing == Sequencing::kRecv || change.sequencing == Sequencing::kBoth;
  nla_put_u8(m, kSendSeq, send ? 1 : 0);
  nla_put_u8(m, kRecvSeq, recv ? 1 : 0);
  nla_put_u8(m, kLnsMode, change.lns_mode ? 1 : 0);
  nla_put_u64(m, kRecvTimeout, static_cast<std::uint64_t>(change.reorder_timeout.count()));
  return bytes_of(m);
}

NetlinkBytes build_session_get(std::uint16_t family, std::uint32_t tunnel_id,
                               std::uint32_t session_id) {
  return bytes_of(session_request(family, kSessionGet, tunnel_id, session_id).get());
}

NetlinkBytes build_session_dump(std::uint16_t family) {
  MsgPtr msg = generic_request(family, kSessionGet, NLM_F_REQUEST | NLM_F_DUMP);
  return bytes_of(msg.get());
}

void set_sequence(NetlinkBytes& message, std::uint32_t sequence) {
  if (message.size() < sizeof(nlmsghdr)) return;
  std::memcpy(message.data() + offsetof(nlmsghdr, nlmsg_seq), &sequence, sizeof sequence);
}

NetlinkBytes build_link_up(const std::string& interface_name, std::uint32_t mtu) {
  MsgPtr msg(nlmsg_alloc_simple(RTM_NEWLINK, kAckFlags));
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_flags = IFF_UP;
  info.ifi_change = IFF_UP;
  nlmsg_append(msg.get(), &info, sizeof info, NLMSG_ALIGNTO);
  nla_put_string(msg.get(), IFLA_IFNAME, interface_name.c_str());
  if (mtu != 0) nla_put_u32(msg.get(), IFLA_MTU, mtu);
  return bytes_of(msg.get());
}

// ---- Answers -------------------------------------------------------------------

namespace {

// libnl's parsers take mutable pointers and want aligned headers: parse a
// private, aligned copy.
class AlignedCopy {
 public:
  explicit AlignedCopy(std::span<const std::uint8_t> bytes)
      : words_((bytes.size() + 3) / 4, 0), size_(bytes.size()) {
    if (!bytes.empty()) std::memcpy(words_.data(), bytes.data(), bytes.size());
  }
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(words_.data()); }
  std::size_t size() const { return size_; }

 private:
  std::vector<std::uint32_t> words_;
  std::size_t size_;
};

std::string extended_ack_message(const nlmsghdr* header) {
  if ((header->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return {};
  const auto* error = static_cast<const nlmsgerr*>(nlmsg_data(header));
  std::size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nlmsgerr));
  // Uncapped acknowledgements repeat the request's payload before the TLVs.
  if ((header->nlmsg_flags & NLM_F_CAPPED) == 0 && error->msg.nlmsg_len >= NLMSG_HDRLEN)
    offset += NLMSG_ALIGN(error->msg.nlmsg_len - NLMSG_HDRLEN);
  if (offset >= header->nlmsg_len) return {};
  std::array<nlattr*, NLMSGERR_ATTR_MAX + 1> attributes{};
  auto* begin = reinterpret_cast<nlattr*>(
      const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(header)) + offset);
  if (nla_parse(attributes.data(), NLMSGERR_ATTR_MAX, begin,
                static_cast<int>(header->nlmsg_len - offset), nullptr) < 0)
    return {};
  const nlattr* text = attributes[NLMSGERR_ATTR_MSG];
  if (text == nullptr || nla_len(text) <= 0) return {};
  const char* data = static_cast<const char*>(nla_data(text));
  return std::string(data, strnlen(data, static_cast<std::size_t>(nla_len(text))));
}

}  // namespace

std::expected<std::vector<Reply>, std::string> split_replies(std::span<const std::uint8_t> data) {
  std::vector<Reply> replies;
  std::size_t offset = 0;
  while (offset < data.size()) {
    const std::size_t left = data.size() - offset;
    if (left < sizeof(nlmsghdr)) return std::unexpected("netlink datagram ends inside a header");
    nlmsghdr header;
    std::memcpy(&header, data.data() + offset, sizeof header);
    if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > left)
      return std::unexpected("netlink message length " + std::to_string(header.nlmsg_len) +
                             " does not fit the datagram");
    Reply reply;
    reply.sequence = header.nlmsg_seq;
    reply.bytes = data.subspan(offset, header.nlmsg_len);
    switch (header.nlmsg_type) {
      case NLMSG_ERROR: {
        if (header.nlmsg_len < NLMSG_HDRLEN + sizeof(nlmsgerr))
          return std::unexpected("netlink error message too short");
        AlignedCopy copy(reply.bytes);
        const auto* error = static_cast<const nlmsgerr*>(nlmsg_data(copy.header()));
        reply.kind = error->error == 0 ? ReplyKind::kAck : ReplyKind::kError;
        reply.error = -error->error;
        reply.error_message = extended_ack_message(copy.header());
        break;
      }
      case NLMSG_DONE: {
        reply.kind = ReplyKind::kDone;
        // A dump that failed part way says so in NLMSG_DONE's payload.
        if (header.nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
          int error = 0;
          std::memcpy(&error, data.data() + offset + NLMSG_HDRLEN, sizeof error);
          reply.error = error < 0 ? -error : 0;
        }
        break;
      }
      case NLMSG_NOOP:
      case NLMSG_OVERRUN:
        reply.kind = ReplyKind::kOther;
        break;
      default:
        reply.kind = ReplyKind::kData;
    }
    replies.push_back(reply);
    offset += NLMSG_ALIGN(header.nlmsg_len);
  }
  return replies;
}

namespace {

using Attributes = std::array<nlattr*, kMaxAttribute + 1>;

const std::array<nla_policy, kMaxAttribute + 1>& policy() {
  static const auto table = [] {
    std::array<nla_policy, kMaxAttribute + 1> p{};
    for (int type :
         {kConnId, kPeerConnId, kSessionId, kPeerSessionId, kDebug, kFd, kIpSaddr, kIpDaddr})
      p[static_cast<std::size_t>(type)].type = NLA_U32;
    for (int type : {kPwType, kEncapType, kUdpSport, kUdpDport, kMtu, kMru})
      p[static_cast<std::size_t>(type)].type = NLA_U16;
    for (int type : {kL2specType, kL2specLen, kProtoVersion, kUdpCsum, kRecvSeq, kSendSeq, kLnsMode,
                     kUsingIpsec})
      p[static_cast<std::size_t>(type)].type = NLA_U8;
    p[kRecvTimeout].type = NLA_U64;
    p[kIfname].type = NLA_STRING;
    p[kIp6Saddr].minlen = 16;
    p[kIp6Daddr].minlen = 16;
    p[kCookie].maxlen = 8;
    p[kPeerCookie].maxlen = 8;
    p[kStats].type = NLA_NESTED;
    p[kUdpZeroCsum6Tx].type = NLA_FLAG;
    p[kUdpZeroCsum6Rx].type = NLA_FLAG;
    return p;
  }();
  return table;
}

std::expected<Attributes, std::string> parse_generic(AlignedCopy& copy, std::uint8_t command,
                                                     const char* what) {
  nlmsghdr* header = copy.header();
  if (copy.size() < NLMSG_HDRLEN + GENL_HDRLEN || header->nlmsg_len > copy.size())
    return std::unexpected(std::string(what) + " reply too short");
  const auto* genl = static_cast<const genlmsghdr*>(nlmsg_data(header));
  // Dumps answer with the get command; some kernels echo create's.
  if (genl->cmd != command && genl->cmd != kTunnelCreate && genl->cmd != kSessionCreate)
    return std::unexpected(std::string(what) + " reply has command " + std::to_string(genl->cmd));
  Attributes attributes{};
  const int parsed = genlmsg_parse(header, 0, attributes.data(), kMaxAttribute,
                                   const_cast<nla_policy*>(policy().data()));
  if (parsed < 0)
    return std::unexpected(std::string(what) + " reply has a malformed attribute (libnl error " +
                           std::to_string(-parsed) + ")");
  return attributes;
}

std::uint64_t counter(const nlattr* attribute) {
  if (attribute == nullptr) return 0;
  if (nla_len(attribute) >= 8) return nla_get_u64(attribute);
  if (nla_len(attribute) >= 4) return nla_get_u32(attribute);
  return 0;
}

Endpoint endpoint_of(const nlattr* ipv4, const nlattr* ipv6, const nlattr* port) {
  Endpoint endpoint;
  if (ipv6 != nullptr) {
    endpoint.family = Endpoint::Family::kIpv6;
    std::memcpy(endpoint.address.data(), nla_data(ipv6), 16);
  } else if (ipv4 != nullptr) {
    endpoint.family = Endpoint::Family::kIpv4;
    std::memcpy(endpoint.address.data(), nla_data(ipv4), 4);
  }
  if (port != nullptr) endpoint.port = nla_get_u16(port);
  return endpoint;
}

wire::Bytes bytes_of_attribute(const nlattr* attribute) {
  if (attribute == nullptr) return {};
  const auto* data = static_cast<const std::uint8_t*>(nla_data(attribute));
  return {data, data + nla_len(attribute)};
}

}  // namespace

std::expected<KernelTunnel, std::string> parse_tunnel(std::span<const std::uint8_t> message) {
  AlignedCopy copy(message);
  auto parsed = parse_generic(copy, kTunnelGet, "tunnel");
  if (!parsed) return std::unexpected(parsed.error());
  const Attributes& a = *parsed;
  if (a[kConnId] == nullptr) return std::unexpected("tunnel reply without a tunnel id");
  KernelTunnel tunnel;
  tunnel.tunnel_id = nla_get_u32(a[kConnId]);
  if (a[kPeerConnId] != nullptr) tunnel.peer_tunnel_id = nla_get_u32(a[kPeerConnId]);
  if (a[kProtoVersion] != nullptr)
    tunnel.version =
        nla_get_u8(a[kProtoVersion]) == 3 ? wire::ProtocolVersion::kV3 : wire::ProtocolVersion::kV2;
  if (a[kEncapType] != nullptr)
    tunnel.encapsulation = nla_get_u16(a[kEncapType]) == kEncapIp ? wire::Encapsulation::kIp
                                                                  : wire::Encapsulation::kUdp;
  tunnel.local = endpoint_of(a[kIpSaddr], a[kIp6Saddr], a[kUdpSport]);
  tunnel.peer = endpoint_of(a[kIpDaddr], a[kIp6Daddr], a[kUdpDport]);
  if (a[kUdpCsum] != nullptr) tunnel.udp_checksum = nla_get_u8(a[kUdpCsum]) != 0;
  tunnel.udp_zero_checksum6_tx = a[kUdpZeroCsum6Tx] != nullptr;
  tunnel.udp_zero_checksum6_rx = a[kUdpZeroCsum6Rx] != nullptr;
  return tunnel;
}

std::expected<KernelSession, std::string> parse_session(std::span<const std::uint8_t> message) {
  AlignedCopy copy(message);
  auto parsed = parse_generic(copy, kSessionGet, "session");
  if (!parsed) return std::unexpected(parsed.error());
  const Attributes& a = *parsed;
  if (a[kConnId] == nullptr || a[kSessionId] == nullptr)
    return std::unexpected("session reply without tunnel and session ids");
  KernelSession session;
  session.tunnel_id = nla_get_u32(a[kConnId]);
  session.session_id = nla_get_u32(a[kSessionId]);
  if (a[kPeerConnId] != nullptr) session.peer_tunnel_id = nla_get_u32(a[kPeerConnId]);
  if (a[kPeerSessionId] != nullptr) session.peer_session_id = nla_get_u32(a[kPeerSessionId]);
  if (a[kPwType] != nullptr) session.pw_type = nla_get_u16(a[kPwType]);
  if (a[kIfname] != nullptr) {
    const char* name = static_cast<const char*>(nla_data(a[kIfname]));
    session.interface_name.assign(name,
                                  strnlen(name, static_cast<std::size_t>(nla_len(a[kIfname]))));
  }
  session.send_cookie = bytes_of_attribute(a[kCookie]);
  session.receive_cookie = bytes_of_attribute(a[kPeerCookie]);
  if (a[kL2specType] != nullptr) session.l2spec_type = nla_get_u8(a[kL2specType]);
  if (a[kSendSeq] != nullptr) session.send_seq = nla_get_u8(a[kSendSeq]) != 0;
  if (a[kRecvSeq] != nullptr) session.recv_seq = nla_get_u8(a[kRecvSeq]) != 0;
  if (a[kLnsMode] != nullptr) session.lns_mode = nla_get_u8(a[kLnsMode]) != 0;
  if (a[kRecvTimeout] != nullptr) session.reorder_timeout_ms = nla_get_u64(a[kRecvTimeout]);
  if (a[kStats] != nullptr) {
    std::array<nlattr*, kMaxStatsAttribute + 1> s{};
    if (nla_parse_nested(s.data(), kMaxStatsAttribute, a[kStats], nullptr) < 0)
      return std::unexpected("session reply has malformed statistics");
    SessionCounters& c = session.counters;
    c.tx_packets = counter(s[kTxPackets]);
    c.tx_bytes = counter(s[kTxBytes]);
    c.tx_errors = counter(s[kTxErrors]);
    c.rx_packets = counter(s[kRxPackets]);
    c.rx_bytes = counter(s[kRxBytes]);
    c.rx_errors = counter(s[kRxErrors]);
    c.rx_seq_discards = counter(s[kRxSeqDiscards]);
    c.rx_oos_packets = counter(s[kRxOosPackets]);
    c.rx_cookie_discards = counter(s[kRxCookieDiscards]);
    c.rx_invalid = counter(s[kRxInvalid]);
  }
  return session;
}

}  // namespace l2tp::kernel
