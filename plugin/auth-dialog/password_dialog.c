// The dialog's entries hold what the user types in GTK's own buffers, which
// are GTK's to free; the plan's copies are ours and wiped.
#include "password_dialog.h"

#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>
#include <nma-vpn-password-dialog.h>

typedef void (*SetShown)(NMAVpnPasswordDialog*, gboolean);
typedef void (*SetText)(NMAVpnPasswordDialog*, const char*);
typedef const char* (*GetText)(NMAVpnPasswordDialog*);

// The dialog's three fields, filled in the plan's order.
typedef struct {
  SetShown set_shown;
  SetText set_label;
  SetText set_value;
  GetText get_value;
} Field;

static const Field kFields[L2TPBUS_AUTH_MAX_SECRETS] = {
    {nma_vpn_password_dialog_set_show_password, nma_vpn_password_dialog_set_password_label,
     nma_vpn_password_dialog_set_password, nma_vpn_password_dialog_get_password},
    {nma_vpn_password_dialog_set_show_password_secondary,
     nma_vpn_password_dialog_set_password_secondary_label,
     nma_vpn_password_dialog_set_password_secondary,
     nma_vpn_password_dialog_get_password_secondary},
    {nma_vpn_password_dialog_set_show_password_ternary,
     nma_vpn_password_dialog_set_password_ternary_label,
     nma_vpn_password_dialog_set_password_ternary, nma_vpn_password_dialog_get_password_ternary},
};

gboolean l2tpbus_password_dialog_run(L2tpbusAuthPlan* plan, GError** error) {
  if (!gtk_init_check(NULL, NULL)) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        dgettext(GETTEXT_PACKAGE, "cannot open a display for the password dialog"));
    return FALSE;
  }
  NMAVpnPasswordDialog* dialog =
      NMA_VPN_PASSWORD_DIALOG(nma_vpn_password_dialog_new(plan->title, plan->description, NULL));
  const char* asked[L2TPBUS_AUTH_MAX_SECRETS] = {NULL};
  guint shown = 0;
  for (guint i = 0; i < plan->count; i++) {
    if (!plan->secrets[i].ask) continue;
    const Field* field = &kFields[shown];
    field->set_label(dialog, l2tpbus_auth_secret_mnemonic_label(plan->secrets[i].key));
    field->set_value(dialog, plan->secrets[i].value != NULL ? plan->secrets[i].value : "");
    asked[shown++] = plan->secrets[i].key;
  }
  for (guint slot = 0; slot < L2TPBUS_AUTH_MAX_SECRETS; slot++) {
    kFields[slot].set_shown(dialog, slot < shown);
  }
  gtk_widget_show(GTK_WIDGET(dialog));
  const gboolean answered = nma_vpn_password_dialog_run_and_block(dialog);
  gboolean ok = answered;
  for (guint slot = 0; answered && ok && slot < shown; slot++) {
    ok = l2tpbus_auth_plan_answer(plan, asked[slot], kFields[slot].get_value(dialog), error);
  }
  gtk_widget_destroy(GTK_WIDGET(dialog));
  return ok;
}
