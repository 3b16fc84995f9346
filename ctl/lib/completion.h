// Shell completion, computed here so that bash and zsh (ctl/completion/)
// stay thin and agree: `l2tpctl __complete WORD...` prints the candidates
// for the last word, one per line. Pure, but for the daemon's object names,
// which are asked for only when the position takes an object.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace l2tp::ctl {

struct LiveNames {
  std::vector<std::string> objects;       // "4711", "4711/9422", "listener/1", config names
  std::vector<std::string> tunnels;       // tunnel ids and config names of tunnels
  std::vector<std::string> config_files;  // names of config files
};

// `words`: the command line after "l2tpctl", the last one being completed
// (empty for a new word). Candidates start with that word.
std::vector<std::string> complete(const std::vector<std::string>& words,
                                  const std::function<LiveNames()>& live);

// The verbs, for help and completion.
const std::vector<std::string>& verbs();

}  // namespace l2tp::ctl
