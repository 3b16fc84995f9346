#!/usr/bin/python3
"""Independent reference vectors for the wire library's cryptography.

Written from RFC 2661 §4.2/§4.3 and RFC 3931 §5.3/§5.4.1 with nothing but
Python's hashlib and hmac, so that the C++ code (OpenSSL) is checked against a
second implementation rather than against itself. Run at build time by meson:

    /usr/bin/python3 gen_vectors.py OUTPUT.h

The output is a C++ header of hex strings; it is never committed.
"""

import hashlib
import hmac
import struct
import sys

SECRET = b"letmein"
RANDOM_VECTOR = bytes(range(0xA0, 0xB0))
LOCAL_NONCE = bytes(range(0x10, 0x20))
REMOTE_NONCE = bytes(range(0x40, 0x54))  # 20 bytes: nonces need not be 16

MD5, SHA1 = 0, 1


def md5(data):
    return hashlib.md5(data).digest()


def mac(kind, key, data):
    return hmac.new(key, data, hashlib.sha1 if kind == SHA1 else hashlib.md5).digest()


def v3_hiding_key(secret):
    return mac(MD5, secret, b"\x01")


def v3_digest_key(secret):
    return mac(MD5, secret, b"\x02")


def hide(attribute, value, key, random_vector, padding=b""):
    """RFC 2661 §4.3: b1 = MD5(attr + S + RV), b(i) = MD5(S + c(i-1))."""
    subformat = struct.pack("!H", len(value)) + value + padding
    hidden = b""
    for start in range(0, len(subformat), 16):
        if start == 0:
            pad = md5(struct.pack("!H", attribute) + key + random_vector)
        else:
            pad = md5(key + hidden[start - 16:start])
        chunk = subformat[start:start + 16]
        hidden += bytes(a ^ b for a, b in zip(chunk, pad))
    return hidden


def challenge_response(message_type, secret, challenge):
    """RFC 2661 §4.2 / RFC 1994: MD5(ID + secret + challenge), ID = message type."""
    return md5(bytes([message_type]) + secret + challenge)


def avp(attribute, value=b"", mandatory=True, hidden=False, vendor=0):
    bits = len(value) + 6
    if mandatory:
        bits |= 0x8000
    if hidden:
        bits |= 0x4000
    return struct.pack("!HHH", bits, vendor, attribute) + value


def hidden_avp(attribute, value, key, mandatory=True):
    return avp(attribute, hide(attribute, value, key, RANDOM_VECTOR), mandatory, True)


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def v2_control(tunnel, session, ns, nr, body):
    return struct.pack("!HHHHHH", 0xC802, 12 + len(body), tunnel, session, ns, nr) + body


def v3_control(connection, ns, nr, body, over_ip=False):
    message = struct.pack("!HHIHH", 0xC803, 12 + len(body), connection, ns, nr) + body
    return (b"\0\0\0\0" if over_ip else b"") + message


def digest_placeholder(kind):
    return avp(59, bytes([kind]) + bytes(20 if kind == SHA1 else 16))


def sign(datagram, over_ip, kind, key, local_nonce, remote_nonce, is_sccrq):
    """RFC 3931 §5.4.1: HMAC(key, local + remote + message); SCCRQ: message only.
    The digest AVP sits right after the 8-byte Message Type AVP."""
    start = 4 if over_ip else 0
    message = datagram[start:]
    signed_part = message if is_sccrq else local_nonce + remote_nonce + message
    digest = mac(kind, key, signed_part)
    at = start + 12 + 8 + 6 + 1
    return datagram[:at] + digest + datagram[at + len(digest):]


def hex_of(data):
    return data.hex()


def hide_vectors():
    v3_key = v3_hiding_key(SECRET)
    long_number = b"+44 20 7946 0000 extension 1234 / desk 5"  # 40 bytes: 3 blocks
    cases = [
        ("v2 assigned session id", 14, u16(0x1234), SECRET, b""),
        ("v2 calling number, three blocks", 22, long_number, SECRET, b""),
        ("v2 sub-format of exactly 16 bytes", 30, b"fourteen-bytes", SECRET, b""),
        ("v2 with padding", 9, u16(0x0042), SECRET, bytes(range(1, 11))),
        ("v3 local session id", 63, u32(0xDEADBEEF), v3_key, b""),
        ("v3 empty cookie", 65, b"", v3_key, b""),
    ]
    rows = []
    for name, attribute, value, key, padding in cases:
        hidden = hide(attribute, value, key, RANDOM_VECTOR, padding)
        rows.append('  {"%s", %d, "%s", "%s", "%s", "%s", "%s"},' % (
            name, attribute, hex_of(key), hex_of(RANDOM_VECTOR), hex_of(value), hex_of(padding),
            hex_of(hidden)))
    return rows


def hmac_vectors():
    cases = [
        (MD5, b"key", b"The quick brown fox jumps over the lazy dog"),
        (SHA1, b"key", b"The quick brown fox jumps over the lazy dog"),
        (MD5, b"", b""),
        (SHA1, b"", b"abc"),
        (MD5, bytes(range(100)), b"a key longer than one hash block"),
    ]
    return ['  {%d, "%s", "%s", "%s"},' % (kind, hex_of(key), hex_of(data), hex_of(mac(kind, key, data)))
            for kind, key, data in cases]


def key_vectors():
    rows = []
    for secret in (SECRET, b"", b"a much longer shared secret, longer than sixty-four bytes in total!!"):
        rows.append('  {"%s", "%s", "%s"},' % (hex_of(secret), hex_of(v3_hiding_key(secret)),
                                              hex_of(v3_digest_key(secret))))
    return rows


def md5_vectors():
    return ['  {"%s", "%s"},' % (hex_of(data), hex_of(md5(data)))
            for data in (b"", b"abc", bytes(range(256)))]


def challenge_vectors():
    challenge = bytes(range(0x30, 0x40))
    return ['  {%d, "%s", "%s", "%s"},' % (t, hex_of(SECRET), hex_of(challenge),
                                          hex_of(challenge_response(t, SECRET, challenge)))
            for t in (2, 3)]


def v2_hidden_icrq():
    """ICRQ: Assigned Session ID 0x1234, Call Serial Number 7, Called Number
    "5551000", Calling Number "5552000"; the ids and numbers hidden."""
    body = (avp(0, u16(10))
            + avp(36, RANDOM_VECTOR)
            + hidden_avp(14, u16(0x1234), SECRET)
            + avp(15, u32(7))
            + hidden_avp(21, b"5551000", SECRET)
            + hidden_avp(22, b"5552000", SECRET))
    return v2_control(0x0101, 0, 1, 2, body)


def v3_signed_hidden_icrq():
    """ICRQ over UDP: Serial Number 9, Local Session ID 0xDEADBEEF, Remote
    Session ID 0, Cookie 01020304, Remote End ID "eth0", PW type 7, Circuit
    Status active+new; HMAC-MD5 digest; ids and cookie hidden."""
    key = v3_hiding_key(SECRET)
    body = (avp(0, u16(10))
            + digest_placeholder(MD5)
            + avp(15, u32(9), mandatory=False)
            + avp(36, RANDOM_VECTOR)
            + hidden_avp(63, u32(0xDEADBEEF), key)
            + hidden_avp(64, u32(0), key)
            + hidden_avp(65, bytes([1, 2, 3, 4]), key)
            + avp(66, b"eth0")
            + avp(68, u16(7))
            + avp(71, u16(3)))
    unsigned = v3_control(0x01020304, 3, 4, body)
    return unsigned, sign(unsigned, False, MD5, v3_digest_key(SECRET), LOCAL_NONCE, REMOTE_NONCE,
                          False)


def v3_signed_sccrq_over_ip():
    """SCCRQ over IP with HMAC-SHA-1: Host Name "lac", Router ID 0x0A000001,
    Assigned Control Connection ID 0x11223344, PW capabilities 5 and 7, Nonce."""
    body = (avp(0, u16(1))
            + digest_placeholder(SHA1)
            + avp(7, b"lac")
            + avp(60, u32(0x0A000001))
            + avp(61, u32(0x11223344))
            + avp(62, u16(5) + u16(7))
            + avp(73, LOCAL_NONCE))
    unsigned = v3_control(0, 0, 0, body, over_ip=True)
    return unsigned, sign(unsigned, True, SHA1, v3_digest_key(SECRET), b"", b"", True)


def v3_signed_hello():
    unsigned = v3_control(0x00000063, 7, 9, avp(0, u16(6)) + digest_placeholder(MD5))
    return unsigned, sign(unsigned, False, MD5, v3_digest_key(SECRET), LOCAL_NONCE, REMOTE_NONCE,
                          False)


def main():
    out = []
    emit = out.append
    emit("// Generated by tests/vectors/gen_vectors.py at build time. Do not edit or commit.")
    emit("#pragma once")
    emit("#include <cstdint>")
    emit("namespace l2tp::wire::vectors {")
    emit('inline constexpr const char* kSecret = "%s";' % hex_of(SECRET))
    emit('inline constexpr const char* kRandomVector = "%s";' % hex_of(RANDOM_VECTOR))
    emit('inline constexpr const char* kLocalNonce = "%s";' % hex_of(LOCAL_NONCE))
    emit('inline constexpr const char* kRemoteNonce = "%s";' % hex_of(REMOTE_NONCE))
    emit("struct Md5Vector { const char* data; const char* digest; };")
    emit("inline constexpr Md5Vector kMd5[] = {")
    out.extend(md5_vectors())
    emit("};")
    emit("struct HmacVector { int type; const char* key; const char* data; const char* mac; };")
    emit("inline constexpr HmacVector kHmac[] = {")
    out.extend(hmac_vectors())
    emit("};")
    emit("struct KeyVector { const char* secret; const char* hiding_key_v3; const char* digest_key; };")
    emit("inline constexpr KeyVector kKeys[] = {")
    out.extend(key_vectors())
    emit("};")
    emit("struct HideVector { const char* name; std::uint16_t type; const char* key;"
         " const char* random_vector; const char* value; const char* padding; const char* hidden; };")
    emit("inline constexpr HideVector kHide[] = {")
    out.extend(hide_vectors())
    emit("};")
    emit("struct ChallengeVector { std::uint8_t type; const char* secret; const char* challenge;"
         " const char* response; };")
    emit("inline constexpr ChallengeVector kChallenge[] = {")
    out.extend(challenge_vectors())
    emit("};")
    emit('inline constexpr const char* kV2HiddenIcrq = "%s";' % hex_of(v2_hidden_icrq()))
    for name, (unsigned, signed) in (("V3HiddenIcrq", v3_signed_hidden_icrq()),
                                     ("V3SccrqOverIp", v3_signed_sccrq_over_ip()),
                                     ("V3Hello", v3_signed_hello())):
        emit('inline constexpr const char* k%sUnsigned = "%s";' % (name, hex_of(unsigned)))
        emit('inline constexpr const char* k%sSigned = "%s";' % (name, hex_of(signed)))
    emit("}  // namespace l2tp::wire::vectors")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
