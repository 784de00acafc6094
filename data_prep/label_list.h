// Paddle's image list: one `<relative/path> <label>` per line (path relative to the data dir).
// The label is the last whitespace-separated token (a non-negative integer); everything before it,
// trimmed, is the path, so paths may contain spaces. Blank lines are skipped, a trailing '\r' is
// ignored. Malformed lines give InvalidArgument naming the file and the 1-based line number.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "support/status.h"

namespace q2i {

struct LabeledPath {
  std::string path;
  int64_t label = 0;
};

// `source_name` is only used in error messages (normally the file name).
StatusOr<std::vector<LabeledPath>> ParseLabelList(std::string_view text, std::string_view source_name);
StatusOr<std::vector<LabeledPath>> ReadLabelList(const std::filesystem::path& path);

}  // namespace q2i
