#!/usr/bin/python3
"""Writes the seed corpora of fuzz-packet and fuzz-message.

    /usr/bin/python3 tests/fuzz/make_seeds.py

Rewrites tests/fuzz/corpus/packet/ and tests/fuzz/corpus/message/: one small
binary file per message type and protocol version, and one per hostile-input
bug class of the architecture notes. The first byte of every seed selects the
target's options (see the comments at the top of fuzz_packet.cpp and
fuzz_message.cpp); the rest is a datagram or an AVP list. Deterministic, so
the committed output only changes when this script does.
"""

import hashlib
import hmac
import os
import struct

SECRET = b"letmein"  # the secret both fuzz targets use
RANDOM_VECTOR = bytes(range(0xA0, 0xB0))
NONCE_A = bytes(range(0x10, 0x20))  # fuzz_packet's nonces
NONCE_B = bytes(range(0x40, 0x54))

# fuzz_packet option bits
UDP, IP = 0x00, 0x01
WITH_SECRET = 0x02  # secret choice 1: "letmein"
OTHER_VERSION = 0x10
# fuzz_message option bits
V2, V3 = 0x00, 0x01
KEY, HIDE, MD5_DIGEST, SHA1_DIGEST = 0x02, 0x04, 0x08, 0x10


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def u64(v):
    return struct.pack("!Q", v)


def avp(attribute, value=b"", mandatory=True, hidden=False, vendor=0, length=None):
    bits = (len(value) + 6) if length is None else length
    bits |= (0x8000 if mandatory else 0) | (0x4000 if hidden else 0)
    return struct.pack("!HHH", bits, vendor, attribute) + value


def hide(attribute, value, key, prefix=None):
    """RFC 2661 §4.3 hiding; `prefix` forges the original-length field."""
    subformat = u16(len(value) if prefix is None else prefix) + value
    out = b""
    for start in range(0, len(subformat), 16):
        seed = u16(attribute) + key + RANDOM_VECTOR if start == 0 else key + out[start - 16:start]
        pad = hashlib.md5(seed).digest()
        out += bytes(a ^ b for a, b in zip(subformat[start:start + 16], pad))
    return out


def v3_key(label):
    return hmac.new(SECRET, bytes([label]), hashlib.md5).digest()


def message_type(value):
    return avp(0, u16(value))


# One body per message type and version, with the AVPs each one carries.
V2_BODIES = {
    "sccrq": message_type(1) + avp(2, u16(0x0100)) + avp(3, u32(3)) + avp(4, u32(0))
    + avp(5, u64(0x0102030405060708), False) + avp(6, u16(0x0680), False)
    + avp(7, b"lac.example") + avp(8, b"l2tpbus", False) + avp(9, u16(0x1F90))
    + avp(10, u16(4)) + avp(11, b"\xde\xad\xbe\xef"),
    "sccrp": message_type(2) + avp(2, u16(0x0100)) + avp(3, u32(1)) + avp(7, b"lns")
    + avp(9, u16(2)) + avp(10, u16(8)) + avp(13, bytes(range(16))),
    "scccn": message_type(3) + avp(13, bytes(range(0xA0, 0xB0))),
    "stopccn": message_type(4) + avp(1, u16(2) + u16(6) + b"bye") + avp(9, u16(0x1F90)),
    "hello": message_type(6),
    "ocrq": message_type(7) + avp(14, u16(5)) + avp(15, u32(0x101)) + avp(16, u32(9600))
    + avp(17, u32(64000)) + avp(18, u32(1)) + avp(19, u32(1)) + avp(21, b"5551234")
    + avp(23, b"12"),
    "ocrp": message_type(8) + avp(14, u16(6)) + avp(25, u32(3), False),
    "occn": message_type(9) + avp(19, u32(1)) + avp(24, u32(64000))
    + avp(38, u32(56000), False) + avp(39),
    "icrq": message_type(10) + avp(14, u16(7)) + avp(15, u32(1)) + avp(18, u32(2))
    + avp(21, b"100") + avp(22, b"200") + avp(23) + avp(25, u32(9), False),
    "icrp": message_type(11) + avp(14, u16(8)),
    "iccn": message_type(12) + avp(19, u32(1)) + avp(24, u32(10000000))
    + avp(26, b"\x01\x04\x05\xdc", False) + avp(27, b"\x01\x04\x05\xdc\x05\x06\x11\x22", False)
    + avp(28, b"\x01\x04\x05\xdc", False) + avp(29, u16(2), False) + avp(30, b"alice", False)
    + avp(31, b"\x01\x02\x03\x04", False) + avp(32, u16(1), False)
    + avp(33, b"\xaa\xbb\xcc\xdd", False) + avp(37, b"gold", False)
    + avp(38, u32(10000000), False) + avp(39),
    "cdn": message_type(14) + avp(1, u16(3)) + avp(12, u16(0x10) + b"\x45ok") + avp(14, u16(7)),
    "wen": message_type(15) + avp(34, u16(0) + b"".join(u32(i) for i in range(1, 7))),
    "sli": message_type(16) + avp(35, u16(0) + u32(0) + u32(0xFFFFFFFF)),
}

V3_BODIES = {
    "sccrq": message_type(1) + avp(5, u64(1)) + avp(7, b"lcce-a") + avp(8, b"l2tpbus", False)
    + avp(10, u16(16)) + avp(60, u32(0xC0000201)) + avp(61, u32(0xABCD))
    + avp(62, u16(5) + u16(7)) + avp(72, b"en", False) + avp(73, NONCE_B),
    "sccrp": message_type(2) + avp(7, b"lcce-b") + avp(60, u32(0xC0000202))
    + avp(61, u32(0x1234)) + avp(62, u16(5)) + avp(73, NONCE_A),
    "scccn": message_type(3),
    "stopccn": message_type(4) + avp(1, u16(1) + u16(0)) + avp(61, u32(0xABCD)),
    "hello": message_type(6),
    "ack": message_type(20),
    "icrq": message_type(10) + avp(5, u64(2)) + avp(15, u32(42), False)
    + avp(25, u32(0x11), False) + avp(63, u32(0x10000001)) + avp(64, u32(0))
    + avp(65, b"\xca\xfe\xf0\x0d") + avp(66, b"pw1") + avp(68, u16(5)) + avp(69, u16(1))
    + avp(70, u16(0)) + avp(71, u16(3)) + avp(74, u64(10**9), False)
    + avp(75, u64(10**9), False),
    "icrp": message_type(11) + avp(63, u32(0x20000002)) + avp(64, u32(0x10000001))
    + avp(65, bytes(range(1, 9))) + avp(71, u16(1)),
    "iccn": message_type(12) + avp(63, u32(0x10000001)) + avp(64, u32(0x20000002))
    + avp(74, u64(0), False),
    "ocrq": message_type(7) + avp(15, u32(43), False) + avp(63, u32(0x30000003))
    + avp(64, u32(0)) + avp(66, b"vc42") + avp(68, u16(7)) + avp(71, u16(2)),
    "ocrp": message_type(8) + avp(25, u32(0), False) + avp(63, u32(0x40000004))
    + avp(64, u32(0x30000003)) + avp(69, u16(0)) + avp(71, u16(1)),
    "occn": message_type(9) + avp(63, u32(0x30000003)) + avp(64, u32(0x40000004))
    + avp(70, u16(2)) + avp(75, u64(10**10), False),
    "cdn": message_type(14) + avp(1, u16(3) + u16(0) + b"admin") + avp(63, u32(0x10000001))
    + avp(64, u32(0x20000002)),
    "wen": message_type(15) + avp(34, u16(0) + u32(0) * 2 + u32(7) + u32(0) * 3, False)
    + avp(63, u32(0x10000001)) + avp(64, u32(0x20000002)),
    "sli": message_type(16) + avp(63, u32(0x20000002)) + avp(64, u32(0x10000001))
    + avp(71, u16(0)),
}


def hidden_bodies():
    """Bodies whose sensitive AVPs are hidden with the fuzz targets' keys."""
    v2 = (message_type(10) + avp(36, RANDOM_VECTOR)
          + avp(14, hide(14, u16(0x1234), SECRET), hidden=True) + avp(15, u32(7))
          + avp(21, hide(21, b"5551000", SECRET), hidden=True)
          + avp(22, hide(22, b"5552000" * 5, SECRET), hidden=True))
    key = v3_key(1)
    v3 = (message_type(10) + avp(15, u32(9), False) + avp(36, RANDOM_VECTOR)
          + avp(63, hide(63, u32(0xDEADBEEF), key), hidden=True)
          + avp(64, hide(64, u32(0), key), hidden=True)
          + avp(65, hide(65, b"\x01\x02\x03\x04", key), hidden=True)
          + avp(66, b"eth0") + avp(68, u16(7)) + avp(71, u16(3)))
    return v2, v3


def hostile_bodies():
    """One AVP list per bug class (version, body)."""
    icrq = message_type(10)
    calling = bytes(ord("0") + i % 10 for i in range(1017))
    return {
        "avp-length-zero": (V2, icrq + avp(7, b"", length=0) + b"\0\0"),
        "avp-length-five": (V2, icrq + avp(7, b"", length=5)),
        "avp-overrun": (V2, icrq + avp(22, b"12345", length=0x3FF)),
        "avp-header-cut": (V2, icrq + b"\x80\x08\x00"),
        "hidden-length-ffff": (V2, icrq + avp(36, RANDOM_VECTOR)
                               + avp(22, hide(22, b"12", SECRET, prefix=0xFFFF), hidden=True)),
        "hidden-length-too-big": (V2, icrq + avp(36, RANDOM_VECTOR)
                                  + avp(14, hide(14, b"\x00\x01", SECRET, prefix=40), hidden=True)),
        "hidden-without-random-vector": (V2, icrq + avp(14, hide(14, u16(7), SECRET), hidden=True)),
        "hidden-random-vector": (V2, icrq + avp(36, RANDOM_VECTOR, hidden=True)),
        "hidden-digest-v3": (V3, icrq + avp(36, RANDOM_VECTOR) + avp(59, bytes(17), hidden=True)),
        "calling-number-1017": (V2, icrq + avp(14, u16(1)) + avp(15, u32(1)) + avp(22, calling)),
        "vendor-9-type-7": (V2, message_type(1) + avp(7, b"evil", False, vendor=9)
                            + avp(7, b"good")),
        "vendor-mandatory": (V2, message_type(1) + avp(7, b"evil", True, vendor=9)),
        "extended-vendor-v3": (V3, icrq + avp(58, u32(0x12345) + u16(7) + b"lns")),
        "unknown-mandatory-ietf": (V2, icrq + avp(200, b"\x01")),
        "other-version-avp": (V2, icrq + avp(63, u32(1))),
        "reserved-flag-bits": (V2, message_type(1) + avp(7, b"lns", length=0x0409)),
        "result-code-2-bytes": (V2, message_type(4) + avp(1, u16(1))),
        "result-code-3-bytes": (V2, message_type(4) + avp(1, b"\x00\x01\x00")),
        "cisco-wen": (V2, message_type(15) + avp(1, u32(5), False, vendor=9)
                      + avp(34, b"\xff\xff" + u32(1) + u32(0) * 2 + u32(2) + u32(0) + u32(3))
                      + avp(21, u16(1), False, vendor=9)),
        "cisco-sli": (V2, message_type(16) + avp(35, u16(0) + u32(0) + u32(0x000A0000))
                      + avp(100, b"cisco", False, vendor=9)),
        "malformed-optional-v3": (V3, message_type(12) + avp(75, u32(9600), False)),
        "no-message-type": (V2, avp(7, b"lns") + message_type(1)),
        "unknown-message-type": (V2, message_type(13)),
        "ack-in-v2": (V2, message_type(20)),
        "three-digests": (V3, message_type(6) + avp(59, b"\x00" + bytes(16))
                          + avp(59, b"\x01" + bytes(20)) + avp(59, b"\x00" + bytes(16))),
        "two-random-vectors": (V2, icrq + avp(36, RANDOM_VECTOR)
                               + avp(14, hide(14, u16(7), SECRET), hidden=True)
                               + avp(36, b"\x01\x02") + avp(15, u32(1))),
    }


def v2_header(tunnel, session, body, ns=0, nr=0):
    return struct.pack("!HHHHHH", 0xC802, 12 + len(body), tunnel, session, ns, nr) + body


def v3_header(connection, body, ns=0, nr=0, over_ip=False):
    message = struct.pack("!HHIHH", 0xC803, 12 + len(body), connection, ns, nr) + body
    return (b"\0\0\0\0" if over_ip else b"") + message


def signed_v3(body_after_type, type_value, over_ip, sha1=False):
    """A v3 datagram with a Message Digest that fuzz_packet's context verifies
    (secret "letmein", its nonces as the receiver sees them)."""
    digest_avp = avp(59, (b"\x01" + bytes(20)) if sha1 else (b"\x00" + bytes(16)))
    datagram = v3_header(0x63, message_type(type_value) + digest_avp + body_after_type,
                         ns=1, nr=1, over_ip=over_ip)
    start = 4 if over_ip else 0
    message = datagram[start:]
    # fuzz_packet verifies with local = NONCE_B, remote = NONCE_A (bit 3 clear):
    # the sender's local nonce is the receiver's remote one.
    signed_part = message if type_value == 1 else NONCE_A + NONCE_B + message
    mac = hmac.new(v3_key(2), signed_part, hashlib.sha1 if sha1 else hashlib.md5).digest()
    at = start + 12 + 8 + 7
    return datagram[:at] + mac + datagram[at + len(mac):]


def write(directory, name, data):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    packet_dir = os.path.join(root, "packet")
    message_dir = os.path.join(root, "message")
    for directory in (packet_dir, message_dir):
        os.makedirs(directory, exist_ok=True)
        for old in os.listdir(directory):
            os.remove(os.path.join(directory, old))

    for name, body in V2_BODIES.items():
        write(packet_dir, "v2-" + name, bytes([UDP]) + v2_header(0x1F90, 7, body, 1, 2))
        write(message_dir, "v2-" + name, bytes([V2]) + body)
    for name, body in V3_BODIES.items():
        write(packet_dir, "v3-" + name, bytes([UDP]) + v3_header(0x1234, body, 3, 4))
        write(packet_dir, "v3-ip-" + name, bytes([IP]) + v3_header(0x1234, body, 3, 4, True))
        write(message_dir, "v3-" + name, bytes([V3]) + body)
        write(message_dir, "v3-digest-" + name, bytes([V3 | MD5_DIGEST]) + body)

    v2_hidden, v3_hidden = hidden_bodies()
    write(packet_dir, "v2-hidden-icrq", bytes([UDP | WITH_SECRET]) + v2_header(1, 0, v2_hidden))
    write(packet_dir, "v3-hidden-icrq", bytes([UDP | WITH_SECRET]) + v3_header(1, v3_hidden))
    write(message_dir, "v2-hidden-icrq", bytes([V2 | KEY | HIDE]) + v2_hidden)
    write(message_dir, "v3-hidden-icrq", bytes([V3 | KEY | HIDE | SHA1_DIGEST]) + v3_hidden)

    write(packet_dir, "v3-signed-hello", bytes([UDP | WITH_SECRET]) + signed_v3(b"", 6, False))
    write(packet_dir, "v3-ip-signed-sccrq-sha1",
          bytes([IP | WITH_SECRET]) + signed_v3(V3_BODIES["sccrq"][8:], 1, True, sha1=True))

    for name, (version, body) in hostile_bodies().items():
        header = v2_header(1, 2, body) if version == V2 else v3_header(1, body)
        write(packet_dir, "hostile-" + name, bytes([UDP | WITH_SECRET | OTHER_VERSION]) + header)
        write(message_dir, "hostile-" + name, bytes([version | KEY | HIDE]) + body)

    # Header-level cases: data packets, ZLBs, broken framing.
    headers = {
        "v2-data-plain": (UDP, bytes.fromhex("0002 0007 0009 ff03c021")),
        "v2-data-length-seq-offset": (UDP, bytes.fromhex("4a02 0014 0102 0304 0000 0000 0003 aabbcc ff03c021")),
        "v2-data-offset-past-end": (UDP, bytes.fromhex("0202 0007 0009 ffff")),
        "v3-data-udp": (UDP, bytes.fromhex("0003 0000 12345678 deadbeef")),
        "v3-ip-data": (IP, bytes.fromhex("0000abcd 11223344 45000014")),
        "v3-ip-zero-session-prefix-zlb": (IP, bytes.fromhex("00000000 c803 000c 00000042 0001 0000")),
        "v3-ip-v2-header": (IP, bytes.fromhex("00000000 c802 000c 0001 0000 0000 0000")),
        "v2-zlb": (UDP, bytes.fromhex("c802 000c 0001 0000 0005 0007")),
        "v2-length-past-datagram": (UDP, bytes.fromhex("c802 ffff 0001 0000 0000 0000")),
        "v2-length-below-header": (UDP, bytes.fromhex("c802 0004 0001 0000 0000 0000")),
        "v2-offset-bit-on-control": (UDP, bytes.fromhex("ca02 000c 0001 0000 0000 0000")),
        "l2f-version-1": (UDP, bytes.fromhex("c801 000c 0001 0000 0000 0000")),
        "trailing-bytes": (UDP, v2_header(1, 0, message_type(6)) + b"\xde\xad"),
    }
    for name, (flags, datagram) in headers.items():
        write(packet_dir, name, bytes([flags]) + datagram)


if __name__ == "__main__":
    main()
