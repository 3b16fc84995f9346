// What the engine tells the world about its objects, and the one question it
// asks while it decides on a peer's call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "fsm/views.h"

namespace l2tp::fsm {

// Events are queued while the engine runs one entry point (a command,
// receive(), a data-plane answer, one of its alarms) and delivered, in order,
// once that entry point has finished (or, under an Engine::EventBatch, once
// the batch ends). So an observer may call any engine command or query: the
// engine is never re-entered half-way through a change. Each event carries
// the object as it was when the change happened; queries at delivery time
// may already show later states, or nothing.
class EngineObserver {
 public:
  virtual ~EngineObserver() = default;
  // A tunnel or session exists (before any of its state changes). A tunnel a
  // listener accepted has TunnelView::listener_id set.
  virtual void tunnel_added(const TunnelView& tunnel) = 0;
  virtual void session_added(const SessionView& session) = 0;
  // Every change of the public state, and property changes that come with
  // none (peer host name learned, PPP addresses renegotiated).
  virtual void tunnel_changed(const TunnelView& tunnel) = 0;
  virtual void session_changed(const SessionView& session) = 0;
  // Final: the object reached kClosed (the view says how) and is gone from
  // the engine's queries. A tunnel's sessions are removed before it.
  virtual void tunnel_removed(const TunnelView& tunnel) = 0;
  virtual void session_removed(const SessionView& session) = 0;
};

// Asked while the engine decides on a peer's ICRQ or OCRQ in `tunnel_id`,
// once the engine's own limits let it pass (the daemon's per-uid limit): a
// reason to refuse it with a CDN "temporarily out of resources", or nullopt.
// Must not call into the engine.
class CallAdmission {
 public:
  virtual ~CallAdmission() = default;
  virtual std::optional<std::string> refuse_incoming_call(std::uint32_t tunnel_id) = 0;
};

}  // namespace l2tp::fsm
