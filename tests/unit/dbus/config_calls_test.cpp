// Manager.Reload, Up and Down through the call pipeline (a NAME is checked
// before polkit is asked; org.l2tpbus1.configure guards all three, root
// skips it), Manager.ConfigFiles and Listener.State as signalled
// properties, and the ConfigFile of listeners.
#include <unistd.h>

#include "authz/authority.h"
#include "bus_fixture.h"
#include "dbus/errors.h"
#include "dbus/properties.h"

namespace l2tp::dbus::testing {
namespace {

using ConfigFilesStructs = std::vector<sdbus::Struct<std::string, std::string, std::string>>;

class ConfigCallTest : public BusTest {
 protected:
  CallOutcome reload() { return call(kManagerPath, kManagerInterface, "Reload"); }
  CallOutcome up(const std::string& name) {
    return call(kManagerPath, kManagerInterface, "Up",
                [&](sdbus::MethodCall& message) { message << name; });
  }
  CallOutcome down(const std::string& name) {
    return call(kManagerPath, kManagerInterface, "Down",
                [&](sdbus::MethodCall& message) { message << name; });
  }
  static std::vector<sdbus::ObjectPath> returned_paths(const CallOutcome& outcome) {
    std::vector<sdbus::ObjectPath> paths;
    sdbus::MethodReply reply = *outcome.reply;
    reply.rewind(true);
    reply >> paths;
    return paths;
  }
};

TEST_F(ConfigCallTest, ReloadUpAndDownNeedTheConfigureAction) {
  daemon_->file_objects["office"] = {.tunnels = {4711}, .listeners = {}};
  callers_->pose_as = 1000;
  EXPECT_TRUE(reload().ok());
  EXPECT_TRUE(up("office").ok());
  EXPECT_TRUE(down("office").ok());
  ASSERT_EQ(authority_->checks.size(), 3u);
  for (const auto& check : authority_->checks) EXPECT_EQ(check.action, authz::kActionConfigure);
  EXPECT_EQ(daemon_->reload_calls, 1);
  EXPECT_EQ(daemon_->up_calls, 1);
  EXPECT_EQ(daemon_->files_put_down, (std::vector<std::string>{"office"}));

  callers_->pose_as = 0;
  EXPECT_TRUE(reload().ok());
  EXPECT_EQ(authority_->checks.size(), 3u) << "root asked polkit";
}

TEST_F(ConfigCallTest, WhenPolkitSaysNoNothingIsDone) {
  daemon_->file_objects["office"] = {.tunnels = {4711}, .listeners = {}};
  authority_->verdict = {authz::Decision::kDenied, ""};
  callers_->pose_as = 1000;
  for (const CallOutcome& outcome : {reload(), up("office"), down("office")})
    EXPECT_EQ(outcome.error_name, kErrorAccessDenied);
  EXPECT_EQ(daemon_->reload_calls, 0);
  EXPECT_EQ(daemon_->up_calls, 0);
  EXPECT_EQ(daemon_->down_calls, 0);
}

TEST_F(ConfigCallTest, UpRepliesWithThePathsOfTheFilesObjects) {
  daemon_->file_objects["office"] = {.tunnels = {4711}, .listeners = {}};
  daemon_->file_objects["lns"] = {.tunnels = {}, .listeners = {3}};
  const CallOutcome tunnel = up("office");
  ASSERT_TRUE(tunnel.ok()) << tunnel.error_message;
  EXPECT_EQ(returned_paths(tunnel),
            (std::vector<sdbus::ObjectPath>{sdbus::ObjectPath("/org/l2tpbus1/tunnel/4711")}));
  const CallOutcome listener = up("lns");
  ASSERT_TRUE(listener.ok()) << listener.error_message;
  EXPECT_EQ(returned_paths(listener),
            (std::vector<sdbus::ObjectPath>{sdbus::ObjectPath("/org/l2tpbus1/listener/3")}));
}

TEST_F(ConfigCallTest, AnUnknownFileIsUnknownObjectAndAFileThatDoesNotLoadFailed) {
  const CallOutcome unknown_up = up("absent");
  EXPECT_EQ(unknown_up.error_name, kErrorUnknownObject);
  EXPECT_EQ(unknown_up.error_message, "no config file absent.tunnel in /etc");
  EXPECT_EQ(down("absent").error_name, kErrorUnknownObject);

  daemon_->fail_next = daemon::Failure{daemon::FailureKind::kFailed,
                                       "/etc/l2tpbus/bad.tunnel:3: Version: expected a number"};
  const CallOutcome broken = up("bad");
  EXPECT_EQ(broken.error_name, kErrorFailed);
  EXPECT_EQ(broken.error_message, "/etc/l2tpbus/bad.tunnel:3: Version: expected a number");
}

TEST_F(ConfigCallTest, ABadNameIsInvalidArgsNamingItBeforePolkitIsAsked) {
  callers_->pose_as = 1000;
  for (const std::string& name :
       {std::string(""), std::string("../etc/passwd"), std::string(".hidden"), std::string("a b"),
        std::string(65, 'x')}) {
    for (const CallOutcome& outcome : {up(name), down(name)}) {
      EXPECT_EQ(outcome.error_name, kErrorInvalidArgs) << name;
      EXPECT_EQ(outcome.error_message.rfind("name: ", 0), 0u) << outcome.error_message;
    }
  }
  EXPECT_TRUE(authority_->checks.empty());
  EXPECT_EQ(daemon_->up_calls, 0);
  EXPECT_EQ(daemon_->down_calls, 0);
}

TEST_F(ConfigCallTest, ConfigFilesIsReadAndSignalledOnChange) {
  EXPECT_TRUE(
      get(kManagerPath, kManagerInterface, "ConfigFiles")->get<ConfigFilesStructs>().empty());
  daemon_->announce_files({{"lns", daemon::ConfigFileState::kUp, ""},
                           {"office", daemon::ConfigFileState::kDown, "peer went away"},
                           {"bad\x01", daemon::ConfigFileState::kFailed, "x.tunnel:1: oops"}});
  run_briefly();
  const auto changes = events_of("PropertiesChanged", kManagerPath);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].interface, kManagerInterface);
  ASSERT_TRUE(changes[0].changed.contains("ConfigFiles"));
  const ConfigFilesStructs expected{{"lns", "up", ""},
                                    {"office", "down", "peer went away"},
                                    {"bad\\x01", "failed", "x.tunnel:1: oops"}};
  EXPECT_EQ(changes[0].changed.at("ConfigFiles").get<ConfigFilesStructs>(), expected);
  EXPECT_EQ(get(kManagerPath, kManagerInterface, "ConfigFiles")->get<ConfigFilesStructs>(),
            expected);

  // The same list again is no change.
  daemon_->announce_files(daemon_->files);
  run_briefly();
  EXPECT_EQ(events_of("PropertiesChanged", kManagerPath).size(), 1u);
}

TEST_F(ConfigCallTest, AListenersStateIsSignalledAndItsConfigFileIsConstant) {
  const CallOutcome listening = listen({});
  ASSERT_TRUE(listening.ok());
  const std::string path = returned_path(listening);
  const auto added = events_of("InterfacesAdded", path);
  ASSERT_EQ(added.size(), 1u);
  const Dictionary& properties = added[0].interfaces.at(kListenerInterface);
  EXPECT_EQ(properties.at("State").get<std::string>(), "listening");
  EXPECT_EQ(properties.at("ConfigFile").get<std::string>(), "");

  daemon_->change_listener_state(1, daemon::ListenerState::kWaiting);
  run_briefly();
  const auto changes = events_of("PropertiesChanged", path);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].changed.size(), 1u);
  EXPECT_EQ(changes[0].changed.at("State").get<std::string>(), "waiting");
  EXPECT_EQ(get(path, kListenerInterface, "State")->get<std::string>(), "waiting");
}

}  // namespace
}  // namespace l2tp::dbus::testing
