// File contents are read into buffers wiped before they are freed, and the
// decrypted key leaves as PKCS#8 DER in one too; libcrypto's own copies of
// key material are libcrypto's to clear, which it does when EVP_PKEY_free
// and PKCS8_PRIV_KEY_INFO_free release them. libcrypto's error queue is
// emptied after each failure so that nothing of one profile's files lingers
// for the next.
#include "machine_credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "profile.h"
#include "secret.h"

enum {
  kMaxPathBytes = 4096,
};

static gboolean fail(GError** error, L2tpbusProfileError code, const char* key,
                     const char* message) {
  ERR_clear_error();
  g_set_error(error, L2TPBUS_PROFILE_ERROR, code, "%s: %s", key, message);
  return FALSE;
}

gboolean l2tpbus_machine_credentials_check_path(const char* key, const char* path, GError** error) {
  for (const unsigned char* p = (const unsigned char*)path; *p != '\0'; p++) {
    if (*p < 0x20 || *p == 0x7f) {
      return fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
                  dgettext(GETTEXT_PACKAGE, "must not contain control characters"));
    }
  }
  // NetworkManager starts the plugin in /, where a relative path means nothing
  // the user chose; a URI (pkcs11:, file://) is no path at all.
  if (!g_path_is_absolute(path) || strlen(path) > kMaxPathBytes) {
    return fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
                dgettext(GETTEXT_PACKAGE, "expected the absolute path of a file"));
  }
  return TRUE;
}

// ---- reading files ------------------------------------------------------------------

typedef struct {
  guchar* bytes;
  gsize size;
  gsize capacity;  // the allocation, wiped whole: simpler than knowing what the reads filled
} FileData;

static void file_data_clear(FileData* file) {
  if (file->bytes == NULL) return;
  // Through a secret buffer, for the wipe and the test seam that sees it.
  g_bytes_unref(l2tpbus_secret_bytes_new_take(file->bytes, file->capacity));
  memset(file, 0, sizeof(*file));
}

static gboolean read_file(const char* key, const char* path, FileData* out, GError** error) {
  memset(out, 0, sizeof(*out));
  if (!l2tpbus_machine_credentials_check_path(key, path, error)) return FALSE;
  const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int saved = errno;
    g_set_error(error, L2TPBUS_PROFILE_ERROR, L2TPBUS_PROFILE_ERROR_INVALID_VALUE,
                dgettext(GETTEXT_PACKAGE, "%s: cannot read %s: %s"), key, path, g_strerror(saved));
    return FALSE;
  }
  struct stat status;
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    close(fd);
    return fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
                dgettext(GETTEXT_PACKAGE, "not a regular file"));
  }
  // One byte over the bound tells a file at the bound from a bigger one,
  // whatever fstat said before the read.
  out->capacity = L2TPBUS_MACHINE_CREDENTIAL_MAX_BYTES + 1;
  out->bytes = g_malloc(out->capacity);
  gboolean read_error = FALSE;
  while (out->size < out->capacity) {
    const ssize_t got = read(fd, out->bytes + out->size, out->capacity - out->size);
    if (got < 0 && errno == EINTR) continue;
    read_error = got < 0;
    if (got <= 0) break;
    out->size += (gsize)got;
  }
  close(fd);
  const char* problem = NULL;
  if (read_error) {
    problem = dgettext(GETTEXT_PACKAGE, "cannot read the file");
  } else if (out->size == out->capacity) {
    problem = dgettext(GETTEXT_PACKAGE, "the file is larger than 65535 bytes");
  } else if (out->size == 0) {
    problem = dgettext(GETTEXT_PACKAGE, "the file is empty");
  }
  if (problem == NULL) return TRUE;
  file_data_clear(out);
  return fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key, problem);
}

static gboolean is_pem(const FileData* file) {
  return g_strstr_len((const char*)file->bytes, (gssize)file->size, "-----BEGIN ") != NULL;
}

// ---- passphrases --------------------------------------------------------------------

typedef struct {
  const char* passphrase;
  gboolean asked;
} Passphrase;

static int give_passphrase(char* buffer, int size, int writing, void* data) {
  (void)writing;
  Passphrase* passphrase = data;
  passphrase->asked = TRUE;
  if (passphrase->passphrase == NULL) return -1;
  const size_t length = strlen(passphrase->passphrase);
  if (length > (size_t)size) return -1;
  memcpy(buffer, passphrase->passphrase, length);
  return (int)length;
}

static gboolean passphrase_failure(GError** error, const Passphrase* passphrase, const char* key) {
  if (passphrase->passphrase == NULL) {
    return fail(error, L2TPBUS_PROFILE_ERROR_MISSING_SECRET, L2TPBUS_KEY_MACHINE_CERTPASS,
                dgettext(GETTEXT_PACKAGE, "missing: the file is encrypted"));
  }
  g_set_error(error, L2TPBUS_PROFILE_ERROR, L2TPBUS_PROFILE_ERROR_INVALID_VALUE,
              dgettext(GETTEXT_PACKAGE, "%s: does not decrypt the file of %s"),
              L2TPBUS_KEY_MACHINE_CERTPASS, key);
  ERR_clear_error();
  return FALSE;
}

// ---- the formats --------------------------------------------------------------------

typedef struct {
  X509* certificate;
  EVP_PKEY* key;
  STACK_OF(X509) * cas;
} Pkcs12Contents;

static void pkcs12_contents_clear(Pkcs12Contents* contents) {
  X509_free(contents->certificate);
  EVP_PKEY_free(contents->key);
  sk_X509_pop_free(contents->cas, X509_free);
  memset(contents, 0, sizeof(*contents));
}

static PKCS12* parse_pkcs12_der(const FileData* file) {
  const unsigned char* cursor = file->bytes;
  PKCS12* p12 = d2i_PKCS12(NULL, &cursor, (long)file->size);
  if (p12 != NULL && cursor != file->bytes + file->size) {
    PKCS12_free(p12);
    return NULL;
  }
  return p12;
}

static gboolean open_pkcs12(const char* key, PKCS12* p12, const char* passphrase,
                            Pkcs12Contents* out, GError** error) {
  memset(out, 0, sizeof(*out));
  // Files made without a passphrase have the empty one (or none at all).
  const char* used = passphrase;
  if (PKCS12_mac_present(p12)) {
    if (PKCS12_verify_mac(p12, "", 0)) {
      used = "";
    } else if (PKCS12_verify_mac(p12, NULL, 0)) {
      used = NULL;
    } else {
      const Passphrase given = {passphrase, TRUE};
      if (passphrase == NULL || !PKCS12_verify_mac(p12, passphrase, -1)) {
        return passphrase_failure(error, &given, key);
      }
    }
  }
  if (!PKCS12_parse(p12, used, &out->key, &out->certificate, &out->cas)) {
    pkcs12_contents_clear(out);
    return fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
                dgettext(GETTEXT_PACKAGE, "cannot open the PKCS#12 file"));
  }
  return TRUE;
}

static X509* parse_certificate_der(const FileData* file) {
  const unsigned char* cursor = file->bytes;
  X509* certificate = d2i_X509(NULL, &cursor, (long)file->size);
  if (certificate != NULL && cursor != file->bytes + file->size) {
    X509_free(certificate);
    return NULL;
  }
  return certificate;
}

// Exactly one certificate, PEM or DER: l2tpbusd takes one, and dropping the
// rest of a bundle would be a choice made behind the user's back.
static X509* parse_one_certificate(const char* key, const FileData* file, GError** error) {
  if (!is_pem(file)) {
    X509* certificate = parse_certificate_der(file);
    if (certificate == NULL) {
      const gboolean machine_cert = strcmp(key, L2TPBUS_KEY_MACHINE_CERT) == 0;
      fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
           machine_cert
               ? dgettext(GETTEXT_PACKAGE,
                          "not a certificate (expected PEM or DER X.509, or PKCS#12)")
               : dgettext(GETTEXT_PACKAGE, "not a certificate (expected PEM or DER X.509)"));
    }
    return certificate;
  }
  BIO* bio = BIO_new_mem_buf(file->bytes, (int)file->size);
  X509* first = NULL;
  guint count = 0;
  for (;;) {
    X509* certificate = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (certificate == NULL) break;
    count++;
    if (first == NULL) {
      first = certificate;
    } else {
      X509_free(certificate);
    }
  }
  BIO_free(bio);
  ERR_clear_error();
  if (count == 1) return first;
  X509_free(first);
  if (count == 0) {
    fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
         dgettext(GETTEXT_PACKAGE, "holds no PEM certificate"));
  } else {
    g_set_error(error, L2TPBUS_PROFILE_ERROR, L2TPBUS_PROFILE_ERROR_INVALID_VALUE,
                dgettext(GETTEXT_PACKAGE, "%s: holds %u certificates; l2tpbusd takes one"), key,
                count);
  }
  return NULL;
}

static EVP_PKEY* parse_key_pem(const FileData* file, Passphrase* passphrase) {
  BIO* bio = BIO_new_mem_buf(file->bytes, (int)file->size);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, NULL, give_passphrase, passphrase);
  BIO_free(bio);
  return key;
}

static EVP_PKEY* parse_key_der(const FileData* file, Passphrase* passphrase) {
  const unsigned char* cursor = file->bytes;
  EVP_PKEY* key = d2i_AutoPrivateKey(NULL, &cursor, (long)file->size);
  if (key != NULL) {
    if (cursor == file->bytes + file->size) return key;
    EVP_PKEY_free(key);
    return NULL;
  }
  cursor = file->bytes;
  X509_SIG* encrypted = d2i_X509_SIG(NULL, &cursor, (long)file->size);
  if (encrypted == NULL) return NULL;
  passphrase->asked = TRUE;
  if (cursor != file->bytes + file->size || passphrase->passphrase == NULL) {
    X509_SIG_free(encrypted);
    return NULL;
  }
  PKCS8_PRIV_KEY_INFO* info = PKCS8_decrypt(encrypted, passphrase->passphrase, -1);
  X509_SIG_free(encrypted);
  if (info == NULL) return NULL;
  key = EVP_PKCS82PKEY(info);
  PKCS8_PRIV_KEY_INFO_free(info);
  return key;
}

static EVP_PKEY* load_key(const char* key_path, const char* passphrase, GError** error) {
  FileData file;
  if (!read_file(L2TPBUS_KEY_MACHINE_KEY, key_path, &file, error)) return NULL;
  Passphrase given = {passphrase, FALSE};
  EVP_PKEY* key = NULL;
  if (is_pem(&file)) {
    key = parse_key_pem(&file, &given);
  } else {
    key = parse_key_der(&file, &given);
    // An encrypted PKCS#8 key parses as no PKCS#12 file; a PKCS#12 file as no key.
    PKCS12* p12 = key == NULL && !given.asked ? parse_pkcs12_der(&file) : NULL;
    if (p12 != NULL) {
      Pkcs12Contents contents;
      const gboolean opened =
          open_pkcs12(L2TPBUS_KEY_MACHINE_KEY, p12, passphrase, &contents, error);
      PKCS12_free(p12);
      file_data_clear(&file);
      if (!opened) return NULL;
      key = g_steal_pointer(&contents.key);
      pkcs12_contents_clear(&contents);
      if (key == NULL) {
        fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, L2TPBUS_KEY_MACHINE_KEY,
             dgettext(GETTEXT_PACKAGE, "the PKCS#12 file holds no private key"));
      }
      return key;
    }
  }
  file_data_clear(&file);
  if (key != NULL) {
    ERR_clear_error();
    return key;
  }
  if (given.asked) {
    passphrase_failure(error, &given, L2TPBUS_KEY_MACHINE_KEY);
  } else {
    fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, L2TPBUS_KEY_MACHINE_KEY,
         dgettext(GETTEXT_PACKAGE,
                  "not a private key (expected PEM, DER or PKCS#12; PKCS#8, PKCS#1 or SEC1)"));
  }
  return NULL;
}

// ---- the encodings l2tpbusd takes ---------------------------------------------------

static GBytes* certificate_der(const char* key, X509* certificate, GError** error) {
  const int length = i2d_X509(certificate, NULL);
  if (length <= 0 || length > L2TPBUS_MACHINE_CREDENTIAL_MAX_BYTES) {
    fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, key,
         dgettext(GETTEXT_PACKAGE, "the certificate is larger than 65535 bytes"));
    return NULL;
  }
  guchar* bytes = g_malloc((gsize)length);
  guchar* cursor = bytes;
  i2d_X509(certificate, &cursor);
  return g_bytes_new_take(bytes, (gsize)length);
}

static GBytes* private_key_der(EVP_PKEY* key, GError** error) {
  PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key);
  const int length = info != NULL ? i2d_PKCS8_PRIV_KEY_INFO(info, NULL) : -1;
  if (length <= 0 || length > L2TPBUS_MACHINE_CREDENTIAL_MAX_BYTES) {
    PKCS8_PRIV_KEY_INFO_free(info);
    fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, L2TPBUS_KEY_MACHINE_KEY,
         dgettext(GETTEXT_PACKAGE, "cannot encode the private key as PKCS#8 of 65535 bytes"));
    return NULL;
  }
  guchar* bytes = g_malloc((gsize)length);
  guchar* cursor = bytes;
  i2d_PKCS8_PRIV_KEY_INFO(info, &cursor);
  PKCS8_PRIV_KEY_INFO_free(info);
  return l2tpbus_secret_bytes_new_take(bytes, (gsize)length);
}

// ---- all together -------------------------------------------------------------------

typedef struct {
  X509* certificate;
  EVP_PKEY* key;
  X509* ca;
  STACK_OF(X509) * pkcs12_cas;
} Parts;

static void parts_clear(Parts* parts) {
  X509_free(parts->certificate);
  EVP_PKEY_free(parts->key);
  X509_free(parts->ca);
  sk_X509_pop_free(parts->pkcs12_cas, X509_free);
  memset(parts, 0, sizeof(*parts));
}

static gboolean load_certificate(const char* cert_path, const char* passphrase, Parts* parts,
                                 GError** error) {
  FileData file;
  if (!read_file(L2TPBUS_KEY_MACHINE_CERT, cert_path, &file, error)) return FALSE;
  PKCS12* p12 = NULL;
  if (!is_pem(&file)) {
    parts->certificate = parse_certificate_der(&file);
    if (parts->certificate == NULL) p12 = parse_pkcs12_der(&file);
  }
  if (p12 != NULL) {
    Pkcs12Contents contents;
    const gboolean opened =
        open_pkcs12(L2TPBUS_KEY_MACHINE_CERT, p12, passphrase, &contents, error);
    PKCS12_free(p12);
    file_data_clear(&file);
    if (!opened) return FALSE;
    parts->certificate = g_steal_pointer(&contents.certificate);
    parts->key = g_steal_pointer(&contents.key);
    parts->pkcs12_cas = g_steal_pointer(&contents.cas);
    if (parts->certificate == NULL) {
      return fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, L2TPBUS_KEY_MACHINE_CERT,
                  dgettext(GETTEXT_PACKAGE, "the PKCS#12 file holds no certificate"));
    }
    return TRUE;
  }
  if (parts->certificate == NULL) {
    parts->certificate = parse_one_certificate(L2TPBUS_KEY_MACHINE_CERT, &file, error);
  }
  file_data_clear(&file);
  return parts->certificate != NULL;
}

static gboolean load_ca(const char* ca_path, Parts* parts, GError** error) {
  if (ca_path == NULL) {
    const int count = parts->pkcs12_cas != NULL ? sk_X509_num(parts->pkcs12_cas) : 0;
    if (count == 1) {
      parts->ca = sk_X509_value(parts->pkcs12_cas, 0);
      X509_up_ref(parts->ca);
    } else if (count > 1) {
      g_set_error(error, L2TPBUS_PROFILE_ERROR, L2TPBUS_PROFILE_ERROR_MISSING,
                  dgettext(GETTEXT_PACKAGE,
                           "%s: missing: the PKCS#12 file holds %d CA certificates; name the "
                           "one to trust"),
                  L2TPBUS_KEY_MACHINE_CA, count);
      return FALSE;
    }
    return TRUE;
  }
  FileData file;
  if (!read_file(L2TPBUS_KEY_MACHINE_CA, ca_path, &file, error)) return FALSE;
  parts->ca = parse_one_certificate(L2TPBUS_KEY_MACHINE_CA, &file, error);
  file_data_clear(&file);
  return parts->ca != NULL;
}

static gboolean load_parts(const char* cert_path, const char* key_path, const char* ca_path,
                           const char* passphrase, Parts* parts, GError** error) {
  memset(parts, 0, sizeof(*parts));
  if (!load_certificate(cert_path, passphrase, parts, error)) return FALSE;
  // NetworkManager-l2tp's editor names a PKCS#12 file as both cert and key.
  const gboolean key_in_certificate_file =
      parts->key != NULL && (key_path == NULL || strcmp(key_path, cert_path) == 0);
  if (!key_in_certificate_file) {
    if (key_path == NULL) {
      return fail(error, L2TPBUS_PROFILE_ERROR_MISSING, L2TPBUS_KEY_MACHINE_KEY,
                  dgettext(GETTEXT_PACKAGE, "missing: the private key of machine-cert"));
    }
    EVP_PKEY_free(parts->key);
    parts->key = load_key(key_path, passphrase, error);
    if (parts->key == NULL) return FALSE;
  }
  if (!load_ca(ca_path, parts, error)) return FALSE;
  if (X509_check_private_key(parts->certificate, parts->key) != 1) {
    return fail(error, L2TPBUS_PROFILE_ERROR_INVALID_VALUE, L2TPBUS_KEY_MACHINE_KEY,
                dgettext(GETTEXT_PACKAGE, "is not the key of the certificate in machine-cert"));
  }
  ERR_clear_error();
  return TRUE;
}

gboolean l2tpbus_machine_credentials_load(const char* cert_path, const char* key_path,
                                          const char* ca_path, const char* passphrase,
                                          L2tpbusMachineCredentials* out, GError** error) {
  g_return_val_if_fail(cert_path != NULL && out != NULL, FALSE);
  memset(out, 0, sizeof(*out));
  Parts parts;
  gboolean ok = load_parts(cert_path, key_path, ca_path, passphrase, &parts, error);
  if (ok) out->certificate = certificate_der(L2TPBUS_KEY_MACHINE_CERT, parts.certificate, error);
  ok = ok && out->certificate != NULL;
  if (ok) out->private_key = private_key_der(parts.key, error);
  ok = ok && out->private_key != NULL;
  if (ok && parts.ca != NULL) {
    out->ca = certificate_der(L2TPBUS_KEY_MACHINE_CA, parts.ca, error);
    ok = out->ca != NULL;
  }
  parts_clear(&parts);
  if (!ok) l2tpbus_machine_credentials_clear(out);
  return ok;
}

void l2tpbus_machine_credentials_clear(L2tpbusMachineCredentials* credentials) {
  g_clear_pointer(&credentials->certificate, g_bytes_unref);
  g_clear_pointer(&credentials->private_key, g_bytes_unref);
  g_clear_pointer(&credentials->ca, g_bytes_unref);
}

gboolean l2tpbus_machine_credentials_need_passphrase(const char* cert_path, const char* key_path,
                                                     const char* ca_path) {
  Parts parts;
  g_autoptr(GError) error = NULL;
  if (load_parts(cert_path, key_path, ca_path, NULL, &parts, &error)) {
    parts_clear(&parts);
    return FALSE;
  }
  parts_clear(&parts);
  return g_error_matches(error, L2TPBUS_PROFILE_ERROR, L2TPBUS_PROFILE_ERROR_MISSING_SECRET);
}
