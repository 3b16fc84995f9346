#include "profile_setting.h"

#include "secret.h"

static void add_item(const char* key, const char* value, gpointer table) {
  g_hash_table_replace(table, g_strdup(key), g_strdup(value));
}

void l2tpbus_profile_tables_from_setting(NMSettingVpn* vpn, GHashTable** data,
                                         GHashTable** secrets) {
  *data = l2tpbus_secret_table_new();
  *secrets = l2tpbus_secret_table_new();
  if (vpn == NULL) return;
  nm_setting_vpn_foreach_data_item(vpn, add_item, *data);
  nm_setting_vpn_foreach_secret(vpn, add_item, *secrets);
}
