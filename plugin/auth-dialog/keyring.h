// The connection's secrets as NetworkManager's desktop agents (nm-applet,
// GNOME Shell) save them in the user's keyring, through libsecret.
#pragma once

#include <glib.h>

G_BEGIN_DECLS

// The saved value of vpn.secrets' `key` for the connection `uuid`, as a copy
// freed with l2tpbus_secret_free; NULL when none is saved or no secret service
// answers. A locked keyring is unlocked (the service prompts) only with
// `allow_unlock`: without -i nothing may show on the screen.
char* l2tpbus_keyring_lookup(const char* uuid, const char* key, gboolean allow_unlock);

G_END_DECLS
