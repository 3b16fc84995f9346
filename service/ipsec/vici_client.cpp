#include "ipsec/vici_client.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <span>
#include <utility>

namespace l2tp::ipsec {

namespace {

std::string system_error(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

}  // namespace

std::expected<std::unique_ptr<ViciClient>, std::string> ViciClient::connect(
    loop::EventLoop& loop, const std::string& path, OnEvent on_event, OnDisconnect on_disconnect) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path)
    return std::unexpected("the VICI socket path is empty or too long");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(system_error("socket", errno));
  // A unix stream connect completes at once or fails at once (EAGAIN: the
  // listener's backlog is full, charon is not keeping up).
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    const int error = errno;
    close(fd);
    return std::unexpected(system_error("cannot reach charon at " + path, error));
  }
  std::unique_ptr<ViciClient> client(
      new ViciClient(loop, fd, std::move(on_event), std::move(on_disconnect)));
  ViciClient* self = client.get();
  auto watch = loop.watch_fd(fd, EPOLLIN, [self](std::uint32_t events) { self->on_ready(events); });
  if (!watch) return std::unexpected(system_error("cannot watch the VICI socket", -watch.error()));
  client->watch_ = std::move(*watch);
  return client;
}

ViciClient::ViciClient(loop::EventLoop& loop, int fd, OnEvent on_event, OnDisconnect on_disconnect)
    : fd_(fd),
      on_event_(std::move(on_event)),
      on_disconnect_(std::move(on_disconnect)),
      deferred_alarm_(loop.create([this] {
        // Each callback may end this client: stop as soon as it has.
        const std::weak_ptr<bool> alive = alive_;
        while (!deferred_.empty()) {
          auto callback = std::move(deferred_.front());
          deferred_.pop_front();
          callback();
          if (alive.expired()) return;
        }
      })) {}

ViciClient::~ViciClient() {
  alive_.reset();
  watch_.reset();
  if (fd_ >= 0) close(fd_);
}

void ViciClient::later(std::function<void()> callback) {
  deferred_.push_back(std::move(callback));
  deferred_alarm_->arm(Duration::zero());
}

void ViciClient::command(const std::string& name, const vici::Section& request, OnResponse done) {
  enqueue({vici::PacketType::kCommandRequest, name, request}, std::move(done));
}

void ViciClient::subscribe(const std::string& event, OnResponse done) {
  enqueue({vici::PacketType::kEventRegister, event, {}}, std::move(done));
}

void ViciClient::enqueue(vici::Packet packet, OnResponse done) {
  const auto refuse = [this, &done](std::string reason) {
    later([done = std::move(done), reason = std::move(reason)] { done(std::unexpected(reason)); });
  };
  if (fd_ < 0) return refuse("not connected to charon");
  if (queue_.size() >= kMaxQueued) return refuse("too many VICI commands waiting for charon");
  auto bytes = vici::encode_packet(packet);
  if (!bytes) return refuse("cannot encode " + packet.name + ": " + bytes.error().what);
  queue_.push_back(
      {std::move(*bytes), packet.type == vici::PacketType::kEventRegister, std::move(done)});
  send_next();
}

void ViciClient::send_next() {
  if (fd_ < 0 || front_sent_ || queue_.empty()) return;
  output_ = queue_.front().bytes;
  front_sent_ = true;
  write_pending();
}

void ViciClient::write_pending() {
  while (fd_ >= 0 && !output_.empty()) {
    const ssize_t sent = send(fd_, output_.data(), output_.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      return fail(system_error("writing to charon", errno));
    }
    output_.erase(output_.begin(), output_.begin() + sent);
  }
  refresh_events();
}

void ViciClient::refresh_events() {
  if (watch_) watch_->set_events(EPOLLIN | (output_.empty() ? 0u : std::uint32_t{EPOLLOUT}));
}

void ViciClient::on_ready(std::uint32_t events) {
  const std::weak_ptr<bool> alive = alive_;
  if ((events & EPOLLOUT) != 0) write_pending();
  if (alive.expired() || fd_ < 0) return;
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) read_available();
}

void ViciClient::read_available() {
  const std::weak_ptr<bool> alive = alive_;
  std::array<std::uint8_t, 16384> buffer{};
  while (fd_ >= 0) {
    const ssize_t got = recv(fd_, buffer.data(), buffer.size(), 0);
    if (got == 0) return fail("charon closed the VICI connection");
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      return fail(system_error("reading from charon", errno));
    }
    reader_.feed(std::span(buffer.data(), static_cast<std::size_t>(got)));
    while (auto next = reader_.next()) {
      if (!next->has_value()) return fail("malformed VICI packet: " + next->error().what);
      dispatch(std::move(**next));
      if (alive.expired()) return;
    }
  }
}

void ViciClient::dispatch(vici::Packet packet) {
  using vici::PacketType;
  const bool waiting = front_sent_ && !queue_.empty();
  const bool registration = waiting && queue_.front().registration;
  switch (packet.type) {
    case PacketType::kEvent:
      if (on_event_) on_event_(packet.name, packet.message);
      return;
    case PacketType::kCommandResponse:
      if (!waiting || registration) return fail("a VICI response nobody asked for");
      return answer_front(std::move(packet.message));
    case PacketType::kCommandUnknown:
      if (!waiting || registration) return fail("a VICI response nobody asked for");
      return answer_front(std::unexpected("charon does not know this command"));
    case PacketType::kEventConfirm:
      if (!registration) return fail("a VICI confirmation nobody asked for");
      return answer_front(vici::Section{});
    case PacketType::kEventUnknown:
      if (!registration) return fail("a VICI confirmation nobody asked for");
      return answer_front(std::unexpected("charon has no such event"));
    case PacketType::kCommandRequest:
    case PacketType::kEventRegister:
    case PacketType::kEventUnregister:
      break;
  }
  fail("charon sent a packet only a client sends");
}

void ViciClient::answer_front(Response response) {
  OnResponse done = std::move(queue_.front().done);
  queue_.pop_front();
  front_sent_ = false;
  send_next();
  done(std::move(response));
}

void ViciClient::fail(const std::string& reason) {
  if (fd_ < 0) return;
  watch_.reset();
  close(fd_);
  fd_ = -1;
  output_.clear();
  front_sent_ = false;
  // From the loop: a write that fails inside command() must not answer
  // inside it.
  for (Pending& pending : queue_) {
    later([done = std::move(pending.done), reason] { done(std::unexpected(reason)); });
  }
  queue_.clear();
  if (on_disconnect_) later([this, reason] { on_disconnect_(reason); });
}

}  // namespace l2tp::ipsec
