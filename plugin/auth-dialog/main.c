// nm-l2tpbus-auth-dialog: run by NetworkManager's secret agents (nm-applet,
// GNOME Shell, nmcli --ask) for an l2tpbus connection's secrets, with
// NetworkManager-l2tp's arguments. The profile comes on stdin
// (DATA_KEY=/DATA_VAL=, SECRET_KEY=/SECRET_VAL=, DONE); the answer goes to
// stdout: the external UI key file, or "key\nvalue\n" lines ended by an
// empty line pair, after which the agent sends QUIT. What to ask and what to
// print is auth_request.c's; here only the I/O.
#include <NetworkManager.h>
#include <errno.h>
#include <glib/gi18n-lib.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth_request.h"
#include "keyring.h"
#include "keys.h"
#include "password_dialog.h"
#include "secret.h"

// How long the line protocol's answer waits for the agent's QUIT, as peers' do.
enum { kQuitWaitSeconds = 20 };

typedef struct {
  const char* uuid;
  gboolean allow_interaction;
} KeyringQuery;

// The secrets as libnm read them from stdin: its table, whose values this
// wipes before the table frees them (libnm's free does not).
typedef GHashTable WipedSecrets;

static void wipe_and_unref(WipedSecrets* secrets) {
  GHashTableIter iter;
  gpointer value = NULL;
  g_hash_table_iter_init(&iter, secrets);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    if (value != NULL) explicit_bzero(value, strlen(value));
  }
  g_hash_table_unref(secrets);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WipedSecrets, wipe_and_unref)

static char* lookup_saved(const char* key, gpointer user_data) {
  const KeyringQuery* query = user_data;
  return l2tpbus_keyring_lookup(query->uuid, key, query->allow_interaction);
}

// The agent writes "QUIT" once it has read the answer (nm-applet, GNOME
// Shell), or closes stdin, or sends "CANCEL ..." instead.
static void wait_for_quit(void) {
  char window[64] = "";
  gsize used = 0;
  const gint64 deadline = g_get_monotonic_time() + kQuitWaitSeconds * G_USEC_PER_SEC;
  for (;;) {
    const gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
    if (left_ms <= 0) return;
    struct pollfd input = {.fd = STDIN_FILENO, .events = POLLIN};
    const int ready = poll(&input, 1, (int)left_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    char c;
    const ssize_t got = read(STDIN_FILENO, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return;
    if (used == sizeof(window) - 1) {
      memmove(window, window + 1, used - 1);
      used--;
    }
    window[used++] = c;
    window[used] = '\0';
    if (strstr(window, "QUIT") != NULL || strstr(window, "CANCEL") != NULL) return;
  }
}

static gboolean write_answer(char* answer) {
  const gboolean written = fputs(answer, stdout) >= 0 && fflush(stdout) == 0;
  l2tpbus_secret_free(answer);
  if (!written)
    g_printerr("nm-l2tpbus-auth-dialog: %s\n",
               dgettext(GETTEXT_PACKAGE, "cannot write the answer"));
  return written;
}

int main(int argc, char** argv) {
  setlocale(LC_ALL, "");
  bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);

  // FILENAME rather than STRING: the bytes as given, whatever the locale's
  // charset; the name and the hints are checked for UTF-8 below.
  g_autofree char* uuid = NULL;
  g_autofree char* name = NULL;
  g_autofree char* service = NULL;
  g_auto(GStrv) hints = NULL;
  gboolean allow_interaction = FALSE;
  gboolean reprompt = FALSE;
  gboolean external_ui = FALSE;
  const GOptionEntry entries[] = {
      {"uuid", 'u', 0, G_OPTION_ARG_FILENAME, &uuid, "UUID of the VPN connection", "UUID"},
      {"name", 'n', 0, G_OPTION_ARG_FILENAME, &name, "Name of the VPN connection", "NAME"},
      {"service", 's', 0, G_OPTION_ARG_FILENAME, &service, "VPN service type", "SERVICE"},
      {"allow-interaction", 'i', 0, G_OPTION_ARG_NONE, &allow_interaction, "Allow user interaction",
       NULL},
      {"reprompt", 'r', 0, G_OPTION_ARG_NONE, &reprompt, "Ask again for secrets at hand", NULL},
      {"external-ui-mode", 0, 0, G_OPTION_ARG_NONE, &external_ui,
       "Describe the secrets for the agent's own UI", NULL},
      {"hint", 't', 0, G_OPTION_ARG_FILENAME_ARRAY, &hints, "Hints from the VPN service", "HINT"},
      {NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) context = g_option_context_new(NULL);
  g_option_context_set_summary(context, "Asks for the secrets of an l2tpbus VPN connection.");
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    g_printerr("nm-l2tpbus-auth-dialog: %s\n", error->message);
    return EXIT_FAILURE;
  }
  if (uuid == NULL || name == NULL || service == NULL) {
    g_printerr("nm-l2tpbus-auth-dialog: %s\n",
               dgettext(GETTEXT_PACKAGE,
                        "the connection's UUID (-u), name (-n) and service (-s) are required"));
    return EXIT_FAILURE;
  }
  if (strcmp(service, L2TPBUS_NM_SERVICE) != 0) {
    g_printerr("nm-l2tpbus-auth-dialog: %s\n",
               dgettext(GETTEXT_PACKAGE, "the service (-s) is not l2tpbus's"));
    return EXIT_FAILURE;
  }
  if (!g_utf8_validate(name, -1, NULL) || !g_utf8_validate(uuid, -1, NULL)) {
    g_printerr("nm-l2tpbus-auth-dialog: %s\n",
               dgettext(GETTEXT_PACKAGE, "the connection's UUID and name must be UTF-8"));
    return EXIT_FAILURE;
  }

  g_autoptr(GHashTable) data = NULL;
  g_autoptr(WipedSecrets) secrets = NULL;
  if (!nm_vpn_service_plugin_read_vpn_details(STDIN_FILENO, &data, &secrets)) {
    g_printerr(
        "nm-l2tpbus-auth-dialog: %s\n",
        dgettext(GETTEXT_PACKAGE, "cannot read the connection's data and secrets from stdin"));
    return EXIT_FAILURE;
  }

  KeyringQuery query = {uuid, allow_interaction};
  const L2tpbusAuthInput input = {
      .data = data,
      .secrets = secrets,
      .hints = (const char* const*)hints,
      .name = name,
      .allow_interaction = allow_interaction,
      .reprompt = reprompt,
      .lookup_saved = lookup_saved,
      .lookup_data = &query,
  };
  L2tpbusAuthPlan plan;
  if (!l2tpbus_auth_plan_init(&plan, &input, &error)) {
    g_printerr("nm-l2tpbus-auth-dialog: %s\n", error->message);
    return EXIT_FAILURE;
  }

  gboolean ok = TRUE;
  if (external_ui) {
    // The agent asks, in its own UI, for what ShouldAsk marks.
    ok = write_answer(l2tpbus_auth_plan_to_key_file(&plan));
  } else {
    if (allow_interaction && l2tpbus_auth_plan_asks(&plan)) {
      ok = l2tpbus_password_dialog_run(&plan, &error);
      if (error != NULL) g_printerr("nm-l2tpbus-auth-dialog: %s\n", error->message);
    }
    if (ok) ok = write_answer(l2tpbus_auth_plan_to_lines(&plan));
    if (ok) wait_for_quit();
  }
  l2tpbus_auth_plan_clear(&plan);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
