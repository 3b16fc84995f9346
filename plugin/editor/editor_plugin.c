// libnm-vpn-plugin-l2tpbus.so: what nmcli and the desktop's connection editors
// load for vpn-type l2tpbus. Import and export here; the editor itself is a
// library of its own per GTK version (plugin/editor-gtk), loaded from beside
// this one by get_editor, so that nmcli never pulls GTK in and a GTK 4
// application never gets GTK 3.
#define _GNU_SOURCE  // dladdr
#include <NetworkManager.h>
#include <dlfcn.h>
#include <glib/gi18n-lib.h>
#include <gmodule.h>
#include <string.h>

#include "import_export.h"
#include "keys.h"

#define L2TPBUS_TYPE_EDITOR_PLUGIN (l2tpbus_editor_plugin_get_type())
G_DECLARE_FINAL_TYPE(L2tpbusEditorPlugin, l2tpbus_editor_plugin, L2TPBUS, EDITOR_PLUGIN, GObject)

struct _L2tpbusEditorPlugin {
  GObject parent;
};

enum { PROP_0, PROP_NAME, PROP_DESCRIPTION, PROP_SERVICE };

static void editor_plugin_interface_init(NMVpnEditorPluginInterface* iface);

G_DEFINE_TYPE_WITH_CODE(L2tpbusEditorPlugin, l2tpbus_editor_plugin, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(NM_TYPE_VPN_EDITOR_PLUGIN,
                                              editor_plugin_interface_init))

typedef NMVpnEditor* (*EditorFactory)(NMVpnEditorPlugin* plugin, NMConnection* connection,
                                      GError** error);

#define EDITOR_FACTORY_SYMBOL "nm_vpn_editor_factory_l2tpbus"

// The GTK the process already runs (0: none). The editor libraries link GTK,
// so asking the process, not a library, is what keeps 3 and 4 apart.
static guint gtk_major_version_in_process(void) {
  GModule* process = g_module_open(NULL, 0);
  guint (*get_major_version)(void) = NULL;
  if (process == NULL ||
      !g_module_symbol(process, "gtk_get_major_version", (gpointer*)&get_major_version)) {
    get_major_version = NULL;
  }
  const guint major = get_major_version != NULL ? get_major_version() : 0;
  if (process != NULL) g_module_close(process);
  return major;
}

// Any object of this library: dladdr finds the file it was loaded from.
static const char kThisLibrary = 0;

// The editor library for `gtk_major`, in the directory this plugin was loaded
// from (where meson builds it and where it is installed).
static char* editor_library_path(guint gtk_major) {
  Dl_info self;
  if (dladdr(&kThisLibrary, &self) == 0 || self.dli_fname == NULL) return NULL;
  g_autofree char* directory = g_path_get_dirname(self.dli_fname);
  return g_build_filename(directory,
                          gtk_major == 4 ? "libnm-gtk4-vpn-plugin-l2tpbus-editor.so"
                                         : "libnm-vpn-plugin-l2tpbus-editor.so",
                          NULL);
}

static NMVpnEditor* get_editor(NMVpnEditorPlugin* plugin, NMConnection* connection,
                               GError** error) {
  const guint gtk_major = gtk_major_version_in_process();
  if (gtk_major != 3 && gtk_major != 4) {
    g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                        dgettext(GETTEXT_PACKAGE,
                                 "the l2tpbus editor runs in GTK 3 or GTK 4 applications; "
                                 "elsewhere use nmcli or import a file"));
    return NULL;
  }
  g_autofree char* path = editor_library_path(gtk_major);
  GModule* library =
      path != NULL ? g_module_open(path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL) : NULL;
  EditorFactory factory = NULL;
  if (library == NULL || !g_module_symbol(library, EDITOR_FACTORY_SYMBOL, (gpointer*)&factory)) {
    g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                dgettext(GETTEXT_PACKAGE, "cannot load the l2tpbus editor for GTK %u: %s"),
                gtk_major, path != NULL ? g_module_error() : "not found beside the plugin");
    if (library != NULL) g_module_close(library);
    return NULL;
  }
  // Never unloaded: the library registers GObject types, which outlive any use.
  g_module_make_resident(library);
  return factory(plugin, connection, error);
}

static NMVpnEditorPluginCapability get_capabilities(NMVpnEditorPlugin* plugin) {
  (void)plugin;
  // IPv6: the profile's ipv6 method turns IPV6CP on (session option Ipv6).
  return NM_VPN_EDITOR_PLUGIN_CAPABILITY_IMPORT | NM_VPN_EDITOR_PLUGIN_CAPABILITY_EXPORT |
         NM_VPN_EDITOR_PLUGIN_CAPABILITY_IPV6;
}

static NMConnection* import_from_file(NMVpnEditorPlugin* plugin, const char* path, GError** error) {
  (void)plugin;
  return l2tpbus_import_file(path, error);
}

static gboolean export_to_file(NMVpnEditorPlugin* plugin, const char* path,
                               NMConnection* connection, GError** error) {
  (void)plugin;
  return l2tpbus_export_file(path, connection, error);
}

static char* get_suggested_filename(NMVpnEditorPlugin* plugin, NMConnection* connection) {
  (void)plugin;
  const char* id = nm_connection_get_id(connection);
  g_autofree char* name = g_strdup(id != NULL && id[0] != '\0' ? id : "l2tpbus");
  // A file name, never a path.
  g_strdelimit(name, "/\\", '_');
  return g_strdup_printf("%s.conf", name);
}

static void get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  switch (id) {
    case PROP_NAME:
      g_value_set_string(value, dgettext(GETTEXT_PACKAGE, "L2TP (l2tpbus)"));
      break;
    case PROP_DESCRIPTION:
      g_value_set_string(value, dgettext(GETTEXT_PACKAGE,
                                         "Layer 2 Tunneling Protocol with PPP, through l2tpbusd"));
      break;
    case PROP_SERVICE:
      g_value_set_string(value, L2TPBUS_NM_SERVICE);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

static void l2tpbus_editor_plugin_class_init(L2tpbusEditorPluginClass* klass) {
  GObjectClass* object_class = G_OBJECT_CLASS(klass);
  object_class->get_property = get_property;
  g_object_class_override_property(object_class, PROP_NAME, NM_VPN_EDITOR_PLUGIN_NAME);
  g_object_class_override_property(object_class, PROP_DESCRIPTION,
                                   NM_VPN_EDITOR_PLUGIN_DESCRIPTION);
  g_object_class_override_property(object_class, PROP_SERVICE, NM_VPN_EDITOR_PLUGIN_SERVICE);
}

static void l2tpbus_editor_plugin_init(L2tpbusEditorPlugin* self) {
  (void)self;
}

static void editor_plugin_interface_init(NMVpnEditorPluginInterface* iface) {
  iface->get_editor = get_editor;
  iface->get_capabilities = get_capabilities;
  iface->import_from_file = import_from_file;
  iface->export_to_file = export_to_file;
  iface->get_suggested_filename = get_suggested_filename;
}

G_MODULE_EXPORT NMVpnEditorPlugin* nm_vpn_editor_plugin_factory(GError** error) {
  (void)error;
  bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  return g_object_new(L2TPBUS_TYPE_EDITOR_PLUGIN, NULL);
}
