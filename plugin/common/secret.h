// The PPP password (and any other secret of a profile) in memory the plugin
// owns, wiped before that memory goes back to the allocator: a freed block
// still holding a password outlives the connection in the heap, in core
// dumps and in swap. NetworkManager's own copies are libnm's to wipe, and
// the bytes GDBus writes to the bus socket are GDBus's.
#pragma once

#include <glib.h>

G_BEGIN_DECLS

// Wipes a NUL-terminated string in place, then frees it (g_free); NULL is fine.
void l2tpbus_secret_free(gpointer text);

// char* -> char* for vpn.data and vpn.secrets read from a profile: keys and
// values are copies freed with g_free, the values wiped first.
GHashTable* l2tpbus_secret_table_new(void);

// A floating GVariant of type "s" holding a copy of `text` in a buffer of its
// own, wiped when the last reference to the variant (and so to any container
// it was added to, such as an a{sv} or a D-Bus call's arguments) is dropped.
// g_variant_new_string() would copy `text` into memory GLib frees unwiped.
GVariant* l2tpbus_secret_variant_new(const char* text);

// Bytes the plugin owns (an IPsec PSK, a decrypted private key), wiped when
// the last reference goes. `_take` adopts `bytes` (from g_malloc); the other
// copies them.
GBytes* l2tpbus_secret_bytes_new_take(gpointer bytes, gsize size);
GBytes* l2tpbus_secret_bytes_new(gconstpointer bytes, gsize size);

// A floating GVariant of type "ay" whose data is `bytes` itself (no copy of
// GLib's), so the wipe of `bytes` is the wipe of the variant's data.
GVariant* l2tpbus_secret_bytes_variant_new(GBytes* bytes);

// Test seam: `observer` sees every secret buffer just after it was wiped and
// just before it is freed (NULL: none, the default).
typedef void (*L2tpbusSecretWipeObserver)(const void* bytes, gsize size, gpointer user_data);
void l2tpbus_secret_set_wipe_observer(L2tpbusSecretWipeObserver observer, gpointer user_data);

G_END_DECLS
