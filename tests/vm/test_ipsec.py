"""L2TP/IPsec on the kernel's xfrm and ESP, with strongSwan's charon as the
IPsec peer (ipsec_peers.py; the fixtures make_charon and ipsec_lns are in
conftest.py).

First the peer's self-check: a strongSwan initiator in one namespace brings
up IKEv1 PSK transport mode for UDP 1701 to the classic server (xl2tpd
behind charon) in another, and an xl2tpd LAC's PPP session crosses it. Then
l2tpbusd in the initiator's place, driving its own charon over VICI
(--vici). Runs in the
VM: meson test --suite vm, or
tests/vm/run-in-vm -- /usr/bin/python3 -m pytest -q tests/vm/test_ipsec.py
"""

import time

import pytest

from ipsec_peers import (Ca, Charon, IpsecLns, esp_transport_sas, l2tp_connection, vici_command,
                         xfrm_policies)
from vmtest import (LISTENER, MANAGER, ROOT_PATH, SESSION, TUNNEL, it, wait_until,
                    xl2tpd_lac_config)
from wire_timeline import WireTimeline


# ---------------------------------------------------------------------------
# fixtures


@pytest.fixture
def hosts(network):
    """(client, lns, link): two namespaces on a veth pair."""
    client, lns = network.host('client'), network.host('lns')
    return client, lns, network.link(client, lns)


def strongswan_initiator(make_charon, host, link, lns: IpsecLns, **options) -> Charon:
    """A charon in `host` with the mirror image of the LNS's connection
    loaded (not yet initiated); options as l2tp_connection's."""
    charon = make_charon(host)
    charon.load(l2tp_connection(local=link.a4, remote=link.b4, psk=lns.psk, initiator=True,
                                **options))
    return charon


def wait_for_sa_pair(host, timeout=30.0):
    """The two ESP transport SAs (one each way) in host, once both are in."""
    return wait_until(lambda: len(esp_transport_sas(host)) == 2 and esp_transport_sas(host),
                      timeout, f'two ESP transport SAs in {host.netns}')


def wait_for_ppp(host, peer, timeout=60.0):
    """A ppp device in host with `peer` at its other end (IPCP is done)."""
    wait_until(lambda: f'peer {peer}/32' in host.ip('-o', 'addr', 'show', 'type', 'ppp').stdout,
               timeout, f'a PPP link to {peer} in {host.netns}', interval=0.2)


def xl2tpd_lac(xl2tpd, host, link):
    """xl2tpd in host dialling the LNS at link.b4 at once (UDP 1701 to 1701)."""
    return xl2tpd(host, *xl2tpd_lac_config(link.a4, link.b4))


# ---------------------------------------------------------------------------
# the peer itself


def test_strongswan_and_xl2tpd_lac_to_the_xl2tpd_lns_behind_strongswan(
        hosts, ipsec_lns, make_charon, xl2tpd):
    client, server, link = hosts
    lns = ipsec_lns(server, link.b4)
    with WireTimeline(link.a_if, netns=client.netns) as wire:
        # The capture sees cleartext L2TP when there is some: without this,
        # "none" below could mean a blind capture.
        client.run('bash', '-c', f'echo probe > /dev/udp/{link.b4}/1701')
        wait_until(lambda: wire.kinds()['l2tp'], 10, 'the capture to see a datagram to 1701')
        since = time.time()

        initiator = strongswan_initiator(make_charon, client, link, lns)
        initiator.initiate('l2tp')
        sas = {host: wait_for_sa_pair(host) for host in (client, server)}
        for host, pair in sas.items():
            assert {(s.src, s.dst) for s in pair} == {(link.a4, link.b4), (link.b4, link.a4)}, pair
            assert pair[0].reqid == pair[1].reqid, pair
            # default proposals: AES-CBC-128 with HMAC-SHA2-256 (IKEv1 takes the first)
            assert all(s.algorithms == {'enc': 'cbc(aes)', 'auth-trunc': 'hmac(sha256)'}
                       and s.encap is None for s in pair), pair
            # and only L2TP goes through them: UDP from and to the LNS's port 1701
            ports = {'in': 'sport' if host is client else 'dport',
                     'out': 'dport' if host is client else 'sport'}
            policies = [p for p in xfrm_policies(host) if p.direction in ports]
            assert sorted(p.direction for p in policies) == ['in', 'out'], policies
            for policy in policies:
                assert f'proto udp {ports[policy.direction]} 1701' in policy.selector, policy
                assert policy.templates == [('esp', 'transport')], policy
        assert {s.spi for s in sas[client]} == {s.spi for s in sas[server]}
        before = {s.spi: s.bytes for pair in sas.values() for s in pair}

        xl2tpd_lac(xl2tpd, client, link)
        wait_for_ppp(client, lns.local_ip)
        client.wait_ping(lns.local_ip)

        for host in (client, server):
            grown = {s.spi: s.bytes - before[s.spi] for s in esp_transport_sas(host)}
            assert set(grown) == set(before) and all(n > 0 for n in grown.values()), \
                (host, before, grown)
        kinds = wire.kinds(since)
    assert kinds['ike'] and kinds['esp'], kinds
    assert not kinds['l2tp'] and not kinds['esp-in-udp'], kinds
    assert 'ESTABLISHED' in initiator.list_sas()


# ---------------------------------------------------------------------------
# l2tpbusd as the client (LAC), with its own charon


# What a classic server for Windows clients offers: within our IKEv1 defaults.
CLASSIC_IKE = 'aes256-sha1-modp2048'
CLASSIC_ESP = 'aes256-sha1'


def our_lac(make_charon, daemon, host):
    """l2tpbusd in host with a charon of its own, ready for IPsec."""
    charon = make_charon(host)
    lac = daemon(host, extra_args=['--vici', str(charon.socket)])
    assert 'ipsec' in lac.root.prop(ROOT_PATH, MANAGER, 'Features')
    return lac, charon


def charon_holds_nothing_of_ours(charon):
    """No connection, SA or PSK named by l2tpbusd left in charon."""
    conns = charon.swanctl('--list-conns').stdout
    sas = charon.list_sas()
    keys = [key.decode() for key in vici_command(charon.socket, 'get-shared').get('keys', [])]
    return ('l2tpbus-' not in conns and 'l2tpbus-' not in sas
            and not any(key.startswith('l2tpbus-') for key in keys))


def tunnel_id(path):
    return int(path.rsplit('/', 1)[1])


def bring_up(lac, link, options, timeout=60.0):
    """A tunnel to the LNS at link.b4 with `options`, and the time from
    CreateTunnel to established."""
    started = time.monotonic()
    tunnel = lac.root.create_tunnel({'Peer': f'{link.b4}:1701', 'Local': link.a4, **options})
    lac.wait_state(tunnel, TUNNEL, 'established', timeout)
    return tunnel, time.monotonic() - started


def ping_through(lac, client, tunnel, lns):
    """A PPP session in `tunnel`, pinged across; the ESP SAs' counters grow."""
    session = lac.root.create_session(tunnel, {'Pseudowire': 'ppp', 'User': 'alice',
                                               'Password': 'unused'})
    lac.wait_state(session, SESSION, 'established', 60)
    sas = wait_for_sa_pair(client)
    before = {s.spi: s.bytes for s in sas}
    client.wait_ping(lns.local_ip)
    grown = {s.spi: s.bytes - before[s.spi] for s in esp_transport_sas(client)}
    assert set(grown) == set(before) and all(n > 0 for n in grown.values()), (before, grown)
    return sas


def close_and_check_nothing_left(lac, charon, client, tunnel):
    lac.root.close(tunnel, TUNNEL)
    it.assert_removed_cleanly(lac.signals, tunnel, TUNNEL, 20)
    wait_until(lambda: charon_holds_nothing_of_ours(charon), 20,
               'charon to hold no connection or SA of ours')
    wait_until(lambda: not esp_transport_sas(client), 20, 'no ESP SA left in the client')


def test_our_lac_with_a_psk_to_xl2tpd_behind_strongswan(hosts, ipsec_lns, make_charon, daemon,
                                                        capsys):
    client, server, link = hosts
    lns = ipsec_lns(server, link.b4, proposals=CLASSIC_IKE, esp_proposals=CLASSIC_ESP)
    lac, charon = our_lac(make_charon, daemon, client)
    # The same server without IPsec first (it takes cleartext L2TP until an SA
    # covers the flow), for the time IPsec adds.
    plain, plain_seconds = bring_up(lac, link, {})
    assert lac.root.prop(plain, TUNNEL, 'Ipsec') == {'state': 'none'}
    lac.root.close(plain, TUNNEL)
    it.assert_removed_cleanly(lac.signals, plain, TUNNEL, 20)

    with WireTimeline(link.a_if, netns=client.netns) as wire:
        since = time.time()
        tunnel, seconds = bring_up(lac, link, {'IpsecPsk': lns.psk.encode()})
        with capsys.disabled():
            print(f'\nCreateTunnel to established, same LNS: {plain_seconds:.2f} s without '
                  f'IPsec, {seconds:.2f} s with IPsec (IKEv1, PSK)')
        ipsec = lac.root.prop(tunnel, TUNNEL, 'Ipsec')
        assert ipsec['state'] == 'established', ipsec
        assert ipsec['ike-version'] == 1, ipsec
        assert ipsec['ike-proposal'].startswith('AES_CBC-256/HMAC_SHA1_96'), ipsec
        assert ipsec['esp-proposal'].startswith('AES_CBC-256/HMAC_SHA1_96'), ipsec
        assert ipsec['nat-traversal'] is False, ipsec
        ping_through(lac, client, tunnel, lns)
        kinds = wire.kinds(since)
    assert kinds['ike'] and kinds['esp'], kinds
    assert not kinds['esp-in-udp'], kinds
    wire.assert_no_cleartext_l2tp_of(link.a4, link.b4, since)
    # what the check below must find gone is there while the tunnel is
    assert vici_command(charon.socket, 'get-shared')['keys'] == [
        f'l2tpbus-tunnel-{tunnel_id(tunnel)}'.encode()]
    assert not charon_holds_nothing_of_ours(charon)
    close_and_check_nothing_left(lac, charon, client, tunnel)


@pytest.mark.parametrize('variant', ['udp-encapsulation', 'ikev2'])
def test_our_lac_with_forced_encapsulation_and_with_ikev2(hosts, ipsec_lns, make_charon, daemon,
                                                          tmp_path, variant):
    client, server, link = hosts
    if variant == 'ikev2':
        lns = ipsec_lns(server, link.b4, version=2)
        options, version, encapsulated = {'IpsecIkeVersion': 2}, 2, False
    else:
        lns = ipsec_lns(server, link.b4, proposals=CLASSIC_IKE, esp_proposals=CLASSIC_ESP)
        options, version, encapsulated = {'IpsecForceEncapsulation': True}, 1, True
    # charon starting after l2tpbusd (or restarting) is found when IPsec is
    # next wanted: refused while it is away, served once it is there.
    socket = tmp_path / 'charon-late' / 'charon.vici'
    lac = daemon(client, extra_args=['--vici', str(socket)])
    assert 'ipsec' not in lac.root.prop(ROOT_PATH, MANAGER, 'Features')
    with pytest.raises(it.DBusError) as refused:
        lac.root.create_tunnel({'Peer': f'{link.b4}:1701', 'IpsecPsk': lns.psk.encode()})
    it.assert_error(refused, it.NOT_SUPPORTED, 'charon-systemd')
    charon = make_charon(client, name='late')
    assert charon.socket == socket
    assert 'ipsec' in lac.root.prop(ROOT_PATH, MANAGER, 'Features')
    with WireTimeline(link.a_if, netns=client.netns) as wire:
        since = time.time()
        tunnel, _ = bring_up(lac, link, {'IpsecPsk': lns.psk.encode(), **options})
        ipsec = lac.root.prop(tunnel, TUNNEL, 'Ipsec')
        assert ipsec['ike-version'] == version, ipsec
        assert ipsec['nat-traversal'] is encapsulated, ipsec
        sas = ping_through(lac, client, tunnel, lns)
        assert all((s.encap is not None) == encapsulated for s in sas), sas
        kinds = wire.kinds(since)
    assert not kinds['l2tp'], kinds
    if encapsulated:
        assert kinds['esp-in-udp'] and not kinds['esp'], kinds
    else:
        assert kinds['esp'] and not kinds['esp-in-udp'], kinds
    close_and_check_nothing_left(lac, charon, client, tunnel)


@pytest.mark.parametrize('failure', ['wrong-psk', 'proposal-mismatch'])
def test_ike_failures_end_the_tunnel_with_the_reason(hosts, ipsec_lns, make_charon, daemon,
                                                     failure):
    client, server, link = hosts
    if failure == 'wrong-psk':
        lns = ipsec_lns(server, link.b4, proposals=CLASSIC_IKE, esp_proposals=CLASSIC_ESP)
        psk, expected = b'not the key', 'IPsec failed: authentication failed'
    else:
        lns = ipsec_lns(server, link.b4, proposals=CLASSIC_IKE, esp_proposals='aes128gcm16')
        psk, expected = lns.psk.encode(), 'IPsec failed: no matching proposal'
    lac, charon = our_lac(make_charon, daemon, client)
    with WireTimeline(link.a_if, netns=client.netns) as wire:
        since = time.time()
        tunnel = lac.root.create_tunnel({'Peer': f'{link.b4}:1701', 'Local': link.a4,
                                         'IpsecPsk': psk})
        result = it.assert_removed_cleanly(lac.signals, tunnel, TUNNEL, 60)
        kinds = wire.kinds(since)
    code, error, message = result
    assert (code, error) == (2, 6) and message.startswith(expected), result
    assert 'charon:' in message, result
    assert not kinds['l2tp'], kinds
    wait_until(lambda: charon_holds_nothing_of_ours(charon), 20,
               'charon to hold no connection or SA of ours')
    assert not esp_transport_sas(client)


# ---------------------------------------------------------------------------
# l2tpbusd as the client (LAC), with certificates instead of a PSK


def private_keys(charon) -> list:
    """The ids of the private keys loaded into charon over VICI (get-keys;
    swanctl has no command that lists them)."""
    return vici_command(charon.socket, 'get-keys').get('keys', [])


def certificate_options(ours, ca_cert: bytes) -> dict:
    """Tunnel options for our Credentials `ours`: the certificate as PEM,
    the key as DER PKCS#8 (as the NetworkManager plugin sends it)."""
    return {'IpsecCertificate': ours.cert.read_bytes(), 'IpsecPrivateKey': ours.key_der(),
            'IpsecCa': ca_cert}


def test_our_lac_with_certificates_to_xl2tpd_behind_strongswan(hosts, ipsec_lns, make_charon,
                                                               daemon, tmp_path, capsys):
    client, server, link = hosts
    ca = Ca(tmp_path / 'ca')
    lns = ipsec_lns(server, link.b4, credentials=ca.issue('lns', link.b4), ca=ca.cert,
                    proposals=CLASSIC_IKE, esp_proposals=CLASSIC_ESP)
    lac, charon = our_lac(make_charon, daemon, client)
    assert private_keys(charon) == []
    with WireTimeline(link.a_if, netns=client.netns) as wire:
        since = time.time()
        tunnel, seconds = bring_up(lac, link,
                                   certificate_options(ca.issue('client'), ca.cert.read_bytes()))
        with capsys.disabled():
            print(f'\nCreateTunnel to established: {seconds:.2f} s (IKEv1, ECDSA certificates)')
        ipsec = lac.root.prop(tunnel, TUNNEL, 'Ipsec')
        assert ipsec['state'] == 'established', ipsec
        assert ipsec['ike-version'] == 1, ipsec
        # our key is in charon while the tunnel lives, and only ours
        assert len(private_keys(charon)) == 1
        # Each end proved itself with its certificate: the identities are
        # their subjects (a PSK's would be the addresses).
        for sas, local, remote in ((charon.list_sas(), 'CN=client', 'CN=lns'),
                                   (lns.charon.list_sas(), 'CN=lns', 'CN=client')):
            assert f"local  '{local}'" in sas and f"remote '{remote}'" in sas, sas
        ping_through(lac, client, tunnel, lns)
        kinds = wire.kinds(since)
    assert kinds['ike'] and kinds['esp'], kinds
    assert not kinds['esp-in-udp'], kinds
    wire.assert_no_cleartext_l2tp_of(link.a4, link.b4, since)
    close_and_check_nothing_left(lac, charon, client, tunnel)
    wait_until(lambda: not private_keys(charon), 20, 'charon to hold no private key of ours')


def test_a_gateway_certificate_from_another_ca_fails_authentication(hosts, ipsec_lns, make_charon,
                                                                    daemon, tmp_path):
    client, server, link = hosts
    ca, another = Ca(tmp_path / 'ca'), Ca(tmp_path / 'another-ca', 'another CA')
    # The gateway trusts our CA; its own certificate is from another one.
    ipsec_lns(server, link.b4, credentials=another.issue('lns', link.b4), ca=ca.cert,
              proposals=CLASSIC_IKE, esp_proposals=CLASSIC_ESP)
    lac, charon = our_lac(make_charon, daemon, client)
    ours = ca.issue('client')
    # the other encodings this time: the key PEM, the CA DER
    options = {**certificate_options(ours, Ca.der(ca.cert)),
               'IpsecPrivateKey': ours.key.read_bytes()}
    tunnel = lac.root.create_tunnel({'Peer': f'{link.b4}:1701', 'Local': link.a4, **options})
    result = it.assert_removed_cleanly(lac.signals, tunnel, TUNNEL, 60)
    code, error, message = result
    assert (code, error) == (2, 6), result
    # charon's reason is the gateway's certificate, not our own (successful) signature
    assert message.startswith('IPsec failed: authentication failed (charon: no trusted ECDSA '
                              "public key found for 'CN=lns')"), result
    wait_until(lambda: charon_holds_nothing_of_ours(charon), 20,
               'charon to hold no connection or SA of ours')
    wait_until(lambda: not private_keys(charon), 20, 'charon to hold no private key of ours')
    assert not esp_transport_sas(client)


# ---------------------------------------------------------------------------
# l2tpbusd as the server (LNS), IPsec required


OUR_LNS = '10.79.0.1'
OUR_POOL = '10.79.0.10-10.79.0.19'


def cleartext_sccrq_goes_unanswered(host, destination):
    """An SCCRQ in cleartext from host to destination:1701 gets no answer."""
    script = (
        'import socket, sys\n'
        f'sys.path.insert(0, {str(it.HERE)!r})\n'
        'import l2tp_wire\n'
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n'
        's.settimeout(3)\n'
        f's.sendto(l2tp_wire.sccrq(4711), ({destination!r}, 1701))\n'
        'try:\n'
        '    s.recvfrom(4096)\n'
        '    print("answered")\n'
        'except socket.timeout:\n'
        '    print("silent")\n')
    return host.run('/usr/bin/python3', '-c', script).stdout.strip() == 'silent'


def test_strongswan_and_xl2tpd_client_to_our_lns_with_ipsec_required(
        hosts, make_charon, daemon, xl2tpd):
    client, server, link = hosts
    charon = make_charon(server)
    lns = daemon(server, extra_args=['--vici', str(charon.socket)])
    psk = 'the listener key'
    listener = lns.root.listen({'Local': f'{link.b4}:1701', 'PppLocalAddress': OUR_LNS,
                                'PppAddressPool': OUR_POOL, 'PppRequireAuthentication': False,
                                'IpsecPsk': psk.encode()})
    # Without an SA the kernel drops cleartext L2TP before the daemon sees it.
    assert cleartext_sccrq_goes_unanswered(client, link.b4)
    wait_until(lambda: lns.root.prop(listener, LISTENER, 'Statistics')['kernel-drops'] >= 1, 10,
               'the dropped SCCRQ to be counted at the listener')
    statistics = lns.root.prop(listener, LISTENER, 'Statistics')
    assert statistics['accepted'] == 0 and statistics['rejected'] == 0, statistics

    initiator = make_charon(client)
    initiator.load(l2tp_connection(local=link.a4, remote=link.b4, psk=psk, initiator=True))
    with WireTimeline(link.a_if, netns=client.netns) as wire:
        since = time.time()
        initiator.initiate('l2tp')
        wait_for_sa_pair(server)
        xl2tpd_lac(xl2tpd, client, link)
        tunnel = wait_until(lambda: lns.root.prop(listener, LISTENER, 'Tunnels'), 30,
                            'the IPsec client\'s tunnel at our listener')[0]
        lns.wait_state(tunnel, TUNNEL, 'established', 30)
        wait_for_ppp(client, OUR_LNS)
        client.wait_ping(OUR_LNS)
        kinds = wire.kinds(since)
    assert kinds['esp'] and not kinds['l2tp'], kinds
    assert 'l2tpbus-listener-' in charon.swanctl('--list-conns').stdout

    assert vici_command(charon.socket, 'get-shared')['keys'] == [b'l2tpbus-listener-1']
    lns.root.close(listener, LISTENER)
    # Accepted tunnels outlive their listener, and their SAs with them.
    wait_until(lambda: 'l2tpbus-' not in charon.swanctl('--list-conns').stdout
               and not vici_command(charon.socket, 'get-shared').get('keys'), 20,
               'the responder connection and its PSK to be unloaded with the listener')


def test_what_an_earlier_run_left_in_charon_is_unloaded_and_nothing_else(hosts, make_charon,
                                                                       daemon):
    client, server, link = hosts
    charon = make_charon(client)
    # A connection named as ours (a crashed l2tpbusd's) and someone else's.
    charon.load(l2tp_connection(local=link.a4, remote=link.b4, psk='old', initiator=True,
                                name='l2tpbus-tunnel-99')
                + l2tp_connection(local=link.a4, remote='192.0.2.7', psk='theirs',
                                  initiator=True, name='office'))
    conns = charon.swanctl('--list-conns').stdout
    assert 'l2tpbus-tunnel-99' in conns and 'office' in conns, conns
    daemon(client, extra_args=['--vici', str(charon.socket)])
    wait_until(lambda: 'l2tpbus-' not in charon.swanctl('--list-conns').stdout, 20,
               'the earlier run\'s connection to be unloaded')
    assert 'office' in charon.swanctl('--list-conns').stdout
