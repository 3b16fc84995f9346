#include "lib/monitor_events.h"

#include <gtest/gtest.h>

namespace l2tp::ctl {
namespace {

BusEvent event(BusEvent::Kind kind, ObjectType type, std::string path, nlohmann::json properties) {
  BusEvent e;
  e.kind = kind;
  e.type = type;
  e.path = std::move(path);
  e.properties = std::move(properties);
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1234));
  return e;
}

TEST(NameOfPath, OnlyThePathsTheApiWrites) {
  EXPECT_EQ(name_of_path("/org/l2tpbus1/tunnel/4711")->second, "4711");
  EXPECT_EQ(name_of_path("/org/l2tpbus1/tunnel/4711/session/9")->second, "4711/9");
  EXPECT_EQ(name_of_path("/org/l2tpbus1/listener/3")->first, ObjectType::kListener);
  EXPECT_FALSE(name_of_path("/org/l2tpbus1/tunnel/x"));
  EXPECT_FALSE(name_of_path("/org/l2tpbus1/tunnel/1/sessions/2"));
  EXPECT_FALSE(name_of_path("/org/other/tunnel/1"));
}

TEST(MonitorLine, AddedChangedRemoved) {
  const std::string added =
      monitor_line(event(BusEvent::Kind::kAdded, ObjectType::kTunnel, "/org/l2tpbus1/tunnel/4711",
                         {{"State", "connecting"}, {"Peer", "192.0.2.1:1701"}, {"ConfigFile", ""}}),
                   false);
  EXPECT_NE(added.find("tunnel 4711 added: connecting, peer 192.0.2.1:1701"), std::string::npos)
      << added;
  EXPECT_EQ(added.find("config"), std::string::npos);

  const std::string changed = monitor_line(
      event(
          BusEvent::Kind::kChanged, ObjectType::kTunnel, "/org/l2tpbus1/tunnel/4711",
          {{"State", "closed"}, {"LastResult", {{"Result", 1}, {"Error", 0}, {"Message", "bye"}}}}),
      false);
  EXPECT_NE(changed.find("tunnel 4711: LastResult 1 bye, State closed"), std::string::npos)
      << changed;

  const std::string established =
      monitor_line(event(BusEvent::Kind::kChanged, ObjectType::kTunnel, "/org/l2tpbus1/tunnel/4711",
                         {{"State", "established"}, {"EstablishedTimestamp", 1796678289427704}}),
                   false);
  EXPECT_NE(established.find("tunnel 4711: State established"), std::string::npos);
  EXPECT_EQ(established.find("1796678289427704"), std::string::npos) << established;

  const std::string address = monitor_line(
      event(BusEvent::Kind::kChanged, ObjectType::kSession, "/org/l2tpbus1/tunnel/4711/session/9",
            {{"Ip4Config", {{"address", "10.0.0.2"}, {"peer", "10.0.0.1"}}}}),
      false);
  EXPECT_NE(address.find("session 4711/9: Ip4Config 10.0.0.2 peer 10.0.0.1"), std::string::npos);

  const std::string removed = monitor_line(
      event(BusEvent::Kind::kRemoved, ObjectType::kListener, "/org/l2tpbus1/listener/1", {}),
      false);
  EXPECT_NE(removed.find("listener listener/1 removed"), std::string::npos) << removed;
}

TEST(MonitorJson, CarriesTimeEventNameAndProperties) {
  const nlohmann::json out =
      monitor_json(event(BusEvent::Kind::kChanged, ObjectType::kSession,
                         "/org/l2tpbus1/tunnel/1/session/2", {{"State", "established"}}));
  EXPECT_EQ(out["Time"], 1234000);
  EXPECT_EQ(out["Event"], "changed");
  EXPECT_EQ(out["Type"], "session");
  EXPECT_EQ(out["Name"], "1/2");
  EXPECT_EQ(out["Properties"]["State"], "established");
  const nlohmann::json removed = monitor_json(
      event(BusEvent::Kind::kRemoved, ObjectType::kTunnel, "/org/l2tpbus1/tunnel/1", {}));
  EXPECT_FALSE(removed.contains("Properties"));
}

}  // namespace
}  // namespace l2tp::ctl
