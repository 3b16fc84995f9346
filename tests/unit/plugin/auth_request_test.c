// The auth dialog's decisions (plugin/auth-dialog/auth_request.c) from data:
// which secrets a profile needs and which are asked for, under each flag,
// option and hint; the external UI key file as GKeyFile reads it back; the
// line answer; values refused; secrets wiped.
#include "auth_request.h"

#include <string.h>

#include "secret.h"

typedef struct {
  const char* name;
  const char* data;     // "key=value;key=value"
  const char* secrets;  // same; NULL for none
  const char* saved;    // what the keyring holds, same form; NULL for nothing
  const char* hints;    // ";"-separated; NULL for none
  gboolean allow_interaction;
  gboolean reprompt;
  // Expected: "key:value:ask" per needed secret, ";"-separated, value "-" for none.
  const char* expected;
} PlanCase;

#define GATEWAY "gateway=192.0.2.1;user=alice"
#define IPSEC GATEWAY ";ipsec-enabled=yes"

static const PlanCase kPlanCases[] = {
    {"password missing: asked", GATEWAY, NULL, NULL, NULL, TRUE, FALSE, "password:-:1"},
    {"password given: not asked", GATEWAY, "password=s3cret", NULL, NULL, TRUE, FALSE,
     "password:s3cret:0"},
    {"password saved in the keyring: not asked", GATEWAY, NULL, "password=kept", NULL, TRUE, FALSE,
     "password:kept:0"},
    {"given beats saved", GATEWAY, "password=given", "password=kept", NULL, TRUE, FALSE,
     "password:given:0"},
    {"ask every time: the keyring and the given value are not used", GATEWAY ";password-flags=2",
     "password=old", "password=kept", NULL, TRUE, FALSE, "password:-:1"},
    {"agent-owned (1) is looked up", GATEWAY ";password-flags=1", NULL, "password=kept", NULL, TRUE,
     FALSE, "password:kept:0"},
    {"not required: nothing needed", GATEWAY ";password-flags=4", NULL, NULL, NULL, TRUE, FALSE,
     ""},
    {"reprompt asks with the value at hand", GATEWAY, "password=s3cret", NULL, NULL, TRUE, TRUE,
     "password:s3cret:1"},
    {"IPsec PSK: both needed", IPSEC, "password=s3cret", NULL, NULL, TRUE, FALSE,
     "password:s3cret:0;ipsec-psk:-:1"},
    {"IPsec PSK saved", IPSEC, NULL, "ipsec-psk=0sAAAA;password=p", NULL, TRUE, FALSE,
     "password:p:0;ipsec-psk:0sAAAA:0"},
    {"IPsec PSK kept in vpn.data (older profiles): not needed", IPSEC ";ipsec-psk=legacy", NULL,
     NULL, NULL, TRUE, FALSE, "password:-:1"},
    {"IPsec PSK ask every time", IPSEC ";ipsec-psk-flags=2", "password=p;ipsec-psk=x", NULL, NULL,
     TRUE, FALSE, "password:p:0;ipsec-psk:-:1"},
    {"IPsec PSK not required", IPSEC ";ipsec-psk-flags=4", "password=p", NULL, NULL, TRUE, FALSE,
     "password:p:0"},
    {"IPsec off: no PSK", GATEWAY ";ipsec-enabled=no", "password=p", NULL, NULL, TRUE, FALSE,
     "password:p:0"},
    {"hints name the secrets needed, and those are asked", IPSEC, "password=p;ipsec-psk=x", NULL,
     "ipsec-psk", TRUE, FALSE, "ipsec-psk:x:1"},
    {"hints that name none of ours: the profile decides", GATEWAY, "password=p", NULL,
     "x-vpn-message:Hello;something-else", TRUE, FALSE, "password:p:0"},
    {"hint for a not-required secret still asks", GATEWAY ";password-flags=4", NULL, NULL,
     "password", TRUE, FALSE, "password:-:1"},
    {"without -i the same decisions", GATEWAY, NULL, "password=kept", NULL, FALSE, FALSE,
     "password:kept:0"},
    {"an empty saved value is none", GATEWAY, "password=", "password=", NULL, TRUE, FALSE,
     "password:-:1"},
};

static GHashTable* table_from(const char* text) {
  if (text == NULL) return NULL;
  GHashTable* table = l2tpbus_secret_table_new();
  g_auto(GStrv) items = g_strsplit(text, ";", -1);
  for (char** item = items; *item != NULL; item++) {
    if ((*item)[0] == '\0') continue;
    char* equals = strchr(*item, '=');
    g_assert_nonnull(equals);
    g_hash_table_insert(table, g_strndup(*item, equals - *item), g_strdup(equals + 1));
  }
  return table;
}

typedef struct {
  GHashTable* saved;
  GPtrArray* looked_up;
} Keyring;

static char* lookup(const char* key, gpointer user_data) {
  Keyring* keyring = user_data;
  g_ptr_array_add(keyring->looked_up, g_strdup(key));
  const char* value = keyring->saved != NULL ? g_hash_table_lookup(keyring->saved, key) : NULL;
  return g_strdup(value);
}

typedef struct {
  GHashTable* data;
  GHashTable* secrets;
  GStrv hints;
  Keyring keyring;
  L2tpbusAuthInput input;
} Fixture;

static void fixture_init(Fixture* f, const PlanCase* c) {
  f->data = table_from(c->data);
  f->secrets = table_from(c->secrets);
  f->hints = c->hints != NULL ? g_strsplit(c->hints, ";", -1) : NULL;
  f->keyring = (Keyring){table_from(c->saved), g_ptr_array_new_with_free_func(g_free)};
  f->input = (L2tpbusAuthInput){
      .data = f->data,
      .secrets = f->secrets,
      .hints = (const char* const*)f->hints,
      .name = "office",
      .allow_interaction = c->allow_interaction,
      .reprompt = c->reprompt,
      .lookup_saved = lookup,
      .lookup_data = &f->keyring,
  };
}

static void fixture_clear(Fixture* f) {
  g_clear_pointer(&f->data, g_hash_table_unref);
  g_clear_pointer(&f->secrets, g_hash_table_unref);
  g_clear_pointer(&f->keyring.saved, g_hash_table_unref);
  g_clear_pointer(&f->keyring.looked_up, g_ptr_array_unref);
  g_clear_pointer(&f->hints, g_strfreev);
}

static char* describe(const L2tpbusAuthPlan* plan) {
  GString* out = g_string_new(NULL);
  for (guint i = 0; i < plan->count; i++) {
    const L2tpbusAuthSecret* secret = &plan->secrets[i];
    g_string_append_printf(out, "%s%s:%s:%d", i > 0 ? ";" : "", secret->key,
                           secret->value != NULL ? secret->value : "-", secret->ask ? 1 : 0);
  }
  return g_string_free(out, FALSE);
}

static void test_plans(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(kPlanCases); i++) {
    const PlanCase* c = &kPlanCases[i];
    g_test_message("case: %s", c->name);
    Fixture f;
    fixture_init(&f, c);
    L2tpbusAuthPlan plan;
    g_autoptr(GError) error = NULL;
    g_assert_true(l2tpbus_auth_plan_init(&plan, &f.input, &error));
    g_assert_no_error(error);
    g_autofree char* got = describe(&plan);
    g_assert_cmpstr(got, ==, c->expected);
    g_assert_cmpint(l2tpbus_auth_plan_asks(&plan), ==, strstr(c->expected, ":1") != NULL);
    l2tpbus_auth_plan_clear(&plan);
    fixture_clear(&f);
  }
}

// The keyring is asked only for what is needed and not at hand, and never
// for an ask-every-time secret.
static void test_keyring_asked_only_when_useful(void) {
  const PlanCase c = {
      "", IPSEC ";ipsec-psk-flags=2", "password=p", "ipsec-psk=x", NULL, TRUE, FALSE, NULL};
  Fixture f;
  fixture_init(&f, &c);
  L2tpbusAuthPlan plan;
  g_assert_true(l2tpbus_auth_plan_init(&plan, &f.input, NULL));
  g_assert_cmpuint(f.keyring.looked_up->len, ==, 0);
  l2tpbus_auth_plan_clear(&plan);
  fixture_clear(&f);

  const PlanCase missing = {"", IPSEC, "ipsec-psk=x", NULL, NULL, FALSE, FALSE, NULL};
  fixture_init(&f, &missing);
  g_assert_true(l2tpbus_auth_plan_init(&plan, &f.input, NULL));
  g_assert_cmpuint(f.keyring.looked_up->len, ==, 1);
  g_assert_cmpstr(g_ptr_array_index(f.keyring.looked_up, 0), ==, "password");
  l2tpbus_auth_plan_clear(&plan);
  fixture_clear(&f);
}

typedef struct {
  const char* name;
  const char* secrets;
  const char* saved;
  const char* hints;
  const char* key;  // the key the error names
} RefusalCase;

static const RefusalCase kRefusals[] = {
    {"line feed in a given secret", "password=a\nb", NULL, NULL, "password"},
    {"carriage return in a given secret", "password=a\rb", NULL, NULL, "password"},
    {"line feed in a saved secret", NULL, "password=a\nQUIT", NULL, "password"},
    {"not UTF-8", "password=\xff\xfe", NULL, NULL, "password"},
    {"a PSK with a line feed", "password=p;ipsec-psk=x\ny", NULL, NULL, "ipsec-psk"},
    {"a message hint that is not UTF-8", "password=p", NULL, "x-vpn-message:\xc3", "x-vpn-message"},
};

static void test_refusals(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(kRefusals); i++) {
    const RefusalCase* r = &kRefusals[i];
    g_test_message("case: %s", r->name);
    const PlanCase c = {"", IPSEC, r->secrets, r->saved, r->hints, TRUE, FALSE, NULL};
    Fixture f;
    fixture_init(&f, &c);
    L2tpbusAuthPlan plan;
    g_autoptr(GError) error = NULL;
    g_assert_false(l2tpbus_auth_plan_init(&plan, &f.input, &error));
    g_assert_error(error, L2TPBUS_AUTH_ERROR, L2TPBUS_AUTH_ERROR_INVALID_VALUE);
    g_autofree char* prefix = g_strconcat(r->key, ": ", NULL);
    g_assert_true(g_str_has_prefix(error->message, prefix));
    fixture_clear(&f);
  }
}

static GKeyFile* parse_key_file(const char* text) {
  GKeyFile* key_file = g_key_file_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(g_key_file_load_from_data(key_file, text, -1, G_KEY_FILE_NONE, &error));
  g_assert_no_error(error);
  return key_file;
}

static char* get_string(GKeyFile* key_file, const char* group, const char* key) {
  g_autoptr(GError) error = NULL;
  char* value = g_key_file_get_string(key_file, group, key, &error);
  g_assert_no_error(error);
  return value;
}

// The key file as nmcli's and GNOME Shell's agents read it: [VPN Plugin UI]
// first, Version 2, Title and Description; a group per needed secret.
static void test_key_file(void) {
  const char* tricky = " lead\\ing\ttab trailing  ";
  g_autofree char* secrets = g_strconcat("password=", tricky, NULL);
  const PlanCase c = {"", IPSEC, secrets, NULL, NULL, TRUE, FALSE, NULL};
  Fixture f;
  fixture_init(&f, &c);
  L2tpbusAuthPlan plan;
  g_assert_true(l2tpbus_auth_plan_init(&plan, &f.input, NULL));
  char* text = l2tpbus_auth_plan_to_key_file(&plan);
  g_assert_true(g_str_has_prefix(text, "[VPN Plugin UI]\n"));
  g_autoptr(GKeyFile) key_file = parse_key_file(text);
  l2tpbus_secret_free(text);

  g_auto(GStrv) groups = g_key_file_get_groups(key_file, NULL);
  g_assert_cmpuint(g_strv_length(groups), ==, 3);
  g_assert_cmpstr(groups[0], ==, "VPN Plugin UI");
  g_assert_cmpstr(groups[1], ==, "password");
  g_assert_cmpstr(groups[2], ==, "ipsec-psk");
  g_assert_cmpint(g_key_file_get_integer(key_file, "VPN Plugin UI", "Version", NULL), ==, 2);
  g_autofree char* title = get_string(key_file, "VPN Plugin UI", "Title");
  g_assert_cmpstr(title, ==, "VPN authentication");
  g_autofree char* description = get_string(key_file, "VPN Plugin UI", "Description");
  g_assert_nonnull(strstr(description, "“office”"));

  g_autofree char* value = get_string(key_file, "password", "Value");
  g_assert_cmpstr(value, ==, tricky);
  g_autofree char* label = get_string(key_file, "password", "Label");
  g_assert_cmpstr(label, ==, "Password");
  g_assert_true(g_key_file_get_boolean(key_file, "password", "IsSecret", NULL));
  g_assert_false(g_key_file_get_boolean(key_file, "password", "ShouldAsk", NULL));
  g_autofree char* psk = get_string(key_file, "ipsec-psk", "Value");
  g_assert_cmpstr(psk, ==, "");
  g_assert_true(g_key_file_get_boolean(key_file, "ipsec-psk", "ShouldAsk", NULL));
  l2tpbus_auth_plan_clear(&plan);

  // Without -i nothing is to be asked, whatever is missing.
  f.input.allow_interaction = FALSE;
  g_assert_true(l2tpbus_auth_plan_init(&plan, &f.input, NULL));
  text = l2tpbus_auth_plan_to_key_file(&plan);
  g_autoptr(GKeyFile) quiet = parse_key_file(text);
  l2tpbus_secret_free(text);
  g_assert_false(g_key_file_get_boolean(quiet, "ipsec-psk", "ShouldAsk", NULL));
  l2tpbus_auth_plan_clear(&plan);

  // A message hint is the description, line breaks and all.
  const char* hint[] = {"x-vpn-message:Two\nlines", "password", NULL};
  f.input.hints = hint;
  f.input.allow_interaction = TRUE;
  g_assert_true(l2tpbus_auth_plan_init(&plan, &f.input, NULL));
  text = l2tpbus_auth_plan_to_key_file(&plan);
  g_autoptr(GKeyFile) hinted = parse_key_file(text);
  l2tpbus_secret_free(text);
  g_autofree char* message = get_string(hinted, "VPN Plugin UI", "Description");
  g_assert_cmpstr(message, ==, "Two\nlines");
  g_auto(GStrv) hinted_groups = g_key_file_get_groups(hinted, NULL);
  g_assert_cmpuint(g_strv_length(hinted_groups), ==, 2);
  g_assert_true(g_key_file_get_boolean(hinted, "password", "ShouldAsk", NULL));
  l2tpbus_auth_plan_clear(&plan);
  fixture_clear(&f);
}

static void test_key_file_without_needs(void) {
  const PlanCase c = {"", GATEWAY ";password-flags=4", NULL, NULL, NULL, TRUE, FALSE, NULL};
  Fixture f;
  fixture_init(&f, &c);
  L2tpbusAuthPlan plan;
  g_assert_true(l2tpbus_auth_plan_init(&plan, &f.input, NULL));
  char* text = l2tpbus_auth_plan_to_key_file(&plan);
  g_autoptr(GKeyFile) key_file = parse_key_file(text);
  l2tpbus_secret_free(text);
  g_auto(GStrv) groups = g_key_file_get_groups(key_file, NULL);
  g_assert_cmpuint(g_strv_length(groups), ==, 1);
  text = l2tpbus_auth_plan_to_lines(&plan);
  g_assert_cmpstr(text, ==, "\n\n");
  l2tpbus_secret_free(text);
  l2tpbus_auth_plan_clear(&plan);
  fixture_clear(&f);
}

static void test_lines_and_answers(void) {
  const PlanCase c = {"", IPSEC, "password=p w", NULL, NULL, TRUE, FALSE, NULL};
  Fixture f;
  fixture_init(&f, &c);
  L2tpbusAuthPlan plan;
  g_assert_true(l2tpbus_auth_plan_init(&plan, &f.input, NULL));
  // The PSK has no value: left out, never an empty line.
  char* text = l2tpbus_auth_plan_to_lines(&plan);
  g_assert_cmpstr(text, ==, "password\np w\n\n\n");
  l2tpbus_secret_free(text);

  g_autoptr(GError) error = NULL;
  g_assert_true(l2tpbus_auth_plan_answer(&plan, "ipsec-psk", "0sAAAA", &error));
  g_assert_false(l2tpbus_auth_plan_answer(&plan, "password", "x\nQUIT", &error));
  g_assert_error(error, L2TPBUS_AUTH_ERROR, L2TPBUS_AUTH_ERROR_INVALID_VALUE);
  text = l2tpbus_auth_plan_to_lines(&plan);
  g_assert_cmpstr(text, ==, "password\np w\nipsec-psk\n0sAAAA\n\n\n");
  l2tpbus_secret_free(text);
  // An empty answer is no value.
  g_assert_true(l2tpbus_auth_plan_answer(&plan, "password", "", NULL));
  text = l2tpbus_auth_plan_to_lines(&plan);
  g_assert_cmpstr(text, ==, "ipsec-psk\n0sAAAA\n\n\n");
  l2tpbus_secret_free(text);
  l2tpbus_auth_plan_clear(&plan);
  fixture_clear(&f);
}

typedef struct {
  guint wipes;
  gboolean all_zero;
} Wipes;

static void observe_wipe(const void* bytes, gsize size, gpointer data) {
  Wipes* wipes = data;
  wipes->wipes++;
  for (gsize i = 0; i < size; i++) {
    if (((const guchar*)bytes)[i] != 0) wipes->all_zero = FALSE;
  }
}

static void test_values_wiped(void) {
  const PlanCase c = {"", IPSEC, "password=p", "ipsec-psk=k", NULL, TRUE, FALSE, NULL};
  Fixture f;
  fixture_init(&f, &c);
  L2tpbusAuthPlan plan;
  g_assert_true(l2tpbus_auth_plan_init(&plan, &f.input, NULL));
  Wipes wipes = {0, TRUE};
  l2tpbus_secret_set_wipe_observer(observe_wipe, &wipes);
  l2tpbus_auth_plan_clear(&plan);
  l2tpbus_secret_set_wipe_observer(NULL, NULL);
  g_assert_cmpuint(wipes.wipes, ==, 2);
  g_assert_true(wipes.all_zero);
  fixture_clear(&f);
}

static void test_labels(void) {
  const char* keys[] = {"password", "ipsec-psk", "machine-certpass"};
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    g_assert_cmpstr(l2tpbus_auth_secret_label(keys[i]), !=, keys[i]);
    g_assert_nonnull(strchr(l2tpbus_auth_secret_mnemonic_label(keys[i]), '_'));
  }
}

int main(int argc, char** argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/auth-request/plans", test_plans);
  g_test_add_func("/auth-request/keyring-asked-only-when-useful",
                  test_keyring_asked_only_when_useful);
  g_test_add_func("/auth-request/refusals", test_refusals);
  g_test_add_func("/auth-request/key-file", test_key_file);
  g_test_add_func("/auth-request/key-file-without-needs", test_key_file_without_needs);
  g_test_add_func("/auth-request/lines-and-answers", test_lines_and_answers);
  g_test_add_func("/auth-request/values-wiped", test_values_wiped);
  g_test_add_func("/auth-request/labels", test_labels);
  return g_test_run();
}
