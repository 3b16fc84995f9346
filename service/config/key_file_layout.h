// Where sections and keys sit in a key file, so errors can name a line.
// GKeyFile parses the values but keeps no line numbers, merges duplicate
// sections, keeps duplicate keys silently and drops "Key[locale]" entries it
// does not care about; this scan sees all of those. It only locates: the
// loader still hands the text to GKeyFile and checks both agree.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace l2tp::config::detail {

struct KeyLine {
  std::string key;
  int line = 0;
};

struct SectionLayout {
  std::string name;
  int line = 0;
  std::vector<KeyLine> keys;  // in file order

  bool has(std::string_view key) const;
  // The line of `key`, or the section header's when the key is absent.
  int line_of(std::string_view key) const;
};

// What makes a layout unusable. `subject` is a key, "[Section]" or empty.
struct LayoutProblem {
  int line = 0;
  std::string subject;
  std::string message;
};

// Lines are numbered from 1 and end at '\n'; a '\r' before it is ignored, as
// GKeyFile does. Refuses lines that are neither blank, a # comment, a
// [Section] header nor Key=value; keys before the first section; a section
// given twice; a key given twice within a section.
std::expected<std::vector<SectionLayout>, LayoutProblem> scan_key_file_layout(
    std::string_view text);

}  // namespace l2tp::config::detail
