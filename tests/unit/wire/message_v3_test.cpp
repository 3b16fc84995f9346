// Byte-exact L2TPv3 vectors, one per message type, written by hand from the
// layouts of RFC 3931 §3.2.1 and §4.1.1.2 (headers), §5.1 (AVP) and §5.4
// (values; M bits as the RFC's "SHOULD"). AVPs follow Message Type in
// ascending attribute order, which is the encoder's order.
#include <gtest/gtest.h>

#include "vector_check.h"

namespace l2tp::wire {
namespace {

using testing::bytes_of;
using testing::expect_vector;
using testing::v3_header;

TEST(V3Vectors, Sccrq) {
  Message m;
  m.type = MessageType::kSccrq;
  m.tie_breaker = 1;
  m.host_name = "lcce-a";
  m.vendor_name = "l2tpbus";
  m.receive_window_size = 16;
  m.router_id = 0xc0000201;
  m.assigned_connection_id = 0xabcd;
  m.pseudowire_capabilities = std::vector<std::uint16_t>{kPseudowireEthernet, kPseudowirePpp};
  m.preferred_language = bytes_of("656e");
  m.nonce = bytes_of("1122334455667788");
  expect_vector(v3_header(0, 0, 0), m,
                "c803 0077 00000000 0000 0000"
                "8008 0000 0000 0001"
                "800e 0000 0005 0000000000000001"    // Control Connection Tie Breaker
                "800c 0000 0007 6c6363652d61"        // Host Name "lcce-a"
                "000d 0000 0008 6c327470627573"      // Vendor Name, M=0
                "8008 0000 000a 0010"                // Receive Window Size 16
                "800a 0000 003c c0000201"            // Router ID
                "800a 0000 003d 0000abcd"            // Assigned Control Connection ID
                "800a 0000 003e 0005 0007"           // PW Capabilities: Ethernet, PPP
                "0008 0000 0048 656e"                // Preferred Language "en", M=0
                "800e 0000 0049 1122334455667788");  // Control Message Authentication Nonce
}

TEST(V3Vectors, SccrpOverIp) {
  Message m;
  m.type = MessageType::kSccrp;
  m.host_name = "lcce-b";
  m.router_id = 0xc0000202;
  m.assigned_connection_id = 0x1234;
  m.pseudowire_capabilities = std::vector<std::uint16_t>{kPseudowireEthernet};
  m.nonce = bytes_of("8877665544332211");
  expect_vector(v3_header(0xabcd, 0, 1), m,
                "00000000"  // Session ID 0: a control message over IP
                "c803 004a 0000abcd 0000 0001"
                "8008 0000 0000 0002"
                "800c 0000 0007 6c6363652d62"
                "800a 0000 003c c0000202"
                "800a 0000 003d 00001234"
                "8008 0000 003e 0005"
                "800e 0000 0049 8877665544332211",
                Encapsulation::kIp);
}

TEST(V3Vectors, Scccn) {
  Message m;
  m.type = MessageType::kScccn;
  expect_vector(v3_header(0x1234, 1, 1), m,
                "c803 0014 00001234 0001 0001"
                "8008 0000 0000 0003");
}

TEST(V3Vectors, Stopccn) {
  Message m;
  m.type = MessageType::kStopccn;
  m.result_code = ResultCode{1, 0, ""};
  m.assigned_connection_id = 0xabcd;
  expect_vector(v3_header(0x1234, 2, 1), m,
                "c803 0028 00001234 0002 0001"
                "8008 0000 0000 0004"
                "800a 0000 0001 0001 0000"  // Result 1 with Error 0
                "800a 0000 003d 0000abcd");
}

TEST(V3Vectors, Hello) {
  Message m;
  m.type = MessageType::kHello;
  expect_vector(v3_header(0x1234, 3, 1), m,
                "c803 0014 00001234 0003 0001"
                "8008 0000 0000 0006");
}

TEST(V3Vectors, Ack) {
  Message m;
  m.type = MessageType::kAck;
  expect_vector(v3_header(0x1234, 4, 2), m,
                "c803 0014 00001234 0004 0002"
                "8008 0000 0000 0014");  // Message Type 20
}

TEST(V3Vectors, Icrq) {
  Message m;
  m.type = MessageType::kIcrq;
  m.tie_breaker = 2;
  m.call_serial_number = 42;
  m.physical_channel_id = 0x11;
  m.local_session_id = 0x10000001;
  m.remote_session_id = 0;
  m.assigned_cookie = bytes_of("cafef00d");
  m.remote_end_id = bytes_of("707731");
  m.pseudowire_type = kPseudowireEthernet;
  m.l2_specific_sublayer = 1;
  m.data_sequencing = 0;
  m.circuit_status = CircuitStatus{true, true};
  m.tx_connect_speed = 1000000000;
  m.rx_connect_speed = 1000000000;
  expect_vector(v3_header(0x1234, 4, 2), m,
                "c803 0099 00001234 0004 0002"
                "8008 0000 0000 000a"
                "800e 0000 0005 0000000000000002"    // Session Tie Breaker
                "000a 0000 000f 0000002a"            // Serial Number, M=0
                "000a 0000 0019 00000011"            // Physical Channel ID, M=0
                "800a 0000 003f 10000001"            // Local Session ID
                "800a 0000 0040 00000000"            // Remote Session ID, not known yet
                "800a 0000 0041 cafef00d"            // Assigned Cookie, 32 bits
                "8009 0000 0042 707731"              // Remote End ID "pw1"
                "8008 0000 0044 0005"                // Pseudowire Type: Ethernet
                "8008 0000 0045 0001"                // L2-Specific Sublayer: default
                "8008 0000 0046 0000"                // Data Sequencing: none
                "8008 0000 0047 0003"                // Circuit Status: New, Active
                "000e 0000 004a 000000003b9aca00"    // Tx Connect Speed, 64 bits, M=0
                "000e 0000 004b 000000003b9aca00");  // Rx Connect Speed
}

TEST(V3Vectors, Icrp) {
  Message m;
  m.type = MessageType::kIcrp;
  m.local_session_id = 0x20000002;
  m.remote_session_id = 0x10000001;
  m.assigned_cookie = bytes_of("0102030405060708");
  m.circuit_status = CircuitStatus{true, false};
  expect_vector(v3_header(0xabcd, 2, 5), m,
                "c803 003e 0000abcd 0002 0005"
                "8008 0000 0000 000b"
                "800a 0000 003f 20000002"
                "800a 0000 0040 10000001"
                "800e 0000 0041 0102030405060708"  // 64-bit cookie
                "8008 0000 0047 0001");
}

TEST(V3Vectors, Iccn) {
  Message m;
  m.type = MessageType::kIccn;
  m.local_session_id = 0x10000001;
  m.remote_session_id = 0x20000002;
  m.tx_connect_speed = 0;
  expect_vector(v3_header(0x1234, 5, 3), m,
                "c803 0036 00001234 0005 0003"
                "8008 0000 0000 000c"
                "800a 0000 003f 10000001"
                "800a 0000 0040 20000002"
                "000e 0000 004a 0000000000000000");
}

TEST(V3Vectors, Ocrq) {
  Message m;
  m.type = MessageType::kOcrq;
  m.call_serial_number = 43;
  m.local_session_id = 0x30000003;
  m.remote_session_id = 0;
  m.remote_end_id = bytes_of("76633432");
  m.pseudowire_type = kPseudowirePpp;
  m.circuit_status = CircuitStatus{false, true};
  expect_vector(v3_header(0x1234, 6, 3), m,
                "c803 004c 00001234 0006 0003"
                "8008 0000 0000 0007"
                "000a 0000 000f 0000002b"
                "800a 0000 003f 30000003"
                "800a 0000 0040 00000000"
                "800a 0000 0042 76633432"  // Remote End ID "vc42"
                "8008 0000 0044 0007"      // Pseudowire Type: PPP
                "8008 0000 0047 0002");    // Circuit Status: New, not Active
}

TEST(V3Vectors, Ocrp) {
  Message m;
  m.type = MessageType::kOcrp;
  m.physical_channel_id = 0;
  m.local_session_id = 0x40000004;
  m.remote_session_id = 0x30000003;
  m.l2_specific_sublayer = 0;
  m.circuit_status = CircuitStatus{true, false};
  expect_vector(v3_header(0xabcd, 3, 7), m,
                "c803 0042 0000abcd 0003 0007"
                "8008 0000 0000 0008"
                "000a 0000 0019 00000000"
                "800a 0000 003f 40000004"
                "800a 0000 0040 30000003"
                "8008 0000 0045 0000"
                "8008 0000 0047 0001");
}

TEST(V3Vectors, Occn) {
  Message m;
  m.type = MessageType::kOccn;
  m.local_session_id = 0x30000003;
  m.remote_session_id = 0x40000004;
  m.data_sequencing = 2;
  m.rx_connect_speed = 10000000000;
  expect_vector(v3_header(0x1234, 7, 4), m,
                "c803 003e 00001234 0007 0004"
                "8008 0000 0000 0009"
                "800a 0000 003f 30000003"
                "800a 0000 0040 40000004"
                "8008 0000 0046 0002"                // Data Sequencing: all
                "000e 0000 004b 00000002540be400");  // Rx Connect Speed 10 Gbit/s
}

TEST(V3Vectors, Cdn) {
  Message m;
  m.type = MessageType::kCdn;
  m.result_code = ResultCode{3, 0, "admin"};
  m.local_session_id = 0x10000001;
  m.remote_session_id = 0x20000002;
  expect_vector(v3_header(0x1234, 8, 5), m,
                "c803 0037 00001234 0008 0005"
                "8008 0000 0000 000e"
                "800f 0000 0001 0003 0000 61646d696e"  // Result 3, Error 0, "admin"
                "800a 0000 003f 10000001"
                "800a 0000 0040 20000002");
}

TEST(V3Vectors, Wen) {
  Message m;
  m.type = MessageType::kWen;
  m.call_errors = CallErrors{0, 0, 7, 0, 0, 0};
  m.local_session_id = 0x10000001;
  m.remote_session_id = 0x20000002;
  expect_vector(v3_header(0x1234, 9, 5), m,
                "c803 0048 00001234 0009 0005"
                "8008 0000 0000 000f"
                "0020 0000 0022 0000"  // Circuit Errors, M=0: reserved, six counters
                "00000000 00000000 00000007 00000000 00000000 00000000"
                "800a 0000 003f 10000001"
                "800a 0000 0040 20000002");
}

TEST(V3Vectors, Sli) {
  Message m;
  m.type = MessageType::kSli;
  m.local_session_id = 0x20000002;
  m.remote_session_id = 0x10000001;
  m.circuit_status = CircuitStatus{false, false};
  expect_vector(v3_header(0xabcd, 4, 10), m,
                "c803 0030 0000abcd 0004 000a"
                "8008 0000 0000 0010"
                "800a 0000 003f 20000002"
                "800a 0000 0040 10000001"
                "8008 0000 0047 0000");  // Circuit Status: inactive
}

}  // namespace
}  // namespace l2tp::wire
