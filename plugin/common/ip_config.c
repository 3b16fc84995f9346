// NetworkManager's VPN plugin dictionaries (nm-vpn-dbus-interface.h): IPv4
// addresses as uint32 in network byte order, IPv6 ones as 16 bytes.
#include "ip_config.h"

#include <NetworkManager.h>
#include <arpa/inet.h>
#include <gio/gio.h>
#include <string.h>

static gboolean parse_ipv4(const char* text, guint32* out) {
  struct in_addr address;
  if (text == NULL || inet_pton(AF_INET, text, &address) != 1) return FALSE;
  *out = address.s_addr;
  return TRUE;
}

static GVariant* ipv6_bytes(const char* text) {
  struct in6_addr address;
  if (text == NULL || inet_pton(AF_INET6, text, &address) != 1) return NULL;
  return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, &address, sizeof(address), 1);
}

GVariant* l2tpbus_gateway_from_peer(const char* peer) {
  if (peer == NULL || peer[0] == '\0') return NULL;
  if (peer[0] == '[') {
    const char* close = strchr(peer, ']');
    if (close == NULL) return NULL;
    g_autofree char* host = g_strndup(peer + 1, (gsize)(close - peer - 1));
    return ipv6_bytes(host);
  }
  const char* colon = strrchr(peer, ':');
  g_autofree char* host = colon != NULL ? g_strndup(peer, (gsize)(colon - peer)) : g_strdup(peer);
  guint32 address = 0;
  if (!parse_ipv4(host, &address)) return NULL;
  return g_variant_new_uint32(address);
}

GVariant* l2tpbus_nm_config(const char* interface_name, GVariant* gateway, guint32 mtu,
                            gboolean has_ip6) {
  GVariantBuilder config;
  g_variant_builder_init(&config, G_VARIANT_TYPE_VARDICT);
  if (interface_name != NULL && interface_name[0] != '\0') {
    g_variant_builder_add(&config, "{sv}", "tundev", g_variant_new_string(interface_name));
  }
  if (gateway != NULL) g_variant_builder_add(&config, "{sv}", "gateway", gateway);
  if (mtu != 0) g_variant_builder_add(&config, "{sv}", "mtu", g_variant_new_uint32(mtu));
  g_variant_builder_add(&config, "{sv}", "has-ip4", g_variant_new_boolean(TRUE));
  g_variant_builder_add(&config, "{sv}", "has-ip6", g_variant_new_boolean(has_ip6));
  return g_variant_builder_end(&config);
}

static gboolean bad_address(GError** error, const char* family, const char* key,
                            const char* value) {
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
              "l2tpbusd reported an %s %s that is not an address: \"%s\"", family, key, value);
  return FALSE;
}

GVariant* l2tpbus_nm_ip4_config(GVariant* session_config, gboolean never_default, GError** error) {
  const char* address_text = NULL;
  if (session_config == NULL || !g_variant_lookup(session_config, "address", "&s", &address_text)) {
    return NULL;
  }
  guint32 address = 0;
  if (!parse_ipv4(address_text, &address)) {
    bad_address(error, "IPv4", "address", address_text);
    return NULL;
  }
  GVariantBuilder config;
  g_variant_builder_init(&config, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&config, "{sv}", "address", g_variant_new_uint32(address));
  const char* peer_text = NULL;
  if (g_variant_lookup(session_config, "peer", "&s", &peer_text)) {
    guint32 peer = 0;
    if (!parse_ipv4(peer_text, &peer)) {
      g_variant_builder_clear(&config);
      bad_address(error, "IPv4", "peer", peer_text);
      return NULL;
    }
    g_variant_builder_add(&config, "{sv}", "ptp", g_variant_new_uint32(peer));
  }
  guint32 prefix = 32;  // a PPP link is point to point
  (void)g_variant_lookup(session_config, "prefix", "u", &prefix);
  if (prefix < 1 || prefix > 32) prefix = 32;
  g_variant_builder_add(&config, "{sv}", "prefix", g_variant_new_uint32(prefix));
  g_autoptr(GVariantIter) dns = NULL;
  if (g_variant_lookup(session_config, "dns", "as", &dns)) {
    GVariantBuilder servers;
    g_variant_builder_init(&servers, G_VARIANT_TYPE("au"));
    const char* server_text = NULL;
    while (g_variant_iter_next(dns, "&s", &server_text)) {
      guint32 server = 0;
      // A server we cannot read is left out rather than failing the link.
      if (parse_ipv4(server_text, &server)) g_variant_builder_add(&servers, "u", server);
    }
    g_variant_builder_add(&config, "{sv}", "dns", g_variant_builder_end(&servers));
  }
  g_variant_builder_add(&config, "{sv}", "never-default", g_variant_new_boolean(never_default));
  return g_variant_builder_end(&config);
}

GVariant* l2tpbus_nm_ip6_config(GVariant* session_config, gboolean never_default, GError** error) {
  const char* address_text = NULL;
  if (session_config == NULL || !g_variant_lookup(session_config, "address", "&s", &address_text)) {
    return NULL;
  }
  GVariant* address = ipv6_bytes(address_text);
  if (address == NULL) {
    bad_address(error, "IPv6", "address", address_text);
    return NULL;
  }
  GVariantBuilder config;
  g_variant_builder_init(&config, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&config, "{sv}", "address", address);
  const char* peer_text = NULL;
  if (g_variant_lookup(session_config, "peer", "&s", &peer_text)) {
    GVariant* peer = ipv6_bytes(peer_text);
    if (peer == NULL) {
      g_variant_builder_clear(&config);
      bad_address(error, "IPv6", "peer", peer_text);
      return NULL;
    }
    g_variant_builder_add(&config, "{sv}", "ptp", peer);
  }
  guint32 prefix = 64;  // IPV6CP negotiates interface identifiers: link-local /64
  (void)g_variant_lookup(session_config, "prefix", "u", &prefix);
  if (prefix < 1 || prefix > 128) prefix = 64;
  g_variant_builder_add(&config, "{sv}", "prefix", g_variant_new_uint32(prefix));
  g_autoptr(GVariantIter) dns = NULL;
  if (g_variant_lookup(session_config, "dns", "as", &dns)) {
    GVariantBuilder servers;
    g_variant_builder_init(&servers, G_VARIANT_TYPE("aay"));
    const char* server_text = NULL;
    while (g_variant_iter_next(dns, "&s", &server_text)) {
      GVariant* server = ipv6_bytes(server_text);
      if (server != NULL) g_variant_builder_add_value(&servers, server);
    }
    g_variant_builder_add(&config, "{sv}", "dns", g_variant_builder_end(&servers));
  }
  g_variant_builder_add(&config, "{sv}", "never-default", g_variant_new_boolean(never_default));
  return g_variant_builder_end(&config);
}

L2tpbusIp6Plan l2tpbus_ip6_plan(gboolean wanted, const char* negotiation) {
  if (!wanted) return L2TPBUS_IP6_WITHOUT;
  if (negotiation == NULL || strcmp(negotiation, "pending") == 0) return L2TPBUS_IP6_WAIT;
  // refused, off, or a word this plugin does not know: IPv4 goes on alone
  // rather than NetworkManager waiting for an IPv6 part that never comes.
  return strcmp(negotiation, "up") == 0 ? L2TPBUS_IP6_WITH : L2TPBUS_IP6_WITHOUT;
}

// The CDN result code l2tpbusd gives a session whose pppd failed to authenticate.
enum { kResultPppAuthenticationFailed = 5 };

guint l2tpbus_failure_reason(gboolean session_ended, guint32 result_code) {
  // A tunnel's result 5 is a StopCCN code of its own, not a login failure.
  return session_ended && result_code == kResultPppAuthenticationFailed
             ? NM_VPN_PLUGIN_FAILURE_LOGIN_FAILED
             : NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED;
}
