// Import and export in NetworkManager-l2tp's file format, so a profile moves
// between the two plugins as a file as well as by its vpn-type.
#include "import_export.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "keys.h"
#include "profile.h"
#include "profile_setting.h"

#define CONNECTION_GROUP "connection"
#define VPN_GROUP "vpn"
#define IP4_GROUP "ip4"

static gboolean refuse(GError** error, const char* key, const char* message) {
  g_set_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_INVALID_PROPERTY, "%s: %s", key,
              message);
  return FALSE;
}

static gboolean import_vpn(GKeyFile* file, NMSettingVpn* vpn, GError** error) {
  g_auto(GStrv) keys = g_key_file_get_keys(file, VPN_GROUP, NULL, NULL);
  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++) {
    const char* key = keys[i];
    if (!g_strv_contains(l2tpbus_profile_data_keys(), key)) {
      return refuse(error, key, dgettext(GETTEXT_PACKAGE, "not supported by l2tpbus"));
    }
    if (l2tpbus_profile_key_is_boolean(key)) {
      g_autoptr(GError) local = NULL;
      const gboolean value = g_key_file_get_boolean(file, VPN_GROUP, key, &local);
      if (local != NULL) {
        return refuse(error, key, dgettext(GETTEXT_PACKAGE, "expected true or false"));
      }
      // As NetworkManager-l2tp imports them: false is the default, left out.
      if (value) nm_setting_vpn_add_data_item(vpn, key, "yes");
      continue;
    }
    g_autofree char* value = g_key_file_get_string(file, VPN_GROUP, key, NULL);
    if (value == NULL) continue;
    // NetworkManager-l2tp's older files carry the IPsec PSK in [vpn]: it is
    // kept as what it is, a secret, which export leaves out.
    if (l2tpbus_profile_key_is_secret(key)) {
      nm_setting_vpn_add_secret(vpn, key, value);
    } else {
      nm_setting_vpn_add_data_item(vpn, key, value);
    }
  }
  return TRUE;
}

static gboolean get_boolean(GKeyFile* file, const char* key, gboolean* out, GError** error) {
  if (!g_key_file_has_key(file, IP4_GROUP, key, NULL)) return TRUE;
  g_autoptr(GError) local = NULL;
  *out = g_key_file_get_boolean(file, IP4_GROUP, key, &local);
  if (local != NULL) return refuse(error, key, dgettext(GETTEXT_PACKAGE, "expected true or false"));
  return TRUE;
}

// "192.0.2.0/24 via 192.0.2.1 metric 5", via and metric optional.
static NMIPRoute* parse_route(const char* text, GError** error) {
  g_auto(GStrv) words = g_strsplit_set(text, " \t", -1);
  g_autoptr(GPtrArray) parts = g_ptr_array_new();
  for (gsize i = 0; words[i] != NULL; i++) {
    if (words[i][0] != '\0') g_ptr_array_add(parts, words[i]);
  }
  const char* next_hop = NULL;
  gint64 metric = -1;
  gboolean ok = parts->len >= 1 && parts->len % 2 == 1;
  for (guint i = 1; ok && i + 1 < parts->len; i += 2) {
    const char* word = g_ptr_array_index(parts, i);
    const char* value = g_ptr_array_index(parts, i + 1);
    if (strcmp(word, "via") == 0 && next_hop == NULL) {
      next_hop = value;
    } else if (strcmp(word, "metric") == 0 && metric < 0) {
      guint64 number = 0;
      ok = g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT32, &number, NULL);
      metric = (gint64)number;
    } else {
      ok = FALSE;
    }
  }
  g_auto(GStrv) destination = ok ? g_strsplit(g_ptr_array_index(parts, 0), "/", 2) : NULL;
  guint64 prefix = 0;
  ok = ok && destination[1] != NULL &&
       g_ascii_string_to_unsigned(destination[1], 10, 1, 32, &prefix, NULL);
  NMIPRoute* route =
      ok ? nm_ip_route_new(AF_INET, destination[0], (guint)prefix, next_hop, metric, NULL) : NULL;
  if (route == NULL) refuse(error, "routes", dgettext(GETTEXT_PACKAGE, "expected a route"));
  return route;
}

static gboolean import_ip4(GKeyFile* file, NMSettingIPConfig* ip4, GError** error) {
  g_autofree char* method = g_key_file_get_string(file, IP4_GROUP, "method", NULL);
  g_object_set(ip4, NM_SETTING_IP_CONFIG_METHOD,
               method != NULL ? method : NM_SETTING_IP4_CONFIG_METHOD_AUTO, NULL);
  g_auto(GStrv) dns = g_key_file_get_string_list(file, IP4_GROUP, "dns", NULL, NULL);
  for (gsize i = 0; dns != NULL && dns[i] != NULL; i++) {
    if (!nm_utils_ipaddr_valid(AF_INET, dns[i])) {
      return refuse(error, "dns", dgettext(GETTEXT_PACKAGE, "expected IPv4 addresses"));
    }
    nm_setting_ip_config_add_dns(ip4, dns[i]);
  }
  g_auto(GStrv) searches = g_key_file_get_string_list(file, IP4_GROUP, "dns-search", NULL, NULL);
  for (gsize i = 0; searches != NULL && searches[i] != NULL; i++) {
    nm_setting_ip_config_add_dns_search(ip4, searches[i]);
  }
  g_auto(GStrv) routes = g_key_file_get_string_list(file, IP4_GROUP, "routes", NULL, NULL);
  for (gsize i = 0; routes != NULL && routes[i] != NULL; i++) {
    NMIPRoute* route = parse_route(routes[i], error);
    if (route == NULL) return FALSE;
    nm_setting_ip_config_add_route(ip4, route);
    nm_ip_route_unref(route);
  }
  static const char* const kBooleans[] = {
      NM_SETTING_IP_CONFIG_IGNORE_AUTO_ROUTES, NM_SETTING_IP_CONFIG_IGNORE_AUTO_DNS,
      NM_SETTING_IP_CONFIG_DHCP_SEND_HOSTNAME, NM_SETTING_IP_CONFIG_NEVER_DEFAULT};
  for (gsize i = 0; i < G_N_ELEMENTS(kBooleans); i++) {
    gboolean value = FALSE;
    g_object_get(ip4, kBooleans[i], &value, NULL);
    if (!get_boolean(file, kBooleans[i], &value, error)) return FALSE;
    g_object_set(ip4, kBooleans[i], value, NULL);
  }
  return TRUE;
}

// What connecting would refuse, refused now, with the same message; but not
// what needs the secrets or the machine certificate's files, which may live
// on another machine than the file.
static gboolean check_profile(NMSettingVpn* vpn, NMSettingIPConfig* ip4, GError** error) {
  // Wiped, as a file may carry a PSK.
  g_autoptr(GHashTable) data = NULL;
  g_autoptr(GHashTable) secrets = NULL;
  l2tpbus_profile_tables_from_setting(vpn, &data, &secrets);
  const L2tpbusProfile profile = {
      .data = data,
      .secrets = secrets,
      .ignore_auto_dns = nm_setting_ip_config_get_ignore_auto_dns(ip4),
  };
  g_autoptr(GError) local = NULL;
  if (!l2tpbus_profile_check(&profile, &local)) {
    g_set_error_literal(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_INVALID_PROPERTY,
                        local->message);
    return FALSE;
  }
  return TRUE;
}

NMConnection* l2tpbus_import_data(const char* text, gsize length, GError** error) {
  g_autoptr(GKeyFile) file = g_key_file_new();
  if (!g_key_file_load_from_data(file, text, length, G_KEY_FILE_NONE, NULL) ||
      !g_key_file_has_group(file, VPN_GROUP)) {
    g_set_error_literal(
        error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED,
        dgettext(GETTEXT_PACKAGE, "not an L2TP connection file (no [vpn] section)"));
    return NULL;
  }
  g_autoptr(NMConnection) connection = nm_simple_connection_new();
  NMSettingConnection* settings = NM_SETTING_CONNECTION(nm_setting_connection_new());
  g_autofree char* id = g_key_file_get_string(file, CONNECTION_GROUP, "id", NULL);
  g_autofree char* uuid = nm_utils_uuid_generate();
  g_object_set(settings, NM_SETTING_CONNECTION_ID, id != NULL ? id : "L2TP",
               NM_SETTING_CONNECTION_UUID, uuid, NM_SETTING_CONNECTION_TYPE,
               NM_SETTING_VPN_SETTING_NAME, NULL);
  nm_connection_add_setting(connection, NM_SETTING(settings));

  NMSettingVpn* vpn = NM_SETTING_VPN(nm_setting_vpn_new());
  g_object_set(vpn, NM_SETTING_VPN_SERVICE_TYPE, L2TPBUS_NM_SERVICE, NULL);
  nm_connection_add_setting(connection, NM_SETTING(vpn));
  NMSettingIPConfig* ip4 = NM_SETTING_IP_CONFIG(nm_setting_ip4_config_new());
  nm_connection_add_setting(connection, NM_SETTING(ip4));
  // NetworkManager-l2tp's files carry no IPv6; PPP then runs no IPV6CP.
  NMSettingIPConfig* ip6 = NM_SETTING_IP_CONFIG(nm_setting_ip6_config_new());
  g_object_set(ip6, NM_SETTING_IP_CONFIG_METHOD, NM_SETTING_IP6_CONFIG_METHOD_IGNORE, NULL);
  nm_connection_add_setting(connection, NM_SETTING(ip6));

  if (!import_vpn(file, vpn, error) || !import_ip4(file, ip4, error) ||
      !check_profile(vpn, ip4, error)) {
    return NULL;
  }
  return g_steal_pointer(&connection);
}

NMConnection* l2tpbus_import_file(const char* path, GError** error) {
  g_autofree char* text = NULL;
  gsize length = 0;
  if (!g_file_get_contents(path, &text, &length, error)) return NULL;
  return l2tpbus_import_data(text, length, error);
}

static void export_ip4(NMSettingIPConfig* ip4, GKeyFile* file) {
  const char* method = nm_setting_ip_config_get_method(ip4);
  g_key_file_set_string(file, IP4_GROUP, "method",
                        method != NULL ? method : NM_SETTING_IP4_CONFIG_METHOD_AUTO);
  const guint dns_count = nm_setting_ip_config_get_num_dns(ip4);
  if (dns_count > 0) {
    g_autofree const char** dns = g_new0(const char*, dns_count + 1);
    for (guint i = 0; i < dns_count; i++) dns[i] = nm_setting_ip_config_get_dns(ip4, (int)i);
    g_key_file_set_string_list(file, IP4_GROUP, "dns", dns, dns_count);
  }
  const guint search_count = nm_setting_ip_config_get_num_dns_searches(ip4);
  if (search_count > 0) {
    g_autofree const char** searches = g_new0(const char*, search_count + 1);
    for (guint i = 0; i < search_count; i++) {
      searches[i] = nm_setting_ip_config_get_dns_search(ip4, (int)i);
    }
    g_key_file_set_string_list(file, IP4_GROUP, "dns-search", searches, search_count);
  }
  const guint route_count = nm_setting_ip_config_get_num_routes(ip4);
  if (route_count > 0) {
    g_autoptr(GPtrArray) routes = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < route_count; i++) {
      NMIPRoute* route = nm_setting_ip_config_get_route(ip4, (int)i);
      GString* text = g_string_new(NULL);
      g_string_append_printf(text, "%s/%u", nm_ip_route_get_dest(route),
                             nm_ip_route_get_prefix(route));
      if (nm_ip_route_get_next_hop(route) != NULL) {
        g_string_append_printf(text, " via %s", nm_ip_route_get_next_hop(route));
      }
      if (nm_ip_route_get_metric(route) >= 0) {
        g_string_append_printf(text, " metric %" G_GINT64_FORMAT, nm_ip_route_get_metric(route));
      }
      g_ptr_array_add(routes, g_string_free(text, FALSE));
    }
    g_key_file_set_string_list(file, IP4_GROUP, "routes", (const char* const*)routes->pdata,
                               routes->len);
  }
  g_key_file_set_boolean(file, IP4_GROUP, NM_SETTING_IP_CONFIG_IGNORE_AUTO_ROUTES,
                         nm_setting_ip_config_get_ignore_auto_routes(ip4));
  g_key_file_set_boolean(file, IP4_GROUP, NM_SETTING_IP_CONFIG_IGNORE_AUTO_DNS,
                         nm_setting_ip_config_get_ignore_auto_dns(ip4));
  g_key_file_set_boolean(file, IP4_GROUP, NM_SETTING_IP_CONFIG_DHCP_SEND_HOSTNAME,
                         nm_setting_ip_config_get_dhcp_send_hostname(ip4));
  g_key_file_set_boolean(file, IP4_GROUP, NM_SETTING_IP_CONFIG_NEVER_DEFAULT,
                         nm_setting_ip_config_get_never_default(ip4));
}

char* l2tpbus_export_data(NMConnection* connection, GError** error) {
  NMSettingVpn* vpn = nm_connection_get_setting_vpn(connection);
  if (vpn == NULL) {
    g_set_error_literal(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_MISSING_SETTING,
                        dgettext(GETTEXT_PACKAGE, "not a VPN connection"));
    return NULL;
  }
  g_autoptr(GKeyFile) file = g_key_file_new();
  g_key_file_set_comment(file, NULL, NULL, L2TPBUS_NM_SERVICE, NULL);
  g_key_file_set_string(file, CONNECTION_GROUP, "id", nm_connection_get_id(connection));
  // The profile's own keys, in the vocabulary's order; secrets stay out, also
  // an IPsec PSK an older profile keeps in vpn.data.
  for (const char* const* key = l2tpbus_profile_data_keys(); *key != NULL; key++) {
    const char* value = nm_setting_vpn_get_data_item(vpn, *key);
    if (value == NULL || l2tpbus_profile_key_is_secret(*key)) continue;
    if (l2tpbus_profile_key_is_boolean(*key)) {
      if (strcmp(value, "yes") == 0) g_key_file_set_boolean(file, VPN_GROUP, *key, TRUE);
    } else {
      g_key_file_set_string(file, VPN_GROUP, *key, value);
    }
  }
  NMSettingIPConfig* ip4 = nm_connection_get_setting_ip4_config(connection);
  if (ip4 != NULL) export_ip4(ip4, file);
  return g_key_file_to_data(file, NULL, error);
}

gboolean l2tpbus_export_file(const char* path, NMConnection* connection, GError** error) {
  g_autofree char* text = l2tpbus_export_data(connection, error);
  return text != NULL && g_file_set_contents(path, text, -1, error);
}
