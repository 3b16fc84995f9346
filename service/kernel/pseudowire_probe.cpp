#include "kernel/pseudowire_probe.h"

#include <netinet/in.h>
#include <sys/utsname.h>
#include <unistd.h>
// After <netinet/in.h>, so that the kernel's <linux/in.h> steps aside.
#include <linux/if_pppox.h>

#include <fstream>

#include "kernel/unique_fd.h"

namespace l2tp::kernel {

namespace {

bool file_mentions(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

bool ppp_pseudowire_available() {
  const UniqueFd fd(socket(AF_PPPOX, SOCK_DGRAM | SOCK_CLOEXEC, PX_PROTO_OL2TP));
  return fd.valid() && access("/dev/ppp", R_OK | W_OK) == 0;
}

bool eth_pseudowire_available(const std::string& modules_root, const std::string& sys_module) {
  if (access((sys_module + "/l2tp_eth").c_str(), F_OK) == 0) return true;
  utsname name{};
  if (uname(&name) != 0) return false;
  const std::string directory = modules_root + "/" + name.release;
  // The alias the kernel asks for: MODULE_ALIAS("net-l2tp-type-5").
  return file_mentions(directory + "/modules.alias", "net-l2tp-type-5") ||
         file_mentions(directory + "/modules.builtin", "l2tp_eth.ko");
}

}  // namespace l2tp::kernel
