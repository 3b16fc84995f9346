// What the tests of pppd's supervision share: a loop to run until something
// happened, and a scratch directory holding a fake pppd (a shell script whose
// $D is that directory) and the files it writes.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include "core/data_plane.h"
#include "loop/event_loop.h"
#include "ppp/ppp_supervisor.h"

namespace l2tp::ppp::testing {

class PppLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = loop::EventLoop::create();
    ASSERT_TRUE(created.has_value());
    loop_ = std::move(*created);
    char pattern[] = "/tmp/l2tpbus-ppp-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A fake pppd named `name`: `body` runs with $D set to the test's directory.
  PppPaths fake_pppd(const std::string& body, const std::string& name = "pppd") {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\nD='" << dir_ << "'\n" << body << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return PppPaths{path, "pppol2tp.so", "/usr/lib/l2tpbus/l2tpbus-pppd.so"};
  }

  // A client session's parameters, without credentials.
  static PppStartParams session_params(std::uint32_t session_id = 17) {
    PppStartParams params;
    params.session.tunnel_id = 4711;
    params.session.session_id = session_id;
    return params;
  }

  // One loop runs many times here; sd_event_loop() would end it for good.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      if (sd_event_run(loop_->raw(), 10'000) < 0) return false;
    }
    return done();
  }

  std::string read_file(const std::string& name) const {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::unique_ptr<loop::EventLoop> loop_;
  std::string dir_;
};

}  // namespace l2tp::ppp::testing
