// The machine certificate's files in every format the plugin reads, made
// when the test starts: each good combination yields the DER that
// l2tpbusd is to receive, each bad one an error naming the key at fault.
#include "machine_credentials.h"

#include <string.h>

#include "credentials_fixture.h"
#include "profile.h"
#include "secret.h"

static CredentialsFixture* fixture;

typedef struct {
  const char* name;
  const char* cert;  // file names in the fixture; NULL: none
  const char* key;
  const char* ca;
  const char* passphrase;
  // On success: whether the key is the RSA one, whether a CA comes out.
  gboolean rsa;
  gboolean with_ca;
  // On failure: the key the message starts with, and the code.
  const char* error_key;
  int error_code;
  const char* error_text;  // a part of the message, or NULL
} Case;

#define OK(rsa, with_ca) rsa, with_ca, NULL, 0, NULL
#define BAD(key, code, text) FALSE, FALSE, key, L2TPBUS_PROFILE_ERROR_##code, text
#define PASS FIXTURE_PASSPHRASE

static const Case kCases[] = {
    // ---- good: every format of the certificate, the key and the CA
    {"pem", "cert.pem", "key.pem", "ca.pem", NULL, OK(FALSE, TRUE)},
    {"der", "cert.der", "key.der", "ca.der", NULL, OK(FALSE, TRUE)},
    {"no-ca", "cert.pem", "key.pem", NULL, NULL, OK(FALSE, FALSE)},
    {"sec1-pem", "cert.pem", "key-sec1.pem", NULL, NULL, OK(FALSE, FALSE)},
    {"sec1-der", "cert.der", "key-sec1.der", NULL, NULL, OK(FALSE, FALSE)},
    {"rsa-pkcs1", "rsa-cert.pem", "rsa-key-pkcs1.pem", "ca.pem", NULL, OK(TRUE, TRUE)},
    {"encrypted-pem", "cert.pem", "key-encrypted.pem", NULL, PASS, OK(FALSE, FALSE)},
    {"encrypted-der", "cert.pem", "key-encrypted.der", NULL, PASS, OK(FALSE, FALSE)},
    {"legacy-encrypted", "cert.pem", "key-legacy-encrypted.pem", NULL, PASS, OK(FALSE, FALSE)},
    {"passphrase-unused", "cert.pem", "key.pem", NULL, "not needed", OK(FALSE, FALSE)},
    {"p12", "bundle.p12", NULL, NULL, PASS, OK(FALSE, TRUE)},
    {"p12-as-key-too", "bundle.p12", "bundle.p12", NULL, PASS, OK(FALSE, TRUE)},
    {"p12-key-only", "cert.pem", "bundle.p12", "ca.pem", PASS, OK(FALSE, TRUE)},
    {"p12-nopass", "bundle-nopass.p12", NULL, NULL, NULL, OK(FALSE, TRUE)},
    {"p12-ca-named", "bundle-two-cas.p12", NULL, "ca.der", PASS, OK(FALSE, TRUE)},
    {"p12-key-elsewhere", "bundle.p12", "key-sec1.pem", NULL, PASS, OK(FALSE, TRUE)},
    // ---- passphrases
    {"encrypted-no-passphrase", "cert.pem", "key-encrypted.pem", NULL, NULL,
     BAD("machine-certpass", MISSING_SECRET, NULL)},
    {"encrypted-wrong", "cert.pem", "key-encrypted.pem", NULL, "wrong",
     BAD("machine-certpass", INVALID_VALUE, "machine-key")},
    {"encrypted-der-no-passphrase", "cert.pem", "key-encrypted.der", NULL, NULL,
     BAD("machine-certpass", MISSING_SECRET, NULL)},
    {"encrypted-der-wrong", "cert.pem", "key-encrypted.der", NULL, "wrong",
     BAD("machine-certpass", INVALID_VALUE, NULL)},
    {"legacy-no-passphrase", "cert.pem", "key-legacy-encrypted.pem", NULL, NULL,
     BAD("machine-certpass", MISSING_SECRET, NULL)},
    {"legacy-wrong", "cert.pem", "key-legacy-encrypted.pem", NULL, "wrong",
     BAD("machine-certpass", INVALID_VALUE, NULL)},
    {"p12-no-passphrase", "bundle.p12", NULL, NULL, NULL,
     BAD("machine-certpass", MISSING_SECRET, NULL)},
    {"p12-wrong", "bundle.p12", NULL, NULL, "wrong",
     BAD("machine-certpass", INVALID_VALUE, "machine-cert")},
    {"p12-key-wrong", "cert.pem", "bundle.p12", NULL, "wrong",
     BAD("machine-certpass", INVALID_VALUE, "machine-key")},
    // ---- what does not fit together
    {"key-missing", "cert.pem", NULL, NULL, NULL, BAD("machine-key", MISSING, NULL)},
    {"key-of-another", "cert.pem", "other-key.pem", NULL, NULL,
     BAD("machine-key", INVALID_VALUE, "not the key")},
    {"rsa-key-ec-cert", "cert.pem", "rsa-key-pkcs1.pem", NULL, NULL,
     BAD("machine-key", INVALID_VALUE, NULL)},
    {"p12-two-cas", "bundle-two-cas.p12", NULL, NULL, PASS, BAD("machine-ca", MISSING, "2 CA")},
    {"two-certs", "two-certs.pem", "key.pem", NULL, NULL,
     BAD("machine-cert", INVALID_VALUE, "2 certificates")},
    {"ca-two-certs", "cert.pem", "key.pem", "two-certs.pem", NULL,
     BAD("machine-ca", INVALID_VALUE, "2 certificates")},
    {"ca-p12", "cert.pem", "key.pem", "bundle-nopass.p12", NULL,
     BAD("machine-ca", INVALID_VALUE, NULL)},
    // ---- formats
    {"cert-garbage", "garbage.bin", "key.pem", NULL, NULL,
     BAD("machine-cert", INVALID_VALUE, "not a certificate")},
    {"cert-is-key", "key.pem", "key.pem", NULL, NULL,
     BAD("machine-cert", INVALID_VALUE, "no PEM certificate")},
    {"key-garbage", "cert.pem", "garbage.bin", NULL, NULL,
     BAD("machine-key", INVALID_VALUE, "not a private key")},
    {"key-is-cert", "cert.pem", "cert.pem", NULL, NULL,
     BAD("machine-key", INVALID_VALUE, "not a private key")},
    {"ca-garbage", "cert.pem", "key.pem", "garbage.bin", NULL,
     BAD("machine-ca", INVALID_VALUE, "not a certificate")},
    {"cert-empty", "empty.bin", "key.pem", NULL, NULL, BAD("machine-cert", INVALID_VALUE, "empty")},
    {"cert-big", "big.pem", "key.pem", NULL, NULL,
     BAD("machine-cert", INVALID_VALUE, "larger than 65535")},
    {"key-big", "cert.pem", "big.pem", NULL, NULL,
     BAD("machine-key", INVALID_VALUE, "larger than 65535")},
    {"ca-big", "cert.pem", "key.pem", "big.pem", NULL,
     BAD("machine-ca", INVALID_VALUE, "larger than 65535")},
    // 65535 bytes are within the bound: refused for their format, not their size.
    {"cert-at-bound", "at-bound.pem", "key.pem", NULL, NULL,
     BAD("machine-cert", INVALID_VALUE, "not a certificate")},
    {"cert-absent", "absent.pem", "key.pem", NULL, NULL,
     BAD("machine-cert", INVALID_VALUE, "cannot read")},
    {"key-absent", "cert.pem", "absent.pem", NULL, NULL,
     BAD("machine-key", INVALID_VALUE, "cannot read")},
    {"ca-absent", "cert.pem", "key.pem", "absent.pem", NULL,
     BAD("machine-ca", INVALID_VALUE, "cannot read")},
    {"cert-directory", ".", "key.pem", NULL, NULL,
     BAD("machine-cert", INVALID_VALUE, "not a regular file")},
};

static char* path_of(const char* name) {
  return name != NULL ? credentials_fixture_path(fixture, name) : NULL;
}

static void assert_bytes_equal(GBytes* actual, GBytes* expected) {
  g_assert_nonnull(actual);
  if (!g_bytes_equal(actual, expected)) {
    g_error("%" G_GSIZE_FORMAT " bytes differ from the %" G_GSIZE_FORMAT " expected",
            g_bytes_get_size(actual), g_bytes_get_size(expected));
  }
}

static void run_case(gconstpointer data) {
  const Case* c = data;
  g_autofree char* cert = path_of(c->cert);
  g_autofree char* key = path_of(c->key);
  g_autofree char* ca = path_of(c->ca);
  L2tpbusMachineCredentials credentials;
  g_autoptr(GError) error = NULL;
  const gboolean ok =
      l2tpbus_machine_credentials_load(cert, key, ca, c->passphrase, &credentials, &error);
  if (c->error_key != NULL) {
    g_assert_false(ok);
    g_assert_error(error, L2TPBUS_PROFILE_ERROR, c->error_code);
    g_autofree char* prefix = g_strdup_printf("%s: ", c->error_key);
    if (!g_str_has_prefix(error->message, prefix) ||
        (c->error_text != NULL && strstr(error->message, c->error_text) == NULL)) {
      g_error("message \"%s\": expected \"%s\" and \"%s\"", error->message, prefix,
              c->error_text != NULL ? c->error_text : "");
    }
    g_assert_null(credentials.certificate);
    g_assert_null(credentials.private_key);
    g_assert_null(credentials.ca);
    return;
  }
  g_assert_no_error(error);
  g_assert_true(ok);
  if (!c->rsa) assert_bytes_equal(credentials.certificate, fixture->certificate_der);
  assert_bytes_equal(credentials.private_key,
                     c->rsa ? fixture->rsa_key_pkcs8_der : fixture->key_pkcs8_der);
  if (c->with_ca) {
    assert_bytes_equal(credentials.ca, fixture->ca_der);
  } else {
    g_assert_null(credentials.ca);
  }
  l2tpbus_machine_credentials_clear(&credentials);
  g_assert_null(credentials.private_key);
}

static void test_paths(void) {
  static const char* const kBad[] = {
      "cert.pem", "./cert.pem", "file:///etc/cert.pem", "pkcs11:object=client", "/etc/ce\nrt.pem",
      ""};
  for (gsize i = 0; i < G_N_ELEMENTS(kBad); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_false(l2tpbus_machine_credentials_check_path("machine-ca", kBad[i], &error));
    g_assert_error(error, L2TPBUS_PROFILE_ERROR, L2TPBUS_PROFILE_ERROR_INVALID_VALUE);
    g_assert_true(g_str_has_prefix(error->message, "machine-ca: "));
  }
  g_autoptr(GError) error = NULL;
  g_assert_true(
      l2tpbus_machine_credentials_check_path("machine-ca", "/etc/ipsec.d/ca.pem", &error));
  g_assert_no_error(error);
  // And loading checks them too.
  L2tpbusMachineCredentials credentials;
  g_assert_false(
      l2tpbus_machine_credentials_load("cert.pem", NULL, NULL, NULL, &credentials, &error));
  g_assert_true(g_str_has_prefix(error->message, "machine-cert: "));
}

static void test_need_passphrase(void) {
  static const struct {
    const char* cert;
    const char* key;
    gboolean need;
  } kCases[] = {
      {"cert.pem", "key.pem", FALSE},
      {"cert.pem", "key-encrypted.pem", TRUE},
      {"cert.pem", "key-encrypted.der", TRUE},
      {"cert.pem", "key-legacy-encrypted.pem", TRUE},
      {"bundle.p12", NULL, TRUE},
      {"bundle.p12", "bundle.p12", TRUE},
      {"bundle-nopass.p12", NULL, FALSE},
      {"cert.pem", "bundle.p12", TRUE},
      // Unreadable or wrong files need no passphrase: loading says what is wrong.
      {"absent.pem", "key-encrypted.pem", FALSE},
      {"cert.pem", "garbage.bin", FALSE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(kCases); i++) {
    g_autofree char* cert = path_of(kCases[i].cert);
    g_autofree char* key = path_of(kCases[i].key);
    if (l2tpbus_machine_credentials_need_passphrase(cert, key, NULL) != kCases[i].need) {
      g_error("%s + %s: expected need=%d", kCases[i].cert, kCases[i].key, kCases[i].need);
    }
  }
}

typedef struct {
  guint wipes;
  gsize key_size;
  gboolean key_wiped;
} Wipes;

static void observe_wipe(const void* bytes, gsize size, gpointer data) {
  Wipes* wipes = data;
  wipes->wipes++;
  if (size != wipes->key_size) return;
  gboolean zero = TRUE;
  for (gsize i = 0; i < size; i++) zero = zero && ((const guchar*)bytes)[i] == 0;
  wipes->key_wiped = zero;
}

// The decrypted key (PKCS#8) and every file read (the key files above all)
// go back to the allocator wiped.
static void test_wiped(void) {
  Wipes wipes = {0, g_bytes_get_size(fixture->key_pkcs8_der), FALSE};
  l2tpbus_secret_set_wipe_observer(observe_wipe, &wipes);
  g_autofree char* cert = path_of("cert.pem");
  g_autofree char* key = path_of("key-encrypted.pem");
  g_autofree char* ca = path_of("ca.pem");
  L2tpbusMachineCredentials credentials;
  g_autoptr(GError) error = NULL;
  g_assert_true(l2tpbus_machine_credentials_load(cert, key, ca, PASS, &credentials, &error));
  g_assert_cmpuint(wipes.wipes, ==, 3);  // the three files' buffers
  g_assert_false(wipes.key_wiped);
  g_bytes_ref(credentials.private_key);
  GBytes* held = credentials.private_key;
  l2tpbus_machine_credentials_clear(&credentials);
  g_assert_cmpuint(wipes.wipes, ==, 3);  // still held
  g_bytes_unref(held);
  g_assert_cmpuint(wipes.wipes, ==, 4);
  g_assert_true(wipes.key_wiped);

  // A failed load wipes what it read as well.
  wipes.wipes = 0;
  g_assert_false(l2tpbus_machine_credentials_load(cert, key, ca, "wrong", &credentials, &error));
  g_assert_cmpuint(wipes.wipes, ==, 2);  // cert and key; the CA was never reached
  l2tpbus_secret_set_wipe_observer(NULL, NULL);
}

int main(int argc, char** argv) {
  g_test_init(&argc, &argv, NULL);
  fixture = credentials_fixture_new();
  for (gsize i = 0; i < G_N_ELEMENTS(kCases); i++) {
    g_autofree char* path = g_strdup_printf("/machine-credentials/load/%s", kCases[i].name);
    g_test_add_data_func(path, &kCases[i], run_case);
  }
  g_test_add_func("/machine-credentials/paths", test_paths);
  g_test_add_func("/machine-credentials/need-passphrase", test_need_passphrase);
  g_test_add_func("/machine-credentials/wiped", test_wiped);
  const int status = g_test_run();
  credentials_fixture_free(fixture);
  return status;
}
