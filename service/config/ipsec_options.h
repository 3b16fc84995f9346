// The Ipsec* options of tunnels and listeners: their types for the
// vocabulary check and the reader that turns them into IpsecSettings.
// Internal to the config library.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string_view>

#include "config/option_parsing.h"
#include "core/ipsec.h"

namespace l2tp::config::detail {

// The type of an Ipsec key for `kind`; nullopt for other keys.
std::optional<OptionType> ipsec_option_type(ObjectKind kind, std::string_view key);
// The Ipsec keys that apply to `kind`, in vocabulary order.
std::vector<std::string_view> ipsec_option_keys(ObjectKind kind);

// nullptr when no Ipsec key is present; else the settings with defaults
// applied, or the first problem, naming its key.
std::expected<std::shared_ptr<const IpsecSettings>, OptionError> read_ipsec_settings(
    const OptionReader& reader, ObjectKind kind);

}  // namespace l2tp::config::detail
