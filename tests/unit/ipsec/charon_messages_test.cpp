// What l2tpbusd asks of charon, and what it reads from charon's answers,
// checked as VICI sections (and as bytes, through the codec).
#include "ipsec/charon_messages.h"

#include <gtest/gtest.h>

namespace l2tp::ipsec {
namespace {

using vici::Blob;
using vici::Section;

std::vector<std::string> texts(const std::vector<Blob>* items) {
  std::vector<std::string> out;
  if (items == nullptr) return out;
  for (const Blob& item : *items) out.emplace_back(item.begin(), item.end());
  return out;
}

IpsecSettings psk_settings() {
  IpsecSettings settings;
  settings.psk = {'p', 's', 'k'};
  settings.ike_proposals = {"aes256-sha1-modp2048"};
  settings.esp_proposals = {"aes256-sha1"};
  return settings;
}

TEST(CharonMessagesTest, NamesCarryOurPrefix) {
  EXPECT_EQ(tunnel_connection_name(7), "l2tpbus-tunnel-7");
  EXPECT_EQ(listener_connection_name(2), "l2tpbus-listener-2");
  EXPECT_TRUE(is_ours("l2tpbus-tunnel-7"));
  EXPECT_FALSE(is_ours("office-vpn"));
  EXPECT_FALSE(is_ours("l2tpbu"));
}

TEST(CharonMessagesTest, AddressesAreWrittenWithoutPorts) {
  EXPECT_EQ(address_text(Endpoint::ipv4({192, 0, 2, 1}, 1701)), "192.0.2.1");
  std::array<std::uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 1;
  EXPECT_EQ(address_text(Endpoint::ipv6(v6, 1701)), "2001:db8::1");
}

TEST(CharonMessagesTest, TheInitiatorConnectionCoversExactlyTheTunnelsUdpFlow) {
  const Section request =
      initiator_connection("l2tpbus-tunnel-7", Endpoint::ipv4({192, 0, 2, 10}, 40000),
                           Endpoint::ipv4({192, 0, 2, 1}, 1701), psk_settings());
  ASSERT_TRUE(vici::encode_message(request).has_value());
  const Section* conn = request.section("l2tpbus-tunnel-7");
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->text("version"), "1");
  EXPECT_EQ(texts(conn->list("local_addrs")), std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(texts(conn->list("remote_addrs")), std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(texts(conn->list("proposals")), std::vector<std::string>{"aes256-sha1-modp2048"});
  EXPECT_EQ(conn->text("aggressive"), "no");
  EXPECT_EQ(conn->text("encap"), "no");
  EXPECT_EQ(conn->text("rekey_time"), "10800s");
  ASSERT_NE(conn->section("local"), nullptr);
  EXPECT_EQ(conn->section("local")->text("auth"), "psk");
  EXPECT_EQ(conn->section("local")->value("id"), nullptr);  // charon's default: our address
  ASSERT_NE(conn->section("remote"), nullptr);
  EXPECT_EQ(conn->section("remote")->text("auth"), "psk");
  // a PSK belongs to the gateway's address, which it must prove
  EXPECT_EQ(conn->section("remote")->text("id"), "192.0.2.1");

  const Section* children = conn->section("children");
  ASSERT_NE(children, nullptr);
  const Section* child = children->section("l2tp");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->text("mode"), "transport");
  EXPECT_EQ(texts(child->list("local_ts")), std::vector<std::string>{"dynamic[udp/40000]"});
  EXPECT_EQ(texts(child->list("remote_ts")), std::vector<std::string>{"dynamic[udp/1701]"});
  EXPECT_EQ(texts(child->list("esp_proposals")), std::vector<std::string>{"aes256-sha1"});
  EXPECT_EQ(child->text("rekey_time"), "3600s");
  EXPECT_EQ(child->text("start_action"), "none");
  EXPECT_EQ(child->text("close_action"), "none");
}

TEST(CharonMessagesTest, OptionsReachTheConnection) {
  IpsecSettings settings = psk_settings();
  settings.ike_version = IkeVersion::kV2;
  settings.ike_proposals.clear();
  settings.esp_proposals.clear();
  settings.force_encapsulation = true;
  settings.local_id = "@client";
  settings.remote_id = "gw.example";
  const Section request = initiator_connection("n", Endpoint::ipv4({0, 0, 0, 0}, 1701),
                                               Endpoint::ipv4({192, 0, 2, 1}, 1701), settings);
  const Section* conn = request.section("n");
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->text("version"), "2");
  EXPECT_EQ(conn->list("local_addrs"), nullptr);  // a wildcard: charon picks the route's
  EXPECT_EQ(conn->list("proposals"), nullptr);    // charon's defaults
  EXPECT_EQ(conn->text("encap"), "yes");
  EXPECT_EQ(conn->section("local")->text("id"), "@client");
  EXPECT_EQ(conn->section("remote")->text("id"), "gw.example");
  EXPECT_EQ(conn->section("children")->section("l2tp")->list("esp_proposals"), nullptr);
}

TEST(CharonMessagesTest, CertificatesTravelAsData) {
  IpsecSettings settings;
  settings.certificate = {0x30, 0x01, 0x02};
  settings.private_key = {0x30, 0x09};
  settings.ca = {0x30, 0x03};
  const Section request = initiator_connection("n", Endpoint::ipv4({192, 0, 2, 10}, 1701),
                                               Endpoint::ipv4({192, 0, 2, 1}, 1701), settings);
  const Section* conn = request.section("n");
  EXPECT_EQ(conn->section("local")->text("auth"), "pubkey");
  ASSERT_NE(conn->section("local")->list("certs"), nullptr);
  EXPECT_EQ(conn->section("local")->list("certs")->front(), (Blob{0x30, 0x01, 0x02}));
  EXPECT_EQ(conn->section("remote")->text("auth"), "pubkey");
  EXPECT_EQ(conn->section("remote")->text("id"), "%any");  // the CA vouches for the gateway
  EXPECT_EQ(conn->section("remote")->list("cacerts")->front(), (Blob{0x30, 0x03}));

  const Section key = private_key(settings.private_key);
  EXPECT_EQ(key.text("type"), "any");
  EXPECT_EQ(*key.value("data"), (Blob{0x30, 0x09}));
}

TEST(CharonMessagesTest, TheResponderTakesAnyPeerOnTheL2tpPort) {
  const Section request = responder_connection("l2tpbus-listener-1",
                                               Endpoint::ipv4({0, 0, 0, 0}, 1701), psk_settings());
  const Section* conn = request.section("l2tpbus-listener-1");
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->list("remote_addrs"), nullptr);
  const Section* child = conn->section("children")->section("l2tp");
  EXPECT_EQ(texts(child->list("local_ts")), std::vector<std::string>{"dynamic[udp/1701]"});
  EXPECT_EQ(texts(child->list("remote_ts")), std::vector<std::string>{"dynamic[udp]"});
}

TEST(CharonMessagesTest, SharedKeysAreNamedAndOwned) {
  const Section request = shared_key("l2tpbus-tunnel-7", SecretBytes{'k'}, "192.0.2.1");
  EXPECT_EQ(request.text("id"), "l2tpbus-tunnel-7");
  EXPECT_EQ(request.text("type"), "IKE");
  EXPECT_EQ(*request.value("data"), Blob{'k'});
  EXPECT_EQ(texts(request.list("owners")), std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(shared_key("n", SecretBytes{'k'}, "").list("owners"), nullptr);
}

TEST(CharonMessagesTest, CommandsNameTheirConnection) {
  const Section start = initiate("l2tpbus-tunnel-7", 120000);
  EXPECT_EQ(start.text("ike"), "l2tpbus-tunnel-7");
  EXPECT_EQ(start.text("child"), "l2tp");
  EXPECT_EQ(start.text("timeout"), "120000");
  EXPECT_EQ(terminate("x").text("timeout"), "-1");
  EXPECT_EQ(by_name("x").text("name"), "x");
  EXPECT_EQ(by_id("x").text("id"), "x");
}

TEST(CharonMessagesTest, CommandResultsCarryACleanReason) {
  Section ok;
  ok.add("success", "yes");
  EXPECT_TRUE(command_result(ok).has_value());
  Section refused;
  refused.add("success", "no");
  refused.add("errmsg", "bad\nproposal " + std::string(300, 'x'));
  const auto result = command_result(refused);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().substr(0, 13), "bad?proposal ");
  EXPECT_EQ(result.error().size(), 200u);
  EXPECT_EQ(command_result(Section{}).error(), "charon gave no reason");
}

TEST(CharonMessagesTest, ListedNamesAreRead) {
  Section response;
  response.add_list("conns", {"l2tpbus-tunnel-1", "office"});
  EXPECT_EQ(listed_names(response, "conns"),
            (std::vector<std::string>{"l2tpbus-tunnel-1", "office"}));
  EXPECT_TRUE(listed_names(response, "keys").empty());
}

Section updown_event(bool up, bool encap) {
  Section event;
  if (up) event.add("up", "yes");
  Section& ike = event.add_section("l2tpbus-tunnel-7");
  ike.add("version", "1");
  ike.add("encr-alg", "AES_CBC");
  ike.add("encr-keysize", "256");
  ike.add("integ-alg", "HMAC_SHA1_96");
  ike.add("prf-alg", "PRF_HMAC_SHA1");
  ike.add("dh-group", "MODP_2048");
  ike.add("nat-any", encap ? "yes" : "no");
  Section& child = ike.add_section("child-sas").add_section("l2tp-3");
  child.add("name", "l2tp");
  child.add("encr-alg", "AES_CBC");
  child.add("encr-keysize", "256");
  child.add("integ-alg", "HMAC_SHA1_96");
  child.add("encap", encap ? "yes" : "no");
  return event;
}

TEST(CharonMessagesTest, TheNegotiatedAlgorithmsAreRead) {
  const auto status = sa_status(updown_event(true, true), "l2tpbus-tunnel-7");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->state, IpsecState::kEstablished);
  EXPECT_EQ(status->ike_version, IkeVersion::kV1);
  EXPECT_EQ(status->ike_proposal, "AES_CBC-256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048");
  EXPECT_EQ(status->esp_proposal, "AES_CBC-256/HMAC_SHA1_96");
  EXPECT_TRUE(status->nat_traversal);
  EXPECT_FALSE(sa_status(updown_event(true, false), "l2tpbus-tunnel-7")->nat_traversal);
  EXPECT_FALSE(sa_status(updown_event(true, true), "l2tpbus-tunnel-8").has_value());
}

TEST(CharonMessagesTest, DownEventsAreToldFromUpEvents) {
  EXPECT_TRUE(reports_down(updown_event(false, false), "l2tpbus-tunnel-7"));
  EXPECT_FALSE(reports_down(updown_event(true, false), "l2tpbus-tunnel-7"));
  EXPECT_FALSE(reports_down(updown_event(false, false), "l2tpbus-tunnel-8"));
}

TEST(CharonMessagesTest, FailuresAreClassifiedFromCharonsLog) {
  EXPECT_EQ(failure_reason(
                "establishing CHILD_SA 'l2tp' failed",
                {"initiating Main Mode IKE_SA", "received AUTHENTICATION_FAILED error notify"}),
            "authentication failed (charon: received AUTHENTICATION_FAILED error notify)");
  EXPECT_EQ(failure_reason("", {"received NO_PROPOSAL_CHOSEN error notify"}),
            "no matching proposal (charon: received NO_PROPOSAL_CHOSEN error notify)");
  EXPECT_EQ(failure_reason("", {"giving up after 5 retransmits"}),
            "peer not responding (charon: giving up after 5 retransmits)");
  EXPECT_EQ(failure_reason("establishing CHILD_SA 'l2tp' failed", {"something else"}),
            "IKE failed (charon: establishing CHILD_SA 'l2tp' failed)");
  EXPECT_EQ(failure_reason("", {}), "IKE failed");
  EXPECT_EQ(failure_reason("", {"sending retransmit 1 of request message ID 0, seq 3",
                                "giving up after 3 retransmits"}),
            "authentication failed (the gateway went silent after the key exchange, as it does "
            "when the PSKs differ; charon: sending retransmit 1 of request message ID 0, seq 3)");
  EXPECT_EQ(failure_reason("", {"sending retransmit 1 of request message ID 0, seq 1"}),
            "peer not responding (charon: sending retransmit 1 of request message ID 0, seq 1)");
  // A key look-up on the way does not hide the refused proposal that ended it.
  EXPECT_EQ(failure_reason("", {"no shared key found for 'a' - '%any'",
                                "received NO_PROPOSAL_CHOSEN error notify"}),
            "no matching proposal (charon: received NO_PROPOSAL_CHOSEN error notify)");
  // A gateway certificate no CA of ours signed, in IKEv1 Main Mode: our own
  // authentication succeeded just before; the reason is the gateway's.
  EXPECT_EQ(failure_reason(
                "", {"authentication of 'CN=client' (myself) successful",
                     "sending end entity cert \"CN=client\"", "received end entity cert \"CN=lns\"",
                     "no issuer certificate found for \"CN=lns\"",
                     "no trusted ECDSA public key found for 'CN=lns'",
                     "deleting IKE_SA l2tpbus-tunnel-3[1] between 10.0.0.1[CN=client]"
                     "...10.0.0.2[CN=lns]"}),
            "authentication failed (charon: no trusted ECDSA public key found for 'CN=lns')");
  // Success lines are no reason, whoever they are about.
  EXPECT_EQ(failure_reason("establishing CHILD_SA 'l2tp' failed",
                           {"authentication of '10.0.0.2' with pre-shared key successful"}),
            "IKE failed (charon: establishing CHILD_SA 'l2tp' failed)");
}

}  // namespace
}  // namespace l2tp::ipsec
