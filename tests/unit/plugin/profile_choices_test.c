// The editor's view of keys that travel together (MPPE) or were renamed
// (the remote IKE identity), and the key named by a check's error.
#include "profile_choices.h"

#include <glib.h>

#include "keys.h"
#include "profile.h"

static GHashTable* table_of(const char* const* pairs) {
  GHashTable* table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (gsize i = 0; pairs != NULL && pairs[i] != NULL; i += 2) {
    g_hash_table_replace(table, g_strdup(pairs[i]), g_strdup(pairs[i + 1]));
  }
  return table;
}

static void mppe_reads_every_combination(void) {
  static const struct {
    const char* pairs[7];
    L2tpbusMppeChoice choice;
  } kCases[] = {
      {{NULL}, L2TPBUS_MPPE_OFF},
      {{"require-mppe", "no", NULL}, L2TPBUS_MPPE_OFF},
      {{"require-mppe", "yes", NULL}, L2TPBUS_MPPE_REQUIRED},
      {{"require-mppe-40", "yes", NULL}, L2TPBUS_MPPE_REQUIRED_40},
      {{"require-mppe", "yes", "require-mppe-128", "yes", NULL}, L2TPBUS_MPPE_REQUIRED_128},
      // Both strengths: 128 wins, as the service reads it.
      {{"require-mppe-40", "yes", "require-mppe-128", "yes", NULL}, L2TPBUS_MPPE_REQUIRED_128},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(kCases); i++) {
    g_autoptr(GHashTable) data = table_of(kCases[i].pairs);
    g_assert_cmpint(l2tpbus_mppe_choice_read(data), ==, kCases[i].choice);
  }
}

static void mppe_writes_and_reads_back(void) {
  for (int choice = L2TPBUS_MPPE_OFF; choice <= L2TPBUS_MPPE_REQUIRED_128; choice++) {
    // Start from the opposite state, so each write must also remove keys.
    static const char* const kAll[] = {
        "require-mppe", "yes", "require-mppe-40", "yes", "require-mppe-128", "yes", "mtu",
        "1400",         NULL};
    g_autoptr(GHashTable) data = table_of(kAll);
    l2tpbus_mppe_choice_write((L2tpbusMppeChoice)choice, data);
    g_assert_cmpint(l2tpbus_mppe_choice_read(data), ==, choice);
    g_assert_cmpstr(g_hash_table_lookup(data, "mtu"), ==, "1400");
    const guint expected_keys = choice == L2TPBUS_MPPE_OFF        ? 1
                                : choice == L2TPBUS_MPPE_REQUIRED ? 2
                                                                  : 3;
    g_assert_cmpuint(g_hash_table_size(data), ==, expected_keys);
    const char* id = l2tpbus_mppe_choice_id((L2tpbusMppeChoice)choice);
    g_assert_cmpint(l2tpbus_mppe_choice_from_id(id), ==, choice);
  }
  g_assert_cmpint(l2tpbus_mppe_choice_from_id("optional"), ==, L2TPBUS_MPPE_OFF);
  g_assert_cmpint(l2tpbus_mppe_choice_from_id(NULL), ==, L2TPBUS_MPPE_OFF);
}

static void remote_id_prefers_the_new_name_and_writes_only_it(void) {
  static const char* const kOld[] = {"ipsec-gateway-id", "old.example", NULL};
  g_autoptr(GHashTable) old = table_of(kOld);
  g_assert_cmpstr(l2tpbus_remote_id_read(old), ==, "old.example");
  static const char* const kBoth[] = {"ipsec-gateway-id", "old.example", "ipsec-remote-id",
                                      "new.example", NULL};
  g_autoptr(GHashTable) both = table_of(kBoth);
  g_assert_cmpstr(l2tpbus_remote_id_read(both), ==, "new.example");
  l2tpbus_remote_id_write("typed.example", both);
  g_assert_cmpuint(g_hash_table_size(both), ==, 1);
  g_assert_cmpstr(g_hash_table_lookup(both, "ipsec-remote-id"), ==, "typed.example");
  l2tpbus_remote_id_write("", both);
  g_assert_cmpuint(g_hash_table_size(both), ==, 0);
}

static void error_key_is_the_key_the_check_named(void) {
  static const struct {
    const char* pairs[5];
    const char* key;
  } kCases[] = {
      {{"gateway", "not a host!", NULL}, "gateway"},
      {{"gateway", "vpn.example", "mtu", "99999", NULL}, "mtu"},
      {{"gateway", "vpn.example", "ipsec-psk-flags", "9", NULL}, "ipsec-psk-flags"},
      {{"mtu", "1400", NULL}, "gateway"},  // missing
      {{"gateway", "vpn.example", "no-such-key", "1", NULL}, NULL},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(kCases); i++) {
    g_autoptr(GHashTable) data = table_of(kCases[i].pairs);
    L2tpbusProfile profile = {.data = data};
    g_autoptr(GError) error = NULL;
    g_assert_false(l2tpbus_profile_check(&profile, &error));
    g_assert_cmpstr(l2tpbus_profile_error_key(error), ==, kCases[i].key);
  }
  g_assert_null(l2tpbus_profile_error_key(NULL));
}

int main(int argc, char** argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/profile-choices/mppe-reads", mppe_reads_every_combination);
  g_test_add_func("/profile-choices/mppe-round-trip", mppe_writes_and_reads_back);
  g_test_add_func("/profile-choices/remote-id", remote_id_prefers_the_new_name_and_writes_only_it);
  g_test_add_func("/profile-choices/error-key", error_key_is_the_key_the_check_named);
  return g_test_run();
}
