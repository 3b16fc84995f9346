// explicit_bzero rather than memset: a store to memory about to be freed is
// dead to the compiler, which may drop a plain memset.
#include "secret.h"

#include <string.h>

static L2tpbusSecretWipeObserver wipe_observer;
static gpointer wipe_observer_data;

void l2tpbus_secret_set_wipe_observer(L2tpbusSecretWipeObserver observer, gpointer user_data) {
  wipe_observer = observer;
  wipe_observer_data = user_data;
}

static void wipe_and_free(void* bytes, gsize size) {
  explicit_bzero(bytes, size);
  if (wipe_observer != NULL) wipe_observer(bytes, size, wipe_observer_data);
  g_free(bytes);
}

void l2tpbus_secret_free(gpointer text) {
  if (text == NULL) return;
  wipe_and_free(text, strlen(text) + 1);
}

GHashTable* l2tpbus_secret_table_new(void) {
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, l2tpbus_secret_free);
}

GVariant* l2tpbus_secret_variant_new(const char* text) {
  g_return_val_if_fail(text != NULL && g_utf8_validate(text, -1, NULL), NULL);
  // A GVariant string's serialised form is its bytes and the NUL: the buffer
  // is the variant's data itself, so GLib keeps no copy of its own.
  char* buffer = g_strdup(text);
  return g_variant_new_from_data(G_VARIANT_TYPE_STRING, buffer, strlen(buffer) + 1, TRUE,
                                 l2tpbus_secret_free, buffer);
}

typedef struct {
  gpointer bytes;
  gsize size;
} SecretBlock;

static void secret_block_free(gpointer data) {
  SecretBlock* block = data;
  wipe_and_free(block->bytes, block->size);
  g_free(block);
}

GBytes* l2tpbus_secret_bytes_new_take(gpointer bytes, gsize size) {
  SecretBlock* block = g_new(SecretBlock, 1);
  block->bytes = bytes;
  block->size = size;
  return g_bytes_new_with_free_func(bytes, size, secret_block_free, block);
}

GBytes* l2tpbus_secret_bytes_new(gconstpointer bytes, gsize size) {
  return l2tpbus_secret_bytes_new_take(g_memdup2(bytes, size), size);
}

GVariant* l2tpbus_secret_bytes_variant_new(GBytes* bytes) {
  // "ay" needs no alignment, so GLib takes the buffer as it is.
  return g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}
