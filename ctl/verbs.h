// The verbs of l2tpctl, each a thin use of the D-Bus API (never a second
// path into the daemon): read the objects, call a method, follow signals.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "lib/exit_status.h"
#include "lib/object_model.h"
#include "terminal.h"

namespace l2tp::ctl {

enum class JsonMode : std::uint8_t { kOff, kPretty, kShort };

struct GlobalOptions {
  std::string bus = "system";
  JsonMode json = JsonMode::kOff;
  bool legend = true;
  bool pager = true;
  ColorMode color = ColorMode::kAuto;
  bool ask_password = true;
  // --wait: how long to wait for `established` (nullopt: do not wait).
  std::optional<std::chrono::seconds> wait;
};

int status(const GlobalOptions& options, const std::vector<std::string>& names);
int list(const GlobalOptions& options, const std::string& what);
int monitor(const GlobalOptions& options);
int add_tunnel(const GlobalOptions& options, const std::vector<std::string>& arguments);
int add_session(const GlobalOptions& options, const std::string& tunnel,
                const std::vector<std::string>& arguments);
int listen(const GlobalOptions& options, const std::vector<std::string>& arguments);
int close_objects(const GlobalOptions& options, const std::vector<std::string>& names);
int config_up(const GlobalOptions& options, const std::vector<std::string>& names);
int config_down(const GlobalOptions& options, const std::vector<std::string>& names);
int reload(const GlobalOptions& options);
// `__complete WORD...`, for the shell completion scripts.
int complete_words(const GlobalOptions& options, const std::vector<std::string>& words);

}  // namespace l2tp::ctl
