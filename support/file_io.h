// File helpers with Status errors that name the path. Writes go to a temporary sibling first and are
// renamed into place, so a reader never sees a half-written file or directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "support/status.h"

namespace q2i {

StatusOr<std::string> ReadFileToString(const std::filesystem::path& path);

// Writes `data` to `path` via `path.tmp.<pid>` + rename.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view data);

// Builds a directory atomically: `fill` writes into a fresh temporary directory next to `dir`; on
// success the old `dir` (if any) is replaced by it, on failure the temporary is removed and `dir` is
// left untouched.
Status WriteDirectoryAtomically(const std::filesystem::path& dir,
                                const std::function<Status(const std::filesystem::path& tmp_dir)>& fill);

}  // namespace q2i
