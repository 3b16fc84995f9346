// What nm-l2tpbus-service tells NetworkManager, made from what l2tpbusd's
// Session and Tunnel say: pure functions, unit-tested.
#pragma once

#include <glib.h>

G_BEGIN_DECLS

// The external gateway from a Tunnel's Peer property ("192.0.2.1:1701",
// "[2001:db8::1]:1701"): a "u" in network byte order for IPv4, an "ay" of 16
// bytes for IPv6, as NetworkManager's Config wants it; NULL when malformed.
GVariant* l2tpbus_gateway_from_peer(const char* peer);

// NetworkManager's Config (a{sv}): tundev (only when the daemon named an
// interface), gateway, mtu (0: left out), has-ip4 (always: PPP runs IPCP),
// has-ip6.
GVariant* l2tpbus_nm_config(const char* interface_name, GVariant* gateway, guint32 mtu,
                            gboolean has_ip6);

// NetworkManager's Ip4Config / Ip6Config from a Session's Ip4Config /
// Ip6Config (address s, peer s, prefix u, dns as). NULL without error while
// the session's dictionary has no address yet; NULL with an error when an
// address is malformed.
GVariant* l2tpbus_nm_ip4_config(GVariant* session_config, gboolean never_default, GError** error);
GVariant* l2tpbus_nm_ip6_config(GVariant* session_config, gboolean never_default, GError** error);

// Whether Config, once the session is established, announces IPv6: the
// Session's Ip6Negotiation decides as soon as pppd knows; until then (or
// from a daemon that does not say: NULL) Config waits.
typedef enum {
  L2TPBUS_IP6_WAIT,
  L2TPBUS_IP6_WITH,
  L2TPBUS_IP6_WITHOUT,
} L2tpbusIp6Plan;
L2tpbusIp6Plan l2tpbus_ip6_plan(gboolean wanted, const char* negotiation);

// NetworkManager's failure reason (NMVpnPluginFailure) for an ended session
// or tunnel and its LastResult code: LOGIN_FAILED for the PPP authentication
// failure l2tpbusd reports as session result 5, CONNECT_FAILED otherwise.
guint l2tpbus_failure_reason(gboolean session_ended, guint32 result_code);

G_END_DECLS
