// Bytes that held a key: zeroed before they return to the heap. A PSK or a
// private key must not outlive its use in freed blocks a later bug could
// read; every copy on its way (settings, VICI values, packets, send
// buffers) is one of these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace l2tp {

// Zeroes, in a way the compiler may not drop as a dead store.
void wipe(void* data, std::size_t size);

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) {}  // NOLINT: allocators convert implicitly
  T* allocate(std::size_t count) { return std::allocator<T>().allocate(count); }
  void deallocate(T* data, std::size_t count) {
    wipe(data, count * sizeof(T));
    std::allocator<T>().deallocate(data, count);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const {
    return true;
  }
};

using SecretBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

}  // namespace l2tp
