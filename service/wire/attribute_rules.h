// Internal to the wire library: per-attribute facts from RFC 2661 §4.4 and
// RFC 3931 §5.4 that both the decoder and the encoder need.
#pragma once

#include <cstdint>

#include "wire/avp.h"
#include "wire/header.h"

namespace l2tp::wire::detail {

// Whether the attribute is defined for IETF vendor 0 in this version. An
// attribute that is not is unrecognised: ignored, or reported when its M bit
// is set.
bool is_defined(std::uint16_t attribute_type, ProtocolVersion version);

// The M bit the RFC asks a sender to set (RFC 2661 "MUST", RFC 3931 "SHOULD").
bool mandatory_bit(AttributeType type, ProtocolVersion version);

// Attributes that RFC 2661/3931 forbid to hide and that hiding itself
// depends on; a hidden one is refused outright.
bool must_not_be_hidden(std::uint16_t attribute_type, ProtocolVersion version);

// Values l2tpbus hides when EncodeOptions::hide_sensitive is set: identifiers
// an observer could use to inject packets, and the caller's personal data.
bool is_sensitive(AttributeType type);

// Whether the message type value exists in this version (ACK is v3 only).
bool is_message_type_of(std::uint16_t value, ProtocolVersion version);

}  // namespace l2tp::wire::detail
