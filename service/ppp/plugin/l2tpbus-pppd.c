/* l2tpbus-pppd.so: pppd's side of l2tpbusd's supervision.
 *
 * `l2tpbus-fd N` names a stream socket inherited from l2tpbusd. The daemon
 * wrote the PPP password into it and shut its sending side, so the password
 * never appears on a command line, in the environment or in a file. Over the
 * same socket this plugin reports, one line each (report_protocol.h parses
 * them):
 *   PHASE <n>
 *   IPCP-UP <ifname> <local> <peer> <dns1|-> <dns2|-> <mtu>
 *   IPCP-DOWN
 *   IPV6CP-UP <ifname> <local interface id> <peer interface id>
 *   IPV6CP-DOWN
 *   IPV6CP-REFUSED   (IPV6CP will not open: see watch_ipv6cp)
 *   IPV6CP-OFF       (pppd runs without IPV6CP)
 *   EXIT <status>
 * `l2tpbus-client` makes the plugin answer pppd's password questions for
 * authenticating us to the peer. Without it (the LNS role) pppd keeps its
 * own secrets files for checking peers and for any question it is asked.
 */
#define INET6 1

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* pppd's headers depend on each other's types in this order. */
// clang-format off
#include <pppd/pppd.h>
#include <pppd/fsm.h>
#include <pppd/ipcp.h>
#include <pppd/eui64.h>
#include <pppd/ipv6cp.h>
// clang-format on

char pppd_version[] = VERSION;

static int control_fd = -1;
static int control_checked;
static char password[MAXSECRETLEN];
static int password_state; /* 0: not read yet, 1: read, -1: unusable */

static int control_ready(void) {
  if (control_checked) return control_fd >= 0;
  control_checked = 1;
  if (control_fd < 0 || fcntl(control_fd, F_GETFD) < 0) {
    error("l2tpbus: no usable l2tpbus-fd");
    control_fd = -1;
    return 0;
  }
  /* ip-up and friends must not inherit the daemon's socket. */
  fcntl(control_fd, F_SETFD, FD_CLOEXEC);
  return 1;
}

static void report(const char* format, ...) {
  char line[256];
  va_list args;
  int length;
  size_t sent = 0;

  if (!control_ready()) return;
  va_start(args, format);
  length = vsnprintf(line, sizeof line - 1, format, args);
  va_end(args);
  if (length < 0) return;
  if ((size_t)length > sizeof line - 2) length = (int)sizeof line - 2;
  line[length++] = '\n';
  while (sent < (size_t)length) {
    /* MSG_NOSIGNAL: a daemon that went away must not kill pppd by SIGPIPE. */
    ssize_t n = send(control_fd, line + sent, (size_t)length - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    sent += (size_t)n;
  }
}

/* Reads everything the daemon wrote, up to its shutdown. */
static int read_password(void) {
  size_t length = 0;

  if (password_state != 0) return password_state;
  password_state = -1;
  if (!control_ready()) return -1;
  for (;;) {
    ssize_t n = read(control_fd, password + length, sizeof password - 1 - length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error("l2tpbus: cannot read the password: %m");
      return -1;
    }
    if (n == 0) break;
    length += (size_t)n;
    if (length == sizeof password - 1) {
      char extra;
      if (read(control_fd, &extra, 1) != 0) {
        error("l2tpbus: the password is longer than pppd accepts");
        return -1;
      }
      break;
    }
  }
  password[length] = '\0';
  password_state = 1;
  return 1;
}

static int check_hook(void) {
  return 1;
}

static int passwd_hook(char* name, char* secret) {
  (void)name;
  if (read_password() < 0) return -1;
  if (secret != NULL) strlcpy(secret, password, MAXSECRETLEN);
  return 1;
}

/* Installed only for the client role, so a server pppd's own secrets files
 * still decide who may log in. */
static int enable_client(char** argv) {
  (void)argv;
  pap_check_hook = check_hook;
  pap_passwd_hook = passwd_hook;
  chap_check_hook = check_hook;
  chap_passwd_hook = passwd_hook;
  return 1;
}

static option_t options[] = {
    {"l2tpbus-fd", o_int, &control_fd, "l2tpbus: socket from l2tpbusd (password, reports)",
     OPT_PRIO | OPT_LLIMIT, NULL, 0, 0, NULL, 0, 0},
    {"l2tpbus-client", o_special_noarg, (void*)enable_client,
     "l2tpbus: authenticate to the peer with the password from l2tpbus-fd", 0, NULL, 0, 0, NULL, 0,
     0},
    {NULL, 0, NULL, NULL, 0, NULL, 0, 0, NULL, 0, 0},
};

static const char* ipv4_text(u_int32_t network_order, char* buffer, size_t size) {
  struct in_addr address;
  if (network_order == 0) return "-";
  address.s_addr = network_order;
  return inet_ntop(AF_INET, &address, buffer, (socklen_t)size) ? buffer : "-";
}

static void phase_changed(void* arg, int new_phase) {
  (void)arg;
  report("PHASE %d", new_phase);
  /* The network phase opens exactly the enabled protocols. */
  if (new_phase == PHASE_NETWORK && !ipv6cp_protent.enabled_flag) report("IPV6CP-OFF");
}

static void ipcp_up(void* arg, int unused) {
  char local[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
  char dns1[INET_ADDRSTRLEN], dns2[INET_ADDRSTRLEN];
  const ipcp_options* ours = &ipcp_gotoptions[0];
  (void)arg;
  (void)unused;
  report("IPCP-UP %s %s %s %s %s %d", ifname, ipv4_text(ours->ouraddr, local, sizeof local),
         ipv4_text(ipcp_hisoptions[0].hisaddr, peer, sizeof peer),
         ipv4_text(ours->dnsaddr[0], dns1, sizeof dns1),
         ipv4_text(ours->dnsaddr[1], dns2, sizeof dns2), netif_get_mtu(ifunit));
}

static void ipcp_down(void* arg, int unused) {
  (void)arg;
  (void)unused;
  report("IPCP-DOWN");
}

static void ipv6cp_up(void* arg, int unused) {
  const u_int8_t* ours = ipv6cp_gotoptions[0].ourid.e8;
  const u_int8_t* theirs = ipv6cp_hisoptions[0].hisid.e8;
  (void)arg;
  (void)unused;
  report("IPV6CP-UP %s %02x%02x%02x%02x%02x%02x%02x%02x %02x%02x%02x%02x%02x%02x%02x%02x", ifname,
         ours[0], ours[1], ours[2], ours[3], ours[4], ours[5], ours[6], ours[7], theirs[0],
         theirs[1], theirs[2], theirs[3], theirs[4], theirs[5], theirs[6], theirs[7]);
}

static void ipv6cp_down(void* arg, int unused) {
  (void)arg;
  (void)unused;
  report("IPV6CP-DOWN");
}

/* A client waits for IPV6CP's outcome rather than for a fixed time, and pppd
 * knows it at once; but only an IPV6CP that opens has a notifier. One that
 * does not open reaches nothing but IPV6CP's own entry points, so the two
 * that end a negotiation without opening it are wrapped:
 * - ipv6cp_protent.protrej, called through protocols[] on a Protocol-Reject
 *   of IPV6CP: what an IPv4-only peer sends (pppd with noipv6), the usual
 *   refusal;
 * - the fsm's finished callback: IPV6CP stopped while the link stays up
 *   (Configure-Requests unanswered up to ipv6cp-max-configure, or closed
 *   for want of a usable interface identifier).
 * Looking at the fsm's state when IPCP comes up instead would miss a
 * refusal that arrives after IPCP and could not tell "still negotiating"
 * from an answer. Wrapping is safe: both are set by the protocols' init,
 * which runs before plugins load, and pppd calls them from its one thread. */
static void (*ipv6cp_protocol_rejected)(int unit);
static void (*ipv6cp_finished)(fsm* f);
static fsm_callbacks ipv6cp_watched_callbacks;

static void ipv6cp_refused_by_protocol_reject(int unit) {
  report("IPV6CP-REFUSED");
  ipv6cp_protocol_rejected(unit);
}

static void ipv6cp_finished_watched(fsm* f) {
  /* Finishing while the link is being taken down is no answer from the peer. */
  if (phase == PHASE_NETWORK || phase == PHASE_RUNNING) report("IPV6CP-REFUSED");
  if (ipv6cp_finished != NULL) ipv6cp_finished(f);
}

static void watch_ipv6cp(void) {
  ipv6cp_protocol_rejected = ipv6cp_protent.protrej;
  ipv6cp_protent.protrej = ipv6cp_refused_by_protocol_reject;
  if (ipv6cp_fsm[0].callbacks != NULL) {
    ipv6cp_watched_callbacks = *ipv6cp_fsm[0].callbacks;
    ipv6cp_finished = ipv6cp_watched_callbacks.finished;
    ipv6cp_watched_callbacks.finished = ipv6cp_finished_watched;
    ipv6cp_fsm[0].callbacks = &ipv6cp_watched_callbacks;
  }
}

static void exiting(void* arg, int exit_status) {
  (void)arg;
  report("EXIT %d", exit_status);
  explicit_bzero(password, sizeof password);
}

void plugin_init(void) {
  add_options(options);
  add_notifier(&phasechange, phase_changed, NULL);
  add_notifier(&ip_up_notifier, ipcp_up, NULL);
  add_notifier(&ip_down_notifier, ipcp_down, NULL);
  add_notifier(&ipv6_up_notifier, ipv6cp_up, NULL);
  add_notifier(&ipv6_down_notifier, ipv6cp_down, NULL);
  add_notifier(&exitnotify, exiting, NULL);
  watch_ipv6cp();
}
