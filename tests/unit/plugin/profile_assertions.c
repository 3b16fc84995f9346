#include "profile_assertions.h"

#include <string.h>

#include "profile.h"

GHashTable* profile_table_from(const char* text) {
  if (text == NULL) return NULL;
  GHashTable* table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) items = g_strsplit(text, "|", -1);
  for (gsize i = 0; items[i] != NULL; i++) {
    const char* equals = strchr(items[i], '=');
    g_assert_nonnull(equals);
    g_hash_table_insert(table, g_strndup(items[i], (gsize)(equals - items[i])),
                        g_strdup(equals + 1));
  }
  return table;
}

GVariant* profile_option(GVariant* dictionary, const char* key) {
  const gsize count = g_variant_n_children(dictionary);
  for (gsize i = 0; i < count; i++) {
    g_autoptr(GVariant) entry = g_variant_get_child_value(dictionary, i);
    g_autoptr(GVariant) name = g_variant_get_child_value(entry, 0);
    if (strcmp(g_variant_get_string(name, NULL), key) != 0) continue;
    g_autoptr(GVariant) boxed = g_variant_get_child_value(entry, 1);
    return g_variant_get_variant(boxed);
  }
  return NULL;
}

// GVariant text writes a bytestring b'k' with a NUL after it; byte options
// (IpsecPsk, Secret) carry the bytes alone.
static GVariant* without_bytestring_nul(GVariant* value) {
  gsize size = 0;
  const guchar* bytes = g_variant_get_fixed_array(value, &size, 1);
  if (size == 0 || bytes[size - 1] != 0) return g_variant_ref(value);
  return g_variant_ref_sink(g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, bytes, size - 1, 1));
}

void assert_profile_entries(GVariant* actual, const char* expected_text) {
  if (expected_text == NULL) return;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) expected =
      g_variant_parse(G_VARIANT_TYPE_VARDICT, expected_text, NULL, NULL, &error);
  g_assert_no_error(error);
  GVariantIter iter;
  const char* key = NULL;
  GVariant* value = NULL;
  g_variant_iter_init(&iter, expected);
  while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
    g_autoptr(GVariant) want = g_variant_is_of_type(value, G_VARIANT_TYPE_BYTESTRING)
                                   ? without_bytestring_nul(value)
                                   : g_variant_ref(value);
    g_variant_unref(value);
    g_autoptr(GVariant) got = profile_option(actual, key);
    if (got == NULL || !g_variant_equal(got, want)) {
      g_autofree char* got_text = got != NULL ? g_variant_print(got, TRUE) : g_strdup("(none)");
      g_autofree char* want_text = g_variant_print(want, TRUE);
      g_error("%s: got %s, expected %s", key, got_text, want_text);
    }
  }
}

void assert_profile_refused(gboolean ok, const GError* error, gint code, const char* key) {
  g_assert_false(ok);
  g_assert_error(error, L2TPBUS_PROFILE_ERROR, code);
  g_autofree char* prefix = g_strdup_printf("%s: ", key);
  if (!g_str_has_prefix(error->message, prefix)) {
    g_error("message \"%s\" does not start with \"%s\"", error->message, prefix);
  }
}

void assert_profile_keys(GVariant* actual, const char* keys, gboolean present) {
  if (keys == NULL) return;
  g_auto(GStrv) names = g_strsplit(keys, "|", -1);
  for (gsize i = 0; names[i] != NULL; i++) {
    g_autoptr(GVariant) got = profile_option(actual, names[i]);
    if ((got != NULL) != present)
      g_error("%s should be %s", names[i], present ? "there" : "absent");
  }
}
