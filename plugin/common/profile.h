// The translation of a NetworkManager profile into l2tpbusd's option
// dictionaries: a pure function (no bus, no files, no clock), so every key and
// every bad value is proven by a table in tests/unit/plugin.
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define L2TPBUS_PROFILE_ERROR (l2tpbus_profile_error_quark())
GQuark l2tpbus_profile_error_quark(void);

typedef enum {
  L2TPBUS_PROFILE_ERROR_UNKNOWN_KEY,
  L2TPBUS_PROFILE_ERROR_INVALID_VALUE,
  L2TPBUS_PROFILE_ERROR_MISSING,
  L2TPBUS_PROFILE_ERROR_UNSUPPORTED,
  // A secret the profile needs is not there: NetworkManager is to ask for it.
  L2TPBUS_PROFILE_ERROR_MISSING_SECRET,
} L2tpbusProfileError;

// What the translation reads: vpn.data and vpn.secrets (char* -> char*; either
// may be NULL for none) and the two facts it needs from the ipv4 and ipv6
// settings.
typedef struct {
  GHashTable* data;
  GHashTable* secrets;
  gboolean ignore_auto_dns;  // ipv4.ignore-auto-dns
  gboolean ipv6;             // ipv6.method is neither "ignore" nor "disabled"
} L2tpbusProfile;

// The daemon's options: `tunnel` for Manager.CreateTunnel, `session` for
// Tunnel.CreateSession (both a{sv}, owned by the caller). The session's
// Password is held in a buffer wiped when the last reference to `session`
// goes (see secret.h); nothing may search `session` (g_variant_lookup) or
// print it, as GLib then copies the whole dictionary, password and all, into
// memory of its own that it frees unwiped. `mtu` is the session's Mtu (0 for
// none) for that reason. `notes` lists, for the log, what the daemon cannot
// honour exactly and why that is safe.
typedef struct {
  GVariant* tunnel;
  GVariant* session;
  guint32 mtu;
  GPtrArray* notes;  // of char*
} L2tpbusRequest;

// FALSE with an L2TPBUS_PROFILE_ERROR whose message starts with the key
// ("gateway: ...") for an unknown key, a malformed value, a missing gateway or
// a feature that would silently weaken the connection (IPsec).
gboolean l2tpbus_profile_translate(const L2tpbusProfile* profile, L2tpbusRequest* out,
                                   GError** error);
void l2tpbus_request_clear(L2tpbusRequest* request);

// TRUE when the profile needs the PPP password and neither the secrets hold
// it nor password-flags says it is not required.
gboolean l2tpbus_profile_needs_password(GHashTable* data, GHashTable* secrets);

// The vpn.data keys a profile may hold, in a fixed order (NULL-terminated);
// `l2tpbus_profile_key_is_boolean` tells yes/no keys from the others.
const char* const* l2tpbus_profile_data_keys(void);
gboolean l2tpbus_profile_key_is_boolean(const char* key);

G_END_DECLS
