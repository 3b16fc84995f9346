// The concentrator's discovery, driven by frames from bytes and a fake
// clock; what it sends is decoded again and checked tag by tag.
#include "pppoe/discovery_server.h"

#include <gtest/gtest.h>

#include "../wire/hex.h"

namespace l2tp::pppoe {
namespace {

using std::chrono::seconds;
using wire::testing::from_hex;

const MacAddress kHost = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
const MacAddress kOtherHost = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
const MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const TimePoint kStart = TimePoint(seconds(5000));

struct Sent {
  MacAddress to;
  DiscoveryPacket packet;
};

class Recorder : public DiscoveryVisitor {
 public:
  void send(const MacAddress& destination, Bytes payload) override {
    auto packet = decode_discovery(payload);
    ASSERT_TRUE(packet.has_value()) << "we sent something we cannot read";
    sent.push_back({destination, std::move(*packet)});
  }
  void session_started(const PppoeSession& session) override { started.push_back(session); }
  void session_ended(const PppoeSession& session, SessionEnd why) override {
    ended.emplace_back(session, why);
  }

  std::vector<Sent> sent;
  std::vector<PppoeSession> started;
  std::vector<std::pair<PppoeSession, SessionEnd>> ended;
};

Bytes padi(std::string_view service, const Bytes& host_uniq) {
  DiscoveryPacket packet{Code::kPadi, 0, {}};
  packet.add(TagType::kServiceName, service);
  if (!host_uniq.empty()) packet.add(TagType::kHostUniq, host_uniq);
  return encode_discovery(packet);
}

// The PADR a host sends back after `pado`: its service, Host-Uniq and cookie.
Bytes padr_after(const DiscoveryPacket& pado, const Bytes* relay = nullptr) {
  DiscoveryPacket packet{Code::kPadr, 0, {}};
  packet.add(TagType::kServiceName, pado.find(TagType::kServiceName)->value);
  if (const Tag* uniq = pado.find(TagType::kHostUniq)) packet.add(TagType::kHostUniq, uniq->value);
  packet.add(TagType::kAcCookie, pado.find(TagType::kAcCookie)->value);
  if (relay != nullptr) packet.add(TagType::kRelaySessionId, *relay);
  return encode_discovery(packet);
}

class DiscoveryServerTest : public ::testing::Test {
 protected:
  DiscoveryServer make(std::vector<std::string> services = {"isp"}, DiscoveryLimits limits = {}) {
    return DiscoveryServer({"l2tpbus-ac", std::move(services), limits},
                           CookieJar(SecretBytes(CookieJar::kSecretSize, 3)), recorder);
  }

  // PADI and PADR from `host`; the PADS.
  DiscoveryPacket connect(DiscoveryServer& server, const MacAddress& host, const Bytes& uniq) {
    server.receive(host, padi("isp", uniq), kStart);
    EXPECT_FALSE(recorder.sent.empty());
    const DiscoveryPacket pado = recorder.sent.back().packet;
    server.receive(host, padr_after(pado), kStart + seconds(1));
    return recorder.sent.back().packet;
  }

  Recorder recorder;
};

TEST_F(DiscoveryServerTest, PadiGetsAnOfferWithCookieAndEchoes) {
  auto server = make();
  DiscoveryPacket request{Code::kPadi, 0, {}};
  request.add(TagType::kServiceName, "");
  request.add(TagType::kHostUniq, from_hex("deadbeef"));
  request.add(TagType::kRelaySessionId, from_hex("0a0b"));
  server.receive(kHost, encode_discovery(request), kStart);
  ASSERT_EQ(recorder.sent.size(), 1u);
  EXPECT_EQ(recorder.sent[0].to, kHost);
  const DiscoveryPacket pado = recorder.sent[0].packet;
  EXPECT_EQ(pado.code, Code::kPado);
  EXPECT_EQ(pado.session_id, 0);
  EXPECT_EQ(wire::to_string(pado.find(TagType::kAcName)->value), "l2tpbus-ac");
  // "Any service" is offered the first one.
  EXPECT_EQ(wire::to_string(pado.find(TagType::kServiceName)->value), "isp");
  EXPECT_EQ(pado.find(TagType::kHostUniq)->value, from_hex("deadbeef"));
  EXPECT_EQ(pado.find(TagType::kRelaySessionId)->value, from_hex("0a0b"));
  EXPECT_EQ(pado.find(TagType::kAcCookie)->value.size(), CookieJar::kCookieSize);
  EXPECT_TRUE(server.sessions().empty());  // an offer holds nothing
}

TEST_F(DiscoveryServerTest, PadrWithOurCookieMakesOneSession) {
  auto server = make();
  server.receive(kHost, padi("isp", from_hex("01")), kStart);
  const DiscoveryPacket pado = recorder.sent.back().packet;
  const Bytes relay = from_hex("cafe");
  server.receive(kHost, padr_after(pado, &relay), kStart + seconds(2));
  ASSERT_EQ(recorder.sent.size(), 2u);
  // Copies: later frames grow recorder.sent, which may move its elements.
  const DiscoveryPacket pads = recorder.sent[1].packet;
  EXPECT_EQ(pads.code, Code::kPads);
  EXPECT_NE(pads.session_id, 0);
  EXPECT_EQ(pads.find(TagType::kHostUniq)->value, from_hex("01"));
  EXPECT_EQ(pads.find(TagType::kRelaySessionId)->value, relay);
  EXPECT_EQ(pads.find(TagType::kAcCookie), nullptr);
  ASSERT_EQ(recorder.started.size(), 1u);
  EXPECT_EQ(recorder.started[0],
            (PppoeSession{pads.session_id, kHost, "isp", from_hex("01"), relay}));

  // The same PADR again (our PADS was lost): the same session, no second.
  server.receive(kHost, padr_after(pado, &relay), kStart + seconds(3));
  ASSERT_EQ(recorder.sent.size(), 3u);
  EXPECT_EQ(recorder.sent[2].packet.session_id, pads.session_id);
  EXPECT_EQ(recorder.started.size(), 1u);
  EXPECT_EQ(server.sessions().size(), 1u);
}

TEST_F(DiscoveryServerTest, ServicesNotOfferedGetNoAnswer) {
  auto server = make({"isp", "business"});
  server.receive(kHost, padi("business", {}), kStart);
  ASSERT_EQ(recorder.sent.size(), 1u);
  EXPECT_EQ(wire::to_string(recorder.sent[0].packet.find(TagType::kServiceName)->value),
            "business");
  server.receive(kHost, padi("video", {}), kStart);
  EXPECT_EQ(recorder.sent.size(), 1u);
  EXPECT_EQ(server.dropped(DiscoveryDrop::kUnknownService), 1u);
  // With no list, whatever is asked for is served.
  Recorder other;
  DiscoveryServer any({"ac", {}, {}}, CookieJar(SecretBytes(32, 1)), other);
  any.receive(kHost, padi("video", {}), kStart);
  ASSERT_EQ(other.sent.size(), 1u);
  EXPECT_EQ(wire::to_string(other.sent[0].packet.find(TagType::kServiceName)->value), "video");
}

TEST_F(DiscoveryServerTest, AForgedPadrFloodHoldsNothing) {
  auto server = make();
  DiscoveryPacket forged{Code::kPadr, 0, {}};
  forged.add(TagType::kServiceName, "isp");
  forged.add(TagType::kAcCookie, Bytes(CookieJar::kCookieSize, 0x42));
  const Bytes frame = encode_discovery(forged);
  DiscoveryPacket no_cookie{Code::kPadr, 0, {}};
  no_cookie.add(TagType::kServiceName, "isp");
  for (std::uint32_t i = 0; i < 10000; ++i) {
    const MacAddress host = {0x02,
                             0,
                             0,
                             static_cast<std::uint8_t>(i >> 16),
                             static_cast<std::uint8_t>(i >> 8),
                             static_cast<std::uint8_t>(i)};
    server.receive(host, i % 2 ? frame : encode_discovery(no_cookie), kStart);
  }
  EXPECT_TRUE(recorder.sent.empty());
  EXPECT_TRUE(server.sessions().empty());
  EXPECT_EQ(server.dropped(DiscoveryDrop::kBadCookie), 10000u);
}

TEST_F(DiscoveryServerTest, CookiesAreBoundToHostAndTime) {
  auto server = make();
  server.receive(kHost, padi("isp", from_hex("01")), kStart);
  const DiscoveryPacket pado = recorder.sent.back().packet;
  // Another host replaying the cookie, or the right host too late.
  server.receive(kOtherHost, padr_after(pado), kStart + seconds(1));
  server.receive(kHost, padr_after(pado), kStart + CookieJar::kLifetime + seconds(1));
  EXPECT_EQ(server.dropped(DiscoveryDrop::kBadCookie), 2u);
  EXPECT_TRUE(server.sessions().empty());
}

TEST_F(DiscoveryServerTest, LimitsPerHostAndPerInterface) {
  auto server = make({"isp"}, {.max_sessions = 3, .max_sessions_per_host = 2});
  connect(server, kHost, from_hex("01"));
  connect(server, kHost, from_hex("02"));
  const std::size_t sent = recorder.sent.size();
  // The host's third: PADO still (the interface has room), no PADS.
  connect(server, kHost, from_hex("03"));
  EXPECT_EQ(recorder.sent.size(), sent + 1);
  EXPECT_EQ(server.dropped(DiscoveryDrop::kHostLimit), 1u);
  connect(server, kOtherHost, from_hex("01"));
  EXPECT_EQ(server.sessions().size(), 3u);
  // Full: a PADI gets no offer at all.
  const MacAddress third = {0x02, 0, 0, 0, 0, 3};
  server.receive(third, padi("isp", {}), kStart);
  EXPECT_EQ(server.dropped(DiscoveryDrop::kInterfaceLimit), 1u);
  EXPECT_EQ(recorder.started.size(), 3u);
}

TEST_F(DiscoveryServerTest, PadtEndsOnlyTheSendersOwnSession) {
  auto server = make();
  const DiscoveryPacket pads = connect(server, kHost, from_hex("01"));
  const Bytes padt = encode_discovery(DiscoveryPacket{Code::kPadt, pads.session_id, {}});
  server.receive(kOtherHost, padt, kStart);
  server.receive(kHost, encode_discovery(DiscoveryPacket{Code::kPadt, 0x7777, {}}), kStart);
  EXPECT_EQ(server.dropped(DiscoveryDrop::kUnknownSession), 2u);
  EXPECT_EQ(server.sessions().size(), 1u);
  server.receive(kHost, padt, kStart);
  ASSERT_EQ(recorder.ended.size(), 1u);
  EXPECT_EQ(recorder.ended[0].first.session_id, pads.session_id);
  EXPECT_EQ(recorder.ended[0].second, SessionEnd::kHostTerminated);
  EXPECT_TRUE(server.sessions().empty());
}

TEST_F(DiscoveryServerTest, TerminateSendsPadtWithTheReason) {
  auto server = make();
  const DiscoveryPacket pads = connect(server, kHost, from_hex("01"));
  server.terminate(pads.session_id, "the LNS closed the call: " + std::string(100, 'x'));
  const Sent padt = recorder.sent.back();
  EXPECT_EQ(padt.to, kHost);
  EXPECT_EQ(padt.packet.code, Code::kPadt);
  EXPECT_EQ(padt.packet.session_id, pads.session_id);
  EXPECT_EQ(padt.packet.find(TagType::kGenericError)->value.size(), 64u);
  ASSERT_EQ(recorder.ended.size(), 1u);
  EXPECT_EQ(recorder.ended[0].second, SessionEnd::kTerminated);
  const std::size_t sent = recorder.sent.size();
  server.terminate(pads.session_id, "again");
  EXPECT_EQ(recorder.sent.size(), sent);
}

TEST_F(DiscoveryServerTest, SessionIdsAreNotReusedAtOnce) {
  auto server = make({"isp"}, {.max_sessions = 10, .max_sessions_per_host = 10});
  const std::uint16_t first = connect(server, kHost, from_hex("01")).session_id;
  server.terminate(first, "");
  const std::uint16_t second = connect(server, kHost, from_hex("02")).session_id;
  EXPECT_NE(first, second);
  EXPECT_NE(second, 0);
}

TEST_F(DiscoveryServerTest, WhatAConcentratorDropsIsCounted) {
  auto server = make();
  server.receive(kHost, from_hex("11 09 0000 00"), kStart);
  server.receive(kHost, from_hex("21 09 0000 0004 0101 0000"), kStart);
  server.receive(kBroadcast, padi("isp", {}), kStart);
  DiscoveryPacket pado{Code::kPado, 0, {}};
  pado.add(TagType::kServiceName, "isp");
  pado.add(TagType::kAcName, "rogue");
  server.receive(kHost, encode_discovery(pado), kStart);
  EXPECT_TRUE(recorder.sent.empty());
  EXPECT_EQ(server.dropped(DiscoveryDrop::kMalformed), 2u);
  EXPECT_EQ(server.malformed(DiscoveryError::kTruncated), 1u);
  EXPECT_EQ(server.malformed(DiscoveryError::kBadVersionType), 1u);
  EXPECT_EQ(server.dropped(DiscoveryDrop::kNotUnicastSender), 1u);
  EXPECT_EQ(server.dropped(DiscoveryDrop::kNotForConcentrator), 1u);
}

}  // namespace
}  // namespace l2tp::pppoe
