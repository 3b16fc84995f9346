// The plugin's report lines, parsed from bytes as they arrive.
#include "ppp/report_protocol.h"

#include <gtest/gtest.h>

namespace l2tp::ppp {
namespace {

TEST(ReportProtocolTest, ParsesEveryReport) {
  EXPECT_EQ(std::get<PhaseReport>(*parse_report("PHASE 7")).phase, 7);
  EXPECT_EQ(std::get<ExitReport>(*parse_report("EXIT 19")).status, 19);
  EXPECT_TRUE(std::holds_alternative<IpcpDownReport>(*parse_report("IPCP-DOWN")));
  EXPECT_TRUE(std::holds_alternative<Ipv6cpDownReport>(*parse_report("IPV6CP-DOWN")));
  EXPECT_TRUE(std::holds_alternative<Ipv6cpRefusedReport>(*parse_report("IPV6CP-REFUSED")));
  EXPECT_TRUE(std::holds_alternative<Ipv6cpOffReport>(*parse_report("IPV6CP-OFF")));

  const auto up = parse_report("IPCP-UP ppp0 10.0.0.2 10.0.0.1 192.0.2.53 - 1400");
  ASSERT_TRUE(up.has_value()) << up.error();
  const auto& ipcp = std::get<IpcpUpReport>(*up);
  EXPECT_EQ(ipcp.interface_name, "ppp0");
  EXPECT_EQ(ipcp.local_address, "10.0.0.2");
  EXPECT_EQ(ipcp.peer_address, "10.0.0.1");
  EXPECT_EQ(ipcp.dns, std::vector<std::string>{"192.0.2.53"});
  EXPECT_EQ(ipcp.mtu, 1400u);

  const auto v6 = parse_report("IPV6CP-UP l2tp-1 0123456789abcdef fedcba9876543210");
  ASSERT_TRUE(v6.has_value()) << v6.error();
  EXPECT_EQ(std::get<Ipv6cpUpReport>(*v6).peer_interface_id, "fedcba9876543210");
}

TEST(ReportProtocolTest, InterfaceIdsMakeLinkLocalAddresses) {
  EXPECT_EQ(link_local_address("0123456789abcdef"), "fe80::123:4567:89ab:cdef");
  EXPECT_EQ(link_local_address("0000000000000001"), "fe80::1");
  EXPECT_EQ(link_local_address("0123456789ABCDEF"), "");  // not what the plugin writes
  EXPECT_EQ(link_local_address("0123"), "");
}

TEST(ReportProtocolTest, IpcpUpWithoutPeerAddressDnsOrMtu) {
  const auto up = parse_report("IPCP-UP ppp3 10.0.0.2 - - - -1");
  ASSERT_TRUE(up.has_value()) << up.error();
  const auto& ipcp = std::get<IpcpUpReport>(*up);
  EXPECT_EQ(ipcp.peer_address, "");
  EXPECT_TRUE(ipcp.dns.empty());
  EXPECT_EQ(ipcp.mtu, 0u);
}

TEST(ReportProtocolTest, OneDnsServerInBothSlotsIsListedOnce) {
  const auto up = parse_report("IPCP-UP ppp0 10.0.0.2 10.0.0.1 192.0.2.99 192.0.2.99 1400");
  ASSERT_TRUE(up.has_value()) << up.error();
  EXPECT_EQ(std::get<IpcpUpReport>(*up).dns, std::vector<std::string>{"192.0.2.99"});
  const auto second_only = parse_report("IPCP-UP ppp0 10.0.0.2 10.0.0.1 - 192.0.2.98 1400");
  EXPECT_EQ(std::get<IpcpUpReport>(*second_only).dns, std::vector<std::string>{"192.0.2.98"});
}

TEST(ReportProtocolTest, RefusesMalformedLines) {
  for (const char* line : {
           "",
           " ",
           "PHASE",
           "PHASE x",
           "PHASE -1",
           "PHASE 7 8",
           "PHASE  7",
           "EXIT 1000",
           "phase 7",
           "HELLO",
           "IPCP-DOWN now",
           "IPV6CP-REFUSED by-peer",
           "IPV6CP-REFUSED ",
           "IPV6CP-OFF 1",
           "IPV6CP-off",
           "IPCP-UP ppp0 10.0.0.2 10.0.0.1 - -",             // a field short
           "IPCP-UP ppp0 10.0.0.2 10.0.0.1 - - 1400 extra",  // a field too many
           "IPCP-UP ppp0 - 10.0.0.1 - - 1400",               // no local address
           "IPCP-UP ppp0 10.0.0.256 10.0.0.1 - - 1400",      // not IPv4
           "IPCP-UP ppp0 10.0.0.2 10.0.0.1 ::1 - 1400",      // not IPv4
           "IPCP-UP ppp0 10.0.0.2 10.0.0.1 - - 70000",       // MTU out of range
           "IPCP-UP ppp0 10.0.0.2 10.0.0.1 - - 14x0",        // not a number
           "IPCP-UP ../etc 10.0.0.2 10.0.0.1 - - 1400",      // not an interface name
           "IPCP-UP averyveryverylongname 10.0.0.2 10.0.0.1 - - 1400",
           "IPCP-UP ppp0\t10.0.0.2 10.0.0.1 - - 1400",
           "IPV6CP-UP ppp0 0123456789ABCDEF fedcba9876543210",  // upper case
           "IPV6CP-UP ppp0 0123 fedcba9876543210",
       }) {
    EXPECT_FALSE(parse_report(line).has_value()) << '"' << line << '"';
  }
}

TEST(ReportProtocolTest, ReaderTellsIpv6cpsOutcomeFromBytes) {
  ReportReader reader;
  reader.feed("IPV6CP-REF");
  EXPECT_FALSE(reader.next().has_value());
  reader.feed("USED\nIPV6CP-OFF\nIPV6CP-REFUSED IPV6CP-OFF\n");
  auto refused = reader.next();
  ASSERT_TRUE(refused.has_value() && refused->has_value());
  EXPECT_TRUE(std::holds_alternative<Ipv6cpRefusedReport>(**refused));
  auto off = reader.next();
  ASSERT_TRUE(off.has_value() && off->has_value());
  EXPECT_TRUE(std::holds_alternative<Ipv6cpOffReport>(**off));
  auto two_in_one = reader.next();
  ASSERT_TRUE(two_in_one.has_value());
  EXPECT_FALSE(two_in_one->has_value());
  EXPECT_FALSE(reader.next().has_value());
}

TEST(ReportProtocolTest, ReaderReassemblesLinesSplitAcrossReads) {
  ReportReader reader;
  reader.feed("PHA");
  EXPECT_FALSE(reader.next().has_value());
  reader.feed("SE 4\nPHASE 5\nEX");
  auto first = reader.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(std::get<PhaseReport>(first->value()).phase, 4);
  EXPECT_EQ(std::get<PhaseReport>(reader.next()->value()).phase, 5);
  EXPECT_FALSE(reader.next().has_value());
  reader.feed("IT 16\n");
  EXPECT_EQ(std::get<ExitReport>(reader.next()->value()).status, 16);
}

TEST(ReportProtocolTest, ReaderReportsAnOverlongLineOnceAndResynchronises) {
  ReportReader reader;
  reader.feed("PHASE 1\n");
  reader.feed(std::string(ReportReader::kMaxLine, 'A'));
  reader.feed(std::string(1000, 'B'));
  reader.feed("CCC\nPHASE 7\n");
  EXPECT_TRUE(reader.next()->has_value());
  const auto overlong = reader.next();
  ASSERT_TRUE(overlong.has_value());
  EXPECT_FALSE(overlong->has_value());
  const auto after = reader.next();
  ASSERT_TRUE(after.has_value());
  ASSERT_TRUE(after->has_value());
  EXPECT_EQ(std::get<PhaseReport>(after->value()).phase, 7);
  EXPECT_FALSE(reader.next().has_value());
}

TEST(ReportProtocolTest, ReaderSurvivesArbitraryBytes) {
  ReportReader reader;
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 131) & 0xff);
  reader.feed(junk);
  int reports = 0;
  while (reader.next()) ++reports;
  EXPECT_GT(reports, 0);
}

TEST(ReportProtocolTest, PhaseNames) {
  EXPECT_STREQ(phase_name(7), "network");
  EXPECT_STREQ(phase_name(0), "dead");
  EXPECT_STREQ(phase_name(99), "unknown");
}

}  // namespace
}  // namespace l2tp::ppp
