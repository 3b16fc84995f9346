"""A few L2TPv2 control messages built by hand (RFC 2661 §3, §4), independent
of the daemon's codec, for the hostile-input tests. Every length can be set
wrong on purpose.
"""

import struct

# flags of the first header word: T (control), L (length), S (sequence), version 2
CONTROL_V2 = 0xC802
M_BIT = 0x8000
H_BIT = 0x4000

SCCRQ, SCCRP, SCCCN, STOPCCN, HELLO = 1, 2, 3, 4, 6
ICRQ = 10

MESSAGE_TYPE, RESULT_CODE, PROTOCOL_VERSION, FRAMING_CAPABILITIES = 0, 1, 2, 3
HOST_NAME, VENDOR_NAME, ASSIGNED_TUNNEL_ID, RECEIVE_WINDOW = 7, 8, 9, 10
ASSIGNED_SESSION_ID, CALL_SERIAL_NUMBER, RANDOM_VECTOR = 14, 15, 36


def avp(attribute, value=b'', mandatory=True, hidden=False, vendor=0, length=None):
    """One AVP; `length` overrides the length field (10 bits) when given."""
    flags = (M_BIT if mandatory else 0) | (H_BIT if hidden else 0)
    field = (6 + len(value)) if length is None else length
    return struct.pack('!HHH', flags | (field & 0x3FF), vendor, attribute) + value


def u16(value):
    return struct.pack('!H', value)


def u32(value):
    return struct.pack('!I', value)


def control(avps, tunnel_id=0, session_id=0, ns=0, nr=0, length=None, first_word=CONTROL_V2):
    """A v2 control message: T, L, S set; `length` overrides the Length field."""
    total = 12 + len(avps) if length is None else length
    return struct.pack('!HHHHHH', first_word, total & 0xFFFF, tunnel_id, session_id, ns,
                       nr) + avps


def sccrq_avps(assigned_tunnel_id, host_name=b'hostile', message_type=SCCRQ):
    return (avp(MESSAGE_TYPE, u16(message_type))
            + avp(PROTOCOL_VERSION, b'\x01\x00')
            + avp(FRAMING_CAPABILITIES, u32(3))
            + avp(HOST_NAME, host_name)
            + avp(ASSIGNED_TUNNEL_ID, u16(assigned_tunnel_id))
            + avp(RECEIVE_WINDOW, u16(4), mandatory=False))


def sccrq(assigned_tunnel_id, host_name=b'hostile'):
    return control(sccrq_avps(assigned_tunnel_id, host_name))


def hide(attribute, value, secret, random_vector, original_length=None, padding=b''):
    """The hidden form of an AVP value (RFC 2661 §4.3): the subformat (original
    length, value, padding) XORed with MD5(type + secret + vector), then
    MD5(secret + previous ciphertext block) for each further 16 octets.
    `original_length` overrides the length prefix (to make it lie)."""
    import hashlib
    length = len(value) if original_length is None else original_length
    plain = struct.pack('!H', length) + value + padding
    out = b''
    previous = None
    for start in range(0, len(plain), 16):
        block = plain[start:start + 16]
        if previous is None:
            key = hashlib.md5(struct.pack('!H', attribute) + secret + random_vector).digest()
        else:
            key = hashlib.md5(secret + previous).digest()
        cipher = bytes(a ^ b for a, b in zip(block, key))
        out += cipher
        previous = cipher
    return out


CHALLENGE, CHALLENGE_RESPONSE = 11, 13


def parse(data):
    """(header fields, [(attribute, value), ...]) of a v2 control message; no hidden AVPs."""
    first, length, tunnel_id, session_id, ns, nr = struct.unpack('!HHHHHH', data[:12])
    avps = []
    offset = 12
    while offset + 6 <= min(length, len(data)):
        flags_length, vendor, attribute = struct.unpack('!HHH', data[offset:offset + 6])
        size = flags_length & 0x3FF
        if size < 6:
            break
        avps.append((vendor, attribute, data[offset + 6:offset + size]))
        offset += size
    return {'tunnel_id': tunnel_id, 'session_id': session_id, 'ns': ns, 'nr': nr}, avps


def challenge_response(message_type, secret, challenge):
    """RFC 2661 §5.8 (CHAP-like): MD5(message type octet + secret + challenge)."""
    import hashlib
    return hashlib.md5(bytes([message_type]) + secret + challenge).digest()


class Refused(Exception):
    """The LNS answered an SCCRQ with a StopCCN: `result`, `error`, `message`."""

    def __init__(self, result, error, message):
        super().__init__(f'StopCCN {result}/{error}: {message}')
        self.result, self.error, self.message = result, error, message


def result_code(value):
    """(result, error, message) of a Result Code AVP's value."""
    result = struct.unpack('!H', value[:2])[0]
    error = struct.unpack('!H', value[2:4])[0] if len(value) >= 4 else 0
    return result, error, value[4:].decode(errors='replace')


def complete_handshake(sock, destination, secret=None, timeout=5.0):
    """After an SCCRQ sent from `sock`: reads the SCCRP, answers with SCCCN
    (and the Challenge Response when the SCCRP challenged us). A StopCCN
    instead raises Refused."""
    sock.settimeout(timeout)
    while True:
        data, _ = sock.recvfrom(4096)
        header, avps = parse(data)
        types = {a: v for vendor, a, v in avps if vendor == 0}
        if types.get(MESSAGE_TYPE) == u16(SCCRP):
            break
        if types.get(MESSAGE_TYPE) == u16(STOPCCN):
            raise Refused(*result_code(types.get(RESULT_CODE, b'')))
    assigned = struct.unpack('!H', types[ASSIGNED_TUNNEL_ID])[0]
    body = avp(MESSAGE_TYPE, u16(SCCCN))
    if CHALLENGE in types:
        if secret is None:
            raise ValueError('the SCCRP carries a challenge and no secret was given')
        body += avp(CHALLENGE_RESPONSE, challenge_response(SCCCN, secret, types[CHALLENGE]))
    sock.sendto(control(body, tunnel_id=assigned, ns=1, nr=header['ns'] + 1), destination)
    return assigned
