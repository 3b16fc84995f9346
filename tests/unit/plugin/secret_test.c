// The password's copies in the plugin's own memory are wiped before they are
// freed: seen through secret.h's observer, which runs between the wipe and
// the free (after the free the memory may not be read).
#include "secret.h"

#include <gio/gio.h>
#include <string.h>

#include "profile.h"

typedef struct {
  guint wipes;
  gsize last_size;
  gboolean all_zero;
} Wipes;

static void observe_wipe(const void* bytes, gsize size, gpointer data) {
  Wipes* wipes = data;
  wipes->wipes++;
  wipes->last_size = size;
  for (gsize i = 0; i < size; i++) {
    if (((const guchar*)bytes)[i] != 0) wipes->all_zero = FALSE;
  }
}

static void watch(Wipes* wipes) {
  *wipes = (Wipes){0, 0, TRUE};
  l2tpbus_secret_set_wipe_observer(observe_wipe, wipes);
}

static void unwatch(void) {
  l2tpbus_secret_set_wipe_observer(NULL, NULL);
}

// The session's Password as the dictionary holds it, found without
// g_variant_lookup (which would copy the dictionary: see profile.h).
static char* password_in(GVariant* session) {
  char* password = NULL;
  const gsize count = g_variant_n_children(session);
  for (gsize i = 0; i < count && password == NULL; i++) {
    g_autoptr(GVariant) entry = g_variant_get_child_value(session, i);
    g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
    if (strcmp(g_variant_get_string(key, NULL), "Password") != 0) continue;
    g_autoptr(GVariant) boxed = g_variant_get_child_value(entry, 1);
    g_autoptr(GVariant) value = g_variant_get_variant(boxed);
    password = g_variant_dup_string(value, NULL);
  }
  return password;
}

// Translates a profile whose tables are secret tables (as the service's),
// filled from NULL-terminated key, value, ... lists; the tables are freed
// before it returns, so their copies are wiped by then.
static void translate(const char* const* data_pairs, const char* const* secret_pairs,
                      L2tpbusRequest* request) {
  GHashTable* tables[2] = {l2tpbus_secret_table_new(), l2tpbus_secret_table_new()};
  const char* const* pairs[2] = {data_pairs, secret_pairs};
  for (int t = 0; t < 2; t++) {
    for (const char* const* pair = pairs[t]; *pair != NULL; pair += 2) {
      g_hash_table_insert(tables[t], g_strdup(pair[0]), g_strdup(pair[1]));
    }
  }
  const L2tpbusProfile profile = {tables[0], tables[1], FALSE, FALSE};
  g_autoptr(GError) error = NULL;
  g_assert_true(l2tpbus_profile_translate(&profile, request, &error));
  g_assert_no_error(error);
  g_hash_table_unref(tables[1]);
  g_hash_table_unref(tables[0]);
}

// The options inside a method call written out as bytes, as the
// gdbus-codegen client and GDBus do; the message holds them until unref'd.
static GDBusMessage* sent_in_call(const char* path, const char* interface, const char* method,
                                  GVariant* options) {
  GDBusMessage* call = g_dbus_message_new_method_call("org.l2tpbus1", path, interface, method);
  g_dbus_message_set_body(call, g_variant_new("(@a{sv})", options));
  gsize size = 0;
  g_autoptr(GError) error = NULL;
  g_autofree guchar* wire =
      g_dbus_message_to_blob(call, &size, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
  g_assert_no_error(error);
  return call;
}

// A regression test: the profile's password went into the CreateSession
// options through g_variant_new_string, a copy GLib frees unwiped.
static void test_translated_password(void) {
  Wipes wipes;
  watch(&wipes);
  L2tpbusRequest request;
  translate((const char* const[]){"gateway", "vpn.example.com", "mtu", "1400", NULL},
            (const char* const[]){"password", "correct horse", NULL}, &request);
  // the tables' copies: the password, "vpn.example.com", "1400"
  g_assert_cmpuint(wipes.wipes, ==, 3);
  g_assert_cmpuint(request.mtu, ==, 1400);
  char* sent = password_in(request.session);
  g_assert_cmpstr(sent, ==, "correct horse");
  l2tpbus_secret_free(sent);
  g_assert_cmpuint(wipes.wipes, ==, 4);

  GDBusMessage* call = sent_in_call("/org/l2tpbus1/tunnel/1", "org.l2tpbus1.Tunnel",
                                    "CreateSession", request.session);
  l2tpbus_request_clear(&request);
  g_assert_cmpuint(wipes.wipes, ==, 4);  // the message still holds the options
  g_object_unref(call);
  g_assert_cmpuint(wipes.wipes, ==, 5);
  g_assert_cmpuint(wipes.last_size, ==, strlen("correct horse") + 1);
  g_assert_true(wipes.all_zero);
  unwatch();
}

// The IPsec PSK goes as IpsecPsk (bytes) in the CreateTunnel options, and
// its buffer is wiped when the last holder (here the message) lets go.
static void test_translated_psk(void) {
  Wipes wipes;
  watch(&wipes);
  L2tpbusRequest request;
  translate((const char* const[]){"gateway", "vpn.example.com", "ipsec-enabled", "yes", NULL},
            (const char* const[]){"ipsec-psk", "battery staple", NULL}, &request);
  g_assert_cmpuint(wipes.wipes, ==, 3);  // the tables' copies: PSK, "vpn.example.com", "yes"
  GDBusMessage* call =
      sent_in_call("/org/l2tpbus1", "org.l2tpbus1.Manager", "CreateTunnel", request.tunnel);
  l2tpbus_request_clear(&request);
  g_assert_cmpuint(wipes.wipes, ==, 3);  // the message still holds the options
  wipes.all_zero = TRUE;
  g_object_unref(call);
  g_assert_cmpuint(wipes.wipes, ==, 4);
  g_assert_cmpuint(wipes.last_size, ==, strlen("battery staple"));
  g_assert_true(wipes.all_zero);
  unwatch();
}

// The "ay" variant's data is the secret buffer itself: GLib keeps no copy.
static void test_bytes_variant(void) {
  Wipes wipes;
  watch(&wipes);
  GBytes* bytes = l2tpbus_secret_bytes_new("\x00\x01key", 5);
  GVariant* secret = g_variant_ref_sink(l2tpbus_secret_bytes_variant_new(bytes));
  g_assert_true(g_variant_is_of_type(secret, G_VARIANT_TYPE_BYTESTRING));
  g_assert_true(g_variant_get_data(secret) == g_bytes_get_data(bytes, NULL));
  g_assert_cmpuint(g_variant_get_size(secret), ==, 5);
  g_bytes_unref(bytes);
  g_assert_cmpuint(wipes.wipes, ==, 0);
  g_variant_unref(secret);
  g_assert_cmpuint(wipes.wipes, ==, 1);
  g_assert_cmpuint(wipes.last_size, ==, 5);
  g_assert_true(wipes.all_zero);
  unwatch();
}

static void test_variant(void) {
  Wipes wipes;
  watch(&wipes);
  GVariant* secret = g_variant_ref_sink(l2tpbus_secret_variant_new("hunter2"));
  g_assert_true(g_variant_is_of_type(secret, G_VARIANT_TYPE_STRING));
  g_assert_cmpstr(g_variant_get_string(secret, NULL), ==, "hunter2");
  g_autofree char* printed = g_variant_print(secret, FALSE);
  g_assert_cmpstr(printed, ==, "'hunter2'");
  g_variant_unref(secret);
  g_assert_cmpuint(wipes.wipes, ==, 1);
  g_assert_cmpuint(wipes.last_size, ==, 8);
  g_assert_true(wipes.all_zero);

  // An empty password is a string too.
  GVariant* empty = g_variant_ref_sink(l2tpbus_secret_variant_new(""));
  g_assert_cmpstr(g_variant_get_string(empty, NULL), ==, "");
  g_variant_unref(empty);
  g_assert_cmpuint(wipes.wipes, ==, 2);
  unwatch();
}

static void test_table(void) {
  Wipes wipes;
  watch(&wipes);
  GHashTable* table = l2tpbus_secret_table_new();
  g_hash_table_insert(table, g_strdup("password"), g_strdup("one"));
  g_hash_table_insert(table, g_strdup("ipsec-psk"), g_strdup("two"));
  g_hash_table_insert(table, g_strdup("password"), g_strdup("three"));  // replaces "one"
  g_assert_cmpuint(wipes.wipes, ==, 1);
  g_hash_table_unref(table);
  g_assert_cmpuint(wipes.wipes, ==, 3);
  g_assert_true(wipes.all_zero);
  l2tpbus_secret_free(NULL);
  g_assert_cmpuint(wipes.wipes, ==, 3);
  unwatch();
}

int main(int argc, char** argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/secret/translated-password", test_translated_password);
  g_test_add_func("/secret/translated-psk", test_translated_psk);
  g_test_add_func("/secret/variant", test_variant);
  g_test_add_func("/secret/bytes-variant", test_bytes_variant);
  g_test_add_func("/secret/table", test_table);
  return g_test_run();
}
