#include "resolve/resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <utility>

#include "loop/event_loop.h"

namespace l2tp::resolve {

namespace {

using Outcome = std::expected<std::vector<Endpoint>, ResolveError>;

// RFC 1035's limit on a name in text form (without the final dot).
constexpr std::size_t kMaxHostName = 253;

std::unexpected<ResolveError> error(std::string message) {
  return std::unexpected(ResolveError{std::move(message)});
}

bool is_host_name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool family_allows(AddressFamily family, Endpoint::Family found) {
  switch (family) {
    case AddressFamily::kAny:
      return true;
    case AddressFamily::kIpv4:
      return found == Endpoint::Family::kIpv4;
    case AddressFamily::kIpv6:
      return found == Endpoint::Family::kIpv6;
  }
  return false;
}

// Literal addresses never reach c-ares. Anything with a colon is taken for
// IPv6 and anything of digits and dots for IPv4, so a mistyped address is
// refused here instead of being sent to DNS as a name.
std::optional<Outcome> parse_numeric(const std::string& host, std::uint16_t port,
                                     AddressFamily family) {
  std::string text = host;
  const bool bracketed = text.size() >= 2 && text.front() == '[' && text.back() == ']';
  if (bracketed) text = text.substr(1, text.size() - 2);

  std::optional<Endpoint> endpoint;
  if (bracketed || text.find(':') != std::string::npos) {
    std::array<std::uint8_t, 16> bytes{};
    if (inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) {
      return error(host + " is not a valid IPv6 address");
    }
    endpoint = Endpoint::ipv6(bytes, port);
  } else if (std::all_of(text.begin(), text.end(),
                         [](char c) { return c == '.' || (c >= '0' && c <= '9'); })) {
    std::array<std::uint8_t, 4> bytes{};
    if (inet_pton(AF_INET, text.c_str(), bytes.data()) != 1) {
      return error(host + " is not a valid IPv4 address");
    }
    endpoint = Endpoint::ipv4(bytes, port);
  } else {
    return std::nullopt;
  }
  if (!family_allows(family, endpoint->family)) {
    return error(host + (family == AddressFamily::kIpv4 ? " is not an IPv4 address"
                                                        : " is not an IPv6 address"));
  }
  return Outcome(std::vector<Endpoint>{*endpoint});
}

std::optional<ResolveError> check_host_name(const std::string& host) {
  if (host.empty()) return ResolveError{"no host name given"};
  if (host.size() > kMaxHostName ||
      !std::all_of(host.begin(), host.end(), is_host_name_character)) {
    return ResolveError{"not a valid host name: " + host};
  }
  return std::nullopt;
}

// Literal addresses, and names that cannot be valid, need no query.
std::optional<Outcome> answer_without_query(const std::string& host, std::uint16_t port,
                                            AddressFamily family) {
  // An embedded NUL would cut the text short for inet_pton and c-ares.
  if (host.find('\0') != std::string::npos) return error("not a valid host name");
  if (std::optional<Outcome> numeric = parse_numeric(host, port, family)) return numeric;
  if (std::optional<ResolveError> invalid = check_host_name(host)) {
    return std::unexpected(std::move(*invalid));
  }
  return std::nullopt;
}

std::optional<Endpoint> endpoint_from(const ares_addrinfo_node& node, std::uint16_t port) {
  if (node.ai_family == AF_INET && node.ai_addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in address{};
    std::memcpy(&address, node.ai_addr, sizeof address);
    std::array<std::uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &address.sin_addr, bytes.size());
    return Endpoint::ipv4(bytes, port);
  }
  if (node.ai_family == AF_INET6 && node.ai_addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 address{};
    std::memcpy(&address, node.ai_addr, sizeof address);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &address.sin6_addr, bytes.size());
    return Endpoint::ipv6(bytes, port);
  }
  return std::nullopt;
}

Outcome outcome_from(int status, const ares_addrinfo* result, const std::string& host,
                     std::uint16_t port, AddressFamily family) {
  switch (status) {
    case ARES_SUCCESS:
      break;
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
      return error("no address for " + host);
    case ARES_ETIMEOUT:
      return error("timed out resolving " + host);
    default:
      return error("cannot resolve " + host + ": " + ares_strerror(status));
  }
  // IPv4 first; within each family c-ares has already sorted by RFC 6724.
  std::vector<Endpoint> endpoints;
  for (Endpoint::Family wanted : {Endpoint::Family::kIpv4, Endpoint::Family::kIpv6}) {
    if (!family_allows(family, wanted)) continue;
    for (const ares_addrinfo_node* node = result != nullptr ? result->nodes : nullptr;
         node != nullptr; node = node->ai_next) {
      std::optional<Endpoint> endpoint = endpoint_from(*node, port);
      if (!endpoint || endpoint->family != wanted) continue;
      if (std::find(endpoints.begin(), endpoints.end(), *endpoint) != endpoints.end()) continue;
      endpoints.push_back(*endpoint);
    }
  }
  if (endpoints.empty()) return error("no address for " + host);
  return endpoints;
}

// Everything the Resolver does, shared so that request handles can outlive
// the Resolver (they hold it weakly) and so that delivery can keep it alive
// while a callback destroys the Resolver.
class Core : public std::enable_shared_from_this<Core> {
 public:
  explicit Core(loop::EventLoop& loop)
      : loop_(loop),
        cares_timer_(loop.create([this] { on_cares_timer(); })),
        delivery_alarm_(loop.create([this] { deliver_ready(); })) {}

  ~Core() {
    shut_down();
    if (library_initialized_) ares_library_cleanup();
  }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  std::optional<ResolveError> init(const ResolverOptions& options) {
    if (int status = ares_library_init(ARES_LIB_INIT_ALL); status != ARES_SUCCESS) {
      return ResolveError{std::string("cannot start c-ares: ") + ares_strerror(status)};
    }
    library_initialized_ = true;
    options_ = options;
    auto channel = open_channel();
    if (!channel) return channel.error();
    channel_ = *channel;
    return std::nullopt;
  }

  std::uint64_t start(const std::string& host, std::uint16_t port, AddressFamily family,
                      ResolveCallback done) {
    const std::uint64_t id = next_id_++;
    auto query = std::make_unique<Query>(Query{this, id, host, port, family, std::move(done)});
    Query& started = *query;
    queries_.emplace(id, std::move(query));

    if (std::optional<Outcome> immediate = answer_without_query(host, port, family)) {
      finish(started, std::move(*immediate));
      return id;
    }

    ares_addrinfo_hints hints{};
    hints.ai_family = family == AddressFamily::kIpv4   ? AF_INET
                      : family == AddressFamily::kIpv6 ? AF_INET6
                                                       : AF_UNSPEC;
    reopen_channel_if_stale();
    started.in_cares = true;
    ++queries_in_cares_;
    // May call on_cares_done before it returns (answers from /etc/hosts).
    ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &Core::on_cares_done, &started);
    update_cares_timer();
    return id;
  }

  void cancel(std::uint64_t id) {
    auto found = queries_.find(id);
    if (found == queries_.end()) return;
    Query& query = *found->second;
    if (query.in_cares) {
      // c-ares cannot drop one query; it keeps `query` until it calls back.
      query.done = nullptr;
      query.cancelled = true;
    } else {
      queries_.erase(found);
    }
  }

  // Cancels everything; the Resolver calls it as it goes, even while one of
  // the callbacks delivered below is still running.
  void shut_down() {
    if (shut_down_) return;
    shut_down_ = true;
    if (channel_ != nullptr) {
      // Calls on_cares_done for every open query (ignored: shut_down_) and
      // on_socket_state for every socket.
      ares_destroy(channel_);
      channel_ = nullptr;
    }
    socket_watches_.clear();
    queries_.clear();
    ready_.clear();
    cares_timer_->cancel();
    delivery_alarm_->cancel();
  }

 private:
  struct Query {
    Core* core;
    std::uint64_t id;
    std::string host;
    std::uint16_t port;
    AddressFamily family;
    ResolveCallback done;
    std::optional<Outcome> outcome;
    bool in_cares = false;
    bool cancelled = false;
  };

  // What identifies one version of resolv.conf; all zero while it is missing.
  struct FileVersion {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    std::int64_t modified_ns = 0;
    bool operator==(const FileVersion&) const = default;
  };

  FileVersion resolv_conf_version() const {
    struct stat status {};
    if (stat(options_.resolv_conf.c_str(), &status) != 0) return {};
    return {status.st_dev, status.st_ino, status.st_size,
            std::int64_t{status.st_mtim.tv_sec} * 1'000'000'000 + status.st_mtim.tv_nsec};
  }

  std::expected<ares_channel, ResolveError> open_channel() {
    ares_options settings{};
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF;
    settings.sock_state_cb = &Core::on_socket_state;
    settings.sock_state_cb_data = this;
    // Files first: /etc/hosts names (localhost, names an admin pinned) must
    // not depend on DNS. c-ares copies both strings.
    std::string lookups = "fb";
    settings.lookups = lookups.data();
    std::string resolv_conf = options_.resolv_conf;
    settings.resolvconf_path = resolv_conf.data();
    if (options_.attempt_timeout.count() > 0) {
      mask |= ARES_OPT_TIMEOUTMS;
      settings.timeout = static_cast<int>(options_.attempt_timeout.count());
    }
    if (options_.tries > 0) {
      mask |= ARES_OPT_TRIES;
      settings.tries = options_.tries;
    }
    // Taken before reading, so that a change while c-ares reads is seen next time.
    resolv_conf_version_ = resolv_conf_version();
    ares_channel channel = nullptr;
    if (int status = ares_init_options(&channel, &settings, mask); status != ARES_SUCCESS) {
      return std::unexpected(
          ResolveError{std::string("cannot start c-ares: ") + ares_strerror(status)});
    }
    if (!options_.servers.empty()) {
      if (int status = ares_set_servers_ports_csv(channel, options_.servers.c_str());
          status != ARES_SUCCESS) {
        ares_destroy(channel);
        return std::unexpected(ResolveError{"invalid name servers \"" + options_.servers +
                                            "\": " + ares_strerror(status)});
      }
    }
    return channel;
  }

  // c-ares 1.18 reads resolv.conf only when a channel is made, so a changed
  // file gets a new channel. Only between queries: the old channel's open
  // queries would otherwise be cut off. If the new file cannot be used, the
  // old channel stays.
  void reopen_channel_if_stale() {
    if (queries_in_cares_ > 0 || resolv_conf_version() == resolv_conf_version_) return;
    auto fresh = open_channel();
    if (!fresh) return;
    // No queries are open, so this only closes the old channel's sockets.
    ares_destroy(channel_);
    channel_ = *fresh;
  }

  static void on_cares_done(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
    auto& query = *static_cast<Query*>(arg);
    Core& core = *query.core;
    Outcome outcome = outcome_from(status, result, query.host, query.port, query.family);
    if (result != nullptr) ares_freeaddrinfo(result);
    if (core.shut_down_) return;  // queries_ is cleared right after ares_destroy
    query.in_cares = false;
    --core.queries_in_cares_;
    if (query.cancelled) {
      core.queries_.erase(query.id);
      return;
    }
    core.finish(query, std::move(outcome));
  }

  // Callbacks never run from inside resolve() nor from inside c-ares: the
  // outcome waits for a zero-delay alarm.
  void finish(Query& query, Outcome outcome) {
    query.outcome = std::move(outcome);
    ready_.push_back(query.id);
    delivery_alarm_->arm(Duration(0));
  }

  void deliver_ready() {
    const std::shared_ptr<Core> keep_alive = shared_from_this();
    std::vector<std::uint64_t> batch = std::exchange(ready_, {});
    for (std::uint64_t id : batch) {
      if (shut_down_) return;
      auto found = queries_.find(id);
      if (found == queries_.end()) continue;  // cancelled meanwhile
      std::unique_ptr<Query> query = std::move(found->second);
      queries_.erase(found);
      if (query->done) query->done(std::move(*query->outcome));
    }
  }

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<Core*>(data)->watch_socket(fd, readable != 0, writable != 0);
  }

  void watch_socket(ares_socket_t fd, bool readable, bool writable) {
    if (!readable && !writable) {
      socket_watches_.erase(fd);
      return;
    }
    const std::uint32_t events = (readable ? EPOLLIN : 0U) | (writable ? EPOLLOUT : 0U);
    if (auto found = socket_watches_.find(fd); found != socket_watches_.end()) {
      found->second->set_events(events);
      return;
    }
    auto watch = loop_.watch_fd(
        fd, events, [this, fd](std::uint32_t revents) { on_socket_ready(fd, revents); });
    // Without a watch the answer is never read; the query then ends by
    // c-ares's own timeout, which the timer still drives.
    if (watch) socket_watches_.emplace(fd, std::move(*watch));
  }

  void on_socket_ready(ares_socket_t fd, std::uint32_t revents) {
    // Errors and hang-ups are read too, so c-ares sees them and moves on.
    const bool read = (revents & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
    const bool write = (revents & EPOLLOUT) != 0;
    ares_process_fd(channel_, read ? fd : ARES_SOCKET_BAD, write ? fd : ARES_SOCKET_BAD);
    update_cares_timer();
  }

  void on_cares_timer() {
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    update_cares_timer();
  }

  void update_cares_timer() {
    if (channel_ == nullptr) return;
    timeval next{};
    if (ares_timeout(channel_, nullptr, &next) == nullptr) {
      cares_timer_->cancel();
      return;
    }
    // Rounded up: firing a little early would find nothing due yet.
    const auto after = std::chrono::seconds(next.tv_sec) + std::chrono::microseconds(next.tv_usec);
    cares_timer_->arm(std::chrono::ceil<Duration>(after));
  }

  loop::EventLoop& loop_;
  ResolverOptions options_;
  ares_channel channel_ = nullptr;
  FileVersion resolv_conf_version_;
  int queries_in_cares_ = 0;
  bool library_initialized_ = false;
  bool shut_down_ = false;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Query>> queries_;
  std::vector<std::uint64_t> ready_;
  std::unordered_map<ares_socket_t, std::unique_ptr<loop::IoWatch>> socket_watches_;
  std::unique_ptr<Alarm> cares_timer_;
  std::unique_ptr<Alarm> delivery_alarm_;
};

class PendingRequest final : public ResolveRequest {
 public:
  PendingRequest(std::weak_ptr<Core> core, std::uint64_t id) : core_(std::move(core)), id_(id) {}
  ~PendingRequest() override {
    if (auto core = core_.lock()) core->cancel(id_);
  }
  PendingRequest(const PendingRequest&) = delete;
  PendingRequest& operator=(const PendingRequest&) = delete;

 private:
  std::weak_ptr<Core> core_;
  std::uint64_t id_;
};

class CaresResolver final : public Resolver {
 public:
  explicit CaresResolver(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  ~CaresResolver() override { core_->shut_down(); }
  CaresResolver(const CaresResolver&) = delete;
  CaresResolver& operator=(const CaresResolver&) = delete;

  std::unique_ptr<ResolveRequest> resolve(const std::string& host, std::uint16_t port,
                                          AddressFamily family, ResolveCallback done) override {
    return std::make_unique<PendingRequest>(core_,
                                            core_->start(host, port, family, std::move(done)));
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::expected<std::unique_ptr<Resolver>, ResolveError> Resolver::create(loop::EventLoop& loop) {
  return create(loop, ResolverOptions{});
}

std::expected<std::unique_ptr<Resolver>, ResolveError> Resolver::create(
    loop::EventLoop& loop, const ResolverOptions& options) {
  auto core = std::make_shared<Core>(loop);
  if (std::optional<ResolveError> failed = core->init(options)) {
    return std::unexpected(std::move(*failed));
  }
  return std::make_unique<CaresResolver>(std::move(core));
}

}  // namespace l2tp::resolve
