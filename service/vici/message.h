// strongSwan's VICI messages (src/libcharon/plugins/vici/README.md in
// strongSwan): a tree of named sections, key/values and lists of values, as
// charon's vici plugin sends and takes them. Bytes in, values out; no I/O.
// bookworm ships libvici without a header, so this is our own codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/secret.h"

namespace l2tp::vici {

// Zeroed before it is freed (core/secret.h): VICI carries PSKs and private
// keys to charon.
using Blob = SecretBytes;

// Element types on the wire.
enum class ElementType : std::uint8_t {
  kSectionStart = 1,
  kSectionEnd = 2,
  kKeyValue = 3,
  kListStart = 4,
  kListItem = 5,
  kListEnd = 6,
};

// Bounds of what we accept: names are 1 to 255 bytes of printable ASCII (the
// format gives them an 8-bit length), values up to 65,535 bytes (a 16-bit
// length), sections nested at most this deep.
inline constexpr std::size_t kMaxNameLength = 255;
inline constexpr std::size_t kMaxValueLength = 65535;
inline constexpr std::size_t kMaxDepth = 16;

// One section: its entries in the order they came or were added. Key and
// list names are unique within a section, as the format requires.
class Section {
 public:
  struct Entry;

  // Adders refuse nothing; encode() judges names and sizes, so a message
  // built from a caller's values is checked in one place.
  Section& add(std::string_view name, std::string_view value);
  Section& add(std::string_view name, const Blob& value);
  Section& add_list(std::string_view name, const std::vector<std::string>& items);
  // The new, empty sub-section or list, to fill.
  Section& add_section(std::string_view name);
  std::vector<Blob>& begin_list(std::string_view name);

  // Look-ups by name; nullptr when absent or of another kind.
  const Blob* value(std::string_view name) const;
  const std::vector<Blob>* list(std::string_view name) const;
  const Section* section(std::string_view name) const;
  // A value as text (VICI sends numbers and flags as strings too); empty
  // when absent.
  std::string text(std::string_view name) const;

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  friend bool operator==(const Section&, const Section&) = default;

 private:
  const Entry* find(std::string_view name) const;

  std::vector<Entry> entries_;
};

struct Section::Entry {
  std::string name;
  // A key's value, a list's items, or a sub-section.
  std::variant<Blob, std::vector<Blob>, Section> content;
  friend bool operator==(const Entry&, const Entry&) = default;
};

struct CodecError {
  std::string what;
  friend bool operator==(const CodecError&, const CodecError&) = default;
};

// The message's bytes, or why it cannot be sent (a name empty, too long or
// not printable ASCII, a value too long, sections nested too deep, a name
// twice in a section).
std::expected<Blob, CodecError> encode_message(const Section& root);

// The tree, or why the bytes are not a message: an unknown element type, a
// truncated element, an unbalanced section or list, a key/value or section
// inside a list, an item outside one, a name twice in a section, a bad
// name, nesting beyond kMaxDepth.
std::expected<Section, CodecError> decode_message(std::span<const std::uint8_t> bytes);

}  // namespace l2tp::vici
