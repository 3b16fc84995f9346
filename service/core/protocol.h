// The L2TP version and how its packets travel: named by the codecs, the
// engine, the option vocabulary and the kernel data plane alike.
#pragma once

#include <cstdint>

namespace l2tp {

enum class ProtocolVersion : std::uint8_t { kV2 = 2, kV3 = 3 };
// kIp is L2TPv3 over IP protocol 115; the datagram handed in is the IP payload.
enum class Encapsulation : std::uint8_t { kUdp, kIp };

}  // namespace l2tp
