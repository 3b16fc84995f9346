// A connection to charon's VICI socket on the daemon's loop: commands in
// order, one in flight at a time (VICI has no sequence numbers to match a
// response to its request), event registrations, and the events charon
// raises. Nothing blocks: the socket is non-blocking, bytes go out when it
// is writable, and packets are reassembled by vici::PacketReader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "loop/event_loop.h"
#include "vici/packet.h"

namespace l2tp::ipsec {

class ViciClient {
 public:
  // A command's response, or why there is none (charon does not know the
  // command, the connection broke or was closed first).
  using Response = std::expected<vici::Section, std::string>;
  using OnResponse = std::function<void(Response)>;
  using OnEvent = std::function<void(const std::string& name, const vici::Section& message)>;
  // Once, from the loop, when the connection is lost (charon stopped, a
  // malformed packet), after every command still waiting was answered with
  // the reason. Destroying the client answers nothing more.
  using OnDisconnect = std::function<void(const std::string& reason)>;

  // Commands waiting, in flight included; more are refused at once, so a
  // charon that stops answering cannot make us hold an unbounded queue.
  static constexpr std::size_t kMaxQueued = 256;

  // Connects to the unix socket at `path` (charon's default is
  // /run/charon.vici); the error says why not, for NotSupported.
  static std::expected<std::unique_ptr<ViciClient>, std::string> connect(
      loop::EventLoop& loop, const std::string& path, OnEvent on_event, OnDisconnect on_disconnect);
  ~ViciClient();
  ViciClient(const ViciClient&) = delete;
  ViciClient& operator=(const ViciClient&) = delete;

  // Sends the command once those before it are answered; `done` runs from
  // the loop, never from inside this call.
  void command(const std::string& name, const vici::Section& request, OnResponse done);
  // Registers for an event by name; `done` gets an empty section when
  // charon confirmed, an error when it knows no such event.
  void subscribe(const std::string& event, OnResponse done);

  bool connected() const { return fd_ >= 0; }
  std::size_t queued() const { return queue_.size(); }

 private:
  struct Pending {
    vici::Blob bytes;
    bool registration = false;
    OnResponse done;
  };

  ViciClient(loop::EventLoop& loop, int fd, OnEvent on_event, OnDisconnect on_disconnect);
  void enqueue(vici::Packet packet, OnResponse done);
  void send_next();
  void on_ready(std::uint32_t events);
  void read_available();
  void write_pending();
  void dispatch(vici::Packet packet);
  void answer_front(Response response);
  void fail(const std::string& reason);
  void refresh_events();
  // Runs `callback` from the loop (an alarm at once), so no callback
  // re-enters the caller of command() or subscribe().
  void later(std::function<void()> callback);

  int fd_;
  OnEvent on_event_;
  OnDisconnect on_disconnect_;
  std::unique_ptr<loop::IoWatch> watch_;
  vici::PacketReader reader_;
  std::deque<Pending> queue_;  // the front is in flight once sent
  bool front_sent_ = false;
  vici::Blob output_;  // bytes of the front not yet written
  std::deque<std::function<void()>> deferred_;
  std::unique_ptr<Alarm> deferred_alarm_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace l2tp::ipsec
