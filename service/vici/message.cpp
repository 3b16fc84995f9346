#include "vici/message.h"

#include <algorithm>
#include <utility>

namespace l2tp::vici {

// ---- Section ---------------------------------------------------------------

Section& Section::add(std::string_view name, std::string_view value) {
  entries_.push_back({std::string(name), Blob(value.begin(), value.end())});
  return *this;
}

Section& Section::add(std::string_view name, const Blob& value) {
  entries_.push_back({std::string(name), value});
  return *this;
}

Section& Section::add_list(std::string_view name, const std::vector<std::string>& items) {
  std::vector<Blob> blobs;
  blobs.reserve(items.size());
  for (const std::string& item : items) blobs.emplace_back(item.begin(), item.end());
  entries_.push_back({std::string(name), std::move(blobs)});
  return *this;
}

std::vector<Blob>& Section::begin_list(std::string_view name) {
  entries_.push_back({std::string(name), std::vector<Blob>{}});
  return std::get<std::vector<Blob>>(entries_.back().content);
}

Section& Section::add_section(std::string_view name) {
  entries_.push_back({std::string(name), Section{}});
  return std::get<Section>(entries_.back().content);
}

const Section::Entry* Section::find(std::string_view name) const {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [name](const Entry& entry) { return entry.name == name; });
  return it == entries_.end() ? nullptr : &*it;
}

const Blob* Section::value(std::string_view name) const {
  const Entry* entry = find(name);
  return entry != nullptr ? std::get_if<Blob>(&entry->content) : nullptr;
}

const std::vector<Blob>* Section::list(std::string_view name) const {
  const Entry* entry = find(name);
  return entry != nullptr ? std::get_if<std::vector<Blob>>(&entry->content) : nullptr;
}

const Section* Section::section(std::string_view name) const {
  const Entry* entry = find(name);
  return entry != nullptr ? std::get_if<Section>(&entry->content) : nullptr;
}

std::string Section::text(std::string_view name) const {
  const Blob* blob = value(name);
  return blob != nullptr ? std::string(blob->begin(), blob->end()) : std::string();
}

namespace {

std::unexpected<CodecError> error(std::string what) {
  return std::unexpected(CodecError{std::move(what)});
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// ---- Encoding --------------------------------------------------------------

class Encoder {
 public:
  std::expected<Blob, CodecError> run(const Section& root) {
    if (auto done = section(root, 0); !done) return std::unexpected(done.error());
    return std::move(out_);
  }

 private:
  std::expected<void, CodecError> section(const Section& section, std::size_t depth) {
    if (depth > kMaxDepth) return error("sections nested deeper than " + std::to_string(kMaxDepth));
    std::vector<std::string_view> names;
    for (const Section::Entry& entry : section.entries()) {
      if (!valid_name(entry.name)) return error("bad name \"" + printable(entry.name) + "\"");
      if (std::find(names.begin(), names.end(), entry.name) != names.end())
        return error("\"" + entry.name + "\" twice in one section");
      names.push_back(entry.name);
      if (const Blob* value = std::get_if<Blob>(&entry.content)) {
        if (auto done = named(ElementType::kKeyValue, entry.name); !done) return done;
        if (auto done = blob(*value, entry.name); !done) return done;
      } else if (const auto* items = std::get_if<std::vector<Blob>>(&entry.content)) {
        if (auto done = named(ElementType::kListStart, entry.name); !done) return done;
        for (const Blob& item : *items) {
          out_.push_back(static_cast<std::uint8_t>(ElementType::kListItem));
          if (auto done = blob(item, entry.name); !done) return done;
        }
        out_.push_back(static_cast<std::uint8_t>(ElementType::kListEnd));
      } else {
        if (auto done = named(ElementType::kSectionStart, entry.name); !done) return done;
        if (auto done = this->section(std::get<Section>(entry.content), depth + 1); !done)
          return done;
        out_.push_back(static_cast<std::uint8_t>(ElementType::kSectionEnd));
      }
    }
    return {};
  }

  std::expected<void, CodecError> named(ElementType type, std::string_view name) {
    out_.push_back(static_cast<std::uint8_t>(type));
    out_.push_back(static_cast<std::uint8_t>(name.size()));
    out_.insert(out_.end(), name.begin(), name.end());
    return {};
  }

  std::expected<void, CodecError> blob(const Blob& value, std::string_view name) {
    if (value.size() > kMaxValueLength)
      return error("value of \"" + std::string(name) + "\" longer than 65,535 bytes");
    out_.push_back(static_cast<std::uint8_t>(value.size() >> 8));
    out_.push_back(static_cast<std::uint8_t>(value.size() & 0xff));
    out_.insert(out_.end(), value.begin(), value.end());
    return {};
  }

  // Names come from callers: shown escaped in errors, never raw.
  static std::string printable(std::string_view name) {
    std::string shown;
    for (char c : name.substr(0, 64)) {
      if (c > 0x20 && c < 0x7f) {
        shown += c;
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        const auto byte = static_cast<unsigned char>(c);
        shown += "\\x";
        shown += kHex[byte >> 4];
        shown += kHex[byte & 0xf];
      }
    }
    return name.size() > 64 ? shown + "..." : shown;
  }

  Blob out_;
};

// ---- Decoding --------------------------------------------------------------

class Decoder {
 public:
  explicit Decoder(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::expected<Section, CodecError> run() {
    Section root;
    // The sections being filled, innermost last; the root is never closed.
    std::vector<Section*> open{&root};
    std::vector<Blob>* list = nullptr;
    while (at_ < bytes_.size()) {
      const std::uint8_t type = bytes_[at_++];
      switch (static_cast<ElementType>(type)) {
        case ElementType::kSectionStart: {
          if (list != nullptr) return error("a section inside a list");
          if (open.size() > kMaxDepth)
            return error("sections nested deeper than " + std::to_string(kMaxDepth));
          auto name = read_name(*open.back());
          if (!name) return std::unexpected(name.error());
          open.push_back(&open.back()->add_section(*name));
          break;
        }
        case ElementType::kSectionEnd:
          if (list != nullptr) return error("a section ends inside a list");
          if (open.size() == 1) return error("a section end without a section");
          open.pop_back();
          break;
        case ElementType::kKeyValue: {
          if (list != nullptr) return error("a key/value inside a list");
          auto name = read_name(*open.back());
          if (!name) return std::unexpected(name.error());
          auto value = read_blob();
          if (!value) return std::unexpected(value.error());
          open.back()->add(*name, *value);
          break;
        }
        case ElementType::kListStart: {
          if (list != nullptr) return error("a list inside a list");
          auto name = read_name(*open.back());
          if (!name) return std::unexpected(name.error());
          list = &open.back()->begin_list(*name);
          break;
        }
        case ElementType::kListItem: {
          if (list == nullptr) return error("a list item outside a list");
          auto value = read_blob();
          if (!value) return std::unexpected(value.error());
          list->push_back(std::move(*value));
          break;
        }
        case ElementType::kListEnd:
          if (list == nullptr) return error("a list end without a list");
          list = nullptr;
          break;
        default:
          return error("unknown element type " + std::to_string(type));
      }
    }
    if (list != nullptr) return error("a list is not closed");
    if (open.size() != 1) return error("a section is not closed");
    return root;
  }

 private:
  // The name after an element type, unique in `section`.
  std::expected<std::string, CodecError> read_name(const Section& section) {
    if (at_ >= bytes_.size()) return error("truncated name");
    const std::size_t length = bytes_[at_++];
    if (bytes_.size() - at_ < length) return error("truncated name");
    std::string name(bytes_.begin() + static_cast<std::ptrdiff_t>(at_),
                     bytes_.begin() + static_cast<std::ptrdiff_t>(at_ + length));
    at_ += length;
    if (!valid_name(name)) return error("bad name");
    for (const Section::Entry& entry : section.entries()) {
      if (entry.name == name) return error("\"" + name + "\" twice in one section");
    }
    return name;
  }

  std::expected<Blob, CodecError> read_blob() {
    if (bytes_.size() - at_ < 2) return error("truncated value");
    const std::size_t length = std::size_t{bytes_[at_]} << 8 | bytes_[at_ + 1];
    at_ += 2;
    if (bytes_.size() - at_ < length) return error("truncated value");
    Blob value(bytes_.begin() + static_cast<std::ptrdiff_t>(at_),
               bytes_.begin() + static_cast<std::ptrdiff_t>(at_ + length));
    at_ += length;
    return value;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

}  // namespace

std::expected<Blob, CodecError> encode_message(const Section& root) {
  return Encoder().run(root);
}

std::expected<Section, CodecError> decode_message(std::span<const std::uint8_t> bytes) {
  return Decoder(bytes).run();
}

}  // namespace l2tp::vici
