// The machine certificate of L2TP/IPsec (machine-auth-type=tls): the files
// a profile names (machine-cert, machine-key, machine-ca) read and decrypted
// here, as NetworkManager runs the plugin as root and l2tpbusd takes data,
// not paths. Kept apart from the profile translation so that the file formats
// are proven on their own, with keys made at test time.
#pragma once

#include <glib.h>

G_BEGIN_DECLS

// l2tpbusd's bound for each of IpsecCertificate, IpsecPrivateKey and IpsecCa,
// also applied to the files read.
#define L2TPBUS_MACHINE_CREDENTIAL_MAX_BYTES 65535

typedef struct {
  GBytes* certificate;  // DER X.509
  // DER PKCS#8 PrivateKeyInfo, unencrypted, in a buffer wiped when the last
  // reference goes (secret.h).
  GBytes* private_key;
  GBytes* ca;  // DER X.509, or NULL: none named and none in a PKCS#12 file
} L2tpbusMachineCredentials;

// FALSE with an L2TPBUS_PROFILE_ERROR whose message starts with the key of
// the profile at fault ("machine-key: ...") unless `path` is an absolute
// path without control characters. Reads nothing.
gboolean l2tpbus_machine_credentials_check_path(const char* key, const char* path, GError** error);

// Reads and decrypts. `cert_path`: PEM or DER X.509, or PKCS#12 (which may
// also hold the key and the CA). `key_path` (NULL: the key of the PKCS#12
// file): PEM (PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1, the last two possibly
// with OpenSSL's encryption headers), DER (PKCS#8, encrypted or not, PKCS#1
// or SEC1) or PKCS#12. `ca_path` (NULL: the PKCS#12 file's one CA, if any):
// PEM or DER X.509. `passphrase` (NULL: none) opens whatever is encrypted.
// Errors name the key: a file unreadable, over the bound or of no known
// format, a key not matching the certificate, a wrong passphrase
// (machine-certpass); a passphrase needed and not given is
// L2TPBUS_PROFILE_ERROR_MISSING_SECRET on machine-certpass.
gboolean l2tpbus_machine_credentials_load(const char* cert_path, const char* key_path,
                                          const char* ca_path, const char* passphrase,
                                          L2tpbusMachineCredentials* out, GError** error);
void l2tpbus_machine_credentials_clear(L2tpbusMachineCredentials* credentials);

// TRUE when the files are encrypted, so machine-certpass must be asked for;
// FALSE also when they cannot be read (loading them then says why).
gboolean l2tpbus_machine_credentials_need_passphrase(const char* cert_path, const char* key_path,
                                                     const char* ca_path);

G_END_DECLS
