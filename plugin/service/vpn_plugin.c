// One connection attempt is an Attempt: the daemon's tunnel and session it
// created and the proxies following them. Disconnect abandons the attempt
// rather than cancelling its calls, so an object the daemon creates after
// Disconnect (a reply still in flight) is closed when the reply arrives
// instead of being left behind.
#include "vpn_plugin.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ip_config.h"
#include "keys.h"
#include "l2tpbus-client.h"
#include "profile.h"
#include "profile_setting.h"

#define L2TPBUS_BUS_NAME "org.l2tpbus1"
#define L2TPBUS_MANAGER_PATH "/org/l2tpbus1"
enum {
  kTunnelGraceMs = 300,
};

typedef struct {
  L2tpbusVpnPlugin* plugin;  // NULL once abandoned
  GDBusConnection* bus;
  // request.session (which holds the password) is dropped once CreateSession
  // is sent.
  L2tpbusRequest request;
  gboolean never_default4;
  gboolean never_default6;
  gboolean want_ip6;
  char* tunnel_path;
  char* session_path;
  L2tpbusTunnel* tunnel;
  L2tpbusSession* session;
  gboolean config_sent;
  gboolean ip4_sent;
  gboolean ip6_sent;
  guint ip_timer;
  guint grace_timer;
  gboolean grace_over;
  guint ip6_wait_timer;
  gboolean ip6_wait_over;
} Attempt;

struct _L2tpbusVpnPlugin {
  NMVpnServicePlugin parent;
  guint ip_timeout;
  Attempt* attempt;
  char* label;  // the bus name, for log lines from several instances
};

G_DEFINE_TYPE(L2tpbusVpnPlugin, l2tpbus_vpn_plugin, NM_TYPE_VPN_SERVICE_PLUGIN)

// ---- attempts ---------------------------------------------------------------------

static Attempt* attempt_ref(Attempt* attempt) {
  return g_rc_box_acquire(attempt);
}

static void attempt_free_contents(gpointer data) {
  Attempt* attempt = data;
  g_clear_object(&attempt->tunnel);
  g_clear_object(&attempt->session);
  g_clear_object(&attempt->bus);
  g_free(attempt->tunnel_path);
  g_free(attempt->session_path);
  l2tpbus_request_clear(&attempt->request);
  if (attempt->ip_timer != 0) g_source_remove(attempt->ip_timer);
  if (attempt->grace_timer != 0) g_source_remove(attempt->grace_timer);
  if (attempt->ip6_wait_timer != 0) g_source_remove(attempt->ip6_wait_timer);
}

static void attempt_unref(Attempt* attempt) {
  g_rc_box_release_full(attempt, attempt_free_contents);
}

// Close calls still in flight, so that the program does not exit before its
// tunnel is closed.
static guint pending_closes;

guint l2tpbus_vpn_plugin_pending_closes(void) {
  return pending_closes;
}

typedef struct {
  GDBusConnection* bus;
  char* tunnel_path;  // closed once the session's Close was answered
} CloseChain;

static void log_close_result(GDBusConnection* bus, GAsyncResult* result, const char* what) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish(bus, result, &error);
  if (reply == NULL) {
    // Already gone is the usual reason: the peer or the daemon closed it first.
    g_message("closing the %s: %s", what, error->message);
  }
}

static void on_tunnel_closed(GObject* source, GAsyncResult* result, gpointer data) {
  (void)data;
  log_close_result(G_DBUS_CONNECTION(source), result, "tunnel");
  pending_closes--;
}

static void close_tunnel(GDBusConnection* bus, const char* path) {
  pending_closes++;
  g_dbus_connection_call(bus, L2TPBUS_BUS_NAME, path, "org.l2tpbus1.Tunnel", "Close", NULL, NULL,
                         G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_tunnel_closed, NULL);
}

static void on_session_closed(GObject* source, GAsyncResult* result, gpointer data) {
  CloseChain* chain = data;
  log_close_result(G_DBUS_CONNECTION(source), result, "session");
  if (chain->tunnel_path != NULL) close_tunnel(chain->bus, chain->tunnel_path);
  g_object_unref(chain->bus);
  g_free(chain->tunnel_path);
  g_free(chain);
  pending_closes--;
}

// The session's CDN first, then (when `tunnel_path` is given) the tunnel's StopCCN.
static void close_session(GDBusConnection* bus, const char* path, const char* tunnel_path) {
  CloseChain* chain = g_new0(CloseChain, 1);
  chain->bus = g_object_ref(bus);
  chain->tunnel_path = g_strdup(tunnel_path);
  pending_closes++;
  g_dbus_connection_call(bus, L2TPBUS_BUS_NAME, path, "org.l2tpbus1.Session", "Close", NULL, NULL,
                         G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_session_closed, chain);
}

// Closes what the daemon made for this attempt and stops following it.
static void attempt_abandon(Attempt* attempt) {
  attempt->plugin = NULL;
  if (attempt->ip_timer != 0) {
    g_source_remove(attempt->ip_timer);
    attempt->ip_timer = 0;
  }
  if (attempt->ip6_wait_timer != 0) {
    g_source_remove(attempt->ip6_wait_timer);
    attempt->ip6_wait_timer = 0;
  }
  if (attempt->grace_timer != 0) {
    g_source_remove(attempt->grace_timer);
    attempt->grace_timer = 0;
  }
  if (attempt->session != NULL) g_signal_handlers_disconnect_by_data(attempt->session, attempt);
  if (attempt->tunnel != NULL) g_signal_handlers_disconnect_by_data(attempt->tunnel, attempt);
  if (attempt->session_path != NULL) {
    close_session(attempt->bus, attempt->session_path, attempt->tunnel_path);
  } else if (attempt->tunnel_path != NULL) {
    close_tunnel(attempt->bus, attempt->tunnel_path);
  }
}

static void attempt_fail(Attempt* attempt, NMVpnPluginFailure reason, const char* message) {
  L2tpbusVpnPlugin* self = attempt->plugin;
  if (self == NULL) return;
  g_warning("%s: %s", self->label, message);
  // Failure, then the plugin's own disconnect (which abandons the attempt).
  nm_vpn_service_plugin_failure(NM_VPN_SERVICE_PLUGIN(self), reason);
}

// ---- following the tunnel and the session -----------------------------------------

static void last_result(GVariant* value, guint32* code, guint32* error_code, const char** text) {
  *code = 0;
  *error_code = 0;
  *text = "";
  if (value != NULL && g_variant_is_of_type(value, G_VARIANT_TYPE("(uus)"))) {
    g_variant_get(value, "(uu&s)", code, error_code, text);
  }
}

static gboolean ip_timeout_expired(gpointer data) {
  Attempt* attempt = data;
  attempt->ip_timer = 0;
  if (attempt->plugin == NULL) return G_SOURCE_REMOVE;
  g_autofree char* message = g_strdup_printf(
      "the PPP session is up but pppd gave no %s configuration within %u s; giving up",
      attempt->ip4_sent ? "IPv6" : "IPv4", attempt->plugin->ip_timeout);
  attempt_ref(attempt);
  attempt_fail(attempt, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED, message);
  attempt_unref(attempt);
  return G_SOURCE_REMOVE;
}

static gboolean closed_or_closing(const char* state) {
  return state != NULL && (strcmp(state, "closed") == 0 || strcmp(state, "closing") == 0);
}

static void send_config(Attempt* attempt) {
  NMVpnServicePlugin* plugin = NM_VPN_SERVICE_PLUGIN(attempt->plugin);
  GVariant* gateway = l2tpbus_gateway_from_peer(l2tpbus_tunnel_get_peer(attempt->tunnel));
  if (gateway == NULL) {
    g_autofree char* message = g_strdup_printf("the tunnel's peer address \"%s\" is unusable",
                                               l2tpbus_tunnel_get_peer(attempt->tunnel));
    attempt_fail(attempt, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED, message);
    return;
  }
  attempt->config_sent = TRUE;
  g_message("%s: session %s established on interface \"%s\"", attempt->plugin->label,
            attempt->session_path, l2tpbus_session_get_interface_name(attempt->session));
  nm_vpn_service_plugin_set_config(
      plugin, l2tpbus_nm_config(l2tpbus_session_get_interface_name(attempt->session), gateway,
                                attempt->request.mtu, attempt->want_ip6));
  // Never invent addresses: NetworkManager gets what pppd negotiated or nothing.
  attempt->ip_timer =
      g_timeout_add_seconds(attempt->plugin->ip_timeout, ip_timeout_expired, attempt);
}

static gboolean send_ip_config(Attempt* attempt, gboolean ipv6) {
  g_autoptr(GError) error = NULL;
  GVariant* session_config = ipv6 ? l2tpbus_session_get_ip6_config(attempt->session)
                                  : l2tpbus_session_get_ip4_config(attempt->session);
  GVariant* config = ipv6 ? l2tpbus_nm_ip6_config(session_config, attempt->never_default6, &error)
                          : l2tpbus_nm_ip4_config(session_config, attempt->never_default4, &error);
  if (error != NULL) {
    attempt_fail(attempt, NM_VPN_PLUGIN_FAILURE_BAD_IP_CONFIG, error->message);
    return FALSE;
  }
  if (config == NULL) return TRUE;  // not negotiated yet
  NMVpnServicePlugin* plugin = NM_VPN_SERVICE_PLUGIN(attempt->plugin);
  if (ipv6) {
    attempt->ip6_sent = TRUE;
    nm_vpn_service_plugin_set_ip6_config(plugin, config);
  } else {
    attempt->ip4_sent = TRUE;
    nm_vpn_service_plugin_set_ip4_config(plugin, config);
  }
  return TRUE;
}

// Called whenever the tunnel or the session changed: moves the attempt on.
static void evaluate_held(Attempt* attempt);
static void evaluate(Attempt* attempt);

static gboolean grace_expired(gpointer data) {
  Attempt* attempt = data;
  attempt->grace_timer = 0;
  attempt->grace_over = TRUE;
  evaluate(attempt);
  return G_SOURCE_REMOVE;
}

static gboolean ip6_wait_expired(gpointer data) {
  Attempt* attempt = data;
  attempt->ip6_wait_timer = 0;
  attempt->ip6_wait_over = TRUE;
  evaluate(attempt);
  return G_SOURCE_REMOVE;
}

// Whether Config may go, with want_ip6 set to what it announces. The
// session says what came of IPV6CP as soon as pppd knows (an IPv4-only LNS
// refuses it at once); a daemon or pppd that never says costs the IP
// time-out, not the connection.
static gboolean ip6_settled(Attempt* attempt) {
  const char* negotiation = l2tpbus_session_get_ip6_negotiation(attempt->session);
  switch (l2tpbus_ip6_plan(attempt->want_ip6, negotiation)) {
    case L2TPBUS_IP6_WITH:
      return TRUE;
    case L2TPBUS_IP6_WITHOUT:
      if (attempt->want_ip6) {
        g_message("%s: IPV6CP %s: IPv4 only", attempt->plugin->label, negotiation);
        attempt->want_ip6 = FALSE;
      }
      return TRUE;
    case L2TPBUS_IP6_WAIT:
      break;
  }
  if (!attempt->ip6_wait_over) {
    if (attempt->ip6_wait_timer == 0) {
      attempt->ip6_wait_timer =
          g_timeout_add_seconds(attempt->plugin->ip_timeout, ip6_wait_expired, attempt);
    }
    return FALSE;
  }
  g_message("%s: no word of IPV6CP within %u s: IPv4 only", attempt->plugin->label,
            attempt->plugin->ip_timeout);
  attempt->want_ip6 = FALSE;
  return TRUE;
}

static void evaluate(Attempt* attempt) {
  // A failure drops the plugin's reference to the attempt on the way.
  attempt_ref(attempt);
  evaluate_held(attempt);
  attempt_unref(attempt);
}

static void evaluate_held(Attempt* attempt) {
  if (attempt->plugin == NULL || attempt->tunnel == NULL) return;
  const char* tunnel_state = l2tpbus_tunnel_get_state(attempt->tunnel);
  const char* session_state =
      attempt->session != NULL ? l2tpbus_session_get_state(attempt->session) : NULL;
  if (closed_or_closing(session_state) && !closed_or_closing(tunnel_state) &&
      !attempt->grace_over) {
    // l2tpbusd ends a tunnel's sessions before the tunnel: give the tunnel's
    // own change (the StopCCN's result) a moment to arrive, for the log.
    if (attempt->grace_timer == 0) {
      attempt->grace_timer = g_timeout_add(kTunnelGraceMs, grace_expired, attempt);
    }
    return;
  }
  if (closed_or_closing(session_state) || closed_or_closing(tunnel_state)) {
    guint32 code = 0;
    guint32 error_code = 0;
    const char* text = "";
    const gboolean session_ended = closed_or_closing(session_state);
    last_result(session_ended ? l2tpbus_session_get_last_result(attempt->session)
                              : l2tpbus_tunnel_get_last_result(attempt->tunnel),
                &code, &error_code, &text);
    guint32 tunnel_code = 0;
    guint32 tunnel_error = 0;
    const char* tunnel_text = "";
    last_result(l2tpbus_tunnel_get_last_result(attempt->tunnel), &tunnel_code, &tunnel_error,
                &tunnel_text);
    g_autofree char* message = g_strdup_printf(
        "the %s ended (result %u, error %u: %s); tunnel %s (result %u, error %u: %s)",
        session_ended ? "session" : "tunnel", code, error_code, text,
        tunnel_state != NULL ? tunnel_state : "?", tunnel_code, tunnel_error, tunnel_text);
    attempt_fail(attempt, l2tpbus_failure_reason(session_ended, code), message);
    return;
  }
  if (session_state == NULL || strcmp(session_state, "established") != 0) return;
  if (!attempt->config_sent && !ip6_settled(attempt)) return;
  if (!attempt->config_sent) send_config(attempt);
  if (attempt->plugin == NULL || !attempt->config_sent) return;
  if (!attempt->ip4_sent && !send_ip_config(attempt, FALSE)) return;
  if (attempt->want_ip6 && !attempt->ip6_sent && !send_ip_config(attempt, TRUE)) return;
  if (attempt->ip4_sent && (attempt->ip6_sent || !attempt->want_ip6) && attempt->ip_timer != 0) {
    g_source_remove(attempt->ip_timer);
    attempt->ip_timer = 0;
  }
}

static void on_properties_changed(GDBusProxy* proxy, GVariant* changed, GStrv invalidated,
                                  gpointer data) {
  (void)proxy;
  (void)changed;
  (void)invalidated;
  evaluate(data);
}

// ---- creating the tunnel and the session ------------------------------------------

static void fail_call(Attempt* attempt, const char* what, const GError* error) {
  g_autoptr(GError) copy = g_error_copy(error);
  g_autofree char* remote = g_dbus_error_get_remote_error(copy);
  g_dbus_error_strip_remote_error(copy);
  g_autofree char* message =
      g_strdup_printf("%s failed: %s%s%s%s", what, copy->message, remote ? " (" : "",
                      remote ? remote : "", remote ? ")" : "");
  attempt_fail(attempt, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED, message);
}

static void on_session_proxy(GObject* source, GAsyncResult* result, gpointer data) {
  (void)source;
  Attempt* attempt = data;
  g_autoptr(GError) error = NULL;
  L2tpbusSession* session = l2tpbus_session_proxy_new_finish(result, &error);
  if (session == NULL) {
    fail_call(attempt, "following the session", error);
  } else if (attempt->plugin != NULL) {
    attempt->session = session;
    g_signal_connect(session, "g-properties-changed", G_CALLBACK(on_properties_changed), attempt);
    if (l2tpbus_session_get_state(session) == NULL) {
      // Gone before its properties could be read: ended at once.
      attempt_fail(attempt, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED,
                   "the session ended before it could be followed");
    } else {
      evaluate(attempt);
    }
  } else {
    g_object_unref(session);
  }
  attempt_unref(attempt);
}

static void on_session_created(GObject* source, GAsyncResult* result, gpointer data) {
  Attempt* attempt = data;
  g_autoptr(GError) error = NULL;
  char* path = NULL;
  if (!l2tpbus_tunnel_call_create_session_finish(L2TPBUS_TUNNEL(source), &path, result, &error)) {
    fail_call(attempt, "CreateSession", error);
    attempt_unref(attempt);
    return;
  }
  attempt->session_path = path;
  if (attempt->plugin == NULL) {
    close_session(attempt->bus, path, NULL);
    attempt_unref(attempt);
    return;
  }
  g_message("%s: session %s", attempt->plugin->label, path);
  l2tpbus_session_proxy_new(attempt->bus, G_DBUS_PROXY_FLAGS_GET_INVALIDATED_PROPERTIES,
                            L2TPBUS_BUS_NAME, path, NULL, on_session_proxy, attempt);
}

static void on_tunnel_proxy(GObject* source, GAsyncResult* result, gpointer data) {
  (void)source;
  Attempt* attempt = data;
  g_autoptr(GError) error = NULL;
  L2tpbusTunnel* tunnel = l2tpbus_tunnel_proxy_new_finish(result, &error);
  if (tunnel == NULL) {
    fail_call(attempt, "following the tunnel", error);
    attempt_unref(attempt);
    return;
  }
  attempt->tunnel = tunnel;
  if (attempt->plugin == NULL) {
    attempt_unref(attempt);
    return;
  }
  g_signal_connect(tunnel, "g-properties-changed", G_CALLBACK(on_properties_changed), attempt);
  // l2tpbusd queues a session on a tunnel that is still connecting.
  l2tpbus_tunnel_call_create_session(tunnel, attempt->request.session, NULL, on_session_created,
                                     attempt);
  // The password is needed no more: GDBus holds the call's arguments until it
  // has written them, and the password's buffer is wiped when it lets go.
  g_clear_pointer(&attempt->request.session, g_variant_unref);
}

static void on_tunnel_created(GObject* source, GAsyncResult* result, gpointer data) {
  Attempt* attempt = data;
  g_autoptr(GError) error = NULL;
  char* path = NULL;
  if (!l2tpbus_manager_call_create_tunnel_finish(L2TPBUS_MANAGER(source), &path, result, &error)) {
    fail_call(attempt, "CreateTunnel", error);
    attempt_unref(attempt);
    return;
  }
  attempt->tunnel_path = path;
  if (attempt->plugin == NULL) {
    close_tunnel(attempt->bus, path);
    attempt_unref(attempt);
    return;
  }
  g_message("%s: tunnel %s", attempt->plugin->label, path);
  l2tpbus_tunnel_proxy_new(attempt->bus, G_DBUS_PROXY_FLAGS_GET_INVALIDATED_PROPERTIES,
                           L2TPBUS_BUS_NAME, path, NULL, on_tunnel_proxy, attempt);
}

static void on_manager_proxy(GObject* source, GAsyncResult* result, gpointer data) {
  (void)source;
  Attempt* attempt = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(L2tpbusManager) manager = l2tpbus_manager_proxy_new_finish(result, &error);
  if (manager == NULL) {
    fail_call(attempt, "reaching l2tpbusd", error);
    attempt_unref(attempt);
    return;
  }
  if (attempt->plugin == NULL) {
    attempt_unref(attempt);
    return;
  }
  l2tpbus_manager_call_create_tunnel(manager, attempt->request.tunnel, NULL, on_tunnel_created,
                                     attempt);
  // With IPsec the options hold the PSK or the private key: dropped as the
  // session's are (see on_tunnel_proxy).
  g_clear_pointer(&attempt->request.tunnel, g_variant_unref);
}

static void attempt_start(Attempt* attempt) {
  for (guint i = 0; attempt->request.notes != NULL && i < attempt->request.notes->len; i++) {
    g_message("%s: %s", attempt->plugin->label,
              (const char*)g_ptr_array_index(attempt->request.notes, i));
  }
  l2tpbus_manager_proxy_new(
      attempt->bus,
      G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES | G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
      L2TPBUS_BUS_NAME, L2TPBUS_MANAGER_PATH, NULL, on_manager_proxy, attempt_ref(attempt));
}

// ---- NMVpnServicePlugin -----------------------------------------------------------

static gboolean is_enabled(NMSettingIPConfig* ip6) {
  const char* method = ip6 != NULL ? nm_setting_ip_config_get_method(ip6) : NULL;
  return method != NULL && strcmp(method, NM_SETTING_IP6_CONFIG_METHOD_IGNORE) != 0 &&
         strcmp(method, "disabled") != 0;
}

// The profile's translation into `attempt`; FALSE with an error naming the key.
static gboolean translate(NMConnection* connection, Attempt* attempt, GError** error) {
  NMSettingVpn* vpn = nm_connection_get_setting_vpn(connection);
  if (vpn == NULL) {
    g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS,
                        dgettext(GETTEXT_PACKAGE, "the connection has no VPN setting"));
    return FALSE;
  }
  g_autoptr(GHashTable) data = NULL;
  g_autoptr(GHashTable) secrets = NULL;
  l2tpbus_profile_tables_from_setting(vpn, &data, &secrets);
  NMSettingIPConfig* ip4 = nm_connection_get_setting_ip4_config(connection);
  NMSettingIPConfig* ip6 = nm_connection_get_setting_ip6_config(connection);
  const L2tpbusProfile profile = {
      .data = data,
      .secrets = secrets,
      .ignore_auto_dns = ip4 != NULL && nm_setting_ip_config_get_ignore_auto_dns(ip4),
      .ipv6 = is_enabled(ip6),
  };
  l2tpbus_request_clear(&attempt->request);
  g_autoptr(GError) local = NULL;
  if (!l2tpbus_profile_translate(&profile, &attempt->request, &local)) {
    g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS,
                        local->message);
    return FALSE;
  }
  g_autofree const char** missing = l2tpbus_profile_missing_secrets(data, secrets);
  if (missing[0] != NULL) {
    l2tpbus_request_clear(&attempt->request);
    g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS, "%s: %s", missing[0],
                dgettext(GETTEXT_PACKAGE, "missing"));
    return FALSE;
  }
  attempt->never_default4 = ip4 != NULL && nm_setting_ip_config_get_never_default(ip4);
  attempt->never_default6 = ip6 != NULL && nm_setting_ip_config_get_never_default(ip6);
  attempt->want_ip6 = profile.ipv6;
  return TRUE;
}

static void drop_attempt(L2tpbusVpnPlugin* self) {
  if (self->attempt == NULL) return;
  attempt_abandon(self->attempt);
  g_clear_pointer(&self->attempt, attempt_unref);
}

static Attempt* new_attempt(L2tpbusVpnPlugin* self) {
  drop_attempt(self);
  Attempt* attempt = g_rc_box_new0(Attempt);
  attempt->plugin = self;
  attempt->bus = nm_vpn_service_plugin_get_connection(NM_VPN_SERVICE_PLUGIN(self));
  self->attempt = attempt;
  return attempt;
}

static gboolean real_connect(NMVpnServicePlugin* plugin, NMConnection* connection, GError** error) {
  L2tpbusVpnPlugin* self = L2TPBUS_VPN_PLUGIN(plugin);
  Attempt* attempt = new_attempt(self);
  if (!translate(connection, attempt, error)) {
    g_warning("%s: refusing to connect: %s", self->label, (*error)->message);
    drop_attempt(self);
    return FALSE;
  }
  attempt_start(attempt);
  return TRUE;
}

typedef struct {
  L2tpbusVpnPlugin* plugin;
  const char** hints;  // the missing secrets' keys
} SecretsRequest;

static gboolean ask_for_secrets(gpointer data) {
  SecretsRequest* request = data;
  const gboolean password_only =
      strcmp(request->hints[0], L2TPBUS_KEY_PASSWORD) == 0 && request->hints[1] == NULL;
  nm_vpn_service_plugin_secrets_required(
      NM_VPN_SERVICE_PLUGIN(request->plugin),
      password_only ? dgettext(GETTEXT_PACKAGE, "The L2TP password is needed.")
                    : dgettext(GETTEXT_PACKAGE, "Secrets of the L2TP/IPsec connection are needed."),
      request->hints);
  g_object_unref(request->plugin);
  g_free(request->hints);
  g_free(request);
  return G_SOURCE_REMOVE;
}

static gboolean real_connect_interactive(NMVpnServicePlugin* plugin, NMConnection* connection,
                                         GVariant* details, GError** error) {
  (void)details;
  L2tpbusVpnPlugin* self = L2TPBUS_VPN_PLUGIN(plugin);
  NMSettingVpn* vpn = nm_connection_get_setting_vpn(connection);
  if (vpn != NULL) {
    g_autoptr(GHashTable) data = NULL;
    g_autoptr(GHashTable) secrets = NULL;
    l2tpbus_profile_tables_from_setting(vpn, &data, &secrets);
    const char** missing = l2tpbus_profile_missing_secrets(data, secrets);
    if (missing[0] != NULL) {
      // Wait for NewSecrets; the request is made once Connect has replied.
      new_attempt(self);
      SecretsRequest* request = g_new(SecretsRequest, 1);
      request->plugin = g_object_ref(self);
      request->hints = missing;
      g_idle_add(ask_for_secrets, request);
      return TRUE;
    }
    g_free(missing);
  }
  return real_connect(plugin, connection, error);
}

static gboolean real_new_secrets(NMVpnServicePlugin* plugin, NMConnection* connection,
                                 GError** error) {
  return real_connect(plugin, connection, error);
}

static gboolean real_need_secrets(NMVpnServicePlugin* plugin, NMConnection* connection,
                                  const char** setting_name, GError** error) {
  (void)plugin;
  (void)error;
  NMSettingVpn* vpn = nm_connection_get_setting_vpn(connection);
  if (vpn == NULL) return FALSE;
  g_autoptr(GHashTable) data = NULL;
  g_autoptr(GHashTable) secrets = NULL;
  l2tpbus_profile_tables_from_setting(vpn, &data, &secrets);
  g_autofree const char** missing = l2tpbus_profile_missing_secrets(data, secrets);
  if (missing[0] == NULL) return FALSE;
  // The setting holding the missing secrets (password, ipsec-psk, machine-certpass).
  *setting_name = NM_SETTING_VPN_SETTING_NAME;
  return TRUE;
}

static gboolean real_disconnect(NMVpnServicePlugin* plugin, GError** error) {
  (void)error;
  L2tpbusVpnPlugin* self = L2TPBUS_VPN_PLUGIN(plugin);
  if (self->attempt != NULL) g_message("%s: disconnecting", self->label);
  drop_attempt(self);
  return TRUE;
}

static void finalize(GObject* object) {
  L2tpbusVpnPlugin* self = L2TPBUS_VPN_PLUGIN(object);
  drop_attempt(self);
  g_free(self->label);
  G_OBJECT_CLASS(l2tpbus_vpn_plugin_parent_class)->finalize(object);
}

static void l2tpbus_vpn_plugin_class_init(L2tpbusVpnPluginClass* klass) {
  NMVpnServicePluginClass* plugin_class = NM_VPN_SERVICE_PLUGIN_CLASS(klass);
  G_OBJECT_CLASS(klass)->finalize = finalize;
  plugin_class->connect = real_connect;
  plugin_class->connect_interactive = real_connect_interactive;
  plugin_class->need_secrets = real_need_secrets;
  plugin_class->new_secrets = real_new_secrets;
  plugin_class->disconnect = real_disconnect;
}

static void l2tpbus_vpn_plugin_init(L2tpbusVpnPlugin* self) {
  (void)self;
}

L2tpbusVpnPlugin* l2tpbus_vpn_plugin_new(const char* bus_name, gboolean watch_peer,
                                         guint ip_timeout, GError** error) {
  L2tpbusVpnPlugin* self =
      g_initable_new(L2TPBUS_TYPE_VPN_PLUGIN, NULL, error, NM_VPN_SERVICE_PLUGIN_DBUS_SERVICE_NAME,
                     bus_name, NM_VPN_SERVICE_PLUGIN_DBUS_WATCH_PEER, watch_peer, NULL);
  if (self != NULL) {
    self->ip_timeout = ip_timeout;
    self->label = g_strdup(bus_name);
  }
  return self;
}
