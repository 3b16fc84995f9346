// NetworkManager-l2tp's profile keys mapped onto l2tpbusd's vocabulary
// (doc/dbus-api.md). Everything a profile says is checked here, so
// the daemon's own refusals are the second line, not the first, and each
// message names the profile's key rather than the daemon's.
#include "profile.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "keys.h"
#include "profile_ipsec.h"
#include "profile_rules.h"
#include "secret.h"

GQuark l2tpbus_profile_error_quark(void) {
  return g_quark_from_static_string("l2tpbus-profile-error-quark");
}

typedef enum {
  KIND_BOOL,
  KIND_NUMBER,
  KIND_STRING,
  // A PPP name: l2tpbusd refuses spaces and quotes in User (pppd's secrets
  // files split words on them); said here, naming the key. A backslash is
  // fine: DOMAIN\\user is the usual Windows form.
  KIND_NAME,
  KIND_GATEWAY,
  // Keys of NetworkManager-l2tp's IPsec stage: checked for control
  // characters here, and the rest by profile_ipsec.c, which knows how they
  // go together (only while ipsec-enabled is "yes": until then they are inert).
  KIND_IPSEC,
} KeyKind;

typedef struct {
  const char* name;
  KeyKind kind;
  guint min;
  guint max;
} KeyRule;

// pppd's limits as l2tpbusd enforces them (service/config/session_options.cpp).
enum {
  kMaxNameBytes = 255,
  kMinMtu = 68,
  kMaxMtu = 65535,
  kMaxLcpEchoInterval = 3600,
  kMaxLcpEchoFailure = 100,
  kMaxSecretFlags = L2TPBUS_MAX_SECRET_FLAGS,
};

static const KeyRule kDataKeys[] = {
    {L2TPBUS_KEY_GATEWAY, KIND_GATEWAY, 0, 0},
    {L2TPBUS_KEY_USER, KIND_NAME, 0, 0},
    {L2TPBUS_KEY_DOMAIN, KIND_NAME, 0, 0},
    {L2TPBUS_KEY_PASSWORD_FLAGS, KIND_NUMBER, 0, kMaxSecretFlags},
    {L2TPBUS_KEY_USER_AUTH_TYPE, KIND_STRING, 0, 0},
    {L2TPBUS_KEY_MTU, KIND_NUMBER, kMinMtu, kMaxMtu},
    {L2TPBUS_KEY_MRU, KIND_NUMBER, kMinMtu, kMaxMtu},
    {L2TPBUS_KEY_REFUSE_PAP, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_REFUSE_CHAP, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_REFUSE_MSCHAP, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_REFUSE_MSCHAPV2, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_REFUSE_EAP, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_REQUIRE_MPPE, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_REQUIRE_MPPE_40, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_REQUIRE_MPPE_128, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_MPPE_STATEFUL, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_LCP_ECHO_FAILURE, KIND_NUMBER, 0, kMaxLcpEchoFailure},
    {L2TPBUS_KEY_LCP_ECHO_INTERVAL, KIND_NUMBER, 0, kMaxLcpEchoInterval},
    {L2TPBUS_KEY_EPHEMERAL_PORT, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_IPSEC_ENABLED, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_IPSEC_PSK_FLAGS, KIND_NUMBER, 0, kMaxSecretFlags},
    {L2TPBUS_KEY_IPSEC_REMOTE_ID, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_IPSEC_GATEWAY_ID, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_IPSEC_GROUP_NAME, KIND_IPSEC, 0, 0},
    // NetworkManager-l2tp still reads a PSK from vpn.data, as its old profiles have it.
    {L2TPBUS_KEY_IPSEC_PSK, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_IPSEC_IKE, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_IPSEC_ESP, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_IPSEC_IKELIFETIME, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_IPSEC_SALIFETIME, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_IPSEC_FORCEENCAPS, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_IPSEC_IPCOMP, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_IPSEC_IKEV2, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_IPSEC_PFS, KIND_BOOL, 0, 0},
    {L2TPBUS_KEY_MACHINE_AUTH_TYPE, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_MACHINE_CA, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_MACHINE_CERT, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_MACHINE_KEY, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_MACHINE_CERTPASS_FLAGS, KIND_NUMBER, 0, kMaxSecretFlags},
};

static const KeyRule kSecretKeys[] = {
    {L2TPBUS_KEY_PASSWORD, KIND_STRING, 0, 0},
    {L2TPBUS_KEY_IPSEC_PSK, KIND_IPSEC, 0, 0},
    {L2TPBUS_KEY_MACHINE_CERTPASS, KIND_IPSEC, 0, 0},
};

static const KeyRule* find_rule(const KeyRule* rules, gsize count, const char* key) {
  for (gsize i = 0; i < count; i++) {
    if (strcmp(rules[i].name, key) == 0) return &rules[i];
  }
  return NULL;
}

static gboolean has_control_characters(const char* text) {
  for (const unsigned char* p = (const unsigned char*)text; *p != '\0'; p++) {
    if (*p < 0x20 || *p == 0x7f) return TRUE;
  }
  return FALSE;
}

gboolean l2tpbus_profile_fail(GError** error, L2tpbusProfileError code, const char* key,
                              const char* message) {
  g_set_error(error, L2TPBUS_PROFILE_ERROR, code, "%s: %s", key, message);
  return FALSE;
}

gboolean l2tpbus_profile_parse_number(const char* text, guint min, guint max, guint* out) {
  guint64 value = 0;
  if (text[0] == '\0' || strlen(text) > 10) return FALSE;
  for (const char* p = text; *p != '\0'; p++) {
    if (!g_ascii_isdigit(*p)) return FALSE;
    value = value * 10 + (guint64)(*p - '0');
  }
  if (value < min || value > max) return FALSE;
  *out = (guint)value;
  return TRUE;
}

static gboolean is_host_name(const char* host, gsize length) {
  if (length == 0 || length > 253) return FALSE;
  for (gsize i = 0; i < length; i++) {
    const char c = host[i];
    if (!g_ascii_isalnum(c) && c != '-' && c != '.' && c != '_') return FALSE;
  }
  return host[0] != '.' && host[0] != '-';
}

static gboolean is_ipv6(const char* text, gsize length) {
  g_autofree char* copy = g_strndup(text, length);
  return strchr(copy, ':') != NULL && g_hostname_is_ip_address(copy);
}

// host, IPv4, [IPv6] or a bare IPv6 address, optionally :port (not after a
// bare IPv6 address, where the colon would be ambiguous).
static gboolean is_gateway(const char* text) {
  const char* port = NULL;
  if (text[0] == '[') {
    const char* close = strchr(text, ']');
    if (close == NULL || !is_ipv6(text + 1, (gsize)(close - text - 1))) return FALSE;
    if (close[1] != '\0') {
      if (close[1] != ':') return FALSE;
      port = close + 2;
    }
  } else {
    const char* colon = strchr(text, ':');
    if (colon != NULL && strchr(colon + 1, ':') != NULL) return is_ipv6(text, strlen(text));
    const gsize host_length = colon != NULL ? (gsize)(colon - text) : strlen(text);
    if (!is_host_name(text, host_length)) return FALSE;
    if (colon != NULL) port = colon + 1;
  }
  guint number = 0;
  return port == NULL || l2tpbus_profile_parse_number(port, 1, 65535, &number);
}

static gboolean check_value(const KeyRule* rule, const char* key, const char* value,
                            GError** error) {
  if (has_control_characters(value)) {
    return l2tpbus_profile_fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
                                dgettext(GETTEXT_PACKAGE, "must not contain control characters"));
  }
  guint number = 0;
  switch (rule->kind) {
    case KIND_BOOL:
      if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) return TRUE;
      return l2tpbus_profile_fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
                                  dgettext(GETTEXT_PACKAGE, "expected yes or no"));
    case KIND_NUMBER:
      if (l2tpbus_profile_parse_number(value, rule->min, rule->max, &number)) return TRUE;
      g_set_error(error, L2TPBUS_PROFILE_ERROR, L2TPBUS_PROFILE_ERROR_INVALID_VALUE,
                  dgettext(GETTEXT_PACKAGE, "%s: expected a number from %u to %u"), key, rule->min,
                  rule->max);
      return FALSE;
    case KIND_GATEWAY:
      if (is_gateway(value)) return TRUE;
      return l2tpbus_profile_fail(
          error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
          dgettext(GETTEXT_PACKAGE,
                   "expected a host name, an IPv4 address or an [IPv6] address, "
                   "optionally followed by :port"));
    case KIND_NAME:
      if (strpbrk(value, " \"'") != NULL) {
        return l2tpbus_profile_fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
                                    dgettext(GETTEXT_PACKAGE, "must not contain spaces or quotes"));
      }
      G_GNUC_FALLTHROUGH;
    case KIND_STRING:
      if (strlen(value) <= kMaxNameBytes) return TRUE;
      return l2tpbus_profile_fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
                                  dgettext(GETTEXT_PACKAGE, "must be at most 255 bytes long"));
    case KIND_IPSEC:
      return TRUE;
  }
  return TRUE;
}

static int compare_keys(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

// Checks every key of `table` against `rules`, in name order so that the
// first error reported does not depend on hash order.
static gboolean check_table(GHashTable* table, const KeyRule* rules, gsize count, GError** error) {
  if (table == NULL) return TRUE;
  g_autofree gpointer* keys = g_hash_table_get_keys_as_array(table, NULL);
  const guint length = g_hash_table_size(table);
  qsort(keys, length, sizeof(gpointer), compare_keys);
  for (guint i = 0; i < length; i++) {
    const char* key = keys[i];
    const KeyRule* rule = find_rule(rules, count, key);
    if (rule == NULL) {
      return l2tpbus_profile_fail(error, L2TPBUS_PROFILE_ERROR_UNKNOWN_KEY, key,
                                  dgettext(GETTEXT_PACKAGE, "unknown key"));
    }
    if (!check_value(rule, key, g_hash_table_lookup(table, key), error)) return FALSE;
  }
  return TRUE;
}

const char* l2tpbus_profile_lookup(GHashTable* table, const char* key) {
  return table != NULL ? g_hash_table_lookup(table, key) : NULL;
}

gboolean l2tpbus_profile_is_yes(GHashTable* data, const char* key) {
  const char* value = l2tpbus_profile_lookup(data, key);
  return value != NULL && strcmp(value, "yes") == 0;
}

static void add_number(GVariantBuilder* builder, GHashTable* data, const char* key,
                       const char* option) {
  const char* value = l2tpbus_profile_lookup(data, key);
  if (value == NULL) return;
  guint number = 0;
  if (l2tpbus_profile_parse_number(value, 0, G_MAXUINT32, &number)) {
    g_variant_builder_add(builder, "{sv}", option, g_variant_new_uint32(number));
  }
}

static void note(L2tpbusRequest* out, const char* key, const char* why) {
  g_ptr_array_add(out->notes, g_strdup_printf("%s: %s", key, why));
}

// PPP authentication methods: l2tpbusd's names, and the profile key refusing each.
static const struct {
  const char* method;
  const char* refuse_key;
} kMethods[] = {
    {"pap", L2TPBUS_KEY_REFUSE_PAP},       {"chap", L2TPBUS_KEY_REFUSE_CHAP},
    {"mschap", L2TPBUS_KEY_REFUSE_MSCHAP}, {"mschap-v2", L2TPBUS_KEY_REFUSE_MSCHAPV2},
    {"eap", L2TPBUS_KEY_REFUSE_EAP},
};

static void build_session(const L2tpbusProfile* profile, L2tpbusRequest* out) {
  GHashTable* data = profile->data;
  GVariantBuilder session;
  g_variant_builder_init(&session, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&session, "{sv}", "Pseudowire", g_variant_new_string("ppp"));

  const char* user = l2tpbus_profile_lookup(data, L2TPBUS_KEY_USER);
  const char* domain = l2tpbus_profile_lookup(data, L2TPBUS_KEY_DOMAIN);
  if (user != NULL && user[0] != '\0') {
    // As NetworkManager-l2tp does: a Windows domain prefixes the user name.
    g_autofree char* name = domain != NULL && domain[0] != '\0'
                                ? g_strdup_printf("%s\\%s", domain, user)
                                : g_strdup(user);
    g_variant_builder_add(&session, "{sv}", "User", g_variant_new_string(name));
  }
  const char* password = l2tpbus_profile_lookup(profile->secrets, L2TPBUS_KEY_PASSWORD);
  if (password != NULL) {
    // In a buffer wiped when the options are dropped (l2tpbus_request_clear,
    // or GDBus letting go of the call that sent them).
    g_variant_builder_add(&session, "{sv}", "Password", l2tpbus_secret_variant_new(password));
  }

  // pppd allows every method it knows unless told otherwise; so does a profile.
  // At least one is left: l2tpbus_profile_check saw to that.
  GVariantBuilder methods;
  g_variant_builder_init(&methods, G_VARIANT_TYPE_STRING_ARRAY);
  for (gsize i = 0; i < G_N_ELEMENTS(kMethods); i++) {
    if (l2tpbus_profile_is_yes(data, kMethods[i].refuse_key)) continue;
    g_variant_builder_add(&methods, "s", kMethods[i].method);
  }
  g_variant_builder_add(&session, "{sv}", "Authentication", g_variant_builder_end(&methods));

  // l2tpbusd cannot ask for 40-bit keys only; "required" accepts 40 or 128 bits.
  if (l2tpbus_profile_is_yes(data, L2TPBUS_KEY_REQUIRE_MPPE_128) &&
      !l2tpbus_profile_is_yes(data, L2TPBUS_KEY_REQUIRE_MPPE_40)) {
    g_variant_builder_add(&session, "{sv}", "Mppe", g_variant_new_string("required-128"));
  } else if (l2tpbus_profile_is_yes(data, L2TPBUS_KEY_REQUIRE_MPPE) ||
             l2tpbus_profile_is_yes(data, L2TPBUS_KEY_REQUIRE_MPPE_40) ||
             l2tpbus_profile_is_yes(data, L2TPBUS_KEY_REQUIRE_MPPE_128)) {
    g_variant_builder_add(&session, "{sv}", "Mppe", g_variant_new_string("required"));
  }
  if (l2tpbus_profile_is_yes(data, L2TPBUS_KEY_MPPE_STATEFUL)) {
    note(out, L2TPBUS_KEY_MPPE_STATEFUL, "l2tpbusd offers stateless MPPE only");
  }

  add_number(&session, data, L2TPBUS_KEY_MTU, "Mtu");
  const char* mtu = l2tpbus_profile_lookup(data, L2TPBUS_KEY_MTU);
  if (mtu != NULL) (void)l2tpbus_profile_parse_number(mtu, 0, G_MAXUINT32, &out->mtu);
  if (l2tpbus_profile_lookup(data, L2TPBUS_KEY_MRU) != NULL) {
    note(out, L2TPBUS_KEY_MRU, "l2tpbusd lets pppd negotiate the MRU");
  }
  add_number(&session, data, L2TPBUS_KEY_LCP_ECHO_FAILURE, "LcpEchoFailure");
  add_number(&session, data, L2TPBUS_KEY_LCP_ECHO_INTERVAL, "LcpEchoInterval");
  g_variant_builder_add(&session, "{sv}", "UsePeerDns",
                        g_variant_new_boolean(!profile->ignore_auto_dns));
  g_variant_builder_add(&session, "{sv}", "Ipv6", g_variant_new_boolean(profile->ipv6));
  // NetworkManager sets the routes itself, from never-default and the IP config.
  g_variant_builder_add(&session, "{sv}", "DefaultRoute", g_variant_new_boolean(FALSE));
  out->session = g_variant_ref_sink(g_variant_builder_end(&session));
}

gboolean l2tpbus_profile_check(const L2tpbusProfile* profile, GError** error) {
  g_return_val_if_fail(profile != NULL, FALSE);
  if (!check_table(profile->data, kDataKeys, G_N_ELEMENTS(kDataKeys), error) ||
      !check_table(profile->secrets, kSecretKeys, G_N_ELEMENTS(kSecretKeys), error)) {
    return FALSE;
  }
  GHashTable* data = profile->data;
  const char* auth_type = l2tpbus_profile_lookup(data, L2TPBUS_KEY_USER_AUTH_TYPE);
  if (auth_type != NULL && strcmp(auth_type, "password") != 0) {
    return l2tpbus_profile_fail(
        error, L2TPBUS_PROFILE_ERROR_UNSUPPORTED, L2TPBUS_KEY_USER_AUTH_TYPE,
        dgettext(GETTEXT_PACKAGE, "only password authentication is supported"));
  }
  const char* gateway = l2tpbus_profile_lookup(data, L2TPBUS_KEY_GATEWAY);
  if (gateway == NULL || gateway[0] == '\0') {
    return l2tpbus_profile_fail(
        error, L2TPBUS_PROFILE_ERROR_MISSING, L2TPBUS_KEY_GATEWAY,
        dgettext(GETTEXT_PACKAGE, "missing: the L2TP server to connect to"));
  }
  gboolean any_method = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(kMethods); i++) {
    any_method = any_method || !l2tpbus_profile_is_yes(data, kMethods[i].refuse_key);
  }
  if (!any_method) {
    return l2tpbus_profile_fail(
        error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, L2TPBUS_KEY_REFUSE_EAP,
        dgettext(GETTEXT_PACKAGE, "every PPP authentication method is refused"));
  }
  return l2tpbus_ipsec_check(data, error);
}

gboolean l2tpbus_profile_translate(const L2tpbusProfile* profile, L2tpbusRequest* out,
                                   GError** error) {
  g_return_val_if_fail(profile != NULL && out != NULL, FALSE);
  memset(out, 0, sizeof(*out));
  if (!l2tpbus_profile_check(profile, error)) return FALSE;
  GHashTable* data = profile->data;
  out->notes = g_ptr_array_new_with_free_func(g_free);
  build_session(profile, out);
  GVariantBuilder tunnel;
  g_variant_builder_init(&tunnel, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&tunnel, "{sv}", "Peer",
                        g_variant_new_string(l2tpbus_profile_lookup(data, L2TPBUS_KEY_GATEWAY)));
  // NetworkManager-l2tp speaks L2TPv2 (RFC 2661) with PPP, and so do its servers.
  g_variant_builder_add(&tunnel, "{sv}", "Version", g_variant_new_uint32(2));
  if (l2tpbus_profile_is_yes(data, L2TPBUS_KEY_EPHEMERAL_PORT)) {
    note(out, L2TPBUS_KEY_EPHEMERAL_PORT,
         "l2tpbusd uses source port 1701 when free and an ephemeral one otherwise");
  }
  if (!l2tpbus_ipsec_add_options(data, profile->secrets, &tunnel, error)) {
    // Dropping the builder drops (and so wipes) any secret already in it.
    g_variant_builder_clear(&tunnel);
    l2tpbus_request_clear(out);
    return FALSE;
  }
  out->tunnel = g_variant_ref_sink(g_variant_builder_end(&tunnel));
  return TRUE;
}

void l2tpbus_request_clear(L2tpbusRequest* request) {
  g_clear_pointer(&request->tunnel, g_variant_unref);
  g_clear_pointer(&request->session, g_variant_unref);
  g_clear_pointer(&request->notes, g_ptr_array_unref);
}

gboolean l2tpbus_profile_secret_missing(GHashTable* data, GHashTable* secrets, const char* key) {
  const char* secret = l2tpbus_profile_lookup(secrets, key);
  if (secret != NULL && secret[0] != '\0') return FALSE;
  g_autofree char* flags_key = g_strconcat(key, "-flags", NULL);
  const char* text = l2tpbus_profile_lookup(data, flags_key);
  guint flags = 0;
  return text == NULL || !l2tpbus_profile_parse_number(text, 0, kMaxSecretFlags, &flags) ||
         (flags & L2TPBUS_SECRET_FLAG_NOT_REQUIRED) == 0;
}

gboolean l2tpbus_profile_needs_password(GHashTable* data, GHashTable* secrets) {
  return l2tpbus_profile_secret_missing(data, secrets, L2TPBUS_KEY_PASSWORD);
}

const char** l2tpbus_profile_missing_secrets(GHashTable* data, GHashTable* secrets) {
  GPtrArray* missing = g_ptr_array_new();
  if (l2tpbus_profile_needs_password(data, secrets)) {
    g_ptr_array_add(missing, (gpointer)L2TPBUS_KEY_PASSWORD);
  }
  l2tpbus_ipsec_add_missing_secrets(data, secrets, missing);
  g_ptr_array_add(missing, NULL);
  return (const char**)g_ptr_array_free(missing, FALSE);
}

const char* const* l2tpbus_profile_data_keys(void) {
  static const char* names[G_N_ELEMENTS(kDataKeys) + 1];
  if (names[0] == NULL) {
    for (gsize i = 0; i < G_N_ELEMENTS(kDataKeys); i++) names[i] = kDataKeys[i].name;
  }
  return names;
}

gboolean l2tpbus_profile_key_is_boolean(const char* key) {
  const KeyRule* rule = find_rule(kDataKeys, G_N_ELEMENTS(kDataKeys), key);
  return rule != NULL && rule->kind == KIND_BOOL;
}

gboolean l2tpbus_profile_key_is_secret(const char* key) {
  return find_rule(kSecretKeys, G_N_ELEMENTS(kSecretKeys), key) != NULL;
}
