// What nm-l2tpbus-auth-dialog decides and prints, apart from its I/O (stdin,
// the keyring, GTK): which secrets to ask for, and its two answers to the
// secret agent that runs it (NetworkManager's external UI key file, or the
// older "key\nvalue\n" lines). Pure, so tests/unit/plugin proves it from data.
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define L2TPBUS_AUTH_ERROR (l2tpbus_auth_error_quark())
GQuark l2tpbus_auth_error_quark(void);

typedef enum {
  // A value the answer cannot carry: not UTF-8, or a line break (which
  // would end a line of the line protocol early and start a forged one).
  L2TPBUS_AUTH_ERROR_INVALID_VALUE,
} L2tpbusAuthError;

// A saved secret of the connection (the keyring), as a copy freed with
// l2tpbus_secret_free; NULL for none.
typedef char* (*L2tpbusSavedSecretLookup)(const char* key, gpointer user_data);

typedef struct {
  GHashTable* data;                       // vpn.data from stdin (char* -> char*)
  GHashTable* secrets;                    // vpn.secrets from stdin; may be NULL
  const char* const* hints;               // -t, NULL-terminated; may be NULL
  const char* name;                       // -n, the connection's name (UTF-8)
  gboolean allow_interaction;             // -i
  gboolean reprompt;                      // -r: ask even for the secrets at hand
  L2tpbusSavedSecretLookup lookup_saved;  // NULL: nothing is saved
  gpointer lookup_data;
} L2tpbusAuthInput;

// One secret the profile needs: `value` is what the answer will hold (the
// one at hand, then the user's), in memory wiped when the plan is cleared.
typedef struct {
  const char* key;  // static: password, ipsec-psk or machine-certpass
  char* value;      // NULL: none
  gboolean ask;     // the user is to be asked (when interaction is allowed)
} L2tpbusAuthSecret;

#define L2TPBUS_AUTH_MAX_SECRETS 3

typedef struct {
  L2tpbusAuthSecret secrets[L2TPBUS_AUTH_MAX_SECRETS];
  guint count;
  gboolean allow_interaction;
  char* title;
  char* description;
} L2tpbusAuthPlan;

// The secrets the profile needs, in the order password, ipsec-psk,
// machine-certpass: the ones hints name (when they name one of ours), else
// the ones l2tpbus_profile_missing_secrets finds with no secrets at all (so
// a -flags item's NOT_REQUIRED leaves one out). Each takes the value of
// vpn.secrets, else the saved one, unless its flags say NOT_SAVED ("ask every
// time"), and is asked for when it has none, with NOT_SAVED, for -r, and when
// a hint names it. An "x-vpn-message:" hint becomes the description. FALSE
// (L2TPBUS_AUTH_ERROR_INVALID_VALUE, naming the key) for a value at hand
// that the answer could not carry.
gboolean l2tpbus_auth_plan_init(L2tpbusAuthPlan* plan, const L2tpbusAuthInput* input,
                                GError** error);
void l2tpbus_auth_plan_clear(L2tpbusAuthPlan* plan);

// Whether the user is to be asked for anything.
gboolean l2tpbus_auth_plan_asks(const L2tpbusAuthPlan* plan);

// The user's answer for `key` replaces the value; checked as the values at
// hand are. An empty answer leaves no value.
gboolean l2tpbus_auth_plan_answer(L2tpbusAuthPlan* plan, const char* key, const char* answer,
                                  GError** error);

// The translated label of a secret: plain ("Password", as secret agents show
// it), or with a mnemonic and a colon for a dialog ("_Password:").
const char* l2tpbus_auth_secret_label(const char* key);
const char* l2tpbus_auth_secret_mnemonic_label(const char* key);

// External UI mode: the key file secret agents read (GNOME Shell, nmcli):
// [VPN Plugin UI] Version=2, Description, Title, then a group per needed
// secret with Value, Label, IsSecret=true and ShouldAsk (asked and
// interaction allowed). Holds secrets: free with l2tpbus_secret_free.
char* l2tpbus_auth_plan_to_key_file(const L2tpbusAuthPlan* plan);

// Normal mode: "key\nvalue\n" for each needed secret with a value, then
// "\n\n". Holds secrets: free with l2tpbus_secret_free.
char* l2tpbus_auth_plan_to_lines(const L2tpbusAuthPlan* plan);

G_END_DECLS
