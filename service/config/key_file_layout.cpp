#include "config/key_file_layout.h"

#include <algorithm>
#include <set>

namespace l2tp::config::detail {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_leading_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  return text;
}

std::string_view trim_trailing_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

bool SectionLayout::has(std::string_view key) const {
  return std::ranges::any_of(keys, [key](const KeyLine& entry) { return entry.key == key; });
}

int SectionLayout::line_of(std::string_view key) const {
  for (const KeyLine& entry : keys) {
    if (entry.key == key) return entry.line;
  }
  return line;
}

std::expected<std::vector<SectionLayout>, LayoutProblem> scan_key_file_layout(
    std::string_view text) {
  std::vector<SectionLayout> sections;
  // Sets keep a file of many thousands of lines linear-ish, not quadratic.
  std::set<std::string, std::less<>> section_names;
  std::set<std::string, std::less<>> keys_of_current_section;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    line = trim_leading_blanks(line);
    if (line.empty() || line.front() == '#') continue;

    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      if (close == std::string_view::npos ||
          !trim_trailing_blanks(line.substr(close + 1)).empty()) {
        return std::unexpected(LayoutProblem{line_number, "", "malformed section header"});
      }
      std::string name(line.substr(1, close - 1));
      if (!section_names.insert(name).second) {
        return std::unexpected(LayoutProblem{line_number, "[" + name + "]", "duplicate section"});
      }
      keys_of_current_section.clear();
      sections.push_back(SectionLayout{std::move(name), line_number, {}});
      continue;
    }

    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      return std::unexpected(
          LayoutProblem{line_number, "", "expected [Section], Key=value or a # comment"});
    }
    std::string key(trim_trailing_blanks(line.substr(0, equals)));
    if (key.empty()) return std::unexpected(LayoutProblem{line_number, "", "missing key before ="});
    if (sections.empty()) {
      return std::unexpected(LayoutProblem{line_number, key, "outside of any section"});
    }
    if (!keys_of_current_section.insert(key).second) {
      return std::unexpected(LayoutProblem{line_number, key, "given twice"});
    }
    sections.back().keys.push_back(KeyLine{std::move(key), line_number});
  }
  return sections;
}

}  // namespace l2tp::config::detail
