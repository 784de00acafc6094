#include "tests/test_util/shared_data.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

namespace q2i::testing {
namespace fs = std::filesystem;

fs::path SharedDir() {
  if (const char* env = std::getenv("Q2I_SHARED_DIR"); env != nullptr && *env != '\0') return fs::path(env);
  return fs::path(Q2I_SOURCE_DIR).parent_path() / "shared";
}

fs::path SharedPath(const std::string& relative) { return SharedDir() / relative; }

bool RunningInCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

fs::path ScratchDir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string unique = name;
  if (info != nullptr) unique = std::string(info->test_suite_name()) + "." + info->name() + "." + name;
  fs::path dir = fs::path(Q2I_BINARY_DIR) / "test_scratch" / unique;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  return dir;
}

namespace {
// An exclusive lock on a file, held for the object's life: `ctest -j` runs test processes in parallel
// and two of them may fill the same model.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) : fd_(::open(path.c_str(), O_CREAT | O_RDWR, 0644)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};
}  // namespace

fs::path FilledModelCopy(const std::string& name) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  fs::path src = SharedPath("models/" + name);
  fs::path dst = fs::path(Q2I_BINARY_DIR) / "filled_models" / name;
  fs::path stamp = dst / ".filled";
  std::error_code ec;
  fs::create_directories(dst.parent_path(), ec);
  FileLock file_lock(dst.parent_path() / (name + ".lock"));
  if (fs::exists(stamp, ec)) return dst;
  if (!fs::exists(src, ec)) return {};
  fs::remove_all(dst, ec);
  fs::create_directories(dst.parent_path(), ec);
  fs::copy(src, dst, fs::copy_options::recursive, ec);
  if (ec) return {};
  if (fs::exists(dst / "fill_missing_weights.py")) {
    std::string cmd = "/usr/bin/python3 '" + (dst / "fill_missing_weights.py").string() + "' --dir '" +
                      dst.string() + "' > '" + (dst / ".fill.log").string() + "' 2>&1";
    if (std::system(cmd.c_str()) != 0) return {};
  }
  FILE* f = std::fopen(stamp.c_str(), "w");
  if (f) std::fclose(f);
  return dst;
}

}  // namespace q2i::testing
