// Throwaway machine credentials made with libcrypto when a test starts (no
// private key is ever committed): a CA, a certificate it signed and its key,
// written in every format the plugin reads into a temporary directory that
// credentials_fixture_free removes.
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FIXTURE_PASSPHRASE "correct horse"

typedef struct {
  char* directory;
  // What l2tpbusd is to receive for cert.pem, key.pem and ca.pem: DER X.509
  // and DER PKCS#8.
  GBytes* certificate_der;
  GBytes* key_pkcs8_der;
  GBytes* ca_der;
  GBytes* rsa_key_pkcs8_der;  // rsa-key-pkcs1.pem as PKCS#8
} CredentialsFixture;

// Files, all in `directory`:
//   ca.pem ca.der other-ca.pem         CA certificates
//   cert.pem cert.der                  EC P-256 certificate signed by ca
//   key.pem key.der                    its key, PKCS#8
//   key-sec1.pem key-sec1.der          the same key, SEC1
//   key-encrypted.pem .der             PKCS#8 encrypted with FIXTURE_PASSPHRASE
//   key-legacy-encrypted.pem           SEC1 with OpenSSL's Proc-Type encryption
//   rsa-cert.pem rsa-key-pkcs1.pem     an RSA certificate and its PKCS#1 key
//   other-key.pem                      a key of no certificate here
//   bundle.p12                         key, cert and ca, FIXTURE_PASSPHRASE
//   bundle-nopass.p12                  the same, empty passphrase
//   bundle-two-cas.p12                 with ca and other-ca
//   two-certs.pem                      cert and ca in one file
//   garbage.bin empty.bin              no format; nothing
//   big.pem                            65536 bytes
//   at-bound.pem                       65535 bytes of no format
CredentialsFixture* credentials_fixture_new(void);
void credentials_fixture_free(CredentialsFixture* fixture);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CredentialsFixture, credentials_fixture_free)

// `name` in the fixture's directory (g_free).
char* credentials_fixture_path(const CredentialsFixture* fixture, const char* name);

// `text` with every "{dir}" replaced by the fixture's directory (g_free).
char* credentials_fixture_expand(const CredentialsFixture* fixture, const char* text);

G_END_DECLS
