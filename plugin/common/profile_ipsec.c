// NetworkManager-l2tp writes these keys into ipsec.conf and ipsec.secrets
// nearly verbatim; l2tpbusd takes typed options instead, so each value is
// parsed here into what charon would have understood of it, and anything
// l2tpbusd could not honour exactly is refused rather than weakened.
#include "profile_ipsec.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "keys.h"
#include "machine_credentials.h"
#include "profile_rules.h"
#include "secret.h"

// The bounds of doc/dbus-api.md's Ipsec* options.
enum {
  kMaxIdBytes = 255,
  kMaxPskBytes = 4096,
  kMaxProposals = 32,
  kMaxProposalBytes = 200,
  kMinLifetime = 60,
  kMaxLifetime = 604800,
};

#define AUTH_TYPE_PSK "psk"
#define AUTH_TYPE_TLS "tls"
// strongSwan's ipsec.secrets: a PSK given as "0s<base64>" is those bytes.
#define BASE64_PSK_PREFIX "0s"

static gboolean invalid(GError** error, const char* key, const char* message) {
  return l2tpbus_profile_fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key, message);
}

// An empty text value is no value: NetworkManager-l2tp's editors leave
// "ipsec-ike=" and the like behind, and NetworkManager-l2tp then writes no
// option either.
static const char* text_value(GHashTable* data, const char* key) {
  const char* value = l2tpbus_profile_lookup(data, key);
  return value != NULL && value[0] != '\0' ? value : NULL;
}

static gboolean is_tls(GHashTable* data) {
  const char* auth_type = l2tpbus_profile_lookup(data, L2TPBUS_KEY_MACHINE_AUTH_TYPE);
  return auth_type != NULL && strcmp(auth_type, AUTH_TYPE_TLS) == 0;
}

// ---- identities ---------------------------------------------------------------------

// Control characters are refused for every key already (profile.c).
static gboolean check_id(const char* key, const char* value, GError** error) {
  if (strlen(value) > kMaxIdBytes || !g_utf8_validate(value, -1, NULL)) {
    return invalid(error, key,
                   dgettext(GETTEXT_PACKAGE, "expected an identity of at most 255 bytes of UTF-8"));
  }
  return TRUE;
}

// ipsec-remote-id, or its older name ipsec-gateway-id; NULL for none.
static gboolean remote_id(GHashTable* data, const char** out, GError** error) {
  const char* remote = text_value(data, L2TPBUS_KEY_IPSEC_REMOTE_ID);
  const char* gateway = text_value(data, L2TPBUS_KEY_IPSEC_GATEWAY_ID);
  if (remote != NULL && gateway != NULL && strcmp(remote, gateway) != 0) {
    return invalid(error, L2TPBUS_KEY_IPSEC_GATEWAY_ID,
                   dgettext(GETTEXT_PACKAGE,
                            "differs from ipsec-remote-id (its newer name); keep one of them"));
  }
  *out = remote != NULL ? remote : gateway;
  return *out == NULL ||
         check_id(remote != NULL ? L2TPBUS_KEY_IPSEC_REMOTE_ID : L2TPBUS_KEY_IPSEC_GATEWAY_ID, *out,
                  error);
}

// ---- proposals ----------------------------------------------------------------------

static gboolean is_proposal(const char* text) {
  const gsize length = strlen(text);
  if (length == 0 || length > kMaxProposalBytes) return FALSE;
  gboolean token_start = TRUE;
  for (const char* p = text; *p != '\0'; p++) {
    if (*p == '-') {
      if (token_start) return FALSE;
      token_start = TRUE;
      continue;
    }
    if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '_') return FALSE;
    token_start = FALSE;
  }
  return !token_start;
}

// "aes256-sha1-modp2048,3des-sha1!" (strongSwan's form: a final '!' makes
// the list strict, which is how l2tpbusd treats every list) into lowercase
// proposals; NULL with an error naming `key`.
static GStrv parse_proposals(const char* key, const char* text, GError** error) {
  g_autofree char* lower = g_ascii_strdown(text, -1);
  const gsize length = strlen(lower);
  if (length > 0 && lower[length - 1] == '!') lower[length - 1] = '\0';
  g_auto(GStrv) proposals = g_strsplit(lower, ",", -1);
  const guint count = g_strv_length(proposals);
  if (count == 0 || count > kMaxProposals) {
    invalid(error, key, dgettext(GETTEXT_PACKAGE, "expected 1 to 32 proposals"));
    return NULL;
  }
  for (guint i = 0; i < count; i++) {
    g_strstrip(proposals[i]);
    if (!is_proposal(proposals[i])) {
      invalid(error, key,
              dgettext(GETTEXT_PACKAGE,
                       "expected comma-separated proposals such as aes256-sha2_256-modp2048: "
                       "algorithm names of letters, digits and '_' joined by '-'"));
      return NULL;
    }
  }
  return g_steal_pointer(&proposals);
}

static gboolean is_key_exchange(const char* token) {
  return g_str_has_prefix(token, "modp") || g_str_has_prefix(token, "ecp") ||
         g_str_has_prefix(token, "curve") || strcmp(token, "x25519") == 0 ||
         strcmp(token, "x448") == 0;
}

static gboolean names_key_exchange(const char* proposal) {
  g_auto(GStrv) tokens = g_strsplit(proposal, "-", -1);
  for (gsize i = 0; tokens[i] != NULL; i++) {
    if (is_key_exchange(tokens[i])) return TRUE;
  }
  return FALSE;
}

// ---- lifetimes ----------------------------------------------------------------------

// What strongSwan and libreswan take: seconds, or a number with s, m, h or d.
static gboolean parse_lifetime(const char* key, const char* text, guint* out, GError** error) {
  const gsize length = strlen(text);
  guint multiplier = 1;
  g_autofree char* digits = g_strdup(text);
  if (length > 0 && !g_ascii_isdigit(text[length - 1])) {
    static const struct {
      char suffix;
      guint seconds;
    } kUnits[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    multiplier = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(kUnits); i++) {
      if (text[length - 1] == kUnits[i].suffix) multiplier = kUnits[i].seconds;
    }
    digits[length - 1] = '\0';
  }
  guint number = 0;
  if (multiplier == 0 || !l2tpbus_profile_parse_number(digits, 0, G_MAXUINT32, &number)) {
    return invalid(error, key,
                   dgettext(GETTEXT_PACKAGE,
                            "expected seconds, or a number followed by s, m, h or d (\"3h\")"));
  }
  const guint64 seconds = (guint64)number * multiplier;
  if (seconds < kMinLifetime || seconds > kMaxLifetime) {
    return invalid(error, key,
                   dgettext(GETTEXT_PACKAGE, "expected 60 seconds to 7 days (604800 s)"));
  }
  *out = (guint)seconds;
  return TRUE;
}

// ---- the whole check ----------------------------------------------------------------

static gboolean check_tls_paths(GHashTable* data, GError** error) {
  static const char* const kPathKeys[] = {L2TPBUS_KEY_MACHINE_CERT, L2TPBUS_KEY_MACHINE_KEY,
                                          L2TPBUS_KEY_MACHINE_CA};
  if (text_value(data, L2TPBUS_KEY_MACHINE_CERT) == NULL) {
    return l2tpbus_profile_fail(error, L2TPBUS_PROFILE_ERROR_MISSING, L2TPBUS_KEY_MACHINE_CERT,
                                dgettext(GETTEXT_PACKAGE,
                                         "missing: the machine certificate of "
                                         "machine-auth-type tls"));
  }
  for (gsize i = 0; i < G_N_ELEMENTS(kPathKeys); i++) {
    const char* path = text_value(data, kPathKeys[i]);
    if (path != NULL && !l2tpbus_machine_credentials_check_path(kPathKeys[i], path, error)) {
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean check_group_name(GHashTable* data, GError** error) {
  const char* group = text_value(data, L2TPBUS_KEY_IPSEC_GROUP_NAME);
  if (group == NULL) return TRUE;
  if (!check_id(L2TPBUS_KEY_IPSEC_GROUP_NAME, group, error)) return FALSE;
  // The group name is the identity of IKEv1's aggressive mode, which
  // l2tpbusd (like charon) runs with a PSK only.
  if (l2tpbus_profile_is_yes(data, L2TPBUS_KEY_IPSEC_IKEV2)) {
    return invalid(error, L2TPBUS_KEY_IPSEC_GROUP_NAME,
                   dgettext(GETTEXT_PACKAGE, "needs IKEv1 aggressive mode, not ipsec-ikev2"));
  }
  if (is_tls(data)) {
    return invalid(error, L2TPBUS_KEY_IPSEC_GROUP_NAME,
                   dgettext(GETTEXT_PACKAGE, "needs machine-auth-type psk"));
  }
  return TRUE;
}

static gboolean check_esp_against_pfs(GHashTable* data, GError** error) {
  const char* esp = text_value(data, L2TPBUS_KEY_IPSEC_ESP);
  if (esp == NULL || !l2tpbus_profile_is_yes(data, L2TPBUS_KEY_IPSEC_PFS)) return TRUE;
  g_auto(GStrv) proposals = parse_proposals(L2TPBUS_KEY_IPSEC_ESP, esp, error);
  if (proposals == NULL) return FALSE;
  for (gsize i = 0; proposals[i] != NULL; i++) {
    if (!names_key_exchange(proposals[i])) {
      return invalid(error, L2TPBUS_KEY_IPSEC_ESP,
                     dgettext(GETTEXT_PACKAGE,
                              "with ipsec-pfs, every proposal names a key-exchange group "
                              "(modp*, ecp*, curve*, x25519 or x448)"));
    }
  }
  return TRUE;
}

gboolean l2tpbus_ipsec_check(GHashTable* data, GError** error) {
  if (!l2tpbus_profile_is_yes(data, L2TPBUS_KEY_IPSEC_ENABLED)) return TRUE;
  if (l2tpbus_profile_is_yes(data, L2TPBUS_KEY_IPSEC_IPCOMP)) {
    return l2tpbus_profile_fail(
        error, L2TPBUS_PROFILE_ERROR_UNSUPPORTED, L2TPBUS_KEY_IPSEC_IPCOMP,
        dgettext(GETTEXT_PACKAGE, "IP compression (IPComp) is not supported by l2tpbusd"));
  }
  const char* auth_type = l2tpbus_profile_lookup(data, L2TPBUS_KEY_MACHINE_AUTH_TYPE);
  if (auth_type != NULL && strcmp(auth_type, AUTH_TYPE_PSK) != 0 &&
      strcmp(auth_type, AUTH_TYPE_TLS) != 0) {
    return invalid(error, L2TPBUS_KEY_MACHINE_AUTH_TYPE,
                   dgettext(GETTEXT_PACKAGE, "expected psk or tls"));
  }
  if (is_tls(data) && !check_tls_paths(data, error)) return FALSE;
  const char* remote = NULL;
  if (!remote_id(data, &remote, error) || !check_group_name(data, error)) return FALSE;
  static const char* const kProposalKeys[] = {L2TPBUS_KEY_IPSEC_IKE, L2TPBUS_KEY_IPSEC_ESP};
  for (gsize i = 0; i < G_N_ELEMENTS(kProposalKeys); i++) {
    const char* text = text_value(data, kProposalKeys[i]);
    g_auto(GStrv) proposals = text != NULL ? parse_proposals(kProposalKeys[i], text, error) : NULL;
    if (text != NULL && proposals == NULL) return FALSE;
  }
  static const char* const kLifetimeKeys[] = {L2TPBUS_KEY_IPSEC_IKELIFETIME,
                                              L2TPBUS_KEY_IPSEC_SALIFETIME};
  for (gsize i = 0; i < G_N_ELEMENTS(kLifetimeKeys); i++) {
    const char* text = l2tpbus_profile_lookup(data, kLifetimeKeys[i]);
    guint seconds = 0;
    if (text != NULL && !parse_lifetime(kLifetimeKeys[i], text, &seconds, error)) return FALSE;
  }
  return check_esp_against_pfs(data, error);
}

// ---- the options --------------------------------------------------------------------

// The PSK as the secrets (or, as NetworkManager-l2tp still reads it, vpn.data)
// hold it, into IpsecPsk.
static gboolean add_psk(GHashTable* data, GHashTable* secrets, GVariantBuilder* tunnel,
                        GError** error) {
  const char* psk = l2tpbus_profile_lookup(secrets, L2TPBUS_KEY_IPSEC_PSK);
  if (psk == NULL || psk[0] == '\0') psk = l2tpbus_profile_lookup(data, L2TPBUS_KEY_IPSEC_PSK);
  if (psk == NULL || psk[0] == '\0') {
    return l2tpbus_profile_fail(error, L2TPBUS_PROFILE_ERROR_MISSING_SECRET, L2TPBUS_KEY_IPSEC_PSK,
                                dgettext(GETTEXT_PACKAGE, "missing"));
  }
  g_autoptr(GBytes) bytes = NULL;
  if (g_str_has_prefix(psk, BASE64_PSK_PREFIX)) {
    const char* encoded = psk + strlen(BASE64_PSK_PREFIX);
    const gsize length = strlen(encoded);
    gboolean valid = length > 0 && length % 4 == 0;
    for (gsize i = 0; valid && i < length; i++) {
      const char c = encoded[i];
      valid = g_ascii_isalnum(c) || c == '+' || c == '/' || (c == '=' && i + 2 >= length);
    }
    if (!valid) {
      return invalid(error, L2TPBUS_KEY_IPSEC_PSK,
                     dgettext(GETTEXT_PACKAGE, "after 0s, expected base64"));
    }
    // Decoded in place in a buffer of our own, wiped with the options.
    guchar* buffer = g_memdup2(encoded, length + 1);
    gsize size = 0;
    g_base64_decode_inplace((char*)buffer, &size);
    bytes = l2tpbus_secret_bytes_new_take(buffer, length + 1);
    // The decoded key is the buffer's first `size` bytes.
    if (size == 0 || size > kMaxPskBytes) {
      return invalid(error, L2TPBUS_KEY_IPSEC_PSK,
                     dgettext(GETTEXT_PACKAGE, "expected 1 to 4096 bytes"));
    }
    g_autoptr(GBytes) whole = g_steal_pointer(&bytes);
    bytes = g_bytes_new_from_bytes(whole, 0, size);
  } else {
    if (strlen(psk) > kMaxPskBytes) {
      return invalid(error, L2TPBUS_KEY_IPSEC_PSK,
                     dgettext(GETTEXT_PACKAGE, "expected 1 to 4096 bytes"));
    }
    bytes = l2tpbus_secret_bytes_new(psk, strlen(psk));
  }
  g_variant_builder_add(tunnel, "{sv}", "IpsecPsk", l2tpbus_secret_bytes_variant_new(bytes));
  return TRUE;
}

static void add_bytes(GVariantBuilder* tunnel, const char* option, GBytes* bytes) {
  g_variant_builder_add(tunnel, "{sv}", option,
                        g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
}

static gboolean add_certificates(GHashTable* data, GHashTable* secrets, GVariantBuilder* tunnel,
                                 GError** error) {
  const char* passphrase = l2tpbus_profile_lookup(secrets, L2TPBUS_KEY_MACHINE_CERTPASS);
  L2tpbusMachineCredentials credentials;
  if (!l2tpbus_machine_credentials_load(
          text_value(data, L2TPBUS_KEY_MACHINE_CERT), text_value(data, L2TPBUS_KEY_MACHINE_KEY),
          text_value(data, L2TPBUS_KEY_MACHINE_CA), passphrase, &credentials, error)) {
    return FALSE;
  }
  add_bytes(tunnel, "IpsecCertificate", credentials.certificate);
  g_variant_builder_add(tunnel, "{sv}", "IpsecPrivateKey",
                        l2tpbus_secret_bytes_variant_new(credentials.private_key));
  if (credentials.ca != NULL) add_bytes(tunnel, "IpsecCa", credentials.ca);
  l2tpbus_machine_credentials_clear(&credentials);
  return TRUE;
}

static void add_proposals(GVariantBuilder* tunnel, GHashTable* data, const char* key,
                          const char* option) {
  const char* text = text_value(data, key);
  if (text == NULL) return;
  // Checked already (l2tpbus_ipsec_check).
  g_auto(GStrv) proposals = parse_proposals(key, text, NULL);
  g_variant_builder_add(tunnel, "{sv}", option,
                        g_variant_new_strv((const char* const*)proposals, -1));
}

static void add_lifetime(GVariantBuilder* tunnel, GHashTable* data, const char* key,
                         const char* option) {
  const char* text = l2tpbus_profile_lookup(data, key);
  guint seconds = 0;
  if (text != NULL && parse_lifetime(key, text, &seconds, NULL)) {
    g_variant_builder_add(tunnel, "{sv}", option, g_variant_new_uint32(seconds));
  }
}

gboolean l2tpbus_ipsec_add_options(GHashTable* data, GHashTable* secrets, GVariantBuilder* tunnel,
                                   GError** error) {
  if (!l2tpbus_ipsec_check(data, error)) return FALSE;
  if (!l2tpbus_profile_is_yes(data, L2TPBUS_KEY_IPSEC_ENABLED)) return TRUE;
  if (is_tls(data) ? !add_certificates(data, secrets, tunnel, error)
                   : !add_psk(data, secrets, tunnel, error)) {
    return FALSE;
  }
  const char* remote = NULL;
  (void)remote_id(data, &remote, NULL);
  if (remote != NULL) {
    g_variant_builder_add(tunnel, "{sv}", "IpsecRemoteId", g_variant_new_string(remote));
  }
  const char* group = text_value(data, L2TPBUS_KEY_IPSEC_GROUP_NAME);
  if (group != NULL) {
    g_variant_builder_add(tunnel, "{sv}", "IpsecLocalId", g_variant_new_string(group));
    g_variant_builder_add(tunnel, "{sv}", "IpsecAggressive", g_variant_new_boolean(TRUE));
  }
  const gboolean ikev2 = l2tpbus_profile_is_yes(data, L2TPBUS_KEY_IPSEC_IKEV2);
  g_variant_builder_add(tunnel, "{sv}", "IpsecIkeVersion", g_variant_new_uint32(ikev2 ? 2 : 1));
  add_proposals(tunnel, data, L2TPBUS_KEY_IPSEC_IKE, "IpsecIkeProposals");
  add_proposals(tunnel, data, L2TPBUS_KEY_IPSEC_ESP, "IpsecEspProposals");
  add_lifetime(tunnel, data, L2TPBUS_KEY_IPSEC_IKELIFETIME, "IpsecIkeLifetime");
  add_lifetime(tunnel, data, L2TPBUS_KEY_IPSEC_SALIFETIME, "IpsecSaLifetime");
  g_variant_builder_add(
      tunnel, "{sv}", "IpsecForceEncapsulation",
      g_variant_new_boolean(l2tpbus_profile_is_yes(data, L2TPBUS_KEY_IPSEC_FORCEENCAPS)));
  g_variant_builder_add(tunnel, "{sv}", "IpsecPfs",
                        g_variant_new_boolean(l2tpbus_profile_is_yes(data, L2TPBUS_KEY_IPSEC_PFS)));
  return TRUE;
}

void l2tpbus_ipsec_add_missing_secrets(GHashTable* data, GHashTable* secrets, GPtrArray* missing) {
  if (!l2tpbus_profile_is_yes(data, L2TPBUS_KEY_IPSEC_ENABLED)) return;
  if (!is_tls(data)) {
    // NetworkManager-l2tp's profiles may still hold the PSK in vpn.data.
    const char* legacy = l2tpbus_profile_lookup(data, L2TPBUS_KEY_IPSEC_PSK);
    if ((legacy == NULL || legacy[0] == '\0') &&
        l2tpbus_profile_secret_missing(data, secrets, L2TPBUS_KEY_IPSEC_PSK)) {
      g_ptr_array_add(missing, (gpointer)L2TPBUS_KEY_IPSEC_PSK);
    }
    return;
  }
  const char* cert = text_value(data, L2TPBUS_KEY_MACHINE_CERT);
  if (cert != NULL && l2tpbus_profile_secret_missing(data, secrets, L2TPBUS_KEY_MACHINE_CERTPASS) &&
      l2tpbus_machine_credentials_need_passphrase(cert, text_value(data, L2TPBUS_KEY_MACHINE_KEY),
                                                  text_value(data, L2TPBUS_KEY_MACHINE_CA))) {
    g_ptr_array_add(missing, (gpointer)L2TPBUS_KEY_MACHINE_CERTPASS);
  }
}
