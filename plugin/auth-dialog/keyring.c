// NetworkManager's agents store a secret as an item of the schema
// "org.freedesktop.NetworkManager.Connection" with the attributes
// connection-uuid, setting-name ("vpn") and setting-key (the secret's key).
#include "keyring.h"

#include <libsecret/secret.h>

#include "secret.h"

static const SecretSchema kConnectionSchema = {
    .name = "org.freedesktop.NetworkManager.Connection",
    // Items written by older agents carry no xdg:schema attribute.
    .flags = SECRET_SCHEMA_DONT_MATCH_NAME,
    .attributes =
        {
            {"connection-uuid", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {"setting-name", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {"setting-key", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {NULL, 0},
        },
};

char* l2tpbus_keyring_lookup(const char* uuid, const char* key, gboolean allow_unlock) {
  g_autoptr(GHashTable) attributes = secret_attributes_build(
      &kConnectionSchema, "connection-uuid", uuid, "setting-name", "vpn", "setting-key", key, NULL);
  if (attributes == NULL) return NULL;
  const SecretSearchFlags flags =
      SECRET_SEARCH_LOAD_SECRETS | (allow_unlock ? SECRET_SEARCH_UNLOCK : SECRET_SEARCH_NONE);
  g_autoptr(GError) error = NULL;
  GList* items =
      secret_service_search_sync(NULL, &kConnectionSchema, attributes, flags, NULL, &error);
  if (error != NULL) {
    // No session bus or no secret service: nothing saved, as for peers' dialogs.
    g_debug("no saved secrets: %s", error->message);
    return NULL;
  }
  char* found = NULL;
  if (items != NULL) {
    SecretValue* value = secret_item_get_secret(items->data);
    // libsecret keeps the value in its own wiped memory; our copy is ours to wipe.
    const char* text = value != NULL ? secret_value_get_text(value) : NULL;
    if (text != NULL) found = g_strdup(text);
    if (value != NULL) secret_value_unref(value);
  }
  g_list_free_full(items, g_object_unref);
  return found;
}
