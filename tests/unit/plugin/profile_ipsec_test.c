// The IPsec part of the profile translation, table-driven as profile_test.c:
// every ipsec-* and machine-* key with good and bad values, the Ipsec*
// tunnel options each good profile gives, the key each bad one is refused
// for; then the secrets NetworkManager must ask for.
#include <string.h>

#include "credentials_fixture.h"
#include "profile.h"
#include "profile_assertions.h"

static CredentialsFixture* fixture;

typedef struct {
  const char* name;
  // "key=value|key=value"; {dir} is the directory of the credentials made at start.
  const char* data;
  const char* secrets;
  // On success: tunnel entries (GVariant text) that must be there with that
  // value, keys that must be there with any value, keys that must be absent.
  const char* tunnel;
  const char* present;
  const char* absent;
  // On failure: the key the message starts with, and the code.
  const char* error_key;
  int error_code;
} Case;

#define OK .error_key = NULL
#define BAD(key, code) .error_key = key, .error_code = L2TPBUS_PROFILE_ERROR_##code

#define ON "gateway=h|ipsec-enabled=yes"
#define PSK "ipsec-psk=k"
#define ALL_OPTIONAL                                                                \
  "IpsecRemoteId|IpsecLocalId|IpsecAggressive|IpsecIkeProposals|IpsecEspProposals|" \
  "IpsecIkeLifetime|IpsecSaLifetime"
#define CERTIFICATE_OPTIONS "IpsecCertificate|IpsecPrivateKey|IpsecCa"
#define TLS ON "|machine-auth-type=tls"
// 250 bytes, to which the cases add up to 6.
#define LONG_ID                                                                              \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
// 200 bytes: the longest proposal.
#define LONG_PROPOSAL                                                                      \
  "aes256-sha1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PROPOSALS_8 "a,b,c,d,e,f,g,h"
#define PROPOSALS_32 PROPOSALS_8 "," PROPOSALS_8 "," PROPOSALS_8 "," PROPOSALS_8

static const Case kCases[] = {
    // ---- off: nothing of IPsec reaches the daemon, whatever the other keys say
    {"off", "gateway=h|ipsec-ike=;;|ipsec-ikelifetime=soon|machine-auth-type=x|ipsec-ipcomp=yes",
     "ipsec-psk=k", NULL, NULL, "IpsecPsk|IpsecIkeVersion|IpsecPfs|" ALL_OPTIONAL, OK},
    {"off-explicit", "gateway=h|ipsec-enabled=no|" PSK, NULL, NULL, NULL, "IpsecPsk", OK},
    // ---- the PSK and the defaults
    {"psk", ON, PSK,
     "{'IpsecPsk': <b'k'>, 'IpsecIkeVersion': <uint32 1>, 'IpsecForceEncapsulation': <false>, "
     "'IpsecPfs': <false>, 'Peer': <'h'>, 'Version': <uint32 2>}",
     NULL, ALL_OPTIONAL "|" CERTIFICATE_OPTIONS, OK},
    {"psk-auth-type", ON "|machine-auth-type=psk", PSK, "{'IpsecPsk': <b'k'>}", NULL, NULL, OK},
    {"psk-spaces", ON, "ipsec-psk=a b'c\\d", "{'IpsecPsk': <b'a b\\'c\\\\d'>}", NULL, NULL, OK},
    {"psk-legacy-data", ON "|ipsec-psk=old", NULL, "{'IpsecPsk': <b'old'>}", NULL, NULL, OK},
    {"psk-secret-first", ON "|ipsec-psk=old", "ipsec-psk=new", "{'IpsecPsk': <b'new'>}", NULL, NULL,
     OK},
    {"psk-base64", ON, "ipsec-psk=0sAAECAw==", "{'IpsecPsk': <@ay [0, 1, 2, 3]>}", NULL, NULL, OK},
    {"psk-base64-text", ON, "ipsec-psk=0sc2VjcmV0", "{'IpsecPsk': <b'secret'>}", NULL, NULL, OK},
    {"psk-base64-bad", ON, "ipsec-psk=0s!!!!", NULL, NULL, NULL, BAD("ipsec-psk", INVALID_VALUE)},
    {"psk-base64-length", ON, "ipsec-psk=0sAAE", NULL, NULL, NULL, BAD("ipsec-psk", INVALID_VALUE)},
    {"psk-base64-empty", ON, "ipsec-psk=0s", NULL, NULL, NULL, BAD("ipsec-psk", INVALID_VALUE)},
    {"psk-base64-padding-inside", ON, "ipsec-psk=0sA=AA", NULL, NULL, NULL,
     BAD("ipsec-psk", INVALID_VALUE)},
    {"psk-missing", ON, NULL, NULL, NULL, NULL, BAD("ipsec-psk", MISSING_SECRET)},
    {"psk-empty", ON, "ipsec-psk=", NULL, NULL, NULL, BAD("ipsec-psk", MISSING_SECRET)},
    {"psk-not-required-still-needed", ON "|ipsec-psk-flags=4", NULL, NULL, NULL, NULL,
     BAD("ipsec-psk", MISSING_SECRET)},
    {"psk-control", ON, "ipsec-psk=a\tb", NULL, NULL, NULL, BAD("ipsec-psk", INVALID_VALUE)},
    {"psk-flags", ON "|ipsec-psk-flags=1", PSK, "{'IpsecPsk': <b'k'>}", NULL, NULL, OK},
    {"psk-flags-big", ON "|ipsec-psk-flags=8", PSK, NULL, NULL, NULL,
     BAD("ipsec-psk-flags", INVALID_VALUE)},
    {"psk-flags-word", ON "|ipsec-psk-flags=none", PSK, NULL, NULL, NULL,
     BAD("ipsec-psk-flags", INVALID_VALUE)},
    // ---- identities
    {"remote-id", ON "|ipsec-remote-id=@vpn.example.com", PSK,
     "{'IpsecRemoteId': <'@vpn.example.com'>}", NULL, "IpsecLocalId|IpsecAggressive", OK},
    {"gateway-id", ON "|ipsec-gateway-id=192.0.2.1", PSK, "{'IpsecRemoteId': <'192.0.2.1'>}", NULL,
     NULL, OK},
    {"remote-and-gateway-id-same", ON "|ipsec-remote-id=gw|ipsec-gateway-id=gw", PSK,
     "{'IpsecRemoteId': <'gw'>}", NULL, NULL, OK},
    {"remote-and-gateway-id-differ", ON "|ipsec-remote-id=gw|ipsec-gateway-id=other", PSK, NULL,
     NULL, NULL, BAD("ipsec-gateway-id", INVALID_VALUE)},
    {"remote-id-empty", ON "|ipsec-remote-id=", PSK, NULL, NULL, "IpsecRemoteId", OK},
    {"remote-id-empty-gateway-id", ON "|ipsec-remote-id=|ipsec-gateway-id=gw", PSK,
     "{'IpsecRemoteId': <'gw'>}", NULL, NULL, OK},
    {"remote-id-spaces", ON "|ipsec-remote-id=C=CH, O=Example, CN=gw", PSK,
     "{'IpsecRemoteId': <'C=CH, O=Example, CN=gw'>}", NULL, NULL, OK},
    {"remote-id-255", ON "|ipsec-remote-id=" LONG_ID "aaaaa", PSK, NULL, "IpsecRemoteId", NULL, OK},
    {"remote-id-256", ON "|ipsec-remote-id=" LONG_ID "aaaaaa", PSK, NULL, NULL, NULL,
     BAD("ipsec-remote-id", INVALID_VALUE)},
    {"gateway-id-256", ON "|ipsec-gateway-id=" LONG_ID "aaaaaa", PSK, NULL, NULL, NULL,
     BAD("ipsec-gateway-id", INVALID_VALUE)},
    {"remote-id-control", ON "|ipsec-remote-id=g\nw", PSK, NULL, NULL, NULL,
     BAD("ipsec-remote-id", INVALID_VALUE)},
    {"remote-id-not-utf8", ON "|ipsec-remote-id=g\xffw", PSK, NULL, NULL, NULL,
     BAD("ipsec-remote-id", INVALID_VALUE)},
    {"group-name", ON "|ipsec-group-name=GroupVPN", PSK,
     "{'IpsecLocalId': <'GroupVPN'>, 'IpsecAggressive': <true>, 'IpsecIkeVersion': <uint32 1>}",
     NULL, NULL, OK},
    {"group-name-ikev2", ON "|ipsec-group-name=GroupVPN|ipsec-ikev2=yes", PSK, NULL, NULL, NULL,
     BAD("ipsec-group-name", INVALID_VALUE)},
    {"group-name-tls", TLS "|ipsec-group-name=GroupVPN|machine-cert=/absent/cert.pem", NULL, NULL,
     NULL, NULL, BAD("ipsec-group-name", INVALID_VALUE)},
    {"group-name-long", ON "|ipsec-group-name=" LONG_ID "aaaaaa", PSK, NULL, NULL, NULL,
     BAD("ipsec-group-name", INVALID_VALUE)},
    {"group-name-empty", ON "|ipsec-group-name=", PSK, NULL, NULL, "IpsecLocalId|IpsecAggressive",
     OK},
    // ---- IKE version
    {"ikev2", ON "|ipsec-ikev2=yes", PSK, "{'IpsecIkeVersion': <uint32 2>}", NULL, NULL, OK},
    {"ikev1", ON "|ipsec-ikev2=no", PSK, "{'IpsecIkeVersion': <uint32 1>}", NULL, NULL, OK},
    {"ikev2-bad", ON "|ipsec-ikev2=2", PSK, NULL, NULL, NULL, BAD("ipsec-ikev2", INVALID_VALUE)},
    // ---- proposals
    {"ike", ON "|ipsec-ike=aes256-sha2_256-modp2048,3des-sha1-modp1024!", PSK,
     "{'IpsecIkeProposals': <['aes256-sha2_256-modp2048', '3des-sha1-modp1024']>}", NULL,
     "IpsecEspProposals", OK},
    {"ike-one", ON "|ipsec-ike=aes128-sha1-ecp256", PSK,
     "{'IpsecIkeProposals': <['aes128-sha1-ecp256']>}", NULL, NULL, OK},
    {"ike-uppercase", ON "|ipsec-ike=AES256-SHA1-MODP2048", PSK,
     "{'IpsecIkeProposals': <['aes256-sha1-modp2048']>}", NULL, NULL, OK},
    {"ike-spaces", ON "|ipsec-ike= aes256-sha1 , aes128-sha1 !", PSK,
     "{'IpsecIkeProposals': <['aes256-sha1', 'aes128-sha1']>}", NULL, NULL, OK},
    {"ike-32", ON "|ipsec-ike=" PROPOSALS_32, PSK, NULL, "IpsecIkeProposals", NULL, OK},
    {"ike-33", ON "|ipsec-ike=" PROPOSALS_32 ",i", PSK, NULL, NULL, NULL,
     BAD("ipsec-ike", INVALID_VALUE)},
    {"ike-200-bytes", ON "|ipsec-ike=" LONG_PROPOSAL, PSK, NULL, "IpsecIkeProposals", NULL, OK},
    {"ike-201-bytes", ON "|ipsec-ike=" LONG_PROPOSAL "a", PSK, NULL, NULL, NULL,
     BAD("ipsec-ike", INVALID_VALUE)},
    {"ike-empty", ON "|ipsec-ike=", PSK, NULL, NULL, "IpsecIkeProposals", OK},
    {"ike-bang-only", ON "|ipsec-ike=!", PSK, NULL, NULL, NULL, BAD("ipsec-ike", INVALID_VALUE)},
    {"ike-libreswan-semicolon", ON "|ipsec-ike=aes256-sha1;modp2048", PSK, NULL, NULL, NULL,
     BAD("ipsec-ike", INVALID_VALUE)},
    {"ike-empty-item", ON "|ipsec-ike=aes256-sha1,,aes128-sha1", PSK, NULL, NULL, NULL,
     BAD("ipsec-ike", INVALID_VALUE)},
    {"ike-double-dash", ON "|ipsec-ike=aes256--sha1", PSK, NULL, NULL, NULL,
     BAD("ipsec-ike", INVALID_VALUE)},
    {"ike-leading-dash", ON "|ipsec-ike=-aes256", PSK, NULL, NULL, NULL,
     BAD("ipsec-ike", INVALID_VALUE)},
    {"ike-trailing-dash", ON "|ipsec-ike=aes256-", PSK, NULL, NULL, NULL,
     BAD("ipsec-ike", INVALID_VALUE)},
    {"ike-bang-inside", ON "|ipsec-ike=aes256-sha1!,aes128-sha1", PSK, NULL, NULL, NULL,
     BAD("ipsec-ike", INVALID_VALUE)},
    {"ike-dot", ON "|ipsec-ike=aes256-sha1.modp2048", PSK, NULL, NULL, NULL,
     BAD("ipsec-ike", INVALID_VALUE)},
    {"esp", ON "|ipsec-esp=aes256-sha1,aes128-sha1,3des-sha1!", PSK,
     "{'IpsecEspProposals': <['aes256-sha1', 'aes128-sha1', '3des-sha1']>}", NULL,
     "IpsecIkeProposals", OK},
    {"esp-gcm", ON "|ipsec-esp=aes128gcm16", PSK, "{'IpsecEspProposals': <['aes128gcm16']>}", NULL,
     NULL, OK},
    {"esp-bad", ON "|ipsec-esp=aes256 sha1", PSK, NULL, NULL, NULL,
     BAD("ipsec-esp", INVALID_VALUE)},
    // ---- lifetimes: what strongSwan and libreswan take
    {"ikelifetime-seconds", ON "|ipsec-ikelifetime=10800", PSK,
     "{'IpsecIkeLifetime': <uint32 10800>}", NULL, "IpsecSaLifetime", OK},
    {"ikelifetime-hours", ON "|ipsec-ikelifetime=3h", PSK, "{'IpsecIkeLifetime': <uint32 10800>}",
     NULL, NULL, OK},
    {"ikelifetime-minutes", ON "|ipsec-ikelifetime=60m", PSK, "{'IpsecIkeLifetime': <uint32 3600>}",
     NULL, NULL, OK},
    {"ikelifetime-s", ON "|ipsec-ikelifetime=3600s", PSK, "{'IpsecIkeLifetime': <uint32 3600>}",
     NULL, NULL, OK},
    {"ikelifetime-days", ON "|ipsec-ikelifetime=7d", PSK, "{'IpsecIkeLifetime': <uint32 604800>}",
     NULL, NULL, OK},
    {"ikelifetime-min", ON "|ipsec-ikelifetime=60", PSK, "{'IpsecIkeLifetime': <uint32 60>}", NULL,
     NULL, OK},
    {"ikelifetime-1m", ON "|ipsec-ikelifetime=1m", PSK, "{'IpsecIkeLifetime': <uint32 60>}", NULL,
     NULL, OK},
    {"ikelifetime-max", ON "|ipsec-ikelifetime=604800", PSK,
     "{'IpsecIkeLifetime': <uint32 604800>}", NULL, NULL, OK},
    {"ikelifetime-low", ON "|ipsec-ikelifetime=59", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-zero", ON "|ipsec-ikelifetime=0", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-high", ON "|ipsec-ikelifetime=604801", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-8d", ON "|ipsec-ikelifetime=8d", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-overflow", ON "|ipsec-ikelifetime=4294967295d", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-huge", ON "|ipsec-ikelifetime=99999999999", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-uppercase", ON "|ipsec-ikelifetime=3H", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-space", ON "|ipsec-ikelifetime=3 h", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-fraction", ON "|ipsec-ikelifetime=1.5h", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-negative", ON "|ipsec-ikelifetime=-3600", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-unit-only", ON "|ipsec-ikelifetime=h", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-empty", ON "|ipsec-ikelifetime=", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"ikelifetime-weeks", ON "|ipsec-ikelifetime=1w", PSK, NULL, NULL, NULL,
     BAD("ipsec-ikelifetime", INVALID_VALUE)},
    {"salifetime", ON "|ipsec-salifetime=1h", PSK, "{'IpsecSaLifetime': <uint32 3600>}", NULL,
     "IpsecIkeLifetime", OK},
    {"salifetime-seconds", ON "|ipsec-salifetime=28800", PSK, "{'IpsecSaLifetime': <uint32 28800>}",
     NULL, NULL, OK},
    {"salifetime-low", ON "|ipsec-salifetime=30s", PSK, NULL, NULL, NULL,
     BAD("ipsec-salifetime", INVALID_VALUE)},
    {"salifetime-word", ON "|ipsec-salifetime=hourly", PSK, NULL, NULL, NULL,
     BAD("ipsec-salifetime", INVALID_VALUE)},
    // ---- switches
    {"forceencaps", ON "|ipsec-forceencaps=yes", PSK, "{'IpsecForceEncapsulation': <true>}", NULL,
     NULL, OK},
    {"forceencaps-no", ON "|ipsec-forceencaps=no", PSK, "{'IpsecForceEncapsulation': <false>}",
     NULL, NULL, OK},
    {"forceencaps-bad", ON "|ipsec-forceencaps=on", PSK, NULL, NULL, NULL,
     BAD("ipsec-forceencaps", INVALID_VALUE)},
    {"pfs", ON "|ipsec-pfs=yes", PSK, "{'IpsecPfs': <true>}", NULL, NULL, OK},
    {"pfs-no", ON "|ipsec-pfs=no", PSK, "{'IpsecPfs': <false>}", NULL, NULL, OK},
    {"pfs-esp-groups",
     ON "|ipsec-pfs=yes|ipsec-esp=aes256-sha1-modp2048,aes128gcm16-x25519,"
        "aes128-sha1-ecp256,aes256-sha1-curve448,aes128-sha1-x448",
     PSK, "{'IpsecPfs': <true>}", "IpsecEspProposals", NULL, OK},
    {"pfs-esp-no-group", ON "|ipsec-pfs=yes|ipsec-esp=aes256-sha1-modp2048,aes128-sha1", PSK, NULL,
     NULL, NULL, BAD("ipsec-esp", INVALID_VALUE)},
    {"no-pfs-esp-no-group", ON "|ipsec-pfs=no|ipsec-esp=aes128-sha1", PSK, NULL,
     "IpsecEspProposals", NULL, OK},
    {"pfs-bad", ON "|ipsec-pfs=true", PSK, NULL, NULL, NULL, BAD("ipsec-pfs", INVALID_VALUE)},
    {"ipcomp", ON "|ipsec-ipcomp=yes", PSK, NULL, NULL, NULL, BAD("ipsec-ipcomp", UNSUPPORTED)},
    {"ipcomp-no", ON "|ipsec-ipcomp=no", PSK, "{'IpsecPsk': <b'k'>}", NULL, NULL, OK},
    // ---- machine certificates
    {"auth-type-bad", ON "|machine-auth-type=cert", PSK, NULL, NULL, NULL,
     BAD("machine-auth-type", INVALID_VALUE)},
    {"auth-type-uppercase", ON "|machine-auth-type=PSK", PSK, NULL, NULL, NULL,
     BAD("machine-auth-type", INVALID_VALUE)},
    {"tls", TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key.pem|machine-ca={dir}/ca.pem",
     NULL, "{'IpsecIkeVersion': <uint32 1>}", CERTIFICATE_OPTIONS, "IpsecPsk", OK},
    {"tls-psk-ignored", TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key.pem", PSK, NULL,
     "IpsecCertificate|IpsecPrivateKey", "IpsecPsk|IpsecCa", OK},
    {"tls-p12", TLS "|machine-cert={dir}/bundle.p12|machine-key={dir}/bundle.p12",
     "machine-certpass=" FIXTURE_PASSPHRASE, NULL, CERTIFICATE_OPTIONS, NULL, OK},
    {"tls-ikev2-remote-id",
     TLS "|ipsec-ikev2=yes|ipsec-remote-id=CN=gw|machine-cert={dir}/bundle-nopass.p12", NULL,
     "{'IpsecIkeVersion': <uint32 2>, 'IpsecRemoteId': <'CN=gw'>}", CERTIFICATE_OPTIONS, NULL, OK},
    {"tls-encrypted", TLS "|machine-cert={dir}/cert.der|machine-key={dir}/key-encrypted.pem",
     "machine-certpass=" FIXTURE_PASSPHRASE, NULL, "IpsecCertificate|IpsecPrivateKey", "IpsecCa",
     OK},
    {"tls-encrypted-no-passphrase",
     TLS "|machine-cert={dir}/cert.der|machine-key={dir}/key-encrypted.pem", NULL, NULL, NULL, NULL,
     BAD("machine-certpass", MISSING_SECRET)},
    {"tls-encrypted-wrong", TLS "|machine-cert={dir}/cert.der|machine-key={dir}/key-encrypted.pem",
     "machine-certpass=wrong", NULL, NULL, NULL, BAD("machine-certpass", INVALID_VALUE)},
    {"tls-no-cert", TLS "|machine-key={dir}/key.pem", NULL, NULL, NULL, NULL,
     BAD("machine-cert", MISSING)},
    {"tls-no-key", TLS "|machine-cert={dir}/cert.pem", NULL, NULL, NULL, NULL,
     BAD("machine-key", MISSING)},
    {"tls-cert-relative", TLS "|machine-cert=cert.pem|machine-key={dir}/key.pem", NULL, NULL, NULL,
     NULL, BAD("machine-cert", INVALID_VALUE)},
    {"tls-key-relative", TLS "|machine-cert={dir}/cert.pem|machine-key=key.pem", NULL, NULL, NULL,
     NULL, BAD("machine-key", INVALID_VALUE)},
    {"tls-ca-uri",
     TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key.pem|machine-ca=file:///ca.pem", NULL,
     NULL, NULL, NULL, BAD("machine-ca", INVALID_VALUE)},
    {"tls-cert-absent", TLS "|machine-cert={dir}/absent.pem|machine-key={dir}/key.pem", NULL, NULL,
     NULL, NULL, BAD("machine-cert", INVALID_VALUE)},
    {"tls-wrong-key", TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/other-key.pem", NULL,
     NULL, NULL, NULL, BAD("machine-key", INVALID_VALUE)},
    {"tls-certpass-flags",
     TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key.pem|"
         "machine-certpass-flags=2",
     NULL, NULL, "IpsecCertificate", NULL, OK},
    {"tls-certpass-flags-bad",
     TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key.pem|"
         "machine-certpass-flags=x",
     NULL, NULL, NULL, NULL, BAD("machine-certpass-flags", INVALID_VALUE)},
    {"certpass-control", TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key.pem",
     "machine-certpass=a\x01", NULL, NULL, NULL, BAD("machine-certpass", INVALID_VALUE)},
    // ---- unknown keys
    {"unknown-ipsec-key", ON "|ipsec-dpd=yes", PSK, NULL, NULL, NULL,
     BAD("ipsec-dpd", UNKNOWN_KEY)},
    {"unknown-secret", ON, "ipsec-secret=k", NULL, NULL, NULL, BAD("ipsec-secret", UNKNOWN_KEY)},
};

// The profile table, with the fixture's file names put in.
static GHashTable* table_from(const char* text) {
  if (text == NULL) return NULL;
  g_autofree char* expanded = credentials_fixture_expand(fixture, text);
  return profile_table_from(expanded);
}

static void run_case(gconstpointer data) {
  const Case* c = data;
  g_autoptr(GHashTable) profile_data = table_from(c->data);
  g_autoptr(GHashTable) secrets = table_from(c->secrets);
  const L2tpbusProfile profile = {profile_data, secrets, FALSE, FALSE};
  L2tpbusRequest request;
  g_autoptr(GError) error = NULL;
  const gboolean ok = l2tpbus_profile_translate(&profile, &request, &error);
  if (c->error_key != NULL) {
    assert_profile_refused(ok, error, c->error_code, c->error_key);
    g_assert_null(request.tunnel);
    g_assert_null(request.session);
    return;
  }
  g_assert_no_error(error);
  g_assert_true(ok);
  assert_profile_entries(request.tunnel, c->tunnel);
  assert_profile_keys(request.tunnel, c->present, TRUE);
  assert_profile_keys(request.tunnel, c->absent, FALSE);
  // IPsec is the tunnel's: the session's options are those of any profile.
  g_assert_null(profile_option(request.session, "IpsecPsk"));
  l2tpbus_request_clear(&request);
}

static void assert_option_bytes(GVariant* tunnel, const char* key, GBytes* expected) {
  g_autoptr(GVariant) value = profile_option(tunnel, key);
  g_assert_nonnull(value);
  g_assert_true(g_variant_is_of_type(value, G_VARIANT_TYPE_BYTESTRING));
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes(value);
  g_assert_true(g_bytes_equal(bytes, expected));
}

// The certificate options carry exactly what the files hold, as DER.
static void test_certificate_bytes(void) {
  g_autoptr(GHashTable) data = table_from(
      TLS "|machine-cert={dir}/bundle.p12|machine-key={dir}/bundle.p12|machine-ca={dir}/ca.der");
  g_autoptr(GHashTable) secrets = table_from("machine-certpass=" FIXTURE_PASSPHRASE);
  const L2tpbusProfile profile = {data, secrets, FALSE, FALSE};
  L2tpbusRequest request;
  g_autoptr(GError) error = NULL;
  g_assert_true(l2tpbus_profile_translate(&profile, &request, &error));
  g_assert_no_error(error);
  assert_option_bytes(request.tunnel, "IpsecCertificate", fixture->certificate_der);
  assert_option_bytes(request.tunnel, "IpsecPrivateKey", fixture->key_pkcs8_der);
  assert_option_bytes(request.tunnel, "IpsecCa", fixture->ca_der);
  l2tpbus_request_clear(&request);
}

static void test_psk_bounds(void) {
  for (gsize length = 4095; length <= 4097; length++) {
    g_autofree char* psk = g_strnfill(length, 'k');
    g_autoptr(GHashTable) data = table_from(ON);
    g_autoptr(GHashTable) secrets = table_from("ipsec-psk=x");
    g_hash_table_insert(secrets, g_strdup("ipsec-psk"), g_strdup(psk));
    const L2tpbusProfile profile = {data, secrets, FALSE, FALSE};
    L2tpbusRequest request;
    g_autoptr(GError) error = NULL;
    const gboolean ok = l2tpbus_profile_translate(&profile, &request, &error);
    if (length <= 4096) {
      g_assert_no_error(error);
      g_autoptr(GVariant) sent = profile_option(request.tunnel, "IpsecPsk");
      g_assert_cmpuint(g_variant_get_size(sent), ==, length);
      l2tpbus_request_clear(&request);
    } else {
      g_assert_false(ok);
      g_assert_true(g_str_has_prefix(error->message, "ipsec-psk: "));
    }
  }
}

typedef struct {
  const char* data;
  const char* secrets;
  const char* missing;  // "|"-separated, in order; "" for none
} MissingCase;

static void test_missing_secrets(void) {
  static const MissingCase kCases[] = {
      {"gateway=h", NULL, "password"},
      {"gateway=h|password-flags=4", NULL, ""},
      {"gateway=h|" PSK, "password=p", ""},  // ipsec-psk in vpn.data: IPsec is off
      {ON, NULL, "password|ipsec-psk"},
      {ON, "password=p", "ipsec-psk"},
      {ON, "password=p|ipsec-psk=", "ipsec-psk"},
      {ON, "password=p|" PSK, ""},
      {ON "|" PSK, "password=p", ""},  // NetworkManager-l2tp's older profiles
      {ON "|ipsec-psk-flags=4", "password=p", ""},
      {ON "|ipsec-psk-flags=1", "password=p", "ipsec-psk"},
      {ON "|machine-auth-type=psk", "password=p", "ipsec-psk"},
      {TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key.pem", "password=p", ""},
      {TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key-encrypted.pem", "password=p",
       "machine-certpass"},
      {TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key-encrypted.pem", NULL,
       "password|machine-certpass"},
      {TLS "|machine-cert={dir}/cert.pem|machine-key={dir}/key-encrypted.pem",
       "password=p|machine-certpass=x", ""},
      {TLS
       "|machine-cert={dir}/cert.pem|machine-key={dir}/key-encrypted.pem|machine-certpass-flags=4",
       "password=p", ""},
      {TLS "|machine-cert={dir}/bundle.p12", "password=p", "machine-certpass"},
      {TLS "|machine-cert={dir}/bundle-nopass.p12", "password=p", ""},
      {TLS "|machine-cert={dir}/absent.pem|machine-key={dir}/key-encrypted.pem", "password=p", ""},
      {TLS, "password=p", ""},  // no machine-cert: translating says so
  };
  for (gsize i = 0; i < G_N_ELEMENTS(kCases); i++) {
    g_autoptr(GHashTable) data = table_from(kCases[i].data);
    g_autoptr(GHashTable) secrets = table_from(kCases[i].secrets);
    g_autofree const char** missing = l2tpbus_profile_missing_secrets(data, secrets);
    g_autofree char* joined = g_strjoinv("|", (char**)missing);
    if (strcmp(joined, kCases[i].missing) != 0) {
      g_error("case %" G_GSIZE_FORMAT " (%s): missing \"%s\", expected \"%s\"", i, kCases[i].data,
              joined, kCases[i].missing);
    }
  }
}

int main(int argc, char** argv) {
  g_test_init(&argc, &argv, NULL);
  fixture = credentials_fixture_new();
  for (gsize i = 0; i < G_N_ELEMENTS(kCases); i++) {
    g_autofree char* path = g_strdup_printf("/profile-ipsec/translate/%s", kCases[i].name);
    g_test_add_data_func(path, &kCases[i], run_case);
  }
  g_test_add_func("/profile-ipsec/certificate-bytes", test_certificate_bytes);
  g_test_add_func("/profile-ipsec/psk-bounds", test_psk_bounds);
  g_test_add_func("/profile-ipsec/missing-secrets", test_missing_secrets);
  const int status = g_test_run();
  credentials_fixture_free(fixture);
  return status;
}
