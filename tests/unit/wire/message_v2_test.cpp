// Byte-exact L2TPv2 vectors, one per message type, written by hand from the
// layouts of RFC 2661 §3.1 (header), §4.1 (AVP) and §4.4 (values). AVPs follow
// Message Type in ascending attribute order, which is the encoder's order.
// Each AVP line: flags+length, vendor, attribute type, value.
#include <gtest/gtest.h>

#include "vector_check.h"

namespace l2tp::wire {
namespace {

using testing::bytes_of;
using testing::expect_vector;
using testing::v2_header;

TEST(V2Vectors, Sccrq) {
  Message m;
  m.type = MessageType::kSccrq;
  m.protocol_version = 0x0100;
  m.framing_capabilities = 0x3;
  m.bearer_capabilities = 0;
  m.tie_breaker = 0x0102030405060708;
  m.firmware_revision = 0x0680;
  m.host_name = "lac.example";
  m.vendor_name = "l2tpbus";
  m.assigned_tunnel_id = 0x1f90;
  m.receive_window_size = 4;
  m.challenge = bytes_of("deadbeef");
  expect_vector(v2_header(0, 0, 0, 0), m,
                "c802 007e 0000 0000 0000 0000"
                "8008 0000 0000 0001"                    // Message Type 1
                "8008 0000 0002 0100"                    // Protocol Version 1.0
                "800a 0000 0003 00000003"                // Framing Capabilities A|S
                "800a 0000 0004 00000000"                // Bearer Capabilities
                "000e 0000 0005 0102030405060708"        // Tie Breaker, M=0
                "0008 0000 0006 0680"                    // Firmware Revision, M=0
                "8011 0000 0007 6c61632e6578616d706c65"  // Host Name "lac.example"
                "000d 0000 0008 6c327470627573"          // Vendor Name "l2tpbus", M=0
                "8008 0000 0009 1f90"                    // Assigned Tunnel ID
                "8008 0000 000a 0004"                    // Receive Window Size
                "800a 0000 000b deadbeef");              // Challenge
}

TEST(V2Vectors, Sccrp) {
  Message m;
  m.type = MessageType::kSccrp;
  m.protocol_version = 0x0100;
  m.framing_capabilities = 0x1;
  m.host_name = "lns";
  m.assigned_tunnel_id = 2;
  m.receive_window_size = 8;
  m.challenge_response = bytes_of("000102030405060708090a0b0c0d0e0f");
  expect_vector(v2_header(0x1f90, 0, 0, 1), m,
                "c802 0055 1f90 0000 0000 0001"
                "8008 0000 0000 0002"
                "8008 0000 0002 0100"
                "800a 0000 0003 00000001"
                "8009 0000 0007 6c6e73"
                "8008 0000 0009 0002"
                "8008 0000 000a 0008"
                "8016 0000 000d 000102030405060708090a0b0c0d0e0f");  // Challenge Response
}

TEST(V2Vectors, Scccn) {
  Message m;
  m.type = MessageType::kScccn;
  m.challenge_response = bytes_of("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  expect_vector(v2_header(2, 0, 1, 1), m,
                "c802 002a 0002 0000 0001 0001"
                "8008 0000 0000 0003"
                "8016 0000 000d a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
}

TEST(V2Vectors, Stopccn) {
  Message m;
  m.type = MessageType::kStopccn;
  m.result_code = ResultCode{2, 6, "bye"};
  m.assigned_tunnel_id = 0x1f90;
  expect_vector(v2_header(2, 0, 2, 1), m,
                "c802 0029 0002 0000 0002 0001"
                "8008 0000 0000 0004"
                "800d 0000 0001 0002 0006 627965"  // Result 2, Error 6, "bye"
                "8008 0000 0009 1f90");
}

TEST(V2Vectors, Hello) {
  Message m;
  m.type = MessageType::kHello;
  expect_vector(v2_header(2, 0, 3, 1), m,
                "c802 0014 0002 0000 0003 0001"
                "8008 0000 0000 0006");
}

TEST(V2Vectors, Ocrq) {
  Message m;
  m.type = MessageType::kOcrq;
  m.assigned_session_id = 5;
  m.call_serial_number = 0x101;
  m.minimum_bps = 9600;
  m.maximum_bps = 64000;
  m.bearer_type = 1;
  m.framing_type = 1;
  m.called_number = "5551234";
  m.sub_address = "12";
  expect_vector(v2_header(2, 0, 4, 1), m,
                "c802 0063 0002 0000 0004 0001"
                "8008 0000 0000 0007"
                "8008 0000 000e 0005"            // Assigned Session ID
                "800a 0000 000f 00000101"        // Call Serial Number
                "800a 0000 0010 00002580"        // Minimum BPS 9600
                "800a 0000 0011 0000fa00"        // Maximum BPS 64000
                "800a 0000 0012 00000001"        // Bearer Type: digital
                "800a 0000 0013 00000001"        // Framing Type: synchronous
                "800d 0000 0015 35353531323334"  // Called Number
                "8008 0000 0017 3132");          // Sub-Address
}

TEST(V2Vectors, Ocrp) {
  Message m;
  m.type = MessageType::kOcrp;
  m.assigned_session_id = 6;
  m.physical_channel_id = 3;
  expect_vector(v2_header(0x1f90, 5, 1, 5), m,
                "c802 0026 1f90 0005 0001 0005"
                "8008 0000 0000 0008"
                "8008 0000 000e 0006"
                "000a 0000 0019 00000003");  // Physical Channel ID, M=0
}

TEST(V2Vectors, Occn) {
  Message m;
  m.type = MessageType::kOccn;
  m.framing_type = 1;
  m.tx_connect_speed = 64000;
  m.rx_connect_speed = 56000;
  m.sequencing_required = true;
  expect_vector(v2_header(0x1f90, 5, 2, 6), m,
                "c802 0038 1f90 0005 0002 0006"
                "8008 0000 0000 0009"
                "800a 0000 0013 00000001"
                "800a 0000 0018 0000fa00"  // (Tx) Connect Speed, 32 bits
                "000a 0000 0026 0000dac0"  // Rx Connect Speed, M=0
                "8006 0000 0027");         // Sequencing Required, no value
}

TEST(V2Vectors, Icrq) {
  Message m;
  m.type = MessageType::kIcrq;
  m.assigned_session_id = 7;
  m.call_serial_number = 1;
  m.bearer_type = 2;
  m.called_number = "100";
  m.calling_number = "200";
  m.sub_address = "";
  m.physical_channel_id = 9;
  expect_vector(v2_header(0x1f90, 0, 3, 6), m,
                "c802 0052 1f90 0000 0003 0006"
                "8008 0000 0000 000a"
                "8008 0000 000e 0007"
                "800a 0000 000f 00000001"
                "800a 0000 0012 00000002"  // Bearer Type: analog
                "8009 0000 0015 313030"    // Called Number "100"
                "8009 0000 0016 323030"    // Calling Number "200"
                "8006 0000 0017"           // empty Sub-Address
                "000a 0000 0019 00000009");
}

TEST(V2Vectors, Icrp) {
  Message m;
  m.type = MessageType::kIcrp;
  m.assigned_session_id = 8;
  expect_vector(v2_header(2, 7, 5, 4), m,
                "c802 001c 0002 0007 0005 0004"
                "8008 0000 0000 000b"
                "8008 0000 000e 0008");
}

TEST(V2Vectors, Iccn) {
  Message m;
  m.type = MessageType::kIccn;
  m.framing_type = 1;
  m.tx_connect_speed = 10000000;
  m.initial_received_lcp_confreq = bytes_of("010405dc");
  m.last_sent_lcp_confreq = bytes_of("010405dc05061122");
  m.last_received_lcp_confreq = bytes_of("010405dc");
  m.proxy_authen_type = 2;
  m.proxy_authen_name = "alice";
  m.proxy_authen_challenge = bytes_of("01020304");
  m.proxy_authen_id = 1;
  m.proxy_authen_response = bytes_of("aabbccdd");
  m.private_group_id = bytes_of("676f6c64");
  m.rx_connect_speed = 10000000;
  m.sequencing_required = true;
  expect_vector(v2_header(0x1f90, 8, 4, 6), m,
                "c802 0093 1f90 0008 0004 0006"
                "8008 0000 0000 000c"
                "800a 0000 0013 00000001"
                "800a 0000 0018 00989680"          // Tx Connect Speed 10 Mbit/s
                "000a 0000 001a 010405dc"          // Initial Received LCP CONFREQ
                "000e 0000 001b 010405dc05061122"  // Last Sent LCP CONFREQ
                "000a 0000 001c 010405dc"          // Last Received LCP CONFREQ
                "0008 0000 001d 0002"              // Proxy Authen Type: CHAP
                "000b 0000 001e 616c696365"        // Proxy Authen Name "alice"
                "000a 0000 001f 01020304"          // Proxy Authen Challenge
                "0008 0000 0020 0001"              // Proxy Authen ID
                "000a 0000 0021 aabbccdd"          // Proxy Authen Response
                "000a 0000 0025 676f6c64"          // Private Group ID "gold"
                "000a 0000 0026 00989680"          // Rx Connect Speed
                "8006 0000 0027");
}

TEST(V2Vectors, Cdn) {
  Message m;
  m.type = MessageType::kCdn;
  m.result_code = ResultCode{3, std::nullopt, ""};
  m.q931_cause = Q931Cause{0x0010, 0x45, "ok"};
  m.assigned_session_id = 7;
  expect_vector(v2_header(0x1f90, 8, 5, 6), m,
                "c802 002f 1f90 0008 0005 0006"
                "8008 0000 0000 000e"
                "8008 0000 0001 0003"          // Result Code without Error Code
                "800b 0000 000c 0010 45 6f6b"  // Q.931: cause 16, DISCONNECT, "ok"
                "8008 0000 000e 0007");
}

TEST(V2Vectors, Wen) {
  Message m;
  m.type = MessageType::kWen;
  m.call_errors = CallErrors{1, 2, 3, 4, 5, 6};
  expect_vector(v2_header(0x1f90, 8, 6, 6), m,
                "c802 0034 1f90 0008 0006 0006"
                "8008 0000 0000 000f"
                "8020 0000 0022 0000"  // Call Errors: reserved, then six counters
                "00000001 00000002 00000003 00000004 00000005 00000006");
}

TEST(V2Vectors, Sli) {
  Message m;
  m.type = MessageType::kSli;
  m.accm = Accm{0x00000000, 0xffffffff};
  expect_vector(v2_header(2, 7, 6, 7), m,
                "c802 0024 0002 0007 0006 0007"
                "8008 0000 0000 0010"
                "8010 0000 0023 0000 00000000 ffffffff");  // ACCM: reserved, send, receive
}

}  // namespace
}  // namespace l2tp::wire
