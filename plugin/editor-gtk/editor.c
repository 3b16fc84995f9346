// The l2tpbus VPN editor (NMVpnEditor): the page GNOME Settings and
// nm-connection-editor show for an l2tpbus profile, with its PPP and IPsec
// dialogs. Built twice from these sources, against GTK 3 + libnma and GTK 4 +
// libnma-gtk4; editor_plugin.c loads the one that matches the process.
//
// Every edit runs the service's own profile check (plugin/common/profile.h)
// on what the widgets say: the message goes beside the field it names, the
// editor says "changed", and update_connection fails with that error, which
// keeps the host's Save button insensitive.
#include <NetworkManager.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "editor_fields.h"
#include "gtk_compat.h"
#include "keys.h"
#include "profile.h"
#include "profile_choices.h"
#include "profile_setting.h"
#include "secret.h"

#define RESOURCE_PATH "/org/l2tpbus/editor/l2tpbus-editor.ui"

typedef enum { PAGE_MAIN, PAGE_PPP, PAGE_IPSEC, PAGE_COUNT } PageIndex;

static const char* const kPageIds[PAGE_COUNT] = {"main_page", "ppp_page", "ipsec_page"};

// Labels, fields and the certificates' "Choose…" buttons take columns 0 to 2.
enum { kErrorColumn = 3 };

#define L2TPBUS_TYPE_EDITOR (l2tpbus_editor_get_type())
G_DECLARE_FINAL_TYPE(L2tpbusEditor, l2tpbus_editor, L2TPBUS, EDITOR, GObject)

struct _L2tpbusEditor {
  GObject parent;
  GtkBuilder* builder;
  GtkWidget* pages[PAGE_COUNT];         // referenced: the dialogs' pages move in and out
  GtkWidget* error_labels[PAGE_COUNT];  // one per page, moved beside the field it is about
  NMSettingVpn* setting;                // the profile's, where the storage menus keep flags
  GHashTable* data;                     // the profile's vpn.data, for the keys not shown
  GHashTable* loaded;                   // editor_fields.h
  gboolean loading;                     // setting widgets from a table: no "changed"
  gboolean edited;                      // since the editor was made
  GtkWidget* invalid_field;             // the field marked with the "error" style
  GtkWidget* dialog;                    // the open PPP or IPsec dialog, if any
  PageIndex dialog_page;
  GHashTable* snapshot_data;  // what the dialog's Cancel goes back to
  GHashTable* snapshot_secrets;
};

static void editor_interface_init(NMVpnEditorInterface* iface);

G_DEFINE_TYPE_WITH_CODE(L2tpbusEditor, l2tpbus_editor, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(NM_TYPE_VPN_EDITOR, editor_interface_init))

static GHashTable* string_table_new(void) {
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

// vpn.data and vpn.secrets as the widgets say: the profile's other keys kept.
static void current_profile(L2tpbusEditor* self, GHashTable** data, GHashTable** secrets) {
  *data = string_table_new();
  GHashTableIter iter;
  gpointer key = NULL, value = NULL;
  g_hash_table_iter_init(&iter, self->data);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    g_hash_table_replace(*data, g_strdup(key), g_strdup(value));
  }
  *secrets = l2tpbus_secret_table_new();
  l2tpbus_editor_fields_store(self->builder, self->loaded, *data, *secrets);
}

static PageIndex page_of(L2tpbusEditor* self, GtkWidget* widget) {
  for (int i = 0; i < PAGE_COUNT; i++) {
    if (gtk_widget_is_ancestor(widget, self->pages[i])) return (PageIndex)i;
  }
  return PAGE_MAIN;
}

// The field's name as its label shows it (without the mnemonic underline).
static const char* field_name(GtkWidget* field) {
  GList* labels = gtk_widget_list_mnemonic_labels(field);
  const char* name = labels != NULL ? gtk_label_get_text(GTK_LABEL(labels->data)) : NULL;
  g_list_free(labels);
  if (name == NULL && GTK_IS_BUTTON(field)) name = gtk_button_get_label(GTK_BUTTON(field));
  return name;
}

static void hide_error(L2tpbusEditor* self, PageIndex page) {
  gtk_label_set_text(GTK_LABEL(self->error_labels[page]), "");
  gtk_widget_set_visible(self->error_labels[page], FALSE);
}

// Puts `page`'s error label in the column after `beside`, on its row.
static void show_error(L2tpbusEditor* self, PageIndex page, GtkWidget* beside, const char* text) {
  GtkWidget* grid = self->pages[page];
  GtkWidget* label = self->error_labels[page];
  int column = 0, row = 0;
  compat_grid_position(grid, beside, &column, &row);
  g_object_ref(label);
  compat_grid_remove(grid, label);
  gtk_grid_attach(GTK_GRID(grid), label, kErrorColumn, row, 1, 1);
  g_object_unref(label);
  gtk_label_set_text(GTK_LABEL(label), text);
  gtk_widget_set_visible(label, TRUE);
}

// The message without its leading "key: ", which the field beside it says.
static const char* message_of(const GError* error, const char* key) {
  const gsize length = key != NULL ? strlen(key) : 0;
  if (length > 0 && strncmp(error->message, key, length) == 0 && error->message[length] == ':') {
    return error->message + length + 1 + (error->message[length + 1] == ' ');
  }
  return error->message;
}

// Red for the eye, and the message for a screen reader (NULL: valid again).
static void mark_invalid(GtkWidget* field, const char* message) {
  if (message != NULL) {
    compat_add_css_class(field, "error");
  } else {
    compat_remove_css_class(field, "error");
  }
  compat_set_accessible_error(field, message);
}

// Runs the profile check on the widgets and shows its verdict. FALSE, with
// the check's error, when the profile is not one the service would take.
static gboolean validate(L2tpbusEditor* self, GError** error) {
  GHashTable* data = NULL;
  GHashTable* secrets = NULL;
  current_profile(self, &data, &secrets);
  L2tpbusProfile profile = {.data = data, .secrets = secrets};
  g_autoptr(GError) local_error = NULL;
  const gboolean valid = l2tpbus_profile_check(&profile, &local_error);
  g_hash_table_unref(data);
  g_hash_table_unref(secrets);

  for (int i = 0; i < PAGE_COUNT; i++) hide_error(self, (PageIndex)i);
  if (self->invalid_field != NULL) mark_invalid(self->invalid_field, NULL);
  self->invalid_field = NULL;
  if (self->dialog != NULL) {
    gtk_dialog_set_response_sensitive(GTK_DIALOG(self->dialog), GTK_RESPONSE_OK, TRUE);
  }
  if (valid) return TRUE;

  const char* key = l2tpbus_profile_error_key(local_error);
  GtkWidget* field = l2tpbus_editor_fields_widget(self->builder, key);
  const char* message = message_of(local_error, key);
  // A new profile's empty gateway is "missing", and saying so before the
  // user has typed anything would only scold; Save stays off all the same.
  const gboolean quiet = !self->edited && g_error_matches(local_error, L2TPBUS_PROFILE_ERROR,
                                                          L2TPBUS_PROFILE_ERROR_MISSING);
  if (field != NULL && !quiet) {
    const PageIndex page = page_of(self, field);
    mark_invalid(field, message);
    self->invalid_field = field;
    show_error(self, page, field, message);
    if (page != PAGE_MAIN) {
      // On the main page, beside the button of the dialog that has the field.
      g_autofree char* text = g_strdup_printf("%s: %s", field_name(field), message);
      show_error(self, PAGE_MAIN,
                 GTK_WIDGET(gtk_builder_get_object(self->builder, "dialog_buttons")), text);
      if (self->dialog != NULL && self->dialog_page == page) {
        gtk_dialog_set_response_sensitive(GTK_DIALOG(self->dialog), GTK_RESPONSE_OK, FALSE);
      }
    }
  } else if (!quiet) {
    show_error(self, PAGE_MAIN, GTK_WIDGET(gtk_builder_get_object(self->builder, "dialog_buttons")),
               local_error->message);
  }
  g_propagate_error(error, g_steal_pointer(&local_error));
  return FALSE;
}

static void on_field_changed(L2tpbusEditor* self) {
  if (self->loading) return;
  self->edited = TRUE;
  l2tpbus_editor_fields_update_sensitivity(self->builder);
  validate(self, NULL);
  g_signal_emit_by_name(self, "changed");
}

static void load(L2tpbusEditor* self, GHashTable* data, GHashTable* secrets) {
  self->loading = TRUE;
  l2tpbus_editor_fields_load(self->builder, data, secrets, NM_SETTING(self->setting), self->loaded);
  self->loading = FALSE;
}

// ---- the PPP and IPsec dialogs --------------------------------------------------------

static void close_dialog(L2tpbusEditor* self) {
  if (self->dialog == NULL) return;
  GtkWidget* dialog = self->dialog;
  self->dialog = NULL;
  GtkWidget* page = self->pages[self->dialog_page];
  if (gtk_widget_get_parent(page) != NULL) {
    compat_box_remove(gtk_widget_get_parent(page), page);
  }
  g_clear_pointer(&self->snapshot_data, g_hash_table_unref);
  g_clear_pointer(&self->snapshot_secrets, g_hash_table_unref);
  // GTK 4 lets go of the parent only when the dialog is finalized, which a
  // reference elsewhere (an accessibility tool's) can put after the
  // parent's own end.
  gtk_window_set_transient_for(GTK_WINDOW(dialog), NULL);
  compat_window_destroy(dialog);
}

static void on_dialog_response(GtkDialog* dialog, int response, L2tpbusEditor* self) {
  (void)dialog;
  if (response != GTK_RESPONSE_OK) load(self, self->snapshot_data, self->snapshot_secrets);
  close_dialog(self);
  validate(self, NULL);
  g_signal_emit_by_name(self, "changed");
}

// The host destroyed the dialog with its window (GTK_DIALOG_DESTROY_WITH_PARENT).
static void on_dialog_destroyed(GtkWidget* dialog, L2tpbusEditor* self) {
  if (self->dialog != dialog) return;
  GtkWidget* page = self->pages[self->dialog_page];
  if (gtk_widget_get_parent(page) != NULL) compat_box_remove(gtk_widget_get_parent(page), page);
  self->dialog = NULL;
}

static void open_dialog(L2tpbusEditor* self, PageIndex page, const char* name, const char* title) {
  if (self->dialog != NULL) return;
  self->snapshot_data = string_table_new();
  self->snapshot_secrets = l2tpbus_secret_table_new();
  l2tpbus_editor_fields_store(self->builder, self->loaded, self->snapshot_data,
                              self->snapshot_secrets);
  GtkWidget* dialog = gtk_dialog_new_with_buttons(
      title, compat_toplevel_window(self->pages[PAGE_MAIN]),
      GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, dgettext(GETTEXT_PACKAGE, "_Cancel"),
      GTK_RESPONSE_CANCEL, dgettext(GETTEXT_PACKAGE, "_OK"), GTK_RESPONSE_OK, NULL);
  // Tests and accessibility tools find the dialog by this name.
  gtk_widget_set_name(dialog, name);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
  compat_box_append(gtk_dialog_get_content_area(GTK_DIALOG(dialog)), self->pages[page]);
  self->dialog = dialog;
  self->dialog_page = page;
  g_signal_connect(dialog, "response", G_CALLBACK(on_dialog_response), self);
  g_signal_connect(dialog, "destroy", G_CALLBACK(on_dialog_destroyed), self);
  validate(self, NULL);
  compat_window_present(dialog);
}

static void on_ppp_clicked(L2tpbusEditor* self) {
  open_dialog(self, PAGE_PPP, "ppp_dialog", dgettext(GETTEXT_PACKAGE, "PPP Settings"));
}

static void on_ipsec_clicked(L2tpbusEditor* self) {
  open_dialog(self, PAGE_IPSEC, "ipsec_dialog", dgettext(GETTEXT_PACKAGE, "IPsec Settings"));
}

// ---- passwords shown, files chosen ---------------------------------------------------

static void on_show_passwords_toggled(L2tpbusEditor* self) {
  static const char* const kSecretFields[] = {"password", "ipsec_psk", "machine_certpass"};
  const gboolean shown =
      compat_check_active(GTK_WIDGET(gtk_builder_get_object(self->builder, "show_password")));
  for (gsize i = 0; i < G_N_ELEMENTS(kSecretFields); i++) {
    gtk_entry_set_visibility(GTK_ENTRY(gtk_builder_get_object(self->builder, kSecretFields[i])),
                             shown);
  }
}

static void on_file_chosen(GtkNativeDialog* chooser, int response, GtkWidget* entry) {
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(chooser));
    g_autofree char* path = file != NULL ? g_file_get_path(file) : NULL;
    // Only a local file: the service reads it by path (a URI is refused there).
    if (path != NULL) compat_entry_set_text(entry, path);
  }
  g_object_unref(chooser);
}

static void on_choose_clicked(GtkWidget* button, GtkWidget* entry) {
  g_autofree char* title = compat_tooltip_text(button);
  GtkFileChooserNative* chooser = gtk_file_chooser_native_new(
      title, compat_toplevel_window(button), GTK_FILE_CHOOSER_ACTION_OPEN,
      dgettext(GETTEXT_PACKAGE, "_Open"), dgettext(GETTEXT_PACKAGE, "_Cancel"));
  GtkFileFilter* certificates = gtk_file_filter_new();
  gtk_file_filter_set_name(certificates,
                           dgettext(GETTEXT_PACKAGE, "Certificates and keys (PEM, DER, PKCS#12)"));
  static const char* const kPatterns[] = {"*.pem", "*.crt", "*.cer", "*.der",
                                          "*.key", "*.p12", "*.pfx"};
  for (gsize i = 0; i < G_N_ELEMENTS(kPatterns); i++) {
    gtk_file_filter_add_pattern(certificates, kPatterns[i]);
  }
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(chooser), certificates);
  GtkFileFilter* everything = gtk_file_filter_new();
  gtk_file_filter_set_name(everything, dgettext(GETTEXT_PACKAGE, "All files"));
  gtk_file_filter_add_pattern(everything, "*");
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(chooser), everything);
  const char* current = compat_entry_text(entry);
  if (g_path_is_absolute(current)) {
    g_autoptr(GFile) file = g_file_new_for_path(current);
    gtk_file_chooser_set_file(GTK_FILE_CHOOSER(chooser), file, NULL);
  }
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(chooser), TRUE);
  // The entry outlives a chooser left open while the editor goes.
  g_signal_connect_data(chooser, "response", G_CALLBACK(on_file_chosen), g_object_ref(entry),
                        (GClosureNotify)(void (*)(void))g_object_unref, 0);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

static void connect_file_choosers(GtkBuilder* builder) {
  static const char* const kFileFields[] = {"machine_ca", "machine_cert", "machine_key"};
  for (gsize i = 0; i < G_N_ELEMENTS(kFileFields); i++) {
    GtkWidget* entry = GTK_WIDGET(gtk_builder_get_object(builder, kFileFields[i]));
    g_autofree char* id = g_strdup_printf("%s_choose", kFileFields[i]);
    GtkWidget* button = GTK_WIDGET(gtk_builder_get_object(builder, id));
    // Three buttons say "Choose…": a screen reader says which.
    g_autofree char* tooltip = compat_tooltip_text(button);
    compat_set_accessible_name(button, tooltip);
    g_signal_connect(button, "clicked", G_CALLBACK(on_choose_clicked), entry);
  }
}

// ---- NMVpnEditor ----------------------------------------------------------------------

static GObject* get_widget(NMVpnEditor* editor) {
  return G_OBJECT(L2TPBUS_EDITOR(editor)->pages[PAGE_MAIN]);
}

static gboolean update_connection(NMVpnEditor* editor, NMConnection* connection, GError** error) {
  L2tpbusEditor* self = L2TPBUS_EDITOR(editor);
  if (!validate(self, error)) return FALSE;
  GHashTable* data = NULL;
  GHashTable* secrets = NULL;
  current_profile(self, &data, &secrets);
  NMSettingVpn* setting = NM_SETTING_VPN(nm_setting_vpn_new());
  g_object_set(setting, NM_SETTING_VPN_SERVICE_TYPE, L2TPBUS_NM_SERVICE, NULL);
  GHashTableIter iter;
  gpointer key = NULL, value = NULL;
  g_hash_table_iter_init(&iter, data);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    nm_setting_vpn_add_data_item(setting, key, value);
  }
  g_hash_table_iter_init(&iter, secrets);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    nm_setting_vpn_add_secret(setting, key, value);
  }
  g_hash_table_unref(data);
  g_hash_table_unref(secrets);
  nm_connection_add_setting(connection, NM_SETTING(setting));
  return TRUE;
}

static void editor_interface_init(NMVpnEditorInterface* iface) {
  iface->get_widget = get_widget;
  iface->update_connection = update_connection;
}

static void l2tpbus_editor_init(L2tpbusEditor* self) {
  self->loaded = string_table_new();
}

static void dispose(GObject* object) {
  L2tpbusEditor* self = L2TPBUS_EDITOR(object);
  close_dialog(self);
  for (int i = 0; i < PAGE_COUNT; i++) g_clear_object(&self->pages[i]);
  g_clear_object(&self->builder);
  g_clear_object(&self->setting);
  G_OBJECT_CLASS(l2tpbus_editor_parent_class)->dispose(object);
}

static void finalize(GObject* object) {
  L2tpbusEditor* self = L2TPBUS_EDITOR(object);
  g_clear_pointer(&self->data, g_hash_table_unref);
  g_clear_pointer(&self->loaded, g_hash_table_unref);
  G_OBJECT_CLASS(l2tpbus_editor_parent_class)->finalize(object);
}

static void l2tpbus_editor_class_init(L2tpbusEditorClass* klass) {
  G_OBJECT_CLASS(klass)->dispose = dispose;
  G_OBJECT_CLASS(klass)->finalize = finalize;
}

static GtkWidget* new_error_label(const char* name) {
  GtkWidget* label = gtk_label_new(NULL);
  gtk_widget_set_name(label, name);
  gtk_label_set_xalign(GTK_LABEL(label), 0);
  compat_label_set_wrap(label, TRUE);
  gtk_label_set_max_width_chars(GTK_LABEL(label), 40);
  compat_add_css_class(label, "error");
  gtk_widget_set_visible(label, FALSE);
  return label;
}

// What editor_plugin.c calls (the one symbol this library exports).
G_MODULE_EXPORT NMVpnEditor* nm_vpn_editor_factory_l2tpbus(NMVpnEditorPlugin* plugin,
                                                           NMConnection* connection,
                                                           GError** error) {
  (void)plugin;
  g_return_val_if_fail(NM_IS_CONNECTION(connection), NULL);
  if (gdk_display_get_default() == NULL) {
    g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                        dgettext(GETTEXT_PACKAGE, "the l2tpbus editor needs a display"));
    return NULL;
  }
  L2tpbusEditor* self = g_object_new(L2TPBUS_TYPE_EDITOR, NULL);
  self->builder = gtk_builder_new();
  gtk_builder_set_translation_domain(self->builder, GETTEXT_PACKAGE);
  if (!gtk_builder_add_from_resource(self->builder, RESOURCE_PATH, error)) {
    g_object_unref(self);
    return NULL;
  }
  for (int i = 0; i < PAGE_COUNT; i++) {
    // Ours, whoever else holds them: a dialog's page leaves it before it goes.
    self->pages[i] =
        GTK_WIDGET(g_object_ref_sink(gtk_builder_get_object(self->builder, kPageIds[i])));
    g_autofree char* name = g_strdup_printf("%s_error", kPageIds[i]);
    self->error_labels[i] = new_error_label(name);
    gtk_grid_attach(GTK_GRID(self->pages[i]), self->error_labels[i], kErrorColumn, 0, 1, 1);
  }
  NMSettingVpn* setting = nm_connection_get_setting_vpn(connection);
  self->setting = setting != NULL ? g_object_ref(setting) : NULL;
  GHashTable* secrets = NULL;
  l2tpbus_profile_tables_from_setting(setting, &self->data, &secrets);
  load(self, self->data, secrets);
  g_hash_table_unref(secrets);
  l2tpbus_editor_fields_watch(self->builder, G_CALLBACK(on_field_changed), self);
  g_signal_connect_swapped(gtk_builder_get_object(self->builder, "ppp_button"), "clicked",
                           G_CALLBACK(on_ppp_clicked), self);
  g_signal_connect_swapped(gtk_builder_get_object(self->builder, "ipsec_button"), "clicked",
                           G_CALLBACK(on_ipsec_clicked), self);
  g_signal_connect_swapped(gtk_builder_get_object(self->builder, "show_password"), "toggled",
                           G_CALLBACK(on_show_passwords_toggled), self);
  connect_file_choosers(self->builder);
  validate(self, NULL);
  return NM_VPN_EDITOR(self);
}
