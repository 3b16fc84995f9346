"""The Ipsec options on the bus, with no charon to reach: refused with
NotSupported naming the packages, bad values with InvalidArgs naming the
key before that, nothing created either way, and the PSK never in a reply
or the log. The IPsec step itself runs against real charons in the VM
(tests/vm/test_ipsec.py)."""

import pytest

from conftest import INVALID_ARGS, MANAGER, NOT_SUPPORTED, ROOT_PATH, DBusError, assert_error

PSK = b'ipsec-psk-never-shown-4711'


def test_features_lack_ipsec_without_charon(stack):
    assert 'ipsec' not in stack.root.prop(ROOT_PATH, MANAGER, 'Features')


def test_ipsec_without_charon_is_not_supported_and_names_the_packages(stack):
    for options in ({'Peer': '192.0.2.1', 'IpsecPsk': PSK},
                    {'Peer': '192.0.2.1', 'IpsecPsk': PSK, 'IpsecIkeVersion': 2}):
        with pytest.raises(DBusError) as raised:
            stack.root.create_tunnel(options)
        assert_error(raised, NOT_SUPPORTED, 'charon-systemd', 'strongswan-swanctl')
        assert PSK.decode() not in raised.value.message
    with pytest.raises(DBusError) as raised:
        stack.root.listen({'Local': '127.0.0.1', 'IpsecPsk': PSK})
    assert_error(raised, NOT_SUPPORTED, 'charon-systemd')
    assert stack.tunnels() == [] and stack.listeners() == []
    assert PSK.decode() not in stack.daemon.log_text()


@pytest.mark.parametrize('options, key', [
    ({'IpsecPsk': b''}, 'IpsecPsk'),
    ({'IpsecPsk': 'a string, not bytes'}, 'IpsecPsk'),
    ({'IpsecPsk': PSK, 'IpsecIkeProposals': ['AES256-SHA1']}, 'IpsecIkeProposals'),
    ({'IpsecPsk': PSK, 'IpsecEspProposals': ['aes256-sha1;reboot']}, 'IpsecEspProposals'),
    ({'IpsecPsk': PSK, 'IpsecIkeVersion': 3}, 'IpsecIkeVersion'),
    ({'IpsecIkeVersion': 2}, 'IpsecIkeVersion'),
    ({'IpsecPsk': PSK, 'IpsecRemoteId': 'gw\nx'}, 'IpsecRemoteId'),
    ({'IpsecCertificate': b'/etc/ssl/cert.pem', 'IpsecPrivateKey': b'0\x01'}, 'IpsecCertificate'),
    ({'IpsecPsk': PSK, 'Mode': 'quiescent', 'TunnelId': 1, 'PeerTunnelId': 2}, 'IpsecPsk'),
])
def test_bad_ipsec_values_are_refused_naming_the_key(stack, options, key):
    with pytest.raises(DBusError) as raised:
        stack.root.create_tunnel({'Peer': '192.0.2.1', **options})
    assert_error(raised, INVALID_ARGS)
    assert raised.value.message.startswith(key + ':'), raised.value.message
    assert PSK.decode() not in raised.value.message
    assert stack.tunnels() == []
    assert PSK.decode() not in stack.daemon.log_text()
