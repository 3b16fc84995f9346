#include "profile_choices.h"

#include <string.h>

#include "keys.h"
#include "profile.h"
#include "profile_rules.h"

static const char* const kMppeIds[] = {
    [L2TPBUS_MPPE_OFF] = "off",
    [L2TPBUS_MPPE_REQUIRED] = "required",
    [L2TPBUS_MPPE_REQUIRED_40] = "required-40",
    [L2TPBUS_MPPE_REQUIRED_128] = "required-128",
};

L2tpbusMppeChoice l2tpbus_mppe_choice_read(GHashTable* data) {
  // 128 wins over 40 when both are set, as the service's translation reads it.
  if (l2tpbus_profile_is_yes(data, L2TPBUS_KEY_REQUIRE_MPPE_128)) return L2TPBUS_MPPE_REQUIRED_128;
  if (l2tpbus_profile_is_yes(data, L2TPBUS_KEY_REQUIRE_MPPE_40)) return L2TPBUS_MPPE_REQUIRED_40;
  if (l2tpbus_profile_is_yes(data, L2TPBUS_KEY_REQUIRE_MPPE)) return L2TPBUS_MPPE_REQUIRED;
  return L2TPBUS_MPPE_OFF;
}

static void set_yes(GHashTable* data, const char* key, gboolean yes) {
  if (yes) {
    g_hash_table_replace(data, g_strdup(key), g_strdup("yes"));
  } else {
    g_hash_table_remove(data, key);
  }
}

void l2tpbus_mppe_choice_write(L2tpbusMppeChoice choice, GHashTable* data) {
  set_yes(data, L2TPBUS_KEY_REQUIRE_MPPE, choice != L2TPBUS_MPPE_OFF);
  set_yes(data, L2TPBUS_KEY_REQUIRE_MPPE_40, choice == L2TPBUS_MPPE_REQUIRED_40);
  set_yes(data, L2TPBUS_KEY_REQUIRE_MPPE_128, choice == L2TPBUS_MPPE_REQUIRED_128);
}

const char* l2tpbus_mppe_choice_id(L2tpbusMppeChoice choice) {
  return (gsize)choice < G_N_ELEMENTS(kMppeIds) ? kMppeIds[choice] : kMppeIds[0];
}

L2tpbusMppeChoice l2tpbus_mppe_choice_from_id(const char* id) {
  for (gsize i = 0; id != NULL && i < G_N_ELEMENTS(kMppeIds); i++) {
    if (strcmp(id, kMppeIds[i]) == 0) return (L2tpbusMppeChoice)i;
  }
  return L2TPBUS_MPPE_OFF;
}

const char* l2tpbus_remote_id_read(GHashTable* data) {
  const char* id = l2tpbus_profile_lookup(data, L2TPBUS_KEY_IPSEC_REMOTE_ID);
  if (id != NULL && id[0] != '\0') return id;
  return l2tpbus_profile_lookup(data, L2TPBUS_KEY_IPSEC_GATEWAY_ID);
}

void l2tpbus_remote_id_write(const char* id, GHashTable* data) {
  g_hash_table_remove(data, L2TPBUS_KEY_IPSEC_GATEWAY_ID);
  if (id != NULL && id[0] != '\0') {
    g_hash_table_replace(data, g_strdup(L2TPBUS_KEY_IPSEC_REMOTE_ID), g_strdup(id));
  } else {
    g_hash_table_remove(data, L2TPBUS_KEY_IPSEC_REMOTE_ID);
  }
}

static const char* key_prefix_of(const char* message, const char* key) {
  const gsize length = strlen(key);
  return strncmp(message, key, length) == 0 && message[length] == ':' ? key : NULL;
}

const char* l2tpbus_profile_error_key(const GError* error) {
  if (error == NULL || error->domain != L2TPBUS_PROFILE_ERROR) return NULL;
  const char* const* keys = l2tpbus_profile_data_keys();
  for (gsize i = 0; keys[i] != NULL; i++) {
    const char* key = key_prefix_of(error->message, keys[i]);
    if (key != NULL) return key;
  }
  static const char* const kSecrets[] = {L2TPBUS_KEY_PASSWORD, L2TPBUS_KEY_IPSEC_PSK,
                                         L2TPBUS_KEY_MACHINE_CERTPASS};
  for (gsize i = 0; i < G_N_ELEMENTS(kSecrets); i++) {
    const char* key = key_prefix_of(error->message, kSecrets[i]);
    if (key != NULL) return key;
  }
  return NULL;
}
