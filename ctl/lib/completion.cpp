#include "lib/completion.h"

#include <algorithm>
#include <optional>

#include "config/option_text.h"

namespace l2tp::ctl {

namespace {

const std::vector<std::string> kGlobalOptions{
    "--bus=",      "--color=",   "--help",    "--json", "--json=", "--no-ask-password",
    "--no-legend", "--no-pager", "--version", "--wait", "--wait="};

std::vector<std::string> matching(const std::vector<std::string>& candidates,
                                  const std::string& prefix) {
  std::vector<std::string> found;
  for (const std::string& candidate : candidates) {
    if (candidate.starts_with(prefix)) found.push_back(candidate);
  }
  return found;
}

// KEY= for every key of the kind, or KEY=value for an enumerated key once
// its "=" is typed.
std::vector<std::string> option_candidates(config::ObjectKind kind, const std::string& word) {
  std::vector<std::string> candidates;
  const std::size_t equals = word.find('=');
  if (equals == std::string::npos) {
    for (std::string_view key : config::option_keys(kind))
      candidates.push_back(std::string(key) + "=");
    return matching(candidates, word);
  }
  const std::string key = word.substr(0, equals);
  for (std::string_view known : config::option_keys(kind)) {
    if (known.size() != key.size() ||
        !std::equal(known.begin(), known.end(), key.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      continue;
    }
    for (std::string_view choice : config::option_choices(kind, known)) {
      candidates.push_back(key + "=" + std::string(choice));
    }
  }
  return matching(candidates, word);
}

std::vector<std::string> option_value_candidates(const std::string& word) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> values{
      {"--bus=", {"system", "session"}},
      {"--color=", {"auto", "always", "never"}},
      {"--json=", {"pretty", "short", "off"}},
  };
  for (const auto& [option, choices] : values) {
    if (!word.starts_with(option)) continue;
    std::vector<std::string> candidates;
    for (const std::string& choice : choices) candidates.push_back(option + choice);
    return matching(candidates, word);
  }
  return {};
}

}  // namespace

const std::vector<std::string>& verbs() {
  static const std::vector<std::string> kVerbs{"status", "list",  "monitor", "tunnel", "session",
                                               "listen", "close", "up",      "down",   "reload"};
  return kVerbs;
}

std::vector<std::string> complete(const std::vector<std::string>& words,
                                  const std::function<LiveNames()>& live) {
  const std::string word = words.empty() ? std::string() : words.back();
  if (word.starts_with("-")) {
    if (word.find('=') != std::string::npos) return option_value_candidates(word);
    return matching(kGlobalOptions, word);
  }
  // The words before the one completed, without options (and --bus's value
  // when given apart).
  std::vector<std::string> positional;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] == "--bus" || words[i] == "--color" || words[i] == "--json") {
      ++i;
      continue;
    }
    if (!words[i].starts_with("-")) positional.push_back(words[i]);
  }
  if (positional.empty()) return matching(verbs(), word);
  const std::string& verb = positional[0];
  const std::size_t position = positional.size();  // of the word completed
  if (verb == "list" && position == 1) return matching({"tunnels", "sessions", "listeners"}, word);
  if ((verb == "status" && position == 1) || verb == "close") return matching(live().objects, word);
  if (verb == "up" || verb == "down") return matching(live().config_files, word);
  if (verb == "tunnel" || verb == "session") {
    if (position == 1) return matching({"add"}, word);
    if (positional[1] != "add") return {};
    if (verb == "tunnel") return option_candidates(config::ObjectKind::kTunnel, word);
    if (position == 2) return matching(live().tunnels, word);
    return option_candidates(config::ObjectKind::kSession, word);
  }
  if (verb == "listen") return option_candidates(config::ObjectKind::kListener, word);
  return {};
}

}  // namespace l2tp::ctl
