#include "editor_fields.h"

#include <NetworkManager.h>
#include <nma-ui-utils.h>
#include <string.h>

#include "gtk_compat.h"
#include "keys.h"
#include "profile_choices.h"
#include "profile_rules.h"
#include "secret.h"

typedef enum {
  FIELD_TEXT,         // a GtkEntry; empty removes the key
  FIELD_SECRET,       // a GtkEntry with libnma's password-storage menu; the key is a secret
  FIELD_CHECK,        // a GtkCheckButton: "yes", or the key removed
  FIELD_ALLOW,        // a GtkCheckButton that allows what the key refuses ("refuse-pap")
  FIELD_NUMBER,       // a GtkSpinButton
  FIELD_CHOICE,       // a GtkComboBoxText whose active id is the value
  FIELD_MPPE,         // the MPPE combo box: three keys (profile_choices.h)
  FIELD_IKE_VERSION,  // a combo box of "1" and "2": ipsec-ikev2
  FIELD_REMOTE_ID,    // a GtkEntry: ipsec-remote-id, or the older ipsec-gateway-id
} FieldKind;

typedef struct {
  const char* key;
  const char* widget;  // the GtkBuilder id
  FieldKind kind;
  const char* fallback;  // what a choice shows when the profile has no value
} Field;

static const Field kFields[] = {
    {L2TPBUS_KEY_GATEWAY, "gateway", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_USER, "user", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_PASSWORD, "password", FIELD_SECRET, NULL},
    {L2TPBUS_KEY_DOMAIN, "domain", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_REFUSE_PAP, "allow_pap", FIELD_ALLOW, NULL},
    {L2TPBUS_KEY_REFUSE_CHAP, "allow_chap", FIELD_ALLOW, NULL},
    {L2TPBUS_KEY_REFUSE_MSCHAP, "allow_mschap", FIELD_ALLOW, NULL},
    {L2TPBUS_KEY_REFUSE_MSCHAPV2, "allow_mschapv2", FIELD_ALLOW, NULL},
    {L2TPBUS_KEY_REFUSE_EAP, "allow_eap", FIELD_ALLOW, NULL},
    {L2TPBUS_KEY_REQUIRE_MPPE, "mppe", FIELD_MPPE, NULL},
    {L2TPBUS_KEY_MPPE_STATEFUL, "mppe_stateful", FIELD_CHECK, NULL},
    {L2TPBUS_KEY_LCP_ECHO_INTERVAL, "lcp_echo_interval", FIELD_NUMBER, NULL},
    {L2TPBUS_KEY_LCP_ECHO_FAILURE, "lcp_echo_failure", FIELD_NUMBER, NULL},
    {L2TPBUS_KEY_MTU, "mtu", FIELD_NUMBER, NULL},
    {L2TPBUS_KEY_MRU, "mru", FIELD_NUMBER, NULL},
    {L2TPBUS_KEY_IPSEC_ENABLED, "ipsec_enabled", FIELD_CHECK, NULL},
    {L2TPBUS_KEY_MACHINE_AUTH_TYPE, "machine_auth_type", FIELD_CHOICE, "psk"},
    {L2TPBUS_KEY_IPSEC_PSK, "ipsec_psk", FIELD_SECRET, NULL},
    {L2TPBUS_KEY_MACHINE_CA, "machine_ca", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_MACHINE_CERT, "machine_cert", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_MACHINE_KEY, "machine_key", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_MACHINE_CERTPASS, "machine_certpass", FIELD_SECRET, NULL},
    {L2TPBUS_KEY_IPSEC_REMOTE_ID, "ipsec_remote_id", FIELD_REMOTE_ID, NULL},
    {L2TPBUS_KEY_IPSEC_GROUP_NAME, "ipsec_group_name", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_IPSEC_IKEV2, "ipsec_ike_version", FIELD_IKE_VERSION, NULL},
    {L2TPBUS_KEY_IPSEC_IKE, "ipsec_ike", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_IPSEC_ESP, "ipsec_esp", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_IPSEC_IKELIFETIME, "ipsec_ikelifetime", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_IPSEC_SALIFETIME, "ipsec_salifetime", FIELD_TEXT, NULL},
    {L2TPBUS_KEY_IPSEC_FORCEENCAPS, "ipsec_forceencaps", FIELD_CHECK, NULL},
    {L2TPBUS_KEY_IPSEC_PFS, "ipsec_pfs", FIELD_CHECK, NULL},
};

// Keys shown by a field whose own key is another one.
static const struct {
  const char* key;
  const char* widget;
} kAliases[] = {
    {L2TPBUS_KEY_REQUIRE_MPPE_40, "mppe"},
    {L2TPBUS_KEY_REQUIRE_MPPE_128, "mppe"},
    {L2TPBUS_KEY_IPSEC_GATEWAY_ID, "ipsec_remote_id"},
    {L2TPBUS_KEY_PASSWORD_FLAGS, "password"},
    {L2TPBUS_KEY_IPSEC_PSK_FLAGS, "ipsec_psk"},
    {L2TPBUS_KEY_MACHINE_CERTPASS_FLAGS, "machine_certpass"},
};

static GtkWidget* widget_of(GtkBuilder* builder, const Field* field) {
  GtkWidget* widget = GTK_WIDGET(gtk_builder_get_object(builder, field->widget));
  g_assert(widget != NULL);  // the table and the .ui are one piece of work
  return widget;
}

static void set_or_remove(GHashTable* table, const char* key, const char* value) {
  if (value != NULL && value[0] != '\0') {
    g_hash_table_replace(table, g_strdup(key), g_strdup(value));
  } else {
    g_hash_table_remove(table, key);
  }
}

static char* flags_key(const char* secret_key) {
  return g_strdup_printf("%s-flags", secret_key);
}

// `loaded` owns keys and values, so a marker key gets a value of its own.
static void mark_absent(GHashTable* loaded, const char* key) {
  g_hash_table_replace(loaded, g_strdup_printf("%s/absent", key), g_strdup(""));
}

static void load_field(const Field* field, GtkWidget* widget, GHashTable* data, GHashTable* secrets,
                       NMSetting* setting, GHashTable* loaded) {
  const char* value = l2tpbus_profile_lookup(data, field->key);
  switch (field->kind) {
    case FIELD_TEXT:
      compat_entry_set_text(widget, value);
      break;
    case FIELD_REMOTE_ID:
      compat_entry_set_text(widget, l2tpbus_remote_id_read(data));
      break;
    case FIELD_SECRET: {
      compat_entry_set_text(widget, l2tpbus_profile_lookup(secrets, field->key));
      g_autofree char* flags_name = flags_key(field->key);
      guint flags = 0;
      const char* flags_text = l2tpbus_profile_lookup(data, flags_name);
      if (flags_text == NULL ||
          !l2tpbus_profile_parse_number(flags_text, 0, L2TPBUS_MAX_SECRET_FLAGS, &flags)) {
        flags = NM_SETTING_SECRET_FLAG_NONE;
      }
      // The menu is made once; later loads (a dialog's Cancel) only move it.
      if (g_object_get_data(G_OBJECT(widget), "l2tpbus-storage") == NULL) {
        nma_utils_setup_password_storage(widget, (NMSettingSecretFlags)flags, setting, field->key,
                                         TRUE, FALSE);
        g_object_set_data(G_OBJECT(widget), "l2tpbus-storage", GINT_TO_POINTER(1));
      } else {
        nma_utils_update_password_storage(widget, (NMSettingSecretFlags)flags, setting, field->key);
      }
      break;
    }
    case FIELD_CHECK:
      compat_check_set_active(widget, l2tpbus_profile_is_yes(data, field->key));
      break;
    case FIELD_ALLOW:
      compat_check_set_active(widget, !l2tpbus_profile_is_yes(data, field->key));
      break;
    case FIELD_NUMBER: {
      guint number = 0;
      if (value != NULL && l2tpbus_profile_parse_number(value, 0, G_MAXUINT32, &number)) {
        gtk_spin_button_set_value(GTK_SPIN_BUTTON(widget), number);
      }
      // What the user did not touch is not written (see store_field).
      g_hash_table_replace(loaded, g_strdup(field->key),
                           g_strdup(value != NULL ? value : compat_spin_text(widget)));
      if (value == NULL) mark_absent(loaded, field->key);
      break;
    }
    case FIELD_CHOICE:
      if (value == NULL || !gtk_combo_box_set_active_id(GTK_COMBO_BOX(widget), value)) {
        gtk_combo_box_set_active_id(GTK_COMBO_BOX(widget), field->fallback);
      }
      if (value == NULL) mark_absent(loaded, field->key);
      break;
    case FIELD_MPPE:
      gtk_combo_box_set_active_id(GTK_COMBO_BOX(widget),
                                  l2tpbus_mppe_choice_id(l2tpbus_mppe_choice_read(data)));
      break;
    case FIELD_IKE_VERSION:
      gtk_combo_box_set_active_id(GTK_COMBO_BOX(widget),
                                  l2tpbus_profile_is_yes(data, field->key) ? "2" : "1");
      break;
  }
}

void l2tpbus_editor_fields_load(GtkBuilder* builder, GHashTable* data, GHashTable* secrets,
                                NMSetting* setting, GHashTable* loaded) {
  g_hash_table_remove_all(loaded);
  for (gsize i = 0; i < G_N_ELEMENTS(kFields); i++) {
    load_field(&kFields[i], widget_of(builder, &kFields[i]), data, secrets, setting, loaded);
  }
  l2tpbus_editor_fields_update_sensitivity(builder);
}

static gboolean was_absent(GHashTable* loaded, const char* key) {
  g_autofree char* marker = g_strdup_printf("%s/absent", key);
  return g_hash_table_contains(loaded, marker);
}

static void store_secret(const Field* field, GtkWidget* widget, GHashTable* data,
                         GHashTable* secrets) {
  const NMSettingSecretFlags flags = nma_utils_menu_to_secret_flags(widget);
  g_autofree char* flags_name = flags_key(field->key);
  if (flags == NM_SETTING_SECRET_FLAG_NONE) {
    g_hash_table_remove(data, flags_name);
  } else {
    g_hash_table_replace(data, g_strdup(flags_name), g_strdup_printf("%u", (guint)flags));
  }
  const char* text = compat_entry_text(widget);
  const gboolean kept =
      (flags & (NM_SETTING_SECRET_FLAG_NOT_SAVED | NM_SETTING_SECRET_FLAG_NOT_REQUIRED)) == 0;
  if (kept && text[0] != '\0') {
    g_hash_table_replace(secrets, g_strdup(field->key), g_strdup(text));
  } else {
    g_hash_table_remove(secrets, field->key);
  }
}

static void store_field(const Field* field, GtkWidget* widget, GHashTable* loaded, GHashTable* data,
                        GHashTable* secrets) {
  switch (field->kind) {
    case FIELD_TEXT:
      set_or_remove(data, field->key, compat_entry_text(widget));
      break;
    case FIELD_REMOTE_ID:
      l2tpbus_remote_id_write(compat_entry_text(widget), data);
      break;
    case FIELD_SECRET:
      store_secret(field, widget, data, secrets);
      break;
    case FIELD_CHECK:
      set_or_remove(data, field->key, compat_check_active(widget) ? "yes" : NULL);
      break;
    case FIELD_ALLOW:
      set_or_remove(data, field->key, compat_check_active(widget) ? NULL : "yes");
      break;
    case FIELD_NUMBER: {
      // The text, not the value: what is typed is judged before the spin
      // button clamps it, so an MTU of 99999 is refused, not silently 1500.
      const char* text = compat_spin_text(widget);
      const char* before = g_hash_table_lookup(loaded, field->key);
      if (!was_absent(loaded, field->key) || g_strcmp0(before, text) != 0) {
        set_or_remove(data, field->key, text);
      }
      break;
    }
    case FIELD_CHOICE: {
      const char* id = gtk_combo_box_get_active_id(GTK_COMBO_BOX(widget));
      if (!was_absent(loaded, field->key) || g_strcmp0(id, field->fallback) != 0) {
        set_or_remove(data, field->key, id);
      }
      break;
    }
    case FIELD_MPPE:
      l2tpbus_mppe_choice_write(
          l2tpbus_mppe_choice_from_id(gtk_combo_box_get_active_id(GTK_COMBO_BOX(widget))), data);
      break;
    case FIELD_IKE_VERSION:
      set_or_remove(
          data, field->key,
          g_strcmp0(gtk_combo_box_get_active_id(GTK_COMBO_BOX(widget)), "2") == 0 ? "yes" : NULL);
      break;
  }
}

void l2tpbus_editor_fields_store(GtkBuilder* builder, GHashTable* loaded, GHashTable* data,
                                 GHashTable* secrets) {
  for (gsize i = 0; i < G_N_ELEMENTS(kFields); i++) {
    store_field(&kFields[i], widget_of(builder, &kFields[i]), loaded, data, secrets);
  }
}

GtkWidget* l2tpbus_editor_fields_widget(GtkBuilder* builder, const char* key) {
  if (key == NULL) return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(kFields); i++) {
    if (strcmp(kFields[i].key, key) == 0) return widget_of(builder, &kFields[i]);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(kAliases); i++) {
    if (strcmp(kAliases[i].key, key) == 0) {
      return GTK_WIDGET(gtk_builder_get_object(builder, kAliases[i].widget));
    }
  }
  return NULL;
}

void l2tpbus_editor_fields_watch(GtkBuilder* builder, GCallback on_changed, gpointer user_data) {
  for (gsize i = 0; i < G_N_ELEMENTS(kFields); i++) {
    GtkWidget* widget = widget_of(builder, &kFields[i]);
    const char* signal = NULL;
    switch (kFields[i].kind) {
      case FIELD_TEXT:
      case FIELD_SECRET:
      case FIELD_REMOTE_ID:
      case FIELD_NUMBER:
        signal = COMPAT_TEXT_CHANGED_SIGNAL;
        break;
      case FIELD_CHECK:
      case FIELD_ALLOW:
        signal = "toggled";
        break;
      case FIELD_CHOICE:
      case FIELD_MPPE:
      case FIELD_IKE_VERSION:
        signal = "changed";
        break;
    }
    g_signal_connect_swapped(widget, signal, on_changed, user_data);
  }
}

static void set_sensitive(GtkBuilder* builder, const char* const* ids, gboolean sensitive) {
  for (gsize i = 0; ids[i] != NULL; i++) {
    GtkWidget* widget = GTK_WIDGET(gtk_builder_get_object(builder, ids[i]));
    if (widget != NULL) gtk_widget_set_sensitive(widget, sensitive);
  }
}

void l2tpbus_editor_fields_update_sensitivity(GtkBuilder* builder) {
  static const char* const kIpsec[] = {"machine_auth_type",
                                       "machine_auth_type_label",
                                       "ipsec_remote_id",
                                       "ipsec_remote_id_label",
                                       "ipsec_ike_version",
                                       "ipsec_ike_version_label",
                                       "ipsec_ike",
                                       "ipsec_ike_label",
                                       "ipsec_esp",
                                       "ipsec_esp_label",
                                       "ipsec_ikelifetime",
                                       "ipsec_ikelifetime_label",
                                       "ipsec_salifetime",
                                       "ipsec_salifetime_label",
                                       "ipsec_forceencaps",
                                       "ipsec_pfs",
                                       NULL};
  static const char* const kPsk[] = {"ipsec_psk", "ipsec_psk_label", "ipsec_group_name",
                                     "ipsec_group_name_label", NULL};
  static const char* const kTls[] = {
      "machine_ca",       "machine_ca_label",       "machine_ca_choose",
      "machine_cert",     "machine_cert_label",     "machine_cert_choose",
      "machine_key",      "machine_key_label",      "machine_key_choose",
      "machine_certpass", "machine_certpass_label", NULL};
  static const char* const kStateful[] = {"mppe_stateful", NULL};
  const gboolean ipsec =
      compat_check_active(GTK_WIDGET(gtk_builder_get_object(builder, "ipsec_enabled")));
  const gboolean tls = g_strcmp0(gtk_combo_box_get_active_id(GTK_COMBO_BOX(
                                     gtk_builder_get_object(builder, "machine_auth_type"))),
                                 "tls") == 0;
  set_sensitive(builder, kIpsec, ipsec);
  set_sensitive(builder, kPsk, ipsec && !tls);
  set_sensitive(builder, kTls, ipsec && tls);
  set_sensitive(
      builder, kStateful,
      g_strcmp0(gtk_combo_box_get_active_id(GTK_COMBO_BOX(gtk_builder_get_object(builder, "mppe"))),
                "off") != 0);
}
