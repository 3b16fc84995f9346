#include "lib/object_model.h"

#include <gtest/gtest.h>

#include "sample_objects.h"

namespace l2tp::ctl {
namespace {

TEST(ObjectModel, SortsObjectsByIdAndAddsPaths) {
  const ObjectModel model = model_from_managed_objects(testing::sample_managed_objects());
  ASSERT_EQ(model.tunnels.size(), 2u);
  EXPECT_EQ(model.tunnels[0]["TunnelId"], 4711);
  EXPECT_EQ(model.tunnels[1]["Path"], "/org/l2tpbus1/tunnel/70000");
  ASSERT_EQ(model.listeners.size(), 2u);
  EXPECT_EQ(model.listeners[0]["Path"], "/org/l2tpbus1/listener/2");  // 2 before 10
  EXPECT_EQ(model.daemon["Version"], "0.1.0");
  ASSERT_EQ(model.sessions_of(model.tunnels[0]).size(), 1u);
  EXPECT_TRUE(model.sessions_of(model.tunnels[1]).empty());
}

TEST(ObjectModel, LastResultBecomesAnObject) {
  const nlohmann::json printable = printable_properties(
      "/org/l2tpbus1/tunnel/1", nlohmann::json{{"LastResult", {2, 6, "IPsec failed"}}});
  EXPECT_EQ(printable["LastResult"],
            (nlohmann::json{{"Result", 2}, {"Error", 6}, {"Message", "IPsec failed"}}));
  EXPECT_EQ(printable["Path"], "/org/l2tpbus1/tunnel/1");
}

TEST(ObjectModel, ToJsonHasTheFourDocumentedMembers) {
  const nlohmann::json out =
      model_from_managed_objects(testing::sample_managed_objects()).to_json();
  for (const char* key : {"Daemon", "Tunnels", "Sessions", "Listeners"}) {
    EXPECT_TRUE(out.contains(key)) << key;
  }
  EXPECT_EQ(out["Sessions"][0]["Path"], "/org/l2tpbus1/tunnel/4711/session/9422");
}

TEST(FindObject, ByIdPathListenerNumberAndConfigFile) {
  const ObjectModel model = model_from_managed_objects(testing::sample_managed_objects());
  auto tunnel = find_object(model, "4711");
  ASSERT_TRUE(tunnel);
  EXPECT_EQ(tunnel->type, ObjectType::kTunnel);
  auto session = find_object(model, "4711/9422");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->type, ObjectType::kSession);
  EXPECT_EQ(session->path(), "/org/l2tpbus1/tunnel/4711/session/9422");
  auto listener = find_object(model, "listener/10");
  ASSERT_TRUE(listener);
  EXPECT_EQ(listener->type, ObjectType::kListener);
  auto by_path = find_object(model, "/org/l2tpbus1/tunnel/70000");
  ASSERT_TRUE(by_path);
  EXPECT_EQ((*by_path->object)["TunnelId"], 70000);
  auto by_file = find_object(model, "office");
  ASSERT_TRUE(by_file);
  EXPECT_EQ(by_file->path(), "/org/l2tpbus1/tunnel/4711");
  auto listener_file = find_object(model, "lns");
  ASSERT_TRUE(listener_file);
  EXPECT_EQ(listener_file->type, ObjectType::kListener);
}

TEST(FindObject, UnknownAndMalformedNamesAreNotFound) {
  const ObjectModel model = model_from_managed_objects(testing::sample_managed_objects());
  for (const char* name : {"4712", "4711/1", "04711", "listener/3", "listener/x", "/org/l2tpbus1",
                           "nosuchfile", "4711/", "/4711"}) {
    auto found = find_object(model, name);
    EXPECT_FALSE(found) << name;
    if (!found) {
      EXPECT_NE(found.error().find(name), std::string::npos) << name;
    }
  }
}

TEST(DisplayName, NamesObjectsAsTheCommandLineDoes) {
  const ObjectModel model = model_from_managed_objects(testing::sample_managed_objects());
  EXPECT_EQ(display_name(ObjectType::kTunnel, model.tunnels[0]), "4711");
  EXPECT_EQ(display_name(ObjectType::kSession, model.sessions[0]), "4711/9422");
  EXPECT_EQ(display_name(ObjectType::kListener, model.listeners[1]), "listener/10");
}

}  // namespace
}  // namespace l2tp::ctl
