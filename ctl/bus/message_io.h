// Reading and writing sd-bus messages for l2tpctl: the arguments of the
// generated proxies (ctl/generated), option dictionaries, and any complete
// value read into JSON, so that properties are printed and checked without
// a C++ type per property.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/options.h"

namespace l2tp::ctl::message {

// Each throws CtlError (kFailure) when sd-bus refuses, which only a daemon
// that answers with other types than its XML declares would cause.
void append(sd_bus_message* message, const char* signature, const std::string& value);
void append(sd_bus_message* message, const char* signature, std::uint32_t value);
void append(sd_bus_message* message, const char* signature, bool value);
// An a{sv} of the vocabulary's types: s, u, b, ay, as.
void append(sd_bus_message* message, const char* signature, const config::OptionMap& options);

void read(sd_bus_message* message, const char* signature, std::string& value);
void read(sd_bus_message* message, const char* signature, std::uint32_t& value);
void read(sd_bus_message* message, const char* signature, bool& value);
void read(sd_bus_message* message, const char* signature, std::vector<std::string>& value);

// The next complete value as JSON: numbers and booleans as such, strings and
// object paths as strings, arrays (ay too) as arrays, dictionaries as
// objects (keys as text), structs as arrays, variants as their content.
nlohmann::json read_json(sd_bus_message* message);

}  // namespace l2tp::ctl::message
