#include "fake_dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

namespace l2tp::test {

namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::uint8_t kRcodeNameError = 3;

struct Question {
  std::string name;  // lower case, no final dot
  std::uint16_t type = 0;
  std::size_t end = 0;  // offset just past the question in the query
};

std::uint16_t read16(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

void append16(std::vector<std::uint8_t>& bytes, std::uint16_t value) {
  bytes.push_back(static_cast<std::uint8_t>(value >> 8));
  bytes.push_back(static_cast<std::uint8_t>(value & 0xff));
}

// Only what c-ares sends: one question, a name made of plain labels.
std::optional<Question> parse_question(const std::vector<std::uint8_t>& query) {
  if (query.size() < kHeaderSize || read16(query, 4) != 1) return std::nullopt;
  Question question;
  std::size_t at = kHeaderSize;
  while (at < query.size() && query[at] != 0) {
    const std::size_t length = query[at++];
    if (length > 63 || at + length > query.size()) return std::nullopt;
    if (!question.name.empty()) question.name += '.';
    for (std::size_t i = 0; i < length; ++i) {
      question.name += static_cast<char>(std::tolower(query[at + i]));
    }
    at += length;
  }
  if (at + 5 > query.size()) return std::nullopt;
  question.type = read16(query, at + 1);
  question.end = at + 5;
  return question;
}

}  // namespace

FakeDnsServer::FakeDnsServer(loop::EventLoop& loop) {
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr* generic = reinterpret_cast<sockaddr*>(&address);
  socklen_t length = sizeof address;
  if (bind(fd_, generic, length) != 0 || getsockname(fd_, generic, &length) != 0) {
    throw std::runtime_error("bind failed");
  }
  port_ = ntohs(address.sin_port);
  auto watch = loop.watch_fd(fd_, EPOLLIN, [this](std::uint32_t) { answer_pending(); });
  if (!watch) throw std::runtime_error("watch_fd failed");
  watch_ = std::move(*watch);
}

FakeDnsServer::~FakeDnsServer() {
  watch_.reset();
  close(fd_);
}

std::string FakeDnsServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

void FakeDnsServer::add_ipv4(const std::string& name, std::array<std::uint8_t, 4> address) {
  ipv4_.emplace(name, address);
}

void FakeDnsServer::add_ipv6(const std::string& name, const std::array<std::uint8_t, 16>& address) {
  ipv6_.emplace(name, address);
}

void FakeDnsServer::answer_pending() {
  while (true) {
    std::vector<std::uint8_t> query(512);
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    const ssize_t n = recvfrom(fd_, query.data(), query.size(), 0,
                               reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (n < 0) return;
    query.resize(static_cast<std::size_t>(n));
    const std::optional<Question> question = parse_question(query);
    if (!question) continue;
    questions_.push_back(question->name + (question->type == kTypeAaaa ? " AAAA" : " A"));
    if (silent_) continue;

    // The answer repeats the header and question, then one record per address.
    std::vector<std::uint8_t> reply(query.begin(),
                                    query.begin() + static_cast<std::ptrdiff_t>(question->end));
    std::vector<std::vector<std::uint8_t>> records;
    if (question->type == kTypeA) {
      auto [first, last] = ipv4_.equal_range(question->name);
      for (auto it = first; it != last; ++it)
        records.emplace_back(it->second.begin(), it->second.end());
    } else if (question->type == kTypeAaaa) {
      auto [first, last] = ipv6_.equal_range(question->name);
      for (auto it = first; it != last; ++it)
        records.emplace_back(it->second.begin(), it->second.end());
    }
    const bool known = ipv4_.contains(question->name) || ipv6_.contains(question->name);
    reply[2] = static_cast<std::uint8_t>(0x80 | (query[2] & 0x01));              // QR, keep RD
    reply[3] = static_cast<std::uint8_t>(0x80 | (known ? 0 : kRcodeNameError));  // RA
    reply[6] = 0;
    reply[7] = static_cast<std::uint8_t>(records.size());
    std::fill(reply.begin() + 8, reply.begin() + kHeaderSize, 0);  // no authority, additional
    for (const auto& rdata : records) {
      append16(reply, 0xc000 | kHeaderSize);  // the name: a pointer to the question's
      append16(reply, question->type);
      append16(reply, 1);  // class IN
      append16(reply, 0);  // TTL, high half
      append16(reply, 60);
      append16(reply, static_cast<std::uint16_t>(rdata.size()));
      reply.insert(reply.end(), rdata.begin(), rdata.end());
    }
    sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_length);
  }
}

}  // namespace l2tp::test
