// Which pseudowires this kernel can carry. PPP needs PPPoL2TP sockets
// (l2tp_ppp, loaded on demand by the socket call) and /dev/ppp; Ethernet
// needs l2tp_eth, which the kernel loads on demand at the first Ethernet
// session, so it is found loaded, built in, or installed for this kernel.
#pragma once

#include <string>

namespace l2tp::kernel {

bool ppp_pseudowire_available();
// `modules_root` is /lib/modules normally; tests point it elsewhere.
bool eth_pseudowire_available(const std::string& modules_root = "/lib/modules",
                              const std::string& sys_module = "/sys/module");

}  // namespace l2tp::kernel
