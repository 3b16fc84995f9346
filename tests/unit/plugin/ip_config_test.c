// What NetworkManager is told, from what l2tpbusd's objects say.
#include "ip_config.h"

#include <NetworkManager.h>
#include <arpa/inet.h>
#include <string.h>

static guint32 ipv4(const char* text) {
  struct in_addr address;
  g_assert_cmpint(inet_pton(AF_INET, text, &address), ==, 1);
  return address.s_addr;
}

static GVariant* dict(const char* text) {
  g_autoptr(GError) error = NULL;
  GVariant* value = g_variant_parse(G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);
  g_assert_no_error(error);
  return value;
}

static void gateway(void) {
  g_autoptr(GVariant) v4 = g_variant_ref_sink(l2tpbus_gateway_from_peer("192.0.2.1:1701"));
  g_assert_true(g_variant_is_of_type(v4, G_VARIANT_TYPE_UINT32));
  g_assert_cmpuint(g_variant_get_uint32(v4), ==, ipv4("192.0.2.1"));
  g_autoptr(GVariant) bare = g_variant_ref_sink(l2tpbus_gateway_from_peer("192.0.2.7"));
  g_assert_cmpuint(g_variant_get_uint32(bare), ==, ipv4("192.0.2.7"));
  g_autoptr(GVariant) v6 = g_variant_ref_sink(l2tpbus_gateway_from_peer("[2001:db8::1]:1701"));
  g_assert_true(g_variant_is_of_type(v6, G_VARIANT_TYPE_BYTESTRING));
  gsize length = 0;
  const guint8* bytes = g_variant_get_fixed_array(v6, &length, 1);
  g_assert_cmpuint(length, ==, 16);
  g_assert_cmpuint(bytes[0], ==, 0x20);
  g_assert_cmpuint(bytes[15], ==, 1);
  g_assert_null(l2tpbus_gateway_from_peer(""));
  g_assert_null(l2tpbus_gateway_from_peer(NULL));
  g_assert_null(l2tpbus_gateway_from_peer("vpn.example.com:1701"));
  g_assert_null(l2tpbus_gateway_from_peer("[2001:db8::1"));
}

static void config(void) {
  g_autoptr(GVariant) with = g_variant_ref_sink(
      l2tpbus_nm_config("ppp0", g_variant_new_uint32(ipv4("192.0.2.1")), 1400, TRUE));
  const char* tundev = NULL;
  g_assert_true(g_variant_lookup(with, "tundev", "&s", &tundev));
  g_assert_cmpstr(tundev, ==, "ppp0");
  guint32 value = 0;
  g_assert_true(g_variant_lookup(with, "mtu", "u", &value));
  g_assert_cmpuint(value, ==, 1400);
  g_assert_true(g_variant_lookup(with, "gateway", "u", &value));
  g_assert_cmpuint(value, ==, ipv4("192.0.2.1"));
  gboolean flag = FALSE;
  g_assert_true(g_variant_lookup(with, "has-ip4", "b", &flag) && flag);
  g_assert_true(g_variant_lookup(with, "has-ip6", "b", &flag) && flag);

  // No interface named (the null data plane): no tundev, no invented one.
  g_autoptr(GVariant) without = g_variant_ref_sink(l2tpbus_nm_config("", NULL, 0, FALSE));
  g_assert_false(g_variant_lookup(without, "tundev", "&s", &tundev));
  g_assert_false(g_variant_lookup(without, "mtu", "u", &value));
  g_assert_true(g_variant_lookup(without, "has-ip6", "b", &flag) && !flag);
}

static void ip4(void) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) empty = dict("@a{sv} {}");
  g_assert_null(l2tpbus_nm_ip4_config(empty, FALSE, &error));
  g_assert_no_error(error);
  g_assert_null(l2tpbus_nm_ip4_config(NULL, FALSE, &error));
  g_assert_no_error(error);

  g_autoptr(GVariant) full = dict(
      "{'address': <'10.1.0.5'>, 'peer': <'10.1.0.1'>, 'prefix': <uint32 32>, "
      "'dns': <['10.1.0.53', 'bogus', '10.1.0.54']>, 'mtu': <uint32 1400>}");
  g_autoptr(GVariant) config = g_variant_ref_sink(l2tpbus_nm_ip4_config(full, TRUE, &error));
  g_assert_no_error(error);
  guint32 value = 0;
  g_assert_true(g_variant_lookup(config, "address", "u", &value));
  g_assert_cmpuint(value, ==, ipv4("10.1.0.5"));
  g_assert_true(g_variant_lookup(config, "ptp", "u", &value));
  g_assert_cmpuint(value, ==, ipv4("10.1.0.1"));
  g_assert_true(g_variant_lookup(config, "prefix", "u", &value));
  g_assert_cmpuint(value, ==, 32);
  g_autoptr(GVariant) dns = g_variant_lookup_value(config, "dns", G_VARIANT_TYPE("au"));
  g_assert_nonnull(dns);
  g_assert_cmpuint(g_variant_n_children(dns), ==, 2);
  gboolean never_default = FALSE;
  g_assert_true(g_variant_lookup(config, "never-default", "b", &never_default) && never_default);

  g_autoptr(GVariant) bad = dict("{'address': <'10.1.0.300'>}");
  g_assert_null(l2tpbus_nm_ip4_config(bad, FALSE, &error));
  g_assert_nonnull(error);
}

static void ip6(void) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) empty = dict("@a{sv} {}");
  g_assert_null(l2tpbus_nm_ip6_config(empty, FALSE, &error));
  g_assert_no_error(error);
  g_autoptr(GVariant) full =
      dict("{'address': <'fe80::2'>, 'peer': <'fe80::1'>, 'dns': <['2001:db8::53']>}");
  g_autoptr(GVariant) config = g_variant_ref_sink(l2tpbus_nm_ip6_config(full, FALSE, &error));
  g_assert_no_error(error);
  g_autoptr(GVariant) address =
      g_variant_lookup_value(config, "address", G_VARIANT_TYPE_BYTESTRING);
  g_assert_cmpuint(g_variant_n_children(address), ==, 16);
  g_autoptr(GVariant) dns = g_variant_lookup_value(config, "dns", G_VARIANT_TYPE("aay"));
  g_assert_cmpuint(g_variant_n_children(dns), ==, 1);
  guint32 prefix = 0;
  g_assert_true(g_variant_lookup(config, "prefix", "u", &prefix));
  g_assert_cmpuint(prefix, ==, 64);
  g_autoptr(GVariant) bad = dict("{'address': <'fe80::zz'>}");
  g_assert_null(l2tpbus_nm_ip6_config(bad, FALSE, &error));
  g_assert_nonnull(error);
}

static void ip6_plan(void) {
  g_assert_cmpint(l2tpbus_ip6_plan(TRUE, "up"), ==, L2TPBUS_IP6_WITH);
  g_assert_cmpint(l2tpbus_ip6_plan(TRUE, "pending"), ==, L2TPBUS_IP6_WAIT);
  g_assert_cmpint(l2tpbus_ip6_plan(TRUE, NULL), ==, L2TPBUS_IP6_WAIT);  // not said
  g_assert_cmpint(l2tpbus_ip6_plan(TRUE, "refused"), ==, L2TPBUS_IP6_WITHOUT);
  g_assert_cmpint(l2tpbus_ip6_plan(TRUE, "off"), ==, L2TPBUS_IP6_WITHOUT);
  g_assert_cmpint(l2tpbus_ip6_plan(TRUE, "something new"), ==, L2TPBUS_IP6_WITHOUT);
  // IPv6 off in the profile: never waits, whatever the session says
  g_assert_cmpint(l2tpbus_ip6_plan(FALSE, "up"), ==, L2TPBUS_IP6_WITHOUT);
  g_assert_cmpint(l2tpbus_ip6_plan(FALSE, "pending"), ==, L2TPBUS_IP6_WITHOUT);
}

static void failure_reason(void) {
  g_assert_cmpuint(l2tpbus_failure_reason(TRUE, 5), ==, NM_VPN_PLUGIN_FAILURE_LOGIN_FAILED);
  g_assert_cmpuint(l2tpbus_failure_reason(TRUE, 3), ==, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED);
  g_assert_cmpuint(l2tpbus_failure_reason(TRUE, 2), ==, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED);
  g_assert_cmpuint(l2tpbus_failure_reason(FALSE, 5), ==, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED);
  g_assert_cmpuint(l2tpbus_failure_reason(FALSE, 1), ==, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED);
}

int main(int argc, char** argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ip-config/gateway", gateway);
  g_test_add_func("/ip-config/config", config);
  g_test_add_func("/ip-config/ip4", ip4);
  g_test_add_func("/ip-config/ip6", ip6);
  g_test_add_func("/ip-config/ip6-plan", ip6_plan);
  g_test_add_func("/ip-config/failure-reason", failure_reason);
  return g_test_run();
}
