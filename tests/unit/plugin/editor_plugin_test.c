// The built libnm-vpn-plugin-l2tpbus.so as libnm loads it (the file named in
// $L2TPBUS_EDITOR_PLUGIN): identity, capabilities, no GTK editor, and import
// and export through the plugin interface.
#include <NetworkManager.h>
#include <glib/gstdio.h>
#include <string.h>

static NMVpnEditorPlugin* load(void) {
  const char* path = g_getenv("L2TPBUS_EDITOR_PLUGIN");
  g_assert_nonnull(path);
  g_autoptr(GError) error = NULL;
  // -1: no owner check; the build tree is not root's.
  NMVpnEditorPlugin* plugin = nm_vpn_editor_plugin_load_from_file(
      path, "org.freedesktop.NetworkManager.l2tpbus", -1, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(plugin);
  return plugin;
}

static void identity(void) {
  g_autoptr(NMVpnEditorPlugin) plugin = load();
  g_autofree char* service = NULL;
  g_autofree char* name = NULL;
  g_object_get(plugin, NM_VPN_EDITOR_PLUGIN_SERVICE, &service, NM_VPN_EDITOR_PLUGIN_NAME, &name,
               NULL);
  g_assert_cmpstr(service, ==, "org.freedesktop.NetworkManager.l2tpbus");
  g_assert_nonnull(name);
  const NMVpnEditorPluginCapability capabilities = nm_vpn_editor_plugin_get_capabilities(plugin);
  g_assert_cmpint(capabilities & NM_VPN_EDITOR_PLUGIN_CAPABILITY_IMPORT, !=, 0);
  g_assert_cmpint(capabilities & NM_VPN_EDITOR_PLUGIN_CAPABILITY_EXPORT, !=, 0);
}

// A process without GTK (nmcli, a script) gets an error, never GTK loaded
// behind its back; the editors themselves are tested in tests/desktop.
static void no_editor_without_gtk(void) {
  g_autoptr(NMVpnEditorPlugin) plugin = load();
  g_autoptr(NMConnection) connection = nm_simple_connection_new();
  g_autoptr(GError) error = NULL;
  g_assert_null(nm_vpn_editor_plugin_get_editor(plugin, connection, &error));
  g_assert_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED);
  g_assert_nonnull(strstr(error->message, "GTK 3 or GTK 4"));
}

static void import_export(void) {
  g_autoptr(NMVpnEditorPlugin) plugin = load();
  g_autofree char* conf =
      g_test_build_filename(G_TEST_DIST, "fixtures", "nm-l2tp-export.conf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NMConnection) connection = nm_vpn_editor_plugin_import(plugin, conf, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(nm_connection_get_id(connection), ==, "Office VPN");
  g_autofree char* suggested = nm_vpn_editor_plugin_get_suggested_filename(plugin, connection);
  g_assert_cmpstr(suggested, ==, "Office VPN.conf");

  g_autofree char* directory = g_dir_make_tmp("l2tpbus-editor-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char* path = g_build_filename(directory, suggested, NULL);
  g_assert_true(nm_vpn_editor_plugin_export(plugin, path, connection, &error));
  g_assert_no_error(error);
  g_autoptr(NMConnection) again = nm_vpn_editor_plugin_import(plugin, path, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(nm_connection_get_id(again), ==, "Office VPN");
  g_unlink(path);
  g_rmdir(directory);

  g_autofree char* bad =
      g_test_build_filename(G_TEST_DIST, "fixtures", "bad-ipsec-ipcomp.conf", NULL);
  g_assert_null(nm_vpn_editor_plugin_import(plugin, bad, &error));
  g_assert_nonnull(error);
}

int main(int argc, char** argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/editor-plugin/identity", identity);
  g_test_add_func("/editor-plugin/no-editor-without-gtk", no_editor_without_gtk);
  g_test_add_func("/editor-plugin/import-export", import_export);
  return g_test_run();
}
