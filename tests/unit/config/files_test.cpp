// Config files: good content, every error naming its line and key, the text
// conversions, and the daemon settings file.
#include "config/files.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/options.h"
#include "fsm/engine.h"

namespace l2tp::config {
namespace {

using std::chrono::milliseconds;

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "l2tp-config-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  std::string write(const std::string& name, std::string_view content) {
    const std::string path = directory_ + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return path;
  }

  std::expected<LoadedFile, std::string> load(std::string_view content,
                                              const Defaults& defaults = Defaults{}) {
    return load_tunnel_file(write("test.tunnel", content), defaults);
  }

  // The error with the file's path replaced by PATH, so cases read as text.
  std::string error_of(std::string_view content) {
    const auto result = load(content);
    if (result.has_value()) return "loaded";
    return without_path(result.error());
  }

  std::string without_path(std::string error) const {
    const std::string path = directory_ + "/test.tunnel";
    if (error.starts_with(path)) error.replace(0, path.size(), "PATH");
    return error;
  }

  std::string directory_;
};

const TunnelFile& tunnel_of(const LoadedFile& file) {
  return std::get<TunnelFile>(file.content);
}

constexpr std::string_view kGoodTunnelFile =
    "# LAC to the office\n"
    "[Tunnel]\n"
    "Peer = lns.example.com:1702\n"
    "Version=3\n"
    "Mode=quiescent\n"
    "TunnelId=100\n"
    "PeerTunnelId=200\n"
    "Secret=s3cret with spaces\n"
    "HideAvps=yes\n"
    "UdpChecksum=0\n"
    "HelloInterval=30\n"
    "\n"
    "[Session]\n"
    "SessionId=1\n"
    "PeerSessionId=2\n"
    "Authentication=pap;chap;\n"
    "User=alice\n"
    "Cookie=0011AaBb\n"
    "\n"
    "[Session office]\n"
    "  SessionId=3\n"
    "  PeerSessionId=4\n"
    "  Pseudowire=eth\n"
    "  PeerCookie=0102030405060708\n"
    "  InterfaceName=l2tpeth-office\n";

TEST_F(ConfigFileTest, GoodTunnelFileWithSessions) {
  const auto result = load(kGoodTunnelFile, Defaults{"lac-1"});
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_EQ(result->path, directory_ + "/test.tunnel");
  const TunnelFile& file = tunnel_of(*result);
  const fsm::TunnelConfig& tunnel = file.tunnel.config;
  EXPECT_EQ(file.tunnel.peer.host, "lns.example.com");
  EXPECT_EQ(file.tunnel.peer.port, 1702);
  EXPECT_FALSE(file.tunnel.peer.is_numeric);
  EXPECT_EQ(tunnel.version, wire::ProtocolVersion::kV3);
  EXPECT_EQ(tunnel.mode, fsm::TunnelMode::kQuiescent);
  EXPECT_EQ(tunnel.tunnel_id, 100u);
  EXPECT_EQ(tunnel.peer_tunnel_id, 200u);
  EXPECT_EQ(wire::to_string(tunnel.control.secret), "s3cret with spaces");
  EXPECT_TRUE(tunnel.control.hide_avps);
  EXPECT_FALSE(tunnel.udp_checksum);
  EXPECT_EQ(tunnel.control.channel.hello_interval, milliseconds(30000));
  EXPECT_EQ(tunnel.control.host_name, "lac-1");

  ASSERT_EQ(file.sessions.size(), 2u);
  const fsm::SessionConfig& first = file.sessions[0];
  EXPECT_EQ(first.session_id, 1u);
  EXPECT_EQ(first.peer_session_id, 2u);
  EXPECT_EQ(first.ppp.authentication, (std::vector<std::string>{"pap", "chap"}));
  EXPECT_EQ(first.ppp.user, "alice");
  EXPECT_EQ(first.cookie, (wire::Bytes{0x00, 0x11, 0xaa, 0xbb}));
  const fsm::SessionConfig& second = file.sessions[1];
  EXPECT_EQ(second.session_id, 3u);
  EXPECT_EQ(second.pseudowire, fsm::Pseudowire::kEth);
  EXPECT_EQ(second.peer_cookie, (wire::Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(second.interface_name, "l2tpeth-office");
}

TEST_F(ConfigFileTest, GoodListenerFile) {
  const auto result = load(
      "[Listener]\n"
      "Local=192.0.2.1\n"
      "Pseudowires=ppp\n"
      "PppLocalAddress=10.0.0.1\n"
      "PppAddressPool=10.0.0.10-10.0.0.99\n"
      "PppDns=192.0.2.53, 192.0.2.54\n"
      "PppRequireAuthentication=false\n");
  ASSERT_TRUE(result.has_value()) << result.error();
  const fsm::ListenerConfig& listener = std::get<ListenerFile>(result->content).listener;
  EXPECT_EQ(listener.local, fsm::Endpoint::ipv4({192, 0, 2, 1}, 1701));
  EXPECT_EQ(listener.ppp.address_pool, "10.0.0.10-10.0.0.99");
  EXPECT_EQ(listener.ppp.dns, (std::vector<std::string>{"192.0.2.53", "192.0.2.54"}));
  EXPECT_FALSE(listener.ppp.require_authentication);
}

TEST_F(ConfigFileTest, TunnelWithoutSessions) {
  const auto result = load("[Tunnel]\nPeer=192.0.2.1\n");
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_TRUE(tunnel_of(*result).sessions.empty());
  EXPECT_TRUE(tunnel_of(*result).tunnel.peer.is_numeric);
}

TEST_F(ConfigFileTest, CrlfLinesReadLikeLfLines) {
  std::string crlf(kGoodTunnelFile);
  for (std::size_t at = crlf.find('\n'); at != std::string::npos; at = crlf.find('\n', at + 2)) {
    crlf.insert(at, "\r");
  }
  const auto lf_file = load(kGoodTunnelFile);
  const auto crlf_file = load(crlf);
  ASSERT_TRUE(crlf_file.has_value()) << crlf_file.error();
  ASSERT_TRUE(lf_file.has_value());
  EXPECT_EQ(tunnel_of(*crlf_file).tunnel.config.control.secret,
            tunnel_of(*lf_file).tunnel.config.control.secret);
  EXPECT_EQ(tunnel_of(*crlf_file).sessions[1].interface_name, "l2tpeth-office");
  EXPECT_NE(crlf_file->fingerprint, lf_file->fingerprint);
}

TEST_F(ConfigFileTest, ValueSpellings) {
  for (const char* yes : {"true", "yes", "1"}) {
    const auto result = load(std::string("[Tunnel]\nPeer=192.0.2.1\nUdpChecksum=") + yes + "\n");
    ASSERT_TRUE(result.has_value()) << result.error();
    EXPECT_TRUE(tunnel_of(*result).tunnel.config.udp_checksum) << yes;
  }
  for (const char* no : {"false", "no", "0"}) {
    const auto result = load(std::string("[Tunnel]\nPeer=192.0.2.1\nUdpChecksum=") + no + "\n");
    ASSERT_TRUE(result.has_value()) << result.error();
    EXPECT_FALSE(tunnel_of(*result).tunnel.config.udp_checksum) << no;
  }
  for (const char* list :
       {"pap;mschap", "pap,mschap", "pap, mschap", " pap ; mschap ;", "pap,mschap,"}) {
    const auto result =
        load(std::string("[Tunnel]\nPeer=192.0.2.1\n[Session]\nAuthentication=") + list + "\n");
    ASSERT_TRUE(result.has_value()) << list << ": " << result.error();
    EXPECT_EQ(tunnel_of(*result).sessions[0].ppp.authentication,
              (std::vector<std::string>{"pap", "mschap"}))
        << list;
  }
  const auto decimal = load("[Tunnel]\nPeer=192.0.2.1\nTunnelId=   00065535\n");
  ASSERT_TRUE(decimal.has_value()) << decimal.error();
  EXPECT_EQ(tunnel_of(*decimal).tunnel.config.tunnel_id, 65535u);
}

TEST_F(ConfigFileTest, StringsAreVerbatimWithGKeyFileEscapes) {
  // Trailing blanks belong to the value (GKeyFile keeps them); \s writes a
  // leading one. Files with secrets belong in mode 0600.
  const auto result = load("[Tunnel]\nPeer=192.0.2.1\nSecret=\\sab c \nHostName=lac \\\\ north\n");
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_EQ(wire::to_string(tunnel_of(*result).tunnel.config.control.secret), " ab c ");
  EXPECT_EQ(tunnel_of(*result).tunnel.config.control.host_name, "lac \\ north");
}

TEST_F(ConfigFileTest, FileAndDbusShareOneValidator) {
  const OptionMap options{{"Peer", OptionValue(std::string("192.0.2.1"))},
                          {"HideAvps", OptionValue(true)}};
  const auto dbus = parse_tunnel_options(options, Defaults{});
  ASSERT_FALSE(dbus.has_value());
  EXPECT_EQ(error_of("[Tunnel]\nPeer=192.0.2.1\nHideAvps=true\n"),
            "PATH:3: " + dbus.error().to_string());
}

TEST_F(ConfigFileTest, FingerprintFollowsBytesAndDefaults) {
  const std::string content = "[Tunnel]\nPeer=192.0.2.1\n";
  const auto first = load(content);
  const auto again = load(content);
  const auto changed = load(content + "# a comment\n");
  const auto other_defaults = load(content, Defaults{"other-host"});
  ASSERT_TRUE(first && again && changed && other_defaults);
  EXPECT_EQ(first->fingerprint.size(), 64u);  // SHA-256 in hex
  EXPECT_EQ(first->fingerprint, again->fingerprint);
  EXPECT_NE(first->fingerprint, changed->fingerprint);
  EXPECT_NE(first->fingerprint, other_defaults->fingerprint);
}

TEST_F(ConfigFileTest, ManySessionsAndALargeFile) {
  std::string content = "[Tunnel]\nPeer=192.0.2.1\nVersion=3\n";
  for (int i = 1; i <= 2000; ++i) {
    content += "[Session s" + std::to_string(i) + "]\nSessionId=" + std::to_string(i) + "\n";
  }
  while (content.size() < (1u << 20) - 100) content += "# padding padding padding padding\n";
  const auto result = load(content);
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_EQ(tunnel_of(*result).sessions.size(), 2000u);
  EXPECT_EQ(tunnel_of(*result).sessions.back().session_id, 2000u);
}

template <typename T>
std::string error_or_loaded(const std::expected<T, std::string>& result) {
  return result.has_value() ? "loaded" : result.error();
}

TEST_F(ConfigFileTest, FileErrorsAsAWhole) {
  EXPECT_EQ(error_or_loaded(load_tunnel_file(directory_ + "/absent.tunnel", Defaults{})),
            directory_ + "/absent.tunnel:0: No such file or directory");
  EXPECT_EQ(error_or_loaded(load_tunnel_file(directory_, Defaults{})),
            directory_ + ":0: not a regular file");
  EXPECT_EQ(error_of(std::string((1u << 20) + 1, '#')), "PATH:0: larger than 1 MiB");
}

struct FileErrorCase {
  std::string name;
  std::string content;
  std::string error;  // with PATH for the file's path
};

class FileErrorTest : public ConfigFileTest, public ::testing::WithParamInterface<FileErrorCase> {};

TEST_P(FileErrorTest, NamesLineAndKey) {
  EXPECT_EQ(error_of(GetParam().content), GetParam().error);
}

const std::string kTunnel = "[Tunnel]\nPeer=192.0.2.1\n";  // lines 1 and 2
const std::string kStaticTunnel =
    "[Tunnel]\nPeer=192.0.2.1\nVersion=3\nMode=static\nTunnelId=1\nPeerTunnelId=2\n";  // 1..6
const std::string kDecimalError = "expected a decimal number 0..4294967295";
const std::string kBoolError = "expected true, false, yes, no, 1 or 0";
const std::string kHexError = "expected 8 or 16 hex digits";
const std::string kUnknownSection =
    "unknown section (expected [Tunnel], [Session], [Session NAME] or [Listener])";
const std::string kEitherOr =
    "a file holds either [Tunnel] with its sessions or one [Listener], not both";
const std::string kNotUtf8 = "not valid UTF-8 (or contains a NUL byte)";

INSTANTIATE_TEST_SUITE_P(
    Values, FileErrorTest,
    ::testing::Values(
        FileErrorCase{"UnknownKey", kTunnel + "Bogus=1\n", "PATH:3: Bogus: unknown option"},
        FileErrorCase{"SessionKeyInTunnel", kTunnel + "Mtu=1400\n", "PATH:3: Mtu: unknown option"},
        FileErrorCase{"LowercaseKey", kTunnel + "peer=192.0.2.1\n", "PATH:3: peer: unknown option"},
        FileErrorCase{"LocaleKey", kTunnel + "Secret[de]=x\n",
                      "PATH:3: Secret[de]: unknown option"},
        FileErrorCase{"DecimalWord", kTunnel + "Version=two\n",
                      "PATH:3: Version: " + kDecimalError},
        FileErrorCase{"DecimalPlus", kTunnel + "Version=+3\n", "PATH:3: Version: " + kDecimalError},
        FileErrorCase{"DecimalMinus", kTunnel + "Version=-3\n",
                      "PATH:3: Version: " + kDecimalError},
        FileErrorCase{"DecimalHex", kTunnel + "Version=0x3\n", "PATH:3: Version: " + kDecimalError},
        FileErrorCase{"DecimalFraction", kTunnel + "Version=3.0\n",
                      "PATH:3: Version: " + kDecimalError},
        FileErrorCase{"DecimalTrailingBlank", kTunnel + "Version=3 \n",
                      "PATH:3: Version: " + kDecimalError},
        FileErrorCase{"DecimalEmpty", kTunnel + "Version=\n", "PATH:3: Version: " + kDecimalError},
        FileErrorCase{"DecimalOverflow", kTunnel + "TunnelId=4294967296\n",
                      "PATH:3: TunnelId: " + kDecimalError},
        FileErrorCase{"DecimalHuge", kTunnel + "HelloInterval=" + std::string(100000, '9') + "\n",
                      "PATH:3: HelloInterval: " + kDecimalError},
        FileErrorCase{"BoolCapital", kTunnel + "HideAvps=True\n",
                      "PATH:3: HideAvps: " + kBoolError},
        FileErrorCase{"BoolOn", kTunnel + "UdpChecksum=on\n", "PATH:3: UdpChecksum: " + kBoolError},
        FileErrorCase{"BoolEmpty", kTunnel + "UdpChecksum=\n",
                      "PATH:3: UdpChecksum: " + kBoolError},
        FileErrorCase{"CookieShort",
                      kStaticTunnel + "[Session]\nSessionId=1\nPeerSessionId=2\n"
                                      "Cookie=001122\n",
                      "PATH:10: Cookie: " + kHexError},
        FileErrorCase{"CookieNotHex", kStaticTunnel + "[Session]\nCookie=0011223g\n",
                      "PATH:8: Cookie: " + kHexError},
        FileErrorCase{"CookieSpaced", kStaticTunnel + "[Session]\nPeerCookie=00 11 22 33\n",
                      "PATH:8: PeerCookie: " + kHexError},
        FileErrorCase{"CookieEmpty", kStaticTunnel + "[Session]\nCookie=\n",
                      "PATH:8: Cookie: " + kHexError},
        FileErrorCase{"ListEmptyElement", kTunnel + "[Session]\nAuthentication=pap;;chap\n",
                      "PATH:4: Authentication: empty list element"},
        FileErrorCase{"ListOnlySeparator", kTunnel + "[Session]\nAuthentication=;\n",
                      "PATH:4: Authentication: empty list element"},
        FileErrorCase{"ListEmpty", kTunnel + "[Session]\nAuthentication=\n",
                      "PATH:4: Authentication: must allow at least one method"},
        FileErrorCase{"EscapedNewline", kTunnel + "HostName=lac\\nplugin\n",
                      "PATH:3: HostName: contains control characters"},
        FileErrorCase{"EscapedTabInUser", kTunnel + "[Session]\nUser=a\\tb\n",
                      "PATH:4: User: contains control characters"},
        FileErrorCase{"HugeHostName", kTunnel + "HostName=" + std::string(100000, 'h') + "\n",
                      "PATH:3: HostName: must be at most 255 bytes"},
        FileErrorCase{"HugeSecret", kTunnel + "Secret=" + std::string(100000, 's') + "\n",
                      "PATH:3: Secret: must be at most 255 bytes"},
        FileErrorCase{"EmptySecret", kTunnel + "Secret=\n",
                      "PATH:3: Secret: must not be empty "
                      "(omit it for no secret)"}),
    [](const auto& test_info) { return test_info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Validators, FileErrorTest,
    ::testing::Values(
        FileErrorCase{"VersionRange", kTunnel + "Version=4\n", "PATH:3: Version: expected 2 or 3"},
        FileErrorCase{"MissingPeerNamesTheHeader", "# comment\n[Tunnel]\nVersion=3\n",
                      "PATH:2: Peer: required"},
        FileErrorCase{"CombinationNamesTheKey",
                      "[Tunnel]\nEncapsulation=ip\nPeer=192.0.2.1\nVersion=2\n",
                      "PATH:2: Encapsulation: ip needs Version 3"},
        FileErrorCase{"SessionKeyLine",
                      kTunnel + "\n[Session a]\nMtu=1400\n\n[Session b]\nUser=alice\nMtu=10\n",
                      "PATH:9: Mtu: expected 68..65535"},
        FileErrorCase{"SessionJudgedByTunnelVersion",
                      "[Session]\nPseudowire=eth\n[Tunnel]\nPeer=192.0.2.1\n",
                      "PATH:2: Pseudowire: eth needs an L2TPv3 tunnel"},
        FileErrorCase{"SessionJudgedByTunnelMode", kStaticTunnel + "[Session]\nPeerSessionId=5\n",
                      "PATH:7: SessionId: required for static and quiescent tunnels"},
        FileErrorCase{"SessionIdClash",
                      kStaticTunnel + "[Session a]\nSessionId=5\nPeerSessionId=1\n"
                                      "[Session b]\nPeerSessionId=2\nSessionId=5\n",
                      "PATH:12: SessionId: used by another session of this file"},
        FileErrorCase{
            "InterfaceNameClash",
            kTunnel + "[Session a]\nInterfaceName=ppp7\n[Session b]\nInterfaceName=ppp7\n",
            "PATH:6: InterfaceName: used by another session of this file"},
        FileErrorCase{"ListenerValidator", "[Listener]\nPppAddressPool=10.0.0.9-10.0.0.1\n",
                      "PATH:2: PppAddressPool: first address is after last"},
        FileErrorCase{"ListenerUnknownKey", "[Listener]\nPeer=192.0.2.1\n",
                      "PATH:2: Peer: unknown option"}),
    [](const auto& test_info) { return test_info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Layout, FileErrorTest,
    ::testing::Values(
        FileErrorCase{"DuplicateSession", kTunnel + "[Session]\nMtu=1400\n[Session]\nMtu=1500\n",
                      "PATH:5: [Session]: duplicate section"},
        FileErrorCase{"DuplicateNamedSession", kTunnel + "[Session a]\n[Session b]\n[Session a]\n",
                      "PATH:5: [Session a]: duplicate section"},
        FileErrorCase{"DuplicateTunnel", kTunnel + "[Tunnel]\nPeer=192.0.2.2\n",
                      "PATH:3: [Tunnel]: duplicate section"},
        FileErrorCase{"DuplicateKey", kTunnel + "Peer=192.0.2.2\n", "PATH:3: Peer: given twice"},
        FileErrorCase{"DuplicateKeyAcrossBlanks", kTunnel + "Version=3\n  Version = 2\n",
                      "PATH:4: Version: given twice"},
        FileErrorCase{"KeyOutsideSection", "Peer=192.0.2.1\n[Tunnel]\n",
                      "PATH:1: Peer: outside of any section"},
        FileErrorCase{"NotKeyValue", kTunnel + "junk\n",
                      "PATH:3: expected [Section], Key=value or a # comment"},
        FileErrorCase{"SemicolonComment", kTunnel + "; not a comment here\n",
                      "PATH:3: expected [Section], Key=value or a # comment"},
        FileErrorCase{"ByteOrderMark", "\xef\xbb\xbf" + kTunnel,
                      "PATH:1: expected [Section], Key=value or a # comment"},
        FileErrorCase{"UnclosedHeader", "[Tunnel\nPeer=192.0.2.1\n",
                      "PATH:1: malformed section header"},
        FileErrorCase{"JunkAfterHeader", "[Tunnel]x\nPeer=192.0.2.1\n",
                      "PATH:1: malformed section header"},
        FileErrorCase{"MissingKey", "[Tunnel]\n=192.0.2.1\n", "PATH:2: missing key before ="},
        FileErrorCase{"UnknownSection", kTunnel + "[Tunnels]\n",
                      "PATH:3: [Tunnels]: " + kUnknownSection},
        FileErrorCase{"SessionWithBlankName", kTunnel + "[Session ]\n",
                      "PATH:3: [Session ]: " + kUnknownSection},
        FileErrorCase{"SessionGlued", kTunnel + "[SessionA]\n",
                      "PATH:3: [SessionA]: " + kUnknownSection},
        FileErrorCase{"DaemonSection", "[Daemon]\nLogLevel=info\n",
                      "PATH:1: [Daemon]: " + kUnknownSection},
        FileErrorCase{"ListenerAfterTunnel", kTunnel + "[Listener]\n",
                      "PATH:3: [Listener]: " + kEitherOr},
        FileErrorCase{"TunnelAfterListener", "[Listener]\n" + kTunnel,
                      "PATH:2: [Tunnel]: " + kEitherOr},
        FileErrorCase{"SessionAfterListener", "[Listener]\n[Session]\n",
                      "PATH:2: [Session]: " + kEitherOr},
        FileErrorCase{"TwoListeners", "[Listener]\n[Listener]\n",
                      "PATH:2: [Listener]: duplicate section"},
        FileErrorCase{"SessionWithoutTunnel", "[Session]\nMtu=1400\n[Session b]\n",
                      "PATH:1: [Session]: needs a [Tunnel] section in the same file"},
        FileErrorCase{"EmptyFile", "", "PATH:0: no [Tunnel] or [Listener] section"},
        FileErrorCase{"OnlyComments", "# nothing\n\n   \n",
                      "PATH:0: no [Tunnel] or [Listener] section"}),
    [](const auto& test_info) { return test_info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Bytes, FileErrorTest,
    ::testing::Values(
        FileErrorCase{"Latin1InComment", kTunnel + "# caf\xe9\n", "PATH:3: " + kNotUtf8},
        FileErrorCase{"InvalidByteInValue", kTunnel + "HostName=\xff\n", "PATH:3: " + kNotUtf8},
        FileErrorCase{"TruncatedSequence", kTunnel + "HostName=\xc3", "PATH:3: " + kNotUtf8},
        FileErrorCase{"Overlong", kTunnel + "HostName=\xc0\xaf\n", "PATH:3: " + kNotUtf8},
        FileErrorCase{"NulByte", std::string("[Tunnel]\nPeer=192.0.2.1\0\n", 25),
                      "PATH:2: " + kNotUtf8},
        FileErrorCase{"ControlByte", "[Tunnel]\nHostName=a\x01z\nPeer=192.0.2.1\n",
                      "PATH:2: contains control characters"},
        FileErrorCase{"Delete", kTunnel + "HostName=a\x7f\n",
                      "PATH:3: contains control characters"},
        FileErrorCase{"Escape", kTunnel + "# \x1b[31m red\n",
                      "PATH:3: contains control characters"},
        FileErrorCase{"LoneCarriageReturn", "[Tunnel]\rPeer=192.0.2.1\n",
                      "PATH:1: contains control characters"},
        FileErrorCase{"FormFeed", kTunnel + "\f\n", "PATH:3: contains control characters"}),
    [](const auto& test_info) { return test_info.param.name; });

// ---- l2tpbusd.conf -----------------------------------------------------------

class DaemonSettingsTest : public ConfigFileTest {
 protected:
  std::string error_of_settings(std::string_view content) {
    const std::string path = write("l2tpbusd.conf", content);
    const auto result = load_daemon_settings(path);
    if (result.has_value()) return "loaded";
    std::string error = result.error();
    if (error.starts_with(path)) error.replace(0, path.size(), "PATH");
    return error;
  }
};

TEST_F(DaemonSettingsTest, MissingFileGivesDefaults) {
  const auto settings = load_daemon_settings(directory_ + "/absent.conf");
  ASSERT_TRUE(settings.has_value()) << settings.error();
  EXPECT_EQ(settings->max_tunnels_per_user, 16u);
  EXPECT_EQ(settings->max_tunnels, 16384u);
  EXPECT_EQ(reserved_local_tunnels(*settings), 1638u);
  EXPECT_EQ(settings->max_sessions, 1024u);
  EXPECT_EQ(settings->max_sessions_per_user, 16u);
  EXPECT_EQ(settings->max_half_open, 1024u);
  EXPECT_EQ(settings->max_half_open_per_peer, 64u);
  // The engine's own defaults are the same (tests build engines without files).
  EXPECT_EQ(settings->max_half_open, fsm::EngineLimits{}.max_half_open);
  EXPECT_EQ(settings->max_half_open_per_peer, fsm::EngineLimits{}.max_half_open_per_source);
  EXPECT_TRUE(settings->host_name.empty());
  EXPECT_EQ(settings->log_level, LogLevel::kInfo);
}

TEST_F(DaemonSettingsTest, EmptyFileAndEmptySectionGiveDefaults) {
  for (const char* content : {"", "# all defaults\n", "[Daemon]\n"}) {
    const auto settings = load_daemon_settings(write("l2tpbusd.conf", content));
    ASSERT_TRUE(settings.has_value()) << settings.error();
    EXPECT_EQ(settings->max_tunnels, 16384u);
  }
}

TEST_F(DaemonSettingsTest, EveryKeyIsApplied) {
  const auto settings = load_daemon_settings(write("l2tpbusd.conf",
                                                   "[Daemon]\n"
                                                   "MaxTunnelsPerUser=0\n"
                                                   "MaxTunnels=1048576\n"
                                                   "ReservedLocalTunnels=1048575\n"
                                                   "MaxSessions=1\n"
                                                   "MaxSessionsPerUser=0\n"
                                                   "MaxHalfOpen=5000\n"
                                                   "MaxHalfOpenPerPeer=5000\n"
                                                   "HostName=lns north\n"
                                                   "LogLevel=debug\n"));
  ASSERT_TRUE(settings.has_value()) << settings.error();
  EXPECT_EQ(settings->max_tunnels_per_user, 0u);
  EXPECT_EQ(settings->max_tunnels, 1048576u);
  EXPECT_EQ(reserved_local_tunnels(*settings), 1048575u);
  EXPECT_EQ(settings->max_sessions, 1u);
  EXPECT_EQ(settings->max_sessions_per_user, 0u);
  EXPECT_EQ(settings->max_half_open, 5000u);
  EXPECT_EQ(settings->max_half_open_per_peer, 5000u);
  EXPECT_EQ(settings->host_name, "lns north");
  EXPECT_EQ(settings->log_level, LogLevel::kDebug);
  const std::vector<std::pair<const char*, LogLevel>> levels{{"error", LogLevel::kError},
                                                             {"warning", LogLevel::kWarning},
                                                             {"notice", LogLevel::kNotice},
                                                             {"info", LogLevel::kInfo}};
  for (const auto& [name, level] : levels) {
    const auto result = load_daemon_settings(
        write("l2tpbusd.conf", std::string("[Daemon]\nLogLevel=") + name + "\n"));
    ASSERT_TRUE(result.has_value()) << result.error();
    EXPECT_EQ(result->log_level, level) << name;
  }
}

TEST_F(DaemonSettingsTest, ReservedLocalTunnelsDefaultsToATenthOfMaxTunnels) {
  for (const auto& [content, reserved] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"[Daemon]\nMaxTunnels=40\n", 4},
           {"[Daemon]\nMaxTunnels=9\n", 0},
           {"[Daemon]\nMaxTunnels=9\nReservedLocalTunnels=8\n", 8},
           {"[Daemon]\nReservedLocalTunnels=0\n", 0}}) {
    const auto settings = load_daemon_settings(write("l2tpbusd.conf", content));
    ASSERT_TRUE(settings.has_value()) << settings.error();
    EXPECT_EQ(reserved_local_tunnels(*settings), reserved) << content;
  }
}

TEST_F(DaemonSettingsTest, ErrorsNameLineAndKey) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"[Daemon]\nMaxTunnels=10\nBogus=1\n", "PATH:3: Bogus: unknown option"},
      {"[Daemon]\nmaxtunnels=10\n", "PATH:2: maxtunnels: unknown option"},
      {"[Daemon]\n[Tunnel]\n", "PATH:2: [Tunnel]: unknown section (expected [Daemon])"},
      {"[daemon]\n", "PATH:1: [daemon]: unknown section (expected [Daemon])"},
      {"[Daemon]\nLogLevel=verbose\n",
       "PATH:2: LogLevel: expected error, warning, notice, info or debug"},
      {"[Daemon]\nLogLevel=INFO\n",
       "PATH:2: LogLevel: expected error, warning, notice, info or debug"},
      {"[Daemon]\nMaxTunnels=0\n", "PATH:2: MaxTunnels: expected 1..1048576"},
      {"[Daemon]\nMaxTunnels=1048577\n", "PATH:2: MaxTunnels: expected 1..1048576"},
      {"[Daemon]\nMaxTunnelsPerUser=1048577\n", "PATH:2: MaxTunnelsPerUser: expected 0..1048576"},
      {"[Daemon]\nMaxSessions=0\n", "PATH:2: MaxSessions: expected 1..1048576"},
      {"[Daemon]\nMaxSessionsPerUser=1048577\n", "PATH:2: MaxSessionsPerUser: expected 0..1048576"},
      {"[Daemon]\nMaxHalfOpen=0\n", "PATH:2: MaxHalfOpen: expected 1..1048576"},
      {"[Daemon]\nMaxHalfOpenPerPeer=65\nMaxHalfOpen=64\n",
       "PATH:2: MaxHalfOpenPerPeer: must not exceed MaxHalfOpen (64)"},
      {"[Daemon]\nMaxHalfOpenPerPeer=1025\n",
       "PATH:2: MaxHalfOpenPerPeer: must not exceed MaxHalfOpen (1024)"},
      {"[Daemon]\nReservedLocalTunnels=-1\n",
       "PATH:2: ReservedLocalTunnels: expected a decimal number 0..4294967295"},
      {"[Daemon]\nReservedLocalTunnels=16384\n",
       "PATH:2: ReservedLocalTunnels: must be below MaxTunnels (16384)"},
      {"[Daemon]\nReservedLocalTunnels=10\nLogLevel=info\nMaxTunnels=10\n",
       "PATH:2: ReservedLocalTunnels: must be below MaxTunnels (10)"},
      {"[Daemon]\nMaxTunnelsPerUser=+5\n",
       "PATH:2: MaxTunnelsPerUser: expected a decimal number 0..4294967295"},
      {"[Daemon]\nMaxTunnels=99999999999999999999\n",
       "PATH:2: MaxTunnels: expected a decimal number 0..4294967295"},
      {"[Daemon]\nHostName=\n", "PATH:2: HostName: must not be empty"},
      {"[Daemon]\nHostName=" + std::string(256, 'h') + "\n",
       "PATH:2: HostName: must be at most 255 bytes"},
      {"[Daemon]\nHostName=a\\nb\n", "PATH:2: HostName: contains control characters"},
      {"[Daemon]\nLogLevel=info\nLogLevel=debug\n", "PATH:3: LogLevel: given twice"},
      {"[Daemon]\n[Daemon]\n", "PATH:2: [Daemon]: duplicate section"},
      {"MaxTunnels=1\n", "PATH:1: MaxTunnels: outside of any section"},
      {"[Daemon]\nHostName=caf\xe9\n", "PATH:2: not valid UTF-8 (or contains a NUL byte)"},
  };
  for (const auto& [content, error] : cases) EXPECT_EQ(error_of_settings(content), error);
}

TEST_F(DaemonSettingsTest, DirectoryIsNotASettingsFile) {
  EXPECT_EQ(error_or_loaded(load_daemon_settings(directory_)),
            directory_ + ":0: not a regular file");
}

// ---- list_tunnel_files --------------------------------------------------------

TEST_F(ConfigFileTest, ListsTunnelFilesSorted) {
  write("b.tunnel", "");
  write("a.tunnel", "");
  write("A.tunnel", "");
  write("c.conf", "");
  write("tunnel", "");
  write(".hidden.tunnel", "");
  write("d.tunnel.bak", "");
  write("e.tunnel~", "");
  std::filesystem::create_directory(directory_ + "/dir.tunnel");
  std::filesystem::create_symlink(directory_ + "/a.tunnel", directory_ + "/link.tunnel");
  std::filesystem::create_symlink(directory_ + "/missing", directory_ + "/dangling.tunnel");
  EXPECT_EQ(list_tunnel_files(directory_),
            (std::vector<std::string>{directory_ + "/A.tunnel", directory_ + "/a.tunnel",
                                      directory_ + "/b.tunnel", directory_ + "/link.tunnel"}));
}

TEST_F(ConfigFileTest, MissingOrEmptyDirectoryListsNothing) {
  EXPECT_TRUE(list_tunnel_files(directory_ + "/absent").empty());
  EXPECT_TRUE(list_tunnel_files(directory_).empty());
  write("x.tunnel", "");
  EXPECT_TRUE(list_tunnel_files(directory_ + "/x.tunnel").empty());  // a file, not a directory
}

TEST(TunnelFileNameTest, TheNameIsTheFileNameWithoutTunnelAndLeadsBackToThePath) {
  EXPECT_EQ(tunnel_file_name("/etc/l2tpbus/office.tunnel"), "office");
  EXPECT_EQ(tunnel_file_name("office.tunnel"), "office");
  EXPECT_EQ(tunnel_file_name("/etc/l2tpbus/v2.lac@home.tunnel"), "v2.lac@home");
  EXPECT_EQ(tunnel_file_path("/etc/l2tpbus", "office"), "/etc/l2tpbus/office.tunnel");
}

TEST(TunnelFileNameTest, NamesOfTheGrammarAreTakenOthersAreRefusedNamingTheKey) {
  const std::string longest = "n" + std::string(63, '7');
  for (const std::string_view name :
       std::vector<std::string_view>{"office", "a", "A-b_c.d@e", "0", "x.", longest}) {
    EXPECT_TRUE(check_tunnel_file_name(name)) << name;
  }
  const std::string too_long(65, 'a');
  for (const std::string_view name : std::vector<std::string_view>{
           "", ".hidden", ".", "..", "../etc", "a/b", "with space", "tab\t", "caf\xc3\xa9",
           "semi;colon", too_long, std::string_view("nul\0in", 6)}) {
    const auto refused = check_tunnel_file_name(name);
    ASSERT_FALSE(refused) << name;
    EXPECT_EQ(refused.error().key, "name");
    EXPECT_NE(refused.error().message.find("not a config file name"), std::string::npos);
  }
}

}  // namespace
}  // namespace l2tp::config
