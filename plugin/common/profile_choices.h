// The profile's values as the editor shows them, where one control stands for
// several keys or one key has an older name: pure, so the unit tests prove
// every combination from tables, and the editor and the import agree.
#pragma once

#include <glib.h>

G_BEGIN_DECLS

// MPPE as NetworkManager-l2tp's keys can say it: require-mppe and its 40-
// and 128-bit variants (a profile has no way to say "optional").
typedef enum {
  L2TPBUS_MPPE_OFF,
  L2TPBUS_MPPE_REQUIRED,
  L2TPBUS_MPPE_REQUIRED_40,
  L2TPBUS_MPPE_REQUIRED_128,
} L2tpbusMppeChoice;

L2tpbusMppeChoice l2tpbus_mppe_choice_read(GHashTable* data);
// Sets require-mppe, require-mppe-40 and require-mppe-128 to say `choice`
// ("yes" where needed, the key removed elsewhere). `data` owns its strings
// (g_free).
void l2tpbus_mppe_choice_write(L2tpbusMppeChoice choice, GHashTable* data);
// The editor's ids for the choices: "off", "required", "required-40",
// "required-128"; an unknown id reads as off.
const char* l2tpbus_mppe_choice_id(L2tpbusMppeChoice choice);
L2tpbusMppeChoice l2tpbus_mppe_choice_from_id(const char* id);

// The remote IKE identity: ipsec-remote-id, or NetworkManager-l2tp's older
// ipsec-gateway-id when only that is there. Writing it drops the older name.
const char* l2tpbus_remote_id_read(GHashTable* data);
void l2tpbus_remote_id_write(const char* id, GHashTable* data);

// The profile key an error of l2tpbus_profile_check names ("gateway: ..."),
// as one of the static key strings, or NULL when it names none.
const char* l2tpbus_profile_error_key(const GError* error);

G_END_DECLS
