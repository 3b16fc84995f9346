// The VICI connection on a real loop against a fake charon: a unix socket in
// a temporary directory, read and answered by the test with the vici codec.
#include "ipsec/vici_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace l2tp::ipsec {
namespace {

using vici::Packet;
using vici::PacketType;
using vici::Section;

// charon's side of the socket, blocking and driven by the test.
class FakeCharon {
 public:
  FakeCharon() {
    char pattern[] = "/tmp/vici-test-XXXXXX";
    directory_ = mkdtemp(pattern);
    path_ = directory_ + "/charon.vici";
    listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(listener_, 4), 0);
  }
  ~FakeCharon() {
    if (connection_ >= 0) close(connection_);
    close(listener_);
    std::filesystem::remove_all(directory_);
  }

  const std::string& path() const { return path_; }
  void accept_client() { connection_ = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC); }

  // The next packet the client sent, if it sent one (never waits for it).
  std::optional<Packet> received() {
    while (true) {
      if (auto next = reader_.next()) {
        EXPECT_TRUE(next->has_value());
        return next->has_value() ? std::optional<Packet>(**next) : std::nullopt;
      }
      std::uint8_t buffer[4096];
      const ssize_t got = recv(connection_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (got <= 0) return std::nullopt;
      reader_.feed(std::span(buffer, static_cast<std::size_t>(got)));
    }
  }

  void send_packet(const Packet& packet) { send_bytes(vici::encode_packet(packet).value()); }
  void send_bytes(std::span<const std::uint8_t> bytes) {
    ASSERT_EQ(send(connection_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  void hang_up() {
    close(connection_);
    connection_ = -1;
  }

 private:
  std::string directory_, path_;
  int listener_ = -1;
  int connection_ = -1;
  vici::PacketReader reader_;
};

Section with(const char* key, const char* value) {
  Section section;
  section.add(key, value);
  return section;
}

class ViciClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = std::move(*loop::EventLoop::create());
    auto client = ViciClient::connect(
        *loop_, charon_.path(),
        [this](const std::string& name, const Section& message) {
          events_.push_back(name + ":" + message.text("state"));
        },
        [this](const std::string& reason) { disconnects_.push_back(reason); });
    ASSERT_TRUE(client.has_value()) << client.error();
    client_ = std::move(*client);
    charon_.accept_client();
  }

  // Runs the loop until `done` (asked once per turn: it may consume what it
  // looks at) or a second has passed.
  bool run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 100; ++i) {
      if (done()) return true;
      sd_event_run(loop_->raw(), 10'000);
    }
    return done();
  }
  // Runs the loop until it has nothing left to do at once.
  void settle() {
    while (sd_event_run(loop_->raw(), 0) > 0) {
    }
  }

  ViciClient::OnResponse record(std::vector<ViciClient::Response>& into) {
    return [&into](ViciClient::Response response) { into.push_back(std::move(response)); };
  }

  FakeCharon charon_;
  std::unique_ptr<loop::EventLoop> loop_;
  std::unique_ptr<ViciClient> client_;
  std::vector<std::string> events_, disconnects_;
};

TEST(ViciClientConnect, SaysWhyCharonCannotBeReached) {
  auto loop = std::move(*loop::EventLoop::create());
  const auto client = ViciClient::connect(*loop, "/nonexistent/charon.vici", {}, {});
  ASSERT_FALSE(client.has_value());
  EXPECT_NE(client.error().find("/nonexistent/charon.vici"), std::string::npos) << client.error();
}

TEST_F(ViciClientTest, CommandsGoOneAtATimeInOrder) {
  std::vector<ViciClient::Response> first, second;
  client_->command("version", {}, record(first));
  client_->command("get-conns", {}, record(second));
  const auto version = charon_.received();
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(version->type, PacketType::kCommandRequest);
  EXPECT_EQ(version->name, "version");
  // The second waits for the first's response: VICI cannot tell them apart.
  EXPECT_FALSE(charon_.received().has_value());
  EXPECT_EQ(client_->queued(), 2u);

  charon_.send_packet({PacketType::kCommandResponse, "", with("daemon", "charon")});
  ASSERT_TRUE(run_until([&] { return !first.empty(); }));
  ASSERT_TRUE(first[0].has_value());
  EXPECT_EQ(first[0]->text("daemon"), "charon");
  EXPECT_TRUE(second.empty());
}

TEST_F(ViciClientTest, TheNextCommandFollowsTheResponse) {
  std::vector<ViciClient::Response> first, second;
  client_->command("version", {}, record(first));
  client_->command("get-conns", {}, record(second));
  ASSERT_EQ(charon_.received()->name, "version");
  charon_.send_packet({PacketType::kCommandResponse, "", {}});
  std::optional<Packet> next;
  ASSERT_TRUE(run_until([&] { return (next = charon_.received()).has_value(); }));
  EXPECT_EQ(next->name, "get-conns");
  charon_.send_packet({PacketType::kCommandUnknown, "", {}});
  ASSERT_TRUE(run_until([&] { return !second.empty(); }));
  ASSERT_FALSE(second[0].has_value());
  EXPECT_NE(second[0].error().find("does not know"), std::string::npos);
  EXPECT_EQ(client_->queued(), 0u);
}

TEST_F(ViciClientTest, EventsArriveBetweenACommandAndItsResponse) {
  std::vector<ViciClient::Response> registered, initiated;
  client_->subscribe("child-updown", record(registered));
  ASSERT_EQ(charon_.received()->type, PacketType::kEventRegister);
  charon_.send_packet({PacketType::kEventConfirm, "", {}});
  ASSERT_TRUE(run_until([&] { return !registered.empty(); }));
  EXPECT_TRUE(registered[0].has_value());

  client_->command("initiate", with("child", "l2tp"), record(initiated));
  const auto initiate = charon_.received();
  ASSERT_TRUE(initiate.has_value());
  EXPECT_EQ(initiate->message.text("child"), "l2tp");
  charon_.send_packet({PacketType::kEvent, "child-updown", with("state", "INSTALLED")});
  charon_.send_packet({PacketType::kCommandResponse, "", with("success", "yes")});
  ASSERT_TRUE(run_until([&] { return !initiated.empty(); }));
  EXPECT_EQ(events_, std::vector<std::string>{"child-updown:INSTALLED"});
  EXPECT_EQ(initiated[0]->text("success"), "yes");
}

TEST_F(ViciClientTest, AnUnknownEventIsAnError) {
  std::vector<ViciClient::Response> registered;
  client_->subscribe("no-such-event", record(registered));
  ASSERT_TRUE(charon_.received().has_value());
  charon_.send_packet({PacketType::kEventUnknown, "", {}});
  ASSERT_TRUE(run_until([&] { return !registered.empty(); }));
  EXPECT_FALSE(registered[0].has_value());
  EXPECT_TRUE(client_->connected());
}

TEST_F(ViciClientTest, AResponseInPiecesIsOneResponse) {
  std::vector<ViciClient::Response> answered;
  client_->command("stats", {}, record(answered));
  ASSERT_TRUE(charon_.received().has_value());
  const auto bytes =
      vici::encode_packet({PacketType::kCommandResponse, "", with("uptime", "1")}).value();
  for (std::uint8_t byte : bytes) {
    EXPECT_TRUE(answered.empty());
    charon_.send_bytes(std::span(&byte, 1));
    settle();
  }
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0]->text("uptime"), "1");
}

TEST_F(ViciClientTest, AMalformedPacketEndsTheConnectionAndAnswersEveryone) {
  std::vector<ViciClient::Response> first, second, after;
  client_->command("version", {}, record(first));
  client_->command("stats", {}, record(second));
  ASSERT_TRUE(charon_.received().has_value());
  const std::uint8_t malformed[] = {0, 0, 0, 2, 1, 9};  // a response with element type 9
  charon_.send_bytes(malformed);
  ASSERT_TRUE(run_until([&] { return !disconnects_.empty(); }));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_FALSE(first[0].has_value());
  EXPECT_FALSE(second[0].has_value());
  EXPECT_NE(disconnects_[0].find("malformed"), std::string::npos) << disconnects_[0];
  EXPECT_FALSE(client_->connected());
  client_->command("version", {}, record(after));
  ASSERT_TRUE(run_until([&] { return !after.empty(); }));
  EXPECT_FALSE(after[0].has_value());
  EXPECT_EQ(disconnects_.size(), 1u);
}

TEST_F(ViciClientTest, CharonGoingAwayIsADisconnect) {
  std::vector<ViciClient::Response> answered;
  client_->command("version", {}, record(answered));
  ASSERT_TRUE(charon_.received().has_value());
  charon_.hang_up();
  ASSERT_TRUE(run_until([&] { return !disconnects_.empty(); }));
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_FALSE(answered[0].has_value());
}

TEST_F(ViciClientTest, AResponseNobodyAskedForEndsTheConnection) {
  charon_.send_packet({PacketType::kCommandResponse, "", {}});
  ASSERT_TRUE(run_until([&] { return !disconnects_.empty(); }));
  EXPECT_FALSE(client_->connected());
}

TEST_F(ViciClientTest, TheQueueIsBoundedAndRefusalsComeFromTheLoop) {
  std::vector<ViciClient::Response> answers;
  for (std::size_t i = 0; i < ViciClient::kMaxQueued; ++i)
    client_->command("version", {}, record(answers));
  std::vector<ViciClient::Response> refused;
  client_->command("version", {}, record(refused));
  EXPECT_TRUE(refused.empty());  // never inside the call
  ASSERT_TRUE(run_until([&] { return !refused.empty(); }));
  EXPECT_FALSE(refused[0].has_value());
  EXPECT_EQ(client_->queued(), ViciClient::kMaxQueued);
}

}  // namespace
}  // namespace l2tp::ipsec
