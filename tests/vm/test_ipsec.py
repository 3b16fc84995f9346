"""L2TP/IPsec on the kernel's xfrm and ESP, with strongSwan's charon as the
IPsec peer (ipsec_peers.py; the fixtures make_charon and ipsec_lns are in
conftest.py).

For now the peer's self-check: a strongSwan initiator in one namespace
brings up IKEv1 PSK transport mode for UDP 1701 to the classic server
(xl2tpd behind charon) in another, and an xl2tpd LAC's PPP session crosses
it. Tests of l2tpbusd driving charon over VICI join this file. Runs in the
VM: meson test --suite vm, or
tests/vm/run-in-vm -- /usr/bin/python3 -m pytest -q tests/vm/test_ipsec.py
"""

import time

import pytest

from ipsec_peers import Charon, IpsecLns, esp_transport_sas, l2tp_connection, xfrm_policies
from vmtest import wait_until
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
    return xl2tpd(host, f'''\
        [global]
        port = 1701
        listen-addr = {link.a4}
        auth file = @SECRETS@
        [lac lns]
        lns = {link.b4}
        hostname = xl2tpd-lac
        autodial = yes
        redial = no
        require authentication = no
        pppoptfile = @OPTIONS@
        ''', '''\
        noauth
        nodefaultroute
        noipdefault
        ''')


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
