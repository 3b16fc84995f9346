// The profile translation, table-driven: every key with its good and bad
// values, the daemon options each good profile turns into, and the key each
// bad one is refused for.
#include "profile.h"

#include <string.h>

#include "profile_assertions.h"

typedef struct {
  const char* name;
  const char* data;     // "key=value|key=value"; values may hold anything but '|'
  const char* secrets;  // same
  gboolean ignore_auto_dns;
  gboolean ipv6;
  // On success: the a{sv} entries expected (GVariant text; every key listed
  // must be there with that value, and "!Key" must be absent).
  const char* tunnel;
  const char* session;
  const char* absent;  // session keys that must not be there, "|"-separated
  const char* note;    // a key the notes must mention
  // On failure: the key the message starts with, and the error code.
  const char* error_key;
  int error_code;
} Case;

#define OK .error_key = NULL
#define BAD(key, code) .error_key = key, .error_code = L2TPBUS_PROFILE_ERROR_##code

#define LONG_NAME                                                                            \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

#define ALL_METHODS "['pap', 'chap', 'mschap', 'mschap-v2', 'eap']"

static const Case kCases[] = {
    // ---- the minimal profile and the defaults it gives
    {"minimal", "gateway=vpn.example.com", NULL, FALSE, FALSE,
     "{'Peer': <'vpn.example.com'>, 'Version': <uint32 2>}",
     "{'Pseudowire': <'ppp'>, 'Authentication': <" ALL_METHODS
     ">, 'UsePeerDns': <true>, 'Ipv6': <false>, 'DefaultRoute': <false>}",
     "User|Password|Mppe|Mtu|LcpEchoFailure|LcpEchoInterval", NULL, OK},
    // ---- gateway
    {"gateway-ipv4", "gateway=192.0.2.1", NULL, FALSE, FALSE, "{'Peer': <'192.0.2.1'>}", NULL, NULL,
     NULL, OK},
    {"gateway-port", "gateway=192.0.2.1:1702", NULL, FALSE, FALSE, "{'Peer': <'192.0.2.1:1702'>}",
     NULL, NULL, NULL, OK},
    {"gateway-host-port", "gateway=vpn.example.com:65535", NULL, FALSE, FALSE,
     "{'Peer': <'vpn.example.com:65535'>}", NULL, NULL, NULL, OK},
    {"gateway-ipv6-brackets", "gateway=[2001:db8::1]", NULL, FALSE, FALSE,
     "{'Peer': <'[2001:db8::1]'>}", NULL, NULL, NULL, OK},
    {"gateway-ipv6-port", "gateway=[2001:db8::1]:1701", NULL, FALSE, FALSE,
     "{'Peer': <'[2001:db8::1]:1701'>}", NULL, NULL, NULL, OK},
    {"gateway-ipv6-bare", "gateway=2001:db8::1", NULL, FALSE, FALSE, "{'Peer': <'2001:db8::1'>}",
     NULL, NULL, NULL, OK},
    {"gateway-missing", "user=alice", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("gateway", MISSING)},
    {"gateway-empty", "gateway=", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("gateway", INVALID_VALUE)},
    {"gateway-space", "gateway=vpn example.com", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("gateway", INVALID_VALUE)},
    {"gateway-port-0", "gateway=vpn.example.com:0", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("gateway", INVALID_VALUE)},
    {"gateway-port-big", "gateway=vpn.example.com:65536", NULL, FALSE, FALSE, NULL, NULL, NULL,
     NULL, BAD("gateway", INVALID_VALUE)},
    {"gateway-port-word", "gateway=vpn.example.com:l2tp", NULL, FALSE, FALSE, NULL, NULL, NULL,
     NULL, BAD("gateway", INVALID_VALUE)},
    {"gateway-port-empty", "gateway=vpn.example.com:", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("gateway", INVALID_VALUE)},
    {"gateway-unclosed", "gateway=[2001:db8::1", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("gateway", INVALID_VALUE)},
    {"gateway-brackets-ipv4", "gateway=[192.0.2.1]", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("gateway", INVALID_VALUE)},
    {"gateway-bad-ipv6", "gateway=2001:db8:::1:x", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("gateway", INVALID_VALUE)},
    {"gateway-after-bracket", "gateway=[2001:db8::1]1701", NULL, FALSE, FALSE, NULL, NULL, NULL,
     NULL, BAD("gateway", INVALID_VALUE)},
    {"gateway-dash", "gateway=-vpn.example.com", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("gateway", INVALID_VALUE)},
    {"gateway-newline", "gateway=vpn.example.com\nrefuse-pap=yes", NULL, FALSE, FALSE, NULL, NULL,
     NULL, NULL, BAD("gateway", INVALID_VALUE)},
    // ---- user, domain, password
    {"user", "gateway=h|user=alice", NULL, FALSE, FALSE, NULL, "{'User': <'alice'>}", "Password",
     NULL, OK},
    {"user-domain", "gateway=h|user=alice|domain=CORP", NULL, FALSE, FALSE, NULL,
     "{'User': <'CORP\\\\alice'>}", NULL, NULL, OK},
    {"domain-alone", "gateway=h|domain=CORP", NULL, FALSE, FALSE, NULL, NULL, "User", NULL, OK},
    {"user-empty", "gateway=h|user=", NULL, FALSE, FALSE, NULL, NULL, "User", NULL, OK},
    {"user-control", "gateway=h|user=al\tice", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("user", INVALID_VALUE)},
    {"user-del",
     "gateway=h|user=al\x7f"
     "ice",
     NULL, FALSE, FALSE, NULL, NULL, NULL, NULL, BAD("user", INVALID_VALUE)},
    {"user-space", "gateway=h|user=alice smith", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("user", INVALID_VALUE)},
    {"user-quote", "gateway=h|user=al'ice", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("user", INVALID_VALUE)},
    {"user-backslash", "gateway=h|user=CORP\\alice", NULL, FALSE, FALSE, NULL,
     "{'User': <'CORP\\\\alice'>}", NULL, NULL, OK},
    {"domain-space", "gateway=h|user=alice|domain=MY CORP", NULL, FALSE, FALSE, NULL, NULL, NULL,
     NULL, BAD("domain", INVALID_VALUE)},
    {"user-long", "gateway=h|user=" LONG_NAME, NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("user", INVALID_VALUE)},
    {"password-spaces", "gateway=h|user=alice", "password=a b'c\\d", FALSE, FALSE, NULL,
     "{'Password': <'a b\\'c\\\\d'>}", NULL, NULL, OK},
    {"domain-control", "gateway=h|user=alice|domain=CO\nRP", NULL, FALSE, FALSE, NULL, NULL, NULL,
     NULL, BAD("domain", INVALID_VALUE)},
    {"password", "gateway=h|user=alice", "password=s3cret", FALSE, FALSE, NULL,
     "{'Password': <'s3cret'>}", NULL, NULL, OK},
    {"password-control", "gateway=h|user=alice", "password=s3\ncret", FALSE, FALSE, NULL, NULL,
     NULL, NULL, BAD("password", INVALID_VALUE)},
    {"secret-unknown", "gateway=h", "token=123", FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("token", UNKNOWN_KEY)},
    {"password-flags", "gateway=h|password-flags=2", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     OK},
    {"password-flags-big", "gateway=h|password-flags=8", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("password-flags", INVALID_VALUE)},
    {"password-flags-word", "gateway=h|password-flags=none", NULL, FALSE, FALSE, NULL, NULL, NULL,
     NULL, BAD("password-flags", INVALID_VALUE)},
    {"user-auth-type-password", "gateway=h|user-auth-type=password", NULL, FALSE, FALSE, NULL, NULL,
     NULL, NULL, OK},
    {"user-auth-type-tls", "gateway=h|user-auth-type=tls", NULL, FALSE, FALSE, NULL, NULL, NULL,
     NULL, BAD("user-auth-type", UNSUPPORTED)},
    // ---- mtu, mru, LCP echo
    {"mtu", "gateway=h|mtu=1400", NULL, FALSE, FALSE, NULL, "{'Mtu': <uint32 1400>}", NULL, NULL,
     OK},
    {"mtu-min", "gateway=h|mtu=68", NULL, FALSE, FALSE, NULL, "{'Mtu': <uint32 68>}", NULL, NULL,
     OK},
    {"mtu-low", "gateway=h|mtu=67", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("mtu", INVALID_VALUE)},
    {"mtu-high", "gateway=h|mtu=65536", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("mtu", INVALID_VALUE)},
    {"mtu-negative", "gateway=h|mtu=-1400", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("mtu", INVALID_VALUE)},
    {"mtu-word", "gateway=h|mtu=big", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("mtu", INVALID_VALUE)},
    {"mtu-empty", "gateway=h|mtu=", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("mtu", INVALID_VALUE)},
    {"mtu-huge", "gateway=h|mtu=99999999999", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("mtu", INVALID_VALUE)},
    {"mru", "gateway=h|mru=1400", NULL, FALSE, FALSE, NULL, NULL, "Mru", "mru", OK},
    {"mru-bad", "gateway=h|mru=1400x", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("mru", INVALID_VALUE)},
    {"lcp-echo", "gateway=h|lcp-echo-failure=5|lcp-echo-interval=10", NULL, FALSE, FALSE, NULL,
     "{'LcpEchoFailure': <uint32 5>, 'LcpEchoInterval': <uint32 10>}", NULL, NULL, OK},
    {"lcp-echo-zero", "gateway=h|lcp-echo-failure=0|lcp-echo-interval=0", NULL, FALSE, FALSE, NULL,
     "{'LcpEchoFailure': <uint32 0>, 'LcpEchoInterval': <uint32 0>}", NULL, NULL, OK},
    {"lcp-echo-failure-high", "gateway=h|lcp-echo-failure=101", NULL, FALSE, FALSE, NULL, NULL,
     NULL, NULL, BAD("lcp-echo-failure", INVALID_VALUE)},
    {"lcp-echo-interval-high", "gateway=h|lcp-echo-interval=3601", NULL, FALSE, FALSE, NULL, NULL,
     NULL, NULL, BAD("lcp-echo-interval", INVALID_VALUE)},
    // ---- authentication methods
    {"refuse-pap", "gateway=h|refuse-pap=yes", NULL, FALSE, FALSE, NULL,
     "{'Authentication': <['chap', 'mschap', 'mschap-v2', 'eap']>}", NULL, NULL, OK},
    {"refuse-chap", "gateway=h|refuse-chap=yes", NULL, FALSE, FALSE, NULL,
     "{'Authentication': <['pap', 'mschap', 'mschap-v2', 'eap']>}", NULL, NULL, OK},
    {"refuse-mschap", "gateway=h|refuse-mschap=yes", NULL, FALSE, FALSE, NULL,
     "{'Authentication': <['pap', 'chap', 'mschap-v2', 'eap']>}", NULL, NULL, OK},
    {"refuse-mschapv2", "gateway=h|refuse-mschapv2=yes", NULL, FALSE, FALSE, NULL,
     "{'Authentication': <['pap', 'chap', 'mschap', 'eap']>}", NULL, NULL, OK},
    {"refuse-eap", "gateway=h|refuse-eap=yes", NULL, FALSE, FALSE, NULL,
     "{'Authentication': <['pap', 'chap', 'mschap', 'mschap-v2']>}", NULL, NULL, OK},
    {"refuse-no", "gateway=h|refuse-pap=no|refuse-eap=no", NULL, FALSE, FALSE, NULL,
     "{'Authentication': <" ALL_METHODS ">}", NULL, NULL, OK},
    {"refuse-all-but-mschapv2",
     "gateway=h|refuse-pap=yes|refuse-chap=yes|refuse-mschap=yes|"
     "refuse-eap=yes",
     NULL, FALSE, FALSE, NULL, "{'Authentication': <['mschap-v2']>}", NULL, NULL, OK},
    {"refuse-all",
     "gateway=h|refuse-pap=yes|refuse-chap=yes|refuse-mschap=yes|"
     "refuse-mschapv2=yes|refuse-eap=yes",
     NULL, FALSE, FALSE, NULL, NULL, NULL, NULL, BAD("refuse-eap", INVALID_VALUE)},
    // ---- MPPE
    {"require-mppe", "gateway=h|require-mppe=yes", NULL, FALSE, FALSE, NULL,
     "{'Mppe': <'required'>}", NULL, NULL, OK},
    {"require-mppe-128", "gateway=h|require-mppe-128=yes", NULL, FALSE, FALSE, NULL,
     "{'Mppe': <'required-128'>}", NULL, NULL, OK},
    {"require-mppe-40", "gateway=h|require-mppe-40=yes", NULL, FALSE, FALSE, NULL,
     "{'Mppe': <'required'>}", NULL, NULL, OK},
    {"require-mppe-40-and-128", "gateway=h|require-mppe-40=yes|require-mppe-128=yes", NULL, FALSE,
     FALSE, NULL, "{'Mppe': <'required'>}", NULL, NULL, OK},
    {"require-mppe-no", "gateway=h|require-mppe=no", NULL, FALSE, FALSE, NULL, NULL, "Mppe", NULL,
     OK},
    {"mppe-stateful", "gateway=h|require-mppe=yes|mppe-stateful=yes", NULL, FALSE, FALSE, NULL,
     "{'Mppe': <'required'>}", NULL, "mppe-stateful", OK},
    // ---- port, IPsec
    {"ephemeral-port", "gateway=h|ephemeral-port=yes", NULL, FALSE, FALSE, "{'Peer': <'h'>}", NULL,
     NULL, "ephemeral-port", OK},
    {"ipsec-off",
     "gateway=h|ipsec-enabled=no|ipsec-psk=x|ipsec-remote-id=gw|ipsec-ike=aes|"
     "ipsec-esp=aes|ipsec-forceencaps=yes|ipsec-pfs=no|ipsec-psk-flags=0",
     "ipsec-psk=k", FALSE, FALSE, NULL, NULL, NULL, NULL, OK},
    // IPsec is on, not refused: profile_ipsec_test.c has the details.
    {"ipsec-enabled", "gateway=h|ipsec-enabled=yes", "ipsec-psk=k", FALSE, FALSE,
     "{'Peer': <'h'>, 'IpsecIkeVersion': <uint32 1>}", NULL, NULL, NULL, OK},
    {"ipsec-enabled-without-psk", "gateway=h|ipsec-enabled=yes", NULL, FALSE, FALSE, NULL, NULL,
     NULL, NULL, BAD("ipsec-psk", MISSING_SECRET)},
    {"ipsec-psk-control", "gateway=h|ipsec-psk=a\nb", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("ipsec-psk", INVALID_VALUE)},
    // ---- the ipv4 and ipv6 settings
    {"ignore-auto-dns", "gateway=h", NULL, TRUE, FALSE, NULL, "{'UsePeerDns': <false>}", NULL, NULL,
     OK},
    {"ipv6", "gateway=h", NULL, FALSE, TRUE, NULL, "{'Ipv6': <true>}", NULL, NULL, OK},
    // ---- unknown keys, NetworkManager-l2tp's pppd knobs included
    {"unknown", "gateway=h|colour=blue", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("colour", UNKNOWN_KEY)},
    {"unknown-nobsdcomp", "gateway=h|nobsdcomp=yes", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("nobsdcomp", UNKNOWN_KEY)},
    {"unknown-before-bad", "gateway=|aaa=1", NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
     BAD("aaa", UNKNOWN_KEY)},
};

static void run_case(gconstpointer data) {
  const Case* c = data;
  g_autoptr(GHashTable) profile_data = profile_table_from(c->data);
  g_autoptr(GHashTable) secrets = profile_table_from(c->secrets);
  const L2tpbusProfile profile = {profile_data, secrets, c->ignore_auto_dns, c->ipv6};
  L2tpbusRequest request;
  g_autoptr(GError) error = NULL;
  const gboolean ok = l2tpbus_profile_translate(&profile, &request, &error);
  if (c->error_key != NULL) {
    assert_profile_refused(ok, error, c->error_code, c->error_key);
    return;
  }
  g_assert_no_error(error);
  g_assert_true(ok);
  g_assert_true(g_variant_is_of_type(request.tunnel, G_VARIANT_TYPE_VARDICT));
  g_assert_true(g_variant_is_of_type(request.session, G_VARIANT_TYPE_VARDICT));
  assert_profile_entries(request.tunnel, c->tunnel);
  assert_profile_entries(request.session, c->session);
  assert_profile_keys(request.session, c->absent, FALSE);
  if (c->note != NULL) {
    gboolean found = FALSE;
    for (guint i = 0; i < request.notes->len; i++) {
      found = found || g_str_has_prefix(g_ptr_array_index(request.notes, i), c->note);
    }
    if (!found) g_error("no note about %s", c->note);
  } else {
    g_assert_cmpuint(request.notes->len, ==, 0);
  }
  l2tpbus_request_clear(&request);
}

// Every yes/no key accepts exactly "yes" and "no".
static void test_booleans(void) {
  guint count = 0;
  for (const char* const* key = l2tpbus_profile_data_keys(); *key != NULL; key++) {
    if (!l2tpbus_profile_key_is_boolean(*key)) continue;
    count++;
    static const char* const kValues[] = {"yes", "no", "true", "false", "Yes", "1", "0", "", "y"};
    for (gsize i = 0; i < G_N_ELEMENTS(kValues); i++) {
      g_autoptr(GHashTable) data = profile_table_from("gateway=h");
      // ipsec-enabled=yes needs a PSK, tested above.
      if (strcmp(*key, "ipsec-enabled") == 0 && i == 0) continue;
      g_hash_table_insert(data, g_strdup(*key), g_strdup(kValues[i]));
      const L2tpbusProfile profile = {data, NULL, FALSE, FALSE};
      L2tpbusRequest request;
      g_autoptr(GError) error = NULL;
      const gboolean ok = l2tpbus_profile_translate(&profile, &request, &error);
      if (i < 2) {
        g_assert_no_error(error);
        l2tpbus_request_clear(&request);
      } else {
        g_assert_false(ok);
        g_assert_error(error, L2TPBUS_PROFILE_ERROR, L2TPBUS_PROFILE_ERROR_INVALID_VALUE);
        g_autofree char* prefix = g_strdup_printf("%s: ", *key);
        g_assert_true(g_str_has_prefix(error->message, prefix));
      }
    }
  }
  // refuse-* (5), require-mppe* (3), mppe-stateful, ephemeral-port, ipsec-enabled,
  // ipsec-forceencaps, ipsec-ipcomp, ipsec-ikev2, ipsec-pfs
  g_assert_cmpuint(count, ==, 15);
}

// Every key of NetworkManager-l2tp that l2tpbus takes is known.
static void test_vocabulary(void) {
  static const char* const kKeys[] = {
      "gateway",
      "user",
      "domain",
      "password-flags",
      "mtu",
      "mru",
      "refuse-pap",
      "refuse-chap",
      "refuse-mschap",
      "refuse-mschapv2",
      "refuse-eap",
      "require-mppe",
      "require-mppe-40",
      "require-mppe-128",
      "mppe-stateful",
      "lcp-echo-failure",
      "lcp-echo-interval",
      "ephemeral-port",
      "ipsec-enabled",
      "ipsec-psk",
      "ipsec-psk-flags",
      "ipsec-remote-id",
      "ipsec-gateway-id",
      "ipsec-group-name",
      "ipsec-ike",
      "ipsec-esp",
      "ipsec-ikelifetime",
      "ipsec-salifetime",
      "ipsec-forceencaps",
      "ipsec-ipcomp",
      "ipsec-ikev2",
      "ipsec-pfs",
      "machine-auth-type",
      "machine-ca",
      "machine-cert",
      "machine-key",
      "machine-certpass-flags",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(kKeys); i++) {
    g_assert_true(g_strv_contains(l2tpbus_profile_data_keys(), kKeys[i]));
  }
}

static void test_needs_password(void) {
  g_autoptr(GHashTable) none = profile_table_from("gateway=h|user=alice");
  g_autoptr(GHashTable) password = profile_table_from("password=s3cret");
  g_autoptr(GHashTable) empty = profile_table_from("password=");
  g_autoptr(GHashTable) not_required = profile_table_from("gateway=h|password-flags=4");
  g_autoptr(GHashTable) agent_owned = profile_table_from("gateway=h|password-flags=1");
  g_assert_true(l2tpbus_profile_needs_password(none, NULL));
  g_assert_false(l2tpbus_profile_needs_password(none, password));
  g_assert_true(l2tpbus_profile_needs_password(none, empty));
  g_assert_false(l2tpbus_profile_needs_password(not_required, NULL));
  g_assert_true(l2tpbus_profile_needs_password(agent_owned, NULL));
}

// Secrets are told from data: export leaves them out, import moves a PSK
// found among the data (NetworkManager-l2tp's older files) into the secrets.
static void test_secret_keys(void) {
  g_assert_true(l2tpbus_profile_key_is_secret("password"));
  g_assert_true(l2tpbus_profile_key_is_secret("ipsec-psk"));
  g_assert_true(l2tpbus_profile_key_is_secret("machine-certpass"));
  g_assert_false(l2tpbus_profile_key_is_secret("ipsec-psk-flags"));
  g_assert_false(l2tpbus_profile_key_is_secret("machine-key"));
  g_assert_false(l2tpbus_profile_key_is_secret("gateway"));
}

int main(int argc, char** argv) {
  g_test_init(&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(kCases); i++) {
    g_autofree char* path = g_strdup_printf("/profile/translate/%s", kCases[i].name);
    g_test_add_data_func(path, &kCases[i], run_case);
  }
  g_test_add_func("/profile/booleans", test_booleans);
  g_test_add_func("/profile/vocabulary", test_vocabulary);
  g_test_add_func("/profile/needs-password", test_needs_password);
  g_test_add_func("/profile/secret-keys", test_secret_keys);
  return g_test_run();
}
