// NetworkManager-l2tp's export format (a GKeyFile: [connection] id, [vpn]
// with booleans as true/false, [ip4] with method, dns, dns-search, routes and
// four booleans), read and written for l2tpbus profiles; files exported by
// NetworkManager-l2tp import unchanged.
#pragma once

#include <NetworkManager.h>

G_BEGIN_DECLS

// A new connection of service type org.freedesktop.NetworkManager.l2tpbus, or
// NULL with an NM_CONNECTION_ERROR naming the key: keys outside the profile
// vocabulary and values l2tpbus would refuse to connect with are refused
// here already.
NMConnection* l2tpbus_import_data(const char* text, gsize length, GError** error);
NMConnection* l2tpbus_import_file(const char* path, GError** error);

// The file's text; NULL with an error when the connection is not a VPN.
char* l2tpbus_export_data(NMConnection* connection, GError** error);
gboolean l2tpbus_export_file(const char* path, NMConnection* connection, GError** error);

G_END_DECLS
