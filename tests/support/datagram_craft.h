// Datagrams read and written by hand: a decoder that tells what was on the
// wire (for assertions and the demo's trace), and builders for datagrams no
// well-behaved peer would send. Pure: the wire codecs and nothing else.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "wire/bytes.h"
#include "wire/header.h"
#include "wire/message.h"
#include "wire/wire_error.h"

namespace l2tp::testing {

// Thrown by setup helpers (here and in engine_harness.h); a test reports it
// as a failure.
class HarnessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- Decoding what was on the wire -------------------------------------------

struct DecodedDatagram {
  std::optional<wire::WireError> packet_error;  // parse_packet refused it
  bool data_packet = false;
  wire::ControlHeader header;
  bool zlb = false;  // no AVPs at all
  std::optional<wire::Message> message;
  std::optional<wire::WireError> message_error;  // decode_message refused the AVPs
  bool hidden_avps = false;                      // some AVP had the H bit
  std::vector<std::uint16_t> attribute_types;    // IETF AVPs, in wire order

  bool is(wire::MessageType type) const { return message && message->type == type; }
  // A pure acknowledgement: a ZLB, or a v3 ACK message.
  bool is_ack() const { return zlb || is(wire::MessageType::kAck); }
  // A message that occupies an Ns (everything but acknowledgements).
  bool is_sequenced() const { return !packet_error && !data_packet && !is_ack(); }
};

// `secret` is the tunnel's shared secret; the hiding key is derived from it
// for the datagram's version. Empty: hidden AVPs fail with kHiddenNoSecret.
DecodedDatagram decode_datagram(wire::ByteView bytes, wire::Encapsulation encapsulation,
                                wire::ByteView secret = {});
// One line: "SCCRQ tunnel=0 Ns=0 Nr=0 host=lac assigned-tunnel=4711".
std::string describe(const DecodedDatagram& datagram);

// The Ns and Nr a hand-made message carries.
struct SequenceNumbers {
  std::uint16_t ns = 0;
  std::uint16_t nr = 0;
};

// ---- Building datagrams by hand ----------------------------------------------

// One AVP exactly as given: `flags_and_length` is the first 16 bits (M, H,
// reserved, Length), so a test can write lengths that lie.
wire::Bytes raw_avp(std::uint16_t flags_and_length, std::uint16_t vendor_id,
                    std::uint16_t attribute_type, wire::ByteView value);
// A well-formed AVP.
wire::Bytes avp(std::uint16_t attribute_type, wire::ByteView value, bool mandatory,
                std::uint16_t vendor_id = 0, bool hidden = false);
wire::Bytes message_type_avp(wire::MessageType type);
wire::Bytes u16_value(std::uint16_t v);
wire::Bytes u32_value(std::uint32_t v);
wire::Bytes concat(std::initializer_list<wire::ByteView> parts);
wire::Bytes frame(wire::ProtocolVersion version, wire::Encapsulation encapsulation,
                  std::uint32_t tunnel_id, std::uint16_t session_id, SequenceNumbers sequence,
                  wire::ByteView avps);
// `datagram` with `avp` appended to its message and the header Length fixed.
wire::Bytes append_avp(wire::ByteView datagram, wire::Encapsulation encapsulation,
                       wire::ByteView avp);
// `datagram` with its AVPs replaced (header kept, Length fixed).
wire::Bytes replace_avps(wire::ByteView datagram, wire::Encapsulation encapsulation,
                         wire::ByteView avps);
// A valid SCCRQ as a stranger at `assigned_id` would send it.
wire::Bytes sccrq(wire::ProtocolVersion version, wire::Encapsulation encapsulation,
                  std::uint32_t assigned_id, const std::string& host_name);

}  // namespace l2tp::testing
