// The VPN service NetworkManager drives (org.freedesktop.NetworkManager.VPN.Plugin),
// turning one connection at a time into a tunnel and a PPP session on
// org.l2tpbus1, found on the same bus.
#pragma once

#include <NetworkManager.h>

G_BEGIN_DECLS

#define L2TPBUS_TYPE_VPN_PLUGIN (l2tpbus_vpn_plugin_get_type())
G_DECLARE_FINAL_TYPE(L2tpbusVpnPlugin, l2tpbus_vpn_plugin, L2TPBUS, VPN_PLUGIN, NMVpnServicePlugin)

// `ip_timeout` is how long an established session may go without the IP
// configuration pppd negotiates before the connection fails.
L2tpbusVpnPlugin* l2tpbus_vpn_plugin_new(const char* bus_name, gboolean watch_peer,
                                         guint ip_timeout, GError** error);

// Close calls sent and not yet answered (main waits for them before exiting).
guint l2tpbus_vpn_plugin_pending_closes(void);

G_END_DECLS
