// a{sv} option dictionaries as they arrive on the bus, turned into the typed
// config::OptionMap that the one validator (config/options.h) accepts.
#pragma once

#include <sdbus-c++/Types.h>

#include <expected>
#include <map>
#include <string>

#include "config/options.h"

namespace l2tp::dbus {

using OptionDictionary = std::map<std::string, sdbus::Variant>;

// Refuses an unknown key ("Key: unknown option"; an empty, long or
// unprintable key is shown as config::shown_in_error() does) and a variant holding any
// other type than the vocabulary's ("Key: expected type u"). Values are not
// judged here: parse_*_options() does that.
std::expected<config::OptionMap, config::OptionError> to_option_map(
    config::ObjectKind kind, const OptionDictionary& options);

}  // namespace l2tp::dbus
