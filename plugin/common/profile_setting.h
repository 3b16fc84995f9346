// A profile's vpn.data and vpn.secrets read out of libnm's NMSettingVpn into
// the tables the translation, the import check and the editor work on.
#pragma once

#include <NetworkManager.h>

G_BEGIN_DECLS

// Copies of every data item and secret of `vpn` (NULL: none), in tables
// from l2tpbus_secret_table_new: their values are wiped when freed, as
// vpn.data may hold an IPsec PSK too (NetworkManager-l2tp's older profiles).
void l2tpbus_profile_tables_from_setting(NMSettingVpn* vpn, GHashTable** data,
                                         GHashTable** secrets);

G_END_DECLS
