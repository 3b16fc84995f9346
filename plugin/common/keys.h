// Profile (vpn.data / vpn.secrets) key names: NetworkManager-l2tp's own, so a
// profile moves between the two plugins by changing its service type.
#pragma once

#define L2TPBUS_NM_SERVICE "org.freedesktop.NetworkManager.l2tpbus"
// The service type of NetworkManager-l2tp, whose export files we import.
#define L2TPBUS_NM_L2TP_SERVICE "org.freedesktop.NetworkManager.l2tp"

#define L2TPBUS_KEY_GATEWAY "gateway"
#define L2TPBUS_KEY_USER "user"
#define L2TPBUS_KEY_DOMAIN "domain"
#define L2TPBUS_KEY_PASSWORD "password"
#define L2TPBUS_KEY_PASSWORD_FLAGS "password-flags"
#define L2TPBUS_KEY_USER_AUTH_TYPE "user-auth-type"
#define L2TPBUS_KEY_MTU "mtu"
#define L2TPBUS_KEY_MRU "mru"
#define L2TPBUS_KEY_REFUSE_PAP "refuse-pap"
#define L2TPBUS_KEY_REFUSE_CHAP "refuse-chap"
#define L2TPBUS_KEY_REFUSE_MSCHAP "refuse-mschap"
#define L2TPBUS_KEY_REFUSE_MSCHAPV2 "refuse-mschapv2"
#define L2TPBUS_KEY_REFUSE_EAP "refuse-eap"
#define L2TPBUS_KEY_REQUIRE_MPPE "require-mppe"
#define L2TPBUS_KEY_REQUIRE_MPPE_40 "require-mppe-40"
#define L2TPBUS_KEY_REQUIRE_MPPE_128 "require-mppe-128"
#define L2TPBUS_KEY_MPPE_STATEFUL "mppe-stateful"
#define L2TPBUS_KEY_LCP_ECHO_FAILURE "lcp-echo-failure"
#define L2TPBUS_KEY_LCP_ECHO_INTERVAL "lcp-echo-interval"
#define L2TPBUS_KEY_EPHEMERAL_PORT "ephemeral-port"
#define L2TPBUS_KEY_IPSEC_ENABLED "ipsec-enabled"
