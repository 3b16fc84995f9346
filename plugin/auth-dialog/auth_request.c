// Which secrets nm-l2tpbus-auth-dialog asks for, and its answers. The
// secrets' needs come from the same code the service's NeedSecrets uses
// (profile.h), so the dialog never asks for what the service would not take.
#include "auth_request.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "keys.h"
#include "profile.h"
#include "profile_rules.h"
#include "secret.h"

// A hint that is no secret's key but a message for the user (NetworkManager's
// secret agents read the same prefix).
#define VPN_MESSAGE_HINT "x-vpn-message:"

GQuark l2tpbus_auth_error_quark(void) {
  return g_quark_from_static_string("l2tpbus-auth-error-quark");
}

// Labels through dgettext calls rather than a table of N_() strings: the
// translation check (data/tests/check_po.py) extracts with xgettext's
// default keywords, which know dgettext and not N_.
const char* l2tpbus_auth_secret_label(const char* key) {
  if (strcmp(key, L2TPBUS_KEY_PASSWORD) == 0) return dgettext(GETTEXT_PACKAGE, "Password");
  if (strcmp(key, L2TPBUS_KEY_IPSEC_PSK) == 0) {
    return dgettext(GETTEXT_PACKAGE, "IPsec pre-shared key");
  }
  if (strcmp(key, L2TPBUS_KEY_MACHINE_CERTPASS) == 0) {
    return dgettext(GETTEXT_PACKAGE, "Certificate key password");
  }
  return key;
}

const char* l2tpbus_auth_secret_mnemonic_label(const char* key) {
  if (strcmp(key, L2TPBUS_KEY_PASSWORD) == 0) return dgettext(GETTEXT_PACKAGE, "_Password:");
  if (strcmp(key, L2TPBUS_KEY_IPSEC_PSK) == 0) {
    return dgettext(GETTEXT_PACKAGE, "IPsec _pre-shared key:");
  }
  if (strcmp(key, L2TPBUS_KEY_MACHINE_CERTPASS) == 0) {
    return dgettext(GETTEXT_PACKAGE, "Certificate _key password:");
  }
  return key;
}

// The secrets of ours, in the order the plan lists them.
static const char* const kSecretKeys[] = {
    L2TPBUS_KEY_PASSWORD,
    L2TPBUS_KEY_IPSEC_PSK,
    L2TPBUS_KEY_MACHINE_CERTPASS,
};

static gboolean check_value(const char* key, const char* value, GError** error) {
  if (!g_utf8_validate(value, -1, NULL)) {
    g_set_error(error, L2TPBUS_AUTH_ERROR, L2TPBUS_AUTH_ERROR_INVALID_VALUE,
                dgettext(GETTEXT_PACKAGE, "%s: the value is not valid UTF-8"), key);
    return FALSE;
  }
  if (strpbrk(value, "\r\n") != NULL) {
    g_set_error(
        error, L2TPBUS_AUTH_ERROR, L2TPBUS_AUTH_ERROR_INVALID_VALUE,
        dgettext(GETTEXT_PACKAGE, "%s: the value holds a line break, which no secret may hold"),
        key);
    return FALSE;
  }
  return TRUE;
}

static guint secret_flags(GHashTable* data, const char* key) {
  g_autofree char* flags_key = g_strconcat(key, "-flags", NULL);
  const char* text = l2tpbus_profile_lookup(data, flags_key);
  guint flags = 0;
  if (text == NULL || !l2tpbus_profile_parse_number(text, 0, L2TPBUS_MAX_SECRET_FLAGS, &flags)) {
    return 0;
  }
  return flags;
}

static gboolean is_hinted(const char* const* hints, const char* key) {
  return hints != NULL && g_strv_contains(hints, key);
}

// The keys the hints name that are secrets of ours, in our fixed order.
static guint hinted_secrets(const char* const* hints, const char** out) {
  guint count = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(kSecretKeys); i++) {
    if (is_hinted(hints, kSecretKeys[i])) out[count++] = kSecretKeys[i];
  }
  return count;
}

static guint needed_secrets(const L2tpbusAuthInput* input, const char** out) {
  guint count = hinted_secrets(input->hints, out);
  if (count > 0) return count;
  // With no secrets at all, "missing" is "needed": the flags' NOT_REQUIRED and
  // a PSK kept in vpn.data (older profiles) already count there.
  g_autofree const char** needed = l2tpbus_profile_missing_secrets(input->data, NULL);
  for (const char** key = needed; *key != NULL && count < L2TPBUS_AUTH_MAX_SECRETS; key++) {
    out[count++] = *key;
  }
  return count;
}

static const char* hinted_message(const char* const* hints) {
  for (const char* const* hint = hints; hints != NULL && *hint != NULL; hint++) {
    if (g_str_has_prefix(*hint, VPN_MESSAGE_HINT)) return *hint + strlen(VPN_MESSAGE_HINT);
  }
  return NULL;
}

gboolean l2tpbus_auth_plan_init(L2tpbusAuthPlan* plan, const L2tpbusAuthInput* input,
                                GError** error) {
  *plan = (L2tpbusAuthPlan){0};
  plan->allow_interaction = input->allow_interaction;
  const char* message = hinted_message(input->hints);
  if (message != NULL && !g_utf8_validate(message, -1, NULL)) {
    g_set_error(error, L2TPBUS_AUTH_ERROR, L2TPBUS_AUTH_ERROR_INVALID_VALUE,
                dgettext(GETTEXT_PACKAGE, "%s: the value is not valid UTF-8"), "x-vpn-message");
    return FALSE;
  }
  plan->title = g_strdup(dgettext(GETTEXT_PACKAGE, "VPN authentication"));
  plan->description =
      message != NULL && message[0] != '\0'
          ? g_strdup(message)
          : g_strdup_printf(
                dgettext(GETTEXT_PACKAGE, "Authentication is required to connect to the VPN “%s”."),
                input->name);

  const char* needed[L2TPBUS_AUTH_MAX_SECRETS];
  plan->count = needed_secrets(input, needed);
  for (guint i = 0; i < plan->count; i++) {
    L2tpbusAuthSecret* secret = &plan->secrets[i];
    secret->key = needed[i];
    const gboolean ask_every_time =
        (secret_flags(input->data, secret->key) & L2TPBUS_SECRET_FLAG_NOT_SAVED) != 0;
    if (!ask_every_time) {
      const char* given = l2tpbus_profile_lookup(input->secrets, secret->key);
      if (given != NULL && given[0] != '\0') {
        secret->value = g_strdup(given);
      } else if (input->lookup_saved != NULL) {
        secret->value = input->lookup_saved(secret->key, input->lookup_data);
        if (secret->value != NULL && secret->value[0] == '\0') {
          g_clear_pointer(&secret->value, l2tpbus_secret_free);
        }
      }
    }
    if (secret->value != NULL && !check_value(secret->key, secret->value, error)) {
      l2tpbus_auth_plan_clear(plan);
      return FALSE;
    }
    secret->ask = secret->value == NULL || ask_every_time || input->reprompt ||
                  is_hinted(input->hints, secret->key);
  }
  return TRUE;
}

void l2tpbus_auth_plan_clear(L2tpbusAuthPlan* plan) {
  for (guint i = 0; i < plan->count; i++) {
    g_clear_pointer(&plan->secrets[i].value, l2tpbus_secret_free);
  }
  g_clear_pointer(&plan->title, g_free);
  g_clear_pointer(&plan->description, g_free);
  plan->count = 0;
}

gboolean l2tpbus_auth_plan_asks(const L2tpbusAuthPlan* plan) {
  for (guint i = 0; i < plan->count; i++) {
    if (plan->secrets[i].ask) return TRUE;
  }
  return FALSE;
}

gboolean l2tpbus_auth_plan_answer(L2tpbusAuthPlan* plan, const char* key, const char* answer,
                                  GError** error) {
  for (guint i = 0; i < plan->count; i++) {
    L2tpbusAuthSecret* secret = &plan->secrets[i];
    if (strcmp(secret->key, key) != 0) continue;
    if (answer != NULL && !check_value(key, answer, error)) return FALSE;
    g_clear_pointer(&secret->value, l2tpbus_secret_free);
    if (answer != NULL && answer[0] != '\0') secret->value = g_strdup(answer);
    return TRUE;
  }
  return TRUE;
}

// GKeyFile's escapes (g_key_file_set_string's), written here rather than by
// GKeyFile, which would keep the secrets in copies it frees unwiped. Spaces
// at either end are escaped, as a reader may trim them.
static void append_escaped(GString* out, const char* value) {
  const gsize length = strlen(value);
  gsize trailing_spaces = 0;
  while (trailing_spaces < length && value[length - 1 - trailing_spaces] == ' ') trailing_spaces++;
  for (gsize i = 0; i < length; i++) {
    const char c = value[i];
    if (c == ' ' && (i == 0 || i >= length - trailing_spaces)) {
      g_string_append(out, "\\s");
    } else if (c == '\\') {
      g_string_append(out, "\\\\");
    } else if (c == '\n') {
      g_string_append(out, "\\n");
    } else if (c == '\r') {
      g_string_append(out, "\\r");
    } else if (c == '\t') {
      g_string_append(out, "\\t");
    } else {
      g_string_append_c(out, c);
    }
  }
}

static void append_entry(GString* out, const char* name, const char* value) {
  g_string_append_printf(out, "%s=", name);
  append_escaped(out, value);
  g_string_append_c(out, '\n');
}

// The buffer's old blocks, as it grows, are realloc's to free: sized up front
// so that a secret is written into the final block only.
static GString* secret_buffer(const L2tpbusAuthPlan* plan, gsize fixed) {
  gsize size = fixed;
  for (guint i = 0; i < plan->count; i++) {
    if (plan->secrets[i].value != NULL) size += 2 * strlen(plan->secrets[i].value);
  }
  return g_string_sized_new(size);
}

char* l2tpbus_auth_plan_to_key_file(const L2tpbusAuthPlan* plan) {
  GString* out = secret_buffer(
      plan, 1024 + 4 * (strlen(plan->title) + strlen(plan->description)) + 512 * plan->count);
  g_string_append(out, "[VPN Plugin UI]\nVersion=2\n");
  append_entry(out, "Description", plan->description);
  append_entry(out, "Title", plan->title);
  for (guint i = 0; i < plan->count; i++) {
    const L2tpbusAuthSecret* secret = &plan->secrets[i];
    g_string_append_printf(out, "\n[%s]\n", secret->key);
    append_entry(out, "Value", secret->value != NULL ? secret->value : "");
    append_entry(out, "Label", l2tpbus_auth_secret_label(secret->key));
    g_string_append(out, "IsSecret=true\n");
    g_string_append_printf(out, "ShouldAsk=%s\n",
                           secret->ask && plan->allow_interaction ? "true" : "false");
  }
  return g_string_free(out, FALSE);
}

char* l2tpbus_auth_plan_to_lines(const L2tpbusAuthPlan* plan) {
  GString* out = secret_buffer(plan, 64 * (plan->count + 1));
  for (guint i = 0; i < plan->count; i++) {
    const L2tpbusAuthSecret* secret = &plan->secrets[i];
    // An empty value would be an empty line: the readers (nm-applet) skip
    // those and would pair the next key with this one.
    if (secret->value == NULL || secret->value[0] == '\0') continue;
    // g_string_append_printf would format into a temporary copy freed unwiped.
    g_string_append(out, secret->key);
    g_string_append_c(out, '\n');
    g_string_append(out, secret->value);
    g_string_append_c(out, '\n');
  }
  g_string_append(out, "\n\n");
  return g_string_free(out, FALSE);
}
