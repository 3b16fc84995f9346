// libFuzzer target for PPPoE discovery: the input is the payload of a
// 0x8863 frame as the concentrator's packet socket hands it over. A packet
// that decodes must encode to a frame that decodes to the same packet, and
// the bytes it encodes to are those it was read from, up to LENGTH, when it
// had no End-Of-List; any difference aborts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "pppoe/discovery.h"

using namespace l2tp::pppoe;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const auto packet = decode_discovery(input);
  if (!packet) return 0;
  const Bytes encoded = encode_discovery(*packet);
  const auto again = decode_discovery(encoded);
  if (!again || *again != *packet) std::abort();
  const std::size_t length = kHeaderSize + ((std::size_t{data[4]} << 8) | data[5]);
  const bool has_end_of_list = encoded.size() != length;
  if (!has_end_of_list && !std::equal(encoded.begin(), encoded.end(), input.begin())) std::abort();
  return 0;
}
