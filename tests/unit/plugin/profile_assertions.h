// What the profile tests share: a profile table written "key=value|...",
// and assertions on the option dictionaries a translation produced. The
// dictionaries are walked, never searched with g_variant_lookup (see
// profile.h: they may hold secrets).
#pragma once

#include <glib.h>

// NULL for NULL; otherwise "k=v|k=v" as a table of char* -> char*.
GHashTable* profile_table_from(const char* text);

// The value of option `key` in an a{sv}, or NULL.
GVariant* profile_option(GVariant* dictionary, const char* key);

// Every entry of `expected_text` (GVariant text of an a{sv}; NULL: nothing
// to check) is in `actual` with an equal value. A bytestring b'k' stands for
// the bytes without the NUL GVariant text adds.
void assert_profile_entries(GVariant* actual, const char* expected_text);

// The translation failed with `code`, its message starting with "key: ".
void assert_profile_refused(gboolean ok, const GError* error, gint code, const char* key);

// Each of the '|'-separated `keys` (NULL: none) is in `actual`, or absent.
void assert_profile_keys(GVariant* actual, const char* keys, gboolean present);
