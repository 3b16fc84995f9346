// libFuzzer target for the VICI codec: the input is a byte stream as charon's
// socket would deliver it, fed to PacketReader in pieces whose sizes come
// from the input itself. Every packet it yields must encode back to exactly
// the segment it came from (the format has one encoding of a tree), and a
// message must survive a round trip; any difference aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vici/message.h"
#include "vici/packet.h"

using namespace l2tp::vici;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  // The message codec alone, on the whole input.
  if (const auto message = decode_message(input)) {
    const auto encoded = encode_message(*message);
    if (!encoded || !std::equal(encoded->begin(), encoded->end(), input.begin(), input.end()))
      std::abort();
  }
  // The stream: pieces of 1 to 16 bytes, the sizes taken from the input.
  PacketReader reader;
  std::size_t at = 0;
  while (at < size) {
    const std::size_t piece = std::min<std::size_t>(1 + data[at] % 16, size - at);
    reader.feed(input.subspan(at, piece));
    at += piece;
    while (auto next = reader.next()) {
      if (!next->has_value()) return 0;
      const auto encoded = encode_packet(**next);
      if (!encoded) std::abort();
      const auto again = decode_packet(std::span(*encoded).subspan(4));
      if (!again || *again != **next) std::abort();
    }
  }
  return 0;
}
