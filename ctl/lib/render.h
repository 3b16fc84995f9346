// What l2tpctl prints for people: tables (status, list), an object's
// details (status NAME), and the units a person reads (1.2 KiB, 3min 4s).
// Pure: the text is returned, with ANSI colours only when asked for.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lib/object_model.h"

namespace l2tp::ctl {

struct RenderOptions {
  bool color = false;
  bool legend = true;  // headers and the closing count; off with --no-legend
  // Now, for uptimes (EstablishedTimestamp is in µs since the epoch).
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

std::string human_bytes(std::uint64_t bytes);           // "0 B", "999 B", "1.2 KiB", "3.0 MiB"
std::string human_duration(std::chrono::seconds span);  // "45s", "3min 4s", "2h 5min", "3d 4h"
// "1 Peer not responding" style LastResult text; "-" when none.
std::string last_result_text(const nlohmann::json& object);

// A table whose columns are as wide as their widest cell. Cells may carry
// colour; widths count what is visible.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> cells);
  // ANSI colour codes for a cell, given to add_row through colored().
  std::string render(bool legend) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Wraps `text` in the colour a state has (established, listening and a
// config file's up green; connecting, closing and waiting yellow; closed and
// failed red) when asked.
std::string colored_state(std::string_view state, bool color);

// `l2tpctl` / `l2tpctl status`: tunnels, their sessions, listeners.
std::string render_overview(const ObjectModel& model, const RenderOptions& options);
// `l2tpctl list tunnels|sessions|listeners`.
std::string render_list(const ObjectModel& model, ObjectType type, const RenderOptions& options);
// `l2tpctl status NAME`.
std::string render_details(const ObjectModel& model, const ObjectRef& object,
                           const RenderOptions& options);

}  // namespace l2tp::ctl
