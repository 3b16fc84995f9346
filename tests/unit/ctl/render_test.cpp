#include "lib/render.h"

#include <gtest/gtest.h>

#include "sample_objects.h"

namespace l2tp::ctl {
namespace {

RenderOptions at(std::int64_t seconds_after_establishment, bool color = false) {
  RenderOptions options;
  options.color = color;
  options.now = std::chrono::system_clock::time_point(std::chrono::microseconds(1000000000000000)) +
                std::chrono::seconds(seconds_after_establishment);
  return options;
}

TEST(Units, BytesAndDurationsReadAsAPersonWrites) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(5ull << 30), "5.0 GiB");
  EXPECT_EQ(human_duration(std::chrono::seconds(0)), "0s");
  EXPECT_EQ(human_duration(std::chrono::seconds(64)), "1min 4s");
  EXPECT_EQ(human_duration(std::chrono::seconds(3600)), "1h");
  EXPECT_EQ(human_duration(std::chrono::seconds(7500)), "2h 5min");
  EXPECT_EQ(human_duration(std::chrono::seconds(90000)), "1d 1h");
}

TEST(LastResult, ShowsCodesAndMessageOrADash) {
  EXPECT_EQ(last_result_text(
                nlohmann::json{{"LastResult", {{"Result", 0}, {"Error", 0}, {"Message", ""}}}}),
            "-");
  EXPECT_EQ(last_result_text(nlohmann::json{
                {"LastResult", {{"Result", 2}, {"Error", 6}, {"Message", "IPsec failed"}}}}),
            "2/6 IPsec failed");
  EXPECT_EQ(last_result_text(
                nlohmann::json{{"LastResult", {{"Result", 1}, {"Error", 0}, {"Message", ""}}}}),
            "1");
}

TEST(Table, AlignsColumnsByVisibleWidth) {
  Table table({"A", "B"});
  table.add_row({colored_state("established", true), "x"});
  table.add_row({"ü", "y"});
  const std::string text = table.render(true);
  EXPECT_EQ(text,
            "A            B\n"
            "\x1b[32mestablished\x1b[0m  x\n"
            "ü            y\n");
  EXPECT_EQ(table.render(false).find("A  "), std::string::npos);
}

TEST(Overview, ListsTunnelsSessionsListenersAndCounts) {
  const ObjectModel model = model_from_managed_objects(testing::sample_managed_objects());
  const std::string text = render_overview(model, at(64));
  EXPECT_NE(text.find("TUNNEL"), std::string::npos);
  EXPECT_NE(text.find("4711    established  dynamic  v2 udp  initiator  192.0.2.2:1701"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("1min 4s"), std::string::npos);
  EXPECT_NE(text.find("office"), std::string::npos);
  EXPECT_NE(text.find("4711/9422"), std::string::npos);
  EXPECT_NE(text.find("10.99.0.10"), std::string::npos);
  EXPECT_NE(text.find("2.0 KiB (12)"), std::string::npos);
  EXPECT_NE(text.find("listener/2"), std::string::npos);
  EXPECT_NE(text.find("2 tunnels, 1 session, 2 listeners."), std::string::npos) << text;
  EXPECT_NE(text.find("CONFIG FILE  STATE  MESSAGE\nlns          up     -\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

TEST(Overview, NoLegendLeavesOutHeadersAndCounts) {
  const ObjectModel model = model_from_managed_objects(testing::sample_managed_objects());
  RenderOptions options = at(0);
  options.legend = false;
  const std::string text = render_list(model, ObjectType::kTunnel, options);
  EXPECT_EQ(text.find("TUNNEL"), std::string::npos);
  EXPECT_EQ(text.find("tunnels."), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST(Details, TunnelSessionAndListener) {
  const ObjectModel model = model_from_managed_objects(testing::sample_managed_objects());
  const std::string tunnel = render_details(model, *find_object(model, "4711"), at(3700));
  EXPECT_NE(tunnel.find("● tunnel 4711 (/org/l2tpbus1/tunnel/4711)"), std::string::npos);
  EXPECT_NE(tunnel.find("State: established (up 1h 1min)"), std::string::npos) << tunnel;
  EXPECT_NE(tunnel.find("Peer: 192.0.2.1:1701, tunnel 17, \"lns\" (l2tpbus)"), std::string::npos)
      << tunnel;
  EXPECT_NE(tunnel.find("Sessions: 4711/9422 (established, ppp0)"), std::string::npos);

  const std::string session = render_details(model, *find_object(model, "4711/9422"), at(0));
  EXPECT_NE(session.find("IPv4: 10.99.0.10/32 peer 10.99.0.1, DNS 10.99.0.53, MTU 1400"),
            std::string::npos)
      << session;
  EXPECT_NE(session.find("Interface: ppp0"), std::string::npos);

  const std::string listener = render_details(model, *find_object(model, "listener/10"), at(0));
  EXPECT_NE(listener.find("State: waiting"), std::string::npos) << listener;
}

}  // namespace
}  // namespace l2tp::ctl
