// Everything the engine needs from the world, injected. Only main.cpp (and
// tests) name the concrete classes behind these interfaces.
#pragma once

#include <cstdint>
#include <span>

#include "core/data_plane.h"
#include "core/endpoint.h"
#include "core/ipsec.h"
#include "core/log.h"
#include "core/timing.h"
#include "fsm/options.h"
#include "wire/bytes.h"

namespace l2tp::fsm {

// The data plane, paths and logging are core's, shared with the rooms that
// implement or use them outside the engine; the engine's users name them as
// fsm's.
using l2tp::DataPlane;
using l2tp::DataPlaneEvents;
using l2tp::IpsecEvents;
using l2tp::IpsecPort;
using l2tp::IpsecSettings;
using l2tp::IpsecStatus;
using l2tp::KernelSessionParams;
using l2tp::KernelTunnelParams;
using l2tp::Logger;
using l2tp::LogLevel;
using l2tp::Path;
using l2tp::PppAddresses;
using l2tp::PppStartParams;
using l2tp::to_string;

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;  // cryptographically random
};

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void send(const Path& path, wire::ByteView datagram) = 0;
  // The tunnel is gone for good (after any StopCCN hold period): nothing more
  // is sent on its path, so its socket can close.
  virtual void release(std::uint32_t tunnel_id) { static_cast<void>(tunnel_id); }
};

}  // namespace l2tp::fsm
