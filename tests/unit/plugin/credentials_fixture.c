// OpenSSL 3.0's API (Debian bookworm); failures abort the test at once,
// since every later assertion would be about a fixture that is not there.
#include "credentials_fixture.h"

#include <glib/gstdio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

static EVP_PKEY* new_ec_key(void) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  g_assert_nonnull(key);
  return key;
}

static X509* new_certificate(EVP_PKEY* key, const char* name, X509* issuer, EVP_PKEY* issuer_key,
                             gboolean ca, long serial) {
  X509* certificate = X509_new();
  g_assert_nonnull(certificate);
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
  X509_set_pubkey(certificate, key);
  X509_NAME* subject = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char*)name, -1, -1, 0);
  X509_set_issuer_name(certificate, issuer != NULL ? X509_get_subject_name(issuer) : subject);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer != NULL ? issuer : certificate, certificate, NULL, NULL, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(NULL, &context, NID_basic_constraints,
                                                  ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  g_assert_cmpint(X509_sign(certificate, issuer_key != NULL ? issuer_key : key, EVP_sha256()), >,
                  0);
  return certificate;
}

static GBytes* bio_contents(BIO* bio) {
  char* data = NULL;
  const long length = BIO_get_mem_data(bio, &data);
  GBytes* bytes = g_bytes_new(data, (gsize)length);
  BIO_free(bio);
  return bytes;
}

static void write_file(const CredentialsFixture* fixture, const char* name, GBytes* bytes) {
  g_autofree char* path = credentials_fixture_path(fixture, name);
  gsize size = 0;
  const char* data = g_bytes_get_data(bytes, &size);
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_set_contents(path, data != NULL ? data : "", (gssize)size, &error));
  g_assert_no_error(error);
}

static void write_bio(const CredentialsFixture* fixture, const char* name, BIO* bio) {
  g_autoptr(GBytes) bytes = bio_contents(bio);
  write_file(fixture, name, bytes);
}

static GBytes* certificate_der(X509* certificate) {
  BIO* bio = BIO_new(BIO_s_mem());
  g_assert_cmpint(i2d_X509_bio(bio, certificate), ==, 1);
  return bio_contents(bio);
}

static GBytes* key_pkcs8_der(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  g_assert_cmpint(i2d_PKCS8PrivateKey_bio(bio, key, NULL, NULL, 0, NULL, NULL), ==, 1);
  return bio_contents(bio);
}

static void write_certificate_pem(const CredentialsFixture* fixture, const char* name,
                                  X509* const* certificates, gsize count) {
  BIO* bio = BIO_new(BIO_s_mem());
  for (gsize i = 0; i < count; i++)
    g_assert_cmpint(PEM_write_bio_X509(bio, certificates[i]), ==, 1);
  write_bio(fixture, name, bio);
}

static void write_pkcs12(const CredentialsFixture* fixture, const char* name, EVP_PKEY* key,
                         X509* certificate, X509* const* cas, gsize ca_count,
                         const char* passphrase) {
  STACK_OF(X509)* stack = sk_X509_new_null();
  for (gsize i = 0; i < ca_count; i++) sk_X509_push(stack, cas[i]);
  PKCS12* p12 = PKCS12_create(passphrase, "l2tpbus test", key, certificate, stack, 0, 0, 0, 0, 0);
  g_assert_nonnull(p12);
  sk_X509_free(stack);
  BIO* bio = BIO_new(BIO_s_mem());
  g_assert_cmpint(i2d_PKCS12_bio(bio, p12), ==, 1);
  PKCS12_free(p12);
  write_bio(fixture, name, bio);
}

static void write_filler(const CredentialsFixture* fixture, const char* name, gsize size) {
  g_autofree char* filler = g_malloc(size);
  memset(filler, 'x', size);
  g_autoptr(GBytes) bytes = g_bytes_new(filler, size);
  write_file(fixture, name, bytes);
}

CredentialsFixture* credentials_fixture_new(void) {
  CredentialsFixture* fixture = g_new0(CredentialsFixture, 1);
  g_autoptr(GError) error = NULL;
  fixture->directory = g_dir_make_tmp("l2tpbus-credentials-XXXXXX", &error);
  g_assert_no_error(error);

  EVP_PKEY* ca_key = new_ec_key();
  X509* ca = new_certificate(ca_key, "l2tpbus test CA", NULL, NULL, TRUE, 1);
  EVP_PKEY* other_ca_key = new_ec_key();
  X509* other_ca = new_certificate(other_ca_key, "l2tpbus other CA", NULL, NULL, TRUE, 2);
  EVP_PKEY* key = new_ec_key();
  X509* certificate = new_certificate(key, "client.example.com", ca, ca_key, FALSE, 3);
  EVP_PKEY* rsa_key = EVP_RSA_gen(2048);
  g_assert_nonnull(rsa_key);
  X509* rsa_certificate = new_certificate(rsa_key, "rsa.example.com", ca, ca_key, FALSE, 4);
  EVP_PKEY* other_key = new_ec_key();

  fixture->certificate_der = certificate_der(certificate);
  fixture->ca_der = certificate_der(ca);
  fixture->key_pkcs8_der = key_pkcs8_der(key);
  fixture->rsa_key_pkcs8_der = key_pkcs8_der(rsa_key);

  write_certificate_pem(fixture, "ca.pem", &ca, 1);
  write_file(fixture, "ca.der", fixture->ca_der);
  write_certificate_pem(fixture, "other-ca.pem", &other_ca, 1);
  write_certificate_pem(fixture, "cert.pem", &certificate, 1);
  write_file(fixture, "cert.der", fixture->certificate_der);
  write_certificate_pem(fixture, "rsa-cert.pem", &rsa_certificate, 1);
  X509* const pair[] = {certificate, ca};
  write_certificate_pem(fixture, "two-certs.pem", pair, 2);

  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
  write_bio(fixture, "key.pem", bio);
  write_file(fixture, "key.der", fixture->key_pkcs8_der);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL);
  write_bio(fixture, "key-sec1.pem", bio);
  bio = BIO_new(BIO_s_mem());
  g_assert_cmpint(i2d_PrivateKey_bio(bio, key), ==, 1);
  write_bio(fixture, "key-sec1.der", bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), NULL, 0, NULL,
                                (void*)FIXTURE_PASSPHRASE);
  write_bio(fixture, "key-encrypted.pem", bio);
  bio = BIO_new(BIO_s_mem());
  i2d_PKCS8PrivateKey_bio(bio, key, EVP_aes_256_cbc(), NULL, 0, NULL, (void*)FIXTURE_PASSPHRASE);
  write_bio(fixture, "key-encrypted.der", bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey_traditional(bio, key, EVP_aes_128_cbc(),
                                       (unsigned char*)FIXTURE_PASSPHRASE,
                                       (int)strlen(FIXTURE_PASSPHRASE), NULL, NULL);
  write_bio(fixture, "key-legacy-encrypted.pem", bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey_traditional(bio, rsa_key, NULL, NULL, 0, NULL, NULL);
  write_bio(fixture, "rsa-key-pkcs1.pem", bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(bio, other_key, NULL, NULL, 0, NULL, NULL);
  write_bio(fixture, "other-key.pem", bio);

  write_pkcs12(fixture, "bundle.p12", key, certificate, &ca, 1, FIXTURE_PASSPHRASE);
  write_pkcs12(fixture, "bundle-nopass.p12", key, certificate, &ca, 1, "");
  X509* const cas[] = {ca, other_ca};
  write_pkcs12(fixture, "bundle-two-cas.p12", key, certificate, cas, 2, FIXTURE_PASSPHRASE);

  g_autoptr(GBytes) garbage = g_bytes_new_static("\x30\x03\x02\x01\x05 not a certificate", 24);
  write_file(fixture, "garbage.bin", garbage);
  g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
  write_file(fixture, "empty.bin", empty);
  write_filler(fixture, "big.pem", 65536);
  write_filler(fixture, "at-bound.pem", 65535);

  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(other_ca_key);
  EVP_PKEY_free(key);
  EVP_PKEY_free(rsa_key);
  EVP_PKEY_free(other_key);
  X509_free(ca);
  X509_free(other_ca);
  X509_free(certificate);
  X509_free(rsa_certificate);
  return fixture;
}

void credentials_fixture_free(CredentialsFixture* fixture) {
  if (fixture == NULL) return;
  g_autoptr(GDir) directory = g_dir_open(fixture->directory, 0, NULL);
  const char* name = NULL;
  while (directory != NULL && (name = g_dir_read_name(directory)) != NULL) {
    g_autofree char* path = credentials_fixture_path(fixture, name);
    g_unlink(path);
  }
  g_rmdir(fixture->directory);
  g_free(fixture->directory);
  g_bytes_unref(fixture->certificate_der);
  g_bytes_unref(fixture->key_pkcs8_der);
  g_bytes_unref(fixture->ca_der);
  g_bytes_unref(fixture->rsa_key_pkcs8_der);
  g_free(fixture);
}

char* credentials_fixture_path(const CredentialsFixture* fixture, const char* name) {
  return g_build_filename(fixture->directory, name, NULL);
}

char* credentials_fixture_expand(const CredentialsFixture* fixture, const char* text) {
  g_auto(GStrv) parts = g_strsplit(text, "{dir}", -1);
  return g_strjoinv(fixture->directory, parts);
}
