#include "data_prep/label_list.h"

#include <charconv>

#include "support/file_io.h"

namespace q2i {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

StatusOr<std::vector<LabeledPath>> ParseLabelList(std::string_view text, std::string_view source_name) {
  std::vector<LabeledPath> entries;
  int64_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    const std::string_view line = Trim(raw);
    if (line.empty()) continue;
    const auto bad = [&](std::string_view why) {
      return InvalidArgument("label list '", source_name, "' line ", line_number, ": ", why, " in '", line,
                             "' (expected '<relative/path> <label>')");
    };
    size_t split = line.size();
    while (split > 0 && !IsSpace(line[split - 1])) --split;
    if (split == 0) return bad("missing path or label");
    const std::string_view path = Trim(line.substr(0, split));
    const std::string_view label_text = line.substr(split);
    LabeledPath entry;
    const auto [ptr, ec] = std::from_chars(label_text.data(), label_text.data() + label_text.size(), entry.label);
    if (ec != std::errc() || ptr != label_text.data() + label_text.size()) {
      return bad("label '" + std::string(label_text) + "' is not an integer");
    }
    if (entry.label < 0) return bad("negative label");
    entry.path = std::string(path);
    entries.push_back(std::move(entry));
  }
  if (entries.empty()) return InvalidArgument("label list '", source_name, "' has no entries");
  return entries;
}

StatusOr<std::vector<LabeledPath>> ReadLabelList(const std::filesystem::path& path) {
  StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status().WithContext("reading the label list");
  return ParseLabelList(*text, path.string());
}

}  // namespace q2i
