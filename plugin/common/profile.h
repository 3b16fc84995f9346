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

// Everything that can be judged without secrets and files (so also at import,
// on another machine): FALSE with an L2TPBUS_PROFILE_ERROR whose message
// starts with the key ("gateway: ...") for an unknown key, a malformed value,
// a missing gateway or a feature l2tpbusd would silently weaken (IPComp).
gboolean l2tpbus_profile_check(const L2tpbusProfile* profile, GError** error);

// l2tpbus_profile_check, then the options. With IPsec on this reads the
// machine certificate's files (machine_credentials.h) and the tunnel options
// hold secrets too (IpsecPsk, IpsecPrivateKey): the same rules as for
// `session` apply to `tunnel`. A secret IPsec needs and the secrets lack is
// L2TPBUS_PROFILE_ERROR_MISSING_SECRET. The PPP password is not required
// here: see l2tpbus_profile_missing_secrets.
gboolean l2tpbus_profile_translate(const L2tpbusProfile* profile, L2tpbusRequest* out,
                                   GError** error);
void l2tpbus_request_clear(L2tpbusRequest* request);

// TRUE when the profile needs the PPP password and neither the secrets hold
// it nor password-flags says it is not required.
gboolean l2tpbus_profile_needs_password(GHashTable* data, GHashTable* secrets);

// The secrets the profile needs and the secrets lack, in a fixed order
// (password, ipsec-psk, machine-certpass), each unless its "-flags" data item
// says NOT_REQUIRED: the hints of SecretsRequired. NULL-terminated, the
// strings static; g_free the array. Reads machine-cert and machine-key with
// machine-auth-type tls, to see whether machine-certpass is needed.
const char** l2tpbus_profile_missing_secrets(GHashTable* data, GHashTable* secrets);

// The vpn.data keys a profile may hold, in a fixed order (NULL-terminated);
// `l2tpbus_profile_key_is_boolean` tells yes/no keys from the others.
const char* const* l2tpbus_profile_data_keys(void);
gboolean l2tpbus_profile_key_is_boolean(const char* key);
// A key of vpn.secrets (ipsec-psk may also be found in vpn.data, where
// NetworkManager-l2tp's older profiles keep it).
gboolean l2tpbus_profile_key_is_secret(const char* key);

G_END_DECLS
