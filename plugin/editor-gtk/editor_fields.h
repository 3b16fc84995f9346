// The editor's fields: which widget of l2tpbus-editor.ui shows which profile
// key, and moving values between the widgets and vpn.data / vpn.secrets.
// The widgets are the only state: a dialog's Cancel loads a snapshot back.
#pragma once

#include <NetworkManager.h>
#include <gtk/gtk.h>

G_BEGIN_DECLS

// Sets every field from `data` and `secrets` (either may be empty, never
// NULL); `setting` (may be NULL) is where libnma's password-storage menus
// read and keep the secret flags. Remembers in `loaded` (key -> text) what
// the number fields showed, so that an untouched default is not written.
void l2tpbus_editor_fields_load(GtkBuilder* builder, GHashTable* data, GHashTable* secrets,
                                NMSetting* setting, GHashTable* loaded);

// Writes every field into `data` (replacing or removing the keys the editor
// shows; other keys stay) and `secrets` (a table from
// l2tpbus_secret_table_new: the values are wiped when dropped). The secret
// flags go into `data` as "<key>-flags"; a secret whose flags say it is not
// saved is not written.
void l2tpbus_editor_fields_store(GtkBuilder* builder, GHashTable* loaded, GHashTable* data,
                                 GHashTable* secrets);

// The widget that shows `key` (NULL for a key the editor does not show).
GtkWidget* l2tpbus_editor_fields_widget(GtkBuilder* builder, const char* key);

// Calls `on_changed(user_data)` on every edit of every field.
void l2tpbus_editor_fields_watch(GtkBuilder* builder, GCallback on_changed, gpointer user_data);

// Greys out what the current choices make meaningless (the IPsec fields
// without IPsec; the PSK with certificates and the reverse; MPPE's stateful
// mode without MPPE).
void l2tpbus_editor_fields_update_sensitivity(GtkBuilder* builder);

G_END_DECLS
