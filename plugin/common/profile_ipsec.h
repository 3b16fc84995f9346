// The IPsec part of the profile translation (issue 14): NetworkManager-l2tp's
// ipsec-* and machine-* keys onto l2tpbusd's Ipsec* tunnel options
// (doc/dbus-api.md). Nothing here acts unless ipsec-enabled is "yes".
#pragma once

#include <glib.h>

G_BEGIN_DECLS

// Every IPsec value that can be judged without secrets or files (so also at
// import, on another machine): FALSE with an error naming the key.
gboolean l2tpbus_ipsec_check(GHashTable* data, GError** error);

// Adds the Ipsec* options to `tunnel` (an a{sv} builder): the PSK, or the
// machine certificate's files read and decrypted. Secrets go into buffers
// wiped when the options are dropped (secret.h). Runs l2tpbus_ipsec_check
// first.
gboolean l2tpbus_ipsec_add_options(GHashTable* data, GHashTable* secrets, GVariantBuilder* tunnel,
                                   GError** error);

// Appends to `missing` (of const char*, static strings) ipsec-psk and/or
// machine-certpass when IPsec needs them and the secrets lack them. For the
// passphrase this reads machine-cert and machine-key, to see whether they
// are encrypted.
void l2tpbus_ipsec_add_missing_secrets(GHashTable* data, GHashTable* secrets, GPtrArray* missing);

G_END_DECLS
