// The GTK 3 dialog of interactive mode (-i without --external-ui-mode):
// libnma's NMAVpnPasswordDialog, as NetworkManager's other VPN plugins show it.
#pragma once

#include <glib.h>

#include "auth_request.h"

G_BEGIN_DECLS

// Asks for the plan's secrets marked `ask` (at most three: the dialog's three
// fields), showing the values at hand; the answers go into the plan. FALSE
// when the user cancels, or (with `error`) when there is no display or an
// answer cannot be passed on.
gboolean l2tpbus_password_dialog_run(L2tpbusAuthPlan* plan, GError** error);

G_END_DECLS
