#include "support/file_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace q2i {
namespace fs = std::filesystem;

StatusOr<std::string> ReadFileToString(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound("file '", path.string(), "' does not exist");
  if (fs::is_directory(path, ec)) return IoError("'", path.string(), "' is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open '", path.string(), "': ", std::strerror(errno));
  std::string data;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return IoError("cannot determine the size of '", path.string(), "'");
  data.resize(static_cast<size_t>(size));
  in.seekg(0, std::ios::beg);
  if (size > 0 && !in.read(data.data(), size)) return IoError("cannot read '", path.string(), "'");
  return data;
}

static std::string TempSuffix() { return ".tmp." + std::to_string(::getpid()); }

Status WriteFileAtomically(const fs::path& path, std::string_view data) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) return IoError("cannot create directory '", path.parent_path().string(), "': ", ec.message());
  fs::path tmp = path;
  tmp += TempSuffix();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return IoError("cannot create '", tmp.string(), "': ", std::strerror(errno));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      return IoError("cannot write '", tmp.string(), "'");
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return IoError("cannot rename into '", path.string(), "': ", ec.message());
  }
  return OkStatus();
}

Status WriteDirectoryAtomically(const fs::path& dir, const std::function<Status(const fs::path&)>& fill) {
  std::error_code ec;
  fs::path target = dir.has_filename() ? dir : dir.parent_path();
  fs::path tmp = target;
  tmp += TempSuffix();
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return IoError("cannot create directory '", tmp.string(), "': ", ec.message());
  Status st = fill(tmp);
  if (!st.ok()) {
    fs::remove_all(tmp, ec);
    return st;
  }
  fs::path old = target;
  old += ".old" + TempSuffix();
  const bool had_old = fs::exists(target, ec);
  if (had_old) {
    fs::rename(target, old, ec);
    if (ec) {
      fs::remove_all(tmp, ec);
      return IoError("cannot move aside existing '", target.string(), "': ", ec.message());
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ec2;
    if (had_old) fs::rename(old, target, ec2);
    fs::remove_all(tmp, ec2);
    return IoError("cannot rename '", tmp.string(), "' to '", target.string(), "': ", ec.message());
  }
  if (had_old) fs::remove_all(old, ec);
  return OkStatus();
}

}  // namespace q2i
