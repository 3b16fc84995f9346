// nm-l2tpbus-service: started by NetworkManager (as root, on the system bus)
// for each l2tpbus connection, with --bus-name naming the instance. It finds
// l2tpbusd on the same bus, so DBUS_SYSTEM_BUS_ADDRESS moves both to a test bus.
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <locale.h>
#include <stdlib.h>

#include "keys.h"
#include "vpn_plugin.h"

// Under libnm's own 60 s connect timer, so our failure (and its log line)
// comes first.
#define DEFAULT_IP_TIMEOUT 40
// How long an exit waits for l2tpbusd to answer the Close calls.
enum { kCloseWait = 5 };

static gboolean on_signal(gpointer loop) {
  g_main_loop_quit(loop);
  return G_SOURCE_CONTINUE;
}

static void on_quit(NMVpnServicePlugin* plugin, gpointer loop) {
  (void)plugin;
  g_main_loop_quit(loop);
}

int main(int argc, char** argv) {
  setlocale(LC_ALL, "");
  bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);

  g_autofree char* bus_name = NULL;
  gboolean persist = FALSE;
  gboolean debug = FALSE;
  int ip_timeout = DEFAULT_IP_TIMEOUT;
  const GOptionEntry entries[] = {
      {"bus-name", 0, 0, G_OPTION_ARG_STRING, &bus_name,
       "D-Bus name to own (NetworkManager gives one per connection)", "NAME"},
      {"persist", 0, 0, G_OPTION_ARG_NONE, &persist, "Do not quit when idle", NULL},
      {"debug", 0, 0, G_OPTION_ARG_NONE, &debug,
       "Keep running when the caller of Connect leaves the bus", NULL},
      {"ip-timeout", 0, 0, G_OPTION_ARG_INT, &ip_timeout,
       "Seconds an established session may wait for its IP configuration", "SECONDS"},
      {NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) context = g_option_context_new(NULL);
  g_option_context_set_summary(context, "The l2tpbus VPN service of NetworkManager.");
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    g_printerr("%s\n", error->message);
    return EXIT_FAILURE;
  }
  if (ip_timeout < 1 || ip_timeout > 3600) {
    g_printerr("--ip-timeout: expected 1 to 3600 seconds\n");
    return EXIT_FAILURE;
  }

  g_autoptr(L2tpbusVpnPlugin) plugin = l2tpbus_vpn_plugin_new(
      bus_name != NULL ? bus_name : L2TPBUS_NM_SERVICE, !debug, (guint)ip_timeout, &error);
  if (plugin == NULL) {
    g_printerr("nm-l2tpbus-service: %s\n", error->message);
    return EXIT_FAILURE;
  }
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  if (!persist) g_signal_connect(plugin, "quit", G_CALLBACK(on_quit), loop);
  g_unix_signal_add(SIGTERM, on_signal, loop);
  g_unix_signal_add(SIGINT, on_signal, loop);
  g_main_loop_run(loop);

  // Closes the tunnel of a connection still up, and waits for l2tpbusd to
  // take the Close calls before leaving.
  nm_vpn_service_plugin_shutdown(NM_VPN_SERVICE_PLUGIN(plugin));
  const gint64 deadline = g_get_monotonic_time() + kCloseWait * G_USEC_PER_SEC;
  while (l2tpbus_vpn_plugin_pending_closes() > 0 && g_get_monotonic_time() < deadline) {
    if (!g_main_context_iteration(NULL, FALSE)) g_usleep(10000);
  }
  // libnm quits on its own right after a failed Connect (watch-peer mode):
  // the error reply must still reach NetworkManager.
  g_autoptr(GDBusConnection) bus =
      nm_vpn_service_plugin_get_connection(NM_VPN_SERVICE_PLUGIN(plugin));
  if (bus != NULL) g_dbus_connection_flush_sync(bus, NULL, NULL);
  return EXIT_SUCCESS;
}
