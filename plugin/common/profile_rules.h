// What profile.c and profile_ipsec.c share: reading a profile's tables and
// refusing a value, always naming the key.
#pragma once

#include <glib.h>

#include "profile.h"

G_BEGIN_DECLS

// NMSettingSecretFlags: AGENT_OWNED | NOT_SAVED | NOT_REQUIRED.
#define L2TPBUS_MAX_SECRET_FLAGS 7
#define L2TPBUS_SECRET_FLAG_NOT_SAVED 2
#define L2TPBUS_SECRET_FLAG_NOT_REQUIRED 4

// Always FALSE, with "key: message" (as the daemon's own errors: "Peer: ...").
gboolean l2tpbus_profile_fail(GError** error, L2tpbusProfileError code, const char* key,
                              const char* message);
const char* l2tpbus_profile_lookup(GHashTable* table, const char* key);
gboolean l2tpbus_profile_is_yes(GHashTable* data, const char* key);
// Decimal digits only, at most 10 of them, within [min, max].
gboolean l2tpbus_profile_parse_number(const char* text, guint min, guint max, guint* out);
// Whether the secret `key` is needed and neither the secrets hold it nor its
// "-flags" data item says NOT_REQUIRED.
gboolean l2tpbus_profile_secret_missing(GHashTable* data, GHashTable* secrets, const char* key);

G_END_DECLS
