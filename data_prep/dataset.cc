#include "data_prep/dataset.h"

#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <sstream>
#include <system_error>

namespace q2i {
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little,
              "the dataset format is little-endian; add byte swapping for this host");

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? ", " : "") << dims[i];
  os << "]";
  return os.str();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// DatasetWriter

struct DatasetWriter::State {
  fs::path path;
  fs::path tmp_path;
  std::ofstream out;
  int64_t sample_numel = 0;
  std::vector<int64_t> labels;
  bool done = false;  // finished or failed: no more writes
};

DatasetWriter::DatasetWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
DatasetWriter::DatasetWriter(DatasetWriter&&) noexcept = default;
DatasetWriter& DatasetWriter::operator=(DatasetWriter&& other) noexcept {
  if (this != &other) {
    Abandon();
    state_ = std::move(other.state_);
  }
  return *this;
}
DatasetWriter::~DatasetWriter() { Abandon(); }

void DatasetWriter::Abandon() {
  if (!state_ || state_->tmp_path.empty()) return;
  if (state_->out.is_open()) state_->out.close();
  std::error_code ec;
  fs::remove(state_->tmp_path, ec);
  state_->tmp_path.clear();
  state_->done = true;
}

StatusOr<DatasetWriter> DatasetWriter::Create(const fs::path& path, int64_t sample_numel) {
  if (path.empty()) return InvalidArgument("dataset output path is empty");
  if (sample_numel <= 0 || sample_numel > kInt64Max / 8) {
    return InvalidArgument("dataset '", path.string(), "': invalid number of floats per image ",
                           sample_numel);
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return InvalidArgument("dataset output '", path.string(), "' is a directory, expected a file path");
  }
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) return IoError("cannot create directory '", path.parent_path().string(), "': ", ec.message());
  }
  auto state = std::make_unique<State>();
  state->path = path;
  state->tmp_path = path;
  state->tmp_path += ".tmp." + std::to_string(::getpid());
  state->sample_numel = sample_numel;
  state->out.open(state->tmp_path, std::ios::binary | std::ios::trunc);
  if (!state->out) {
    const std::string reason = std::strerror(errno);
    state->tmp_path.clear();  // nothing to remove
    return IoError("cannot create '", path.string(), ".tmp.", ::getpid(), "': ", reason);
  }
  const int64_t placeholder_count = 0;  // patched by Finish()
  state->out.write(reinterpret_cast<const char*>(&placeholder_count), sizeof(placeholder_count));
  DatasetWriter writer(std::move(state));
  if (!writer.state_->out) {
    writer.Abandon();
    return IoError("cannot write to the temporary file of '", path.string(), "'");
  }
  return writer;
}

Status DatasetWriter::Append(std::span<const float> image, int64_t label) {
  if (!state_ || state_->done) return InternalError("DatasetWriter::Append after Finish or failure");
  if (static_cast<int64_t>(image.size()) != state_->sample_numel) {
    return InvalidArgument("dataset '", state_->path.string(), "': image ", state_->labels.size(), " has ",
                           image.size(), " floats, expected ", state_->sample_numel);
  }
  state_->out.write(reinterpret_cast<const char*>(image.data()),
                    static_cast<std::streamsize>(image.size_bytes()));
  if (!state_->out) {
    Abandon();
    return IoError("cannot write image ", state_->labels.size(), " to the temporary file of '",
                   state_->path.string(), "' (disk full?)");
  }
  state_->labels.push_back(label);
  return OkStatus();
}

Status DatasetWriter::Finish() {
  if (!state_ || state_->done) return InternalError("DatasetWriter::Finish called twice or after failure");
  State& s = *state_;
  if (s.labels.empty()) {
    Abandon();
    return InvalidArgument("dataset '", s.path.string(), "': no images were written");
  }
  s.out.write(reinterpret_cast<const char*>(s.labels.data()),
              static_cast<std::streamsize>(s.labels.size() * sizeof(int64_t)));
  const int64_t count = static_cast<int64_t>(s.labels.size());
  s.out.seekp(0);
  s.out.write(reinterpret_cast<const char*>(&count), sizeof(count));
  s.out.flush();
  s.out.close();
  if (!s.out) {
    Abandon();
    return IoError("cannot write the labels or header of '", s.path.string(), "' (disk full?)");
  }
  std::error_code ec;
  fs::rename(s.tmp_path, s.path, ec);
  if (ec) {
    Abandon();
    return IoError("cannot rename the temporary file into '", s.path.string(), "': ", ec.message());
  }
  s.tmp_path.clear();
  s.done = true;
  return OkStatus();
}

int64_t DatasetWriter::sample_numel() const { return state_ ? state_->sample_numel : 0; }
int64_t DatasetWriter::num_written() const { return state_ ? static_cast<int64_t>(state_->labels.size()) : 0; }
const fs::path& DatasetWriter::path() const {
  static const fs::path kEmpty;
  return state_ ? state_->path : kEmpty;
}

// ---------------------------------------------------------------------------------------------------
// DatasetReader

StatusOr<DatasetReader> DatasetReader::Open(const fs::path& path,
                                            const std::optional<std::vector<int64_t>>& expected_sample_dims) {
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound("dataset file '", name, "' does not exist");
  if (fs::is_directory(path, ec)) return IoError("dataset '", name, "' is a directory, expected a file");
  const uintmax_t raw_size = fs::file_size(path, ec);
  if (ec) return IoError("cannot get the size of dataset '", name, "': ", ec.message());
  if (raw_size > static_cast<uintmax_t>(kInt64Max)) return IoError("dataset '", name, "' is too large");
  const int64_t size = static_cast<int64_t>(raw_size);

  // Expected floats per image, if the caller knows the shape.
  std::optional<int64_t> expected_numel;
  if (expected_sample_dims) {
    int64_t numel = 1;
    for (int64_t d : *expected_sample_dims) {
      if (d <= 0 || numel > kInt64Max / 8 / d) {
        return InvalidArgument("dataset '", name, "': invalid expected sample dims ",
                               DimsToString(*expected_sample_dims), " (give the dims without the batch dim)");
      }
      numel *= d;
    }
    expected_numel = numel;
  }

  DatasetReader reader;
  reader.path_ = path;
  reader.in_.open(path, std::ios::binary);
  if (!reader.in_) return IoError("cannot open dataset '", name, "': ", std::strerror(errno));
  if (size < 8) {
    return IoError("dataset '", name, "' is truncated: ", size, " bytes, too small for the int64 sample count");
  }
  int64_t n = 0;
  if (!reader.in_.read(reinterpret_cast<char*>(&n), sizeof(n))) {
    return IoError("cannot read the header of dataset '", name, "'");
  }
  if (n <= 0) return IoError("dataset '", name, "': invalid sample count ", n, " in the header");
  // Every sample needs at least one float (4 bytes) and one int64 label (8 bytes).
  if (n > (size - 8) / 12) {
    return IoError("dataset '", name, "': header says ", n, " samples but the file has only ", size,
                   " bytes (truncated file, or not a dataset file)");
  }
  const int64_t image_bytes = size - 8 - 8 * n;
  if (expected_numel) {
    const int64_t want = *expected_numel;
    const bool too_big = want > ((kInt64Max - 8) / n - 8) / 4;
    const int64_t want_size = too_big ? -1 : 8 + n * (4 * want + 8);
    if (want_size != size) {
      std::string found = "which matches no whole number of floats per image";
      if (image_bytes % (4 * n) == 0) found = "i.e. " + std::to_string(image_bytes / 4 / n) + " floats per image";
      return IoError("dataset '", name, "': ", n, " samples of dims ", DimsToString(*expected_sample_dims), " (",
                     want, " floats) need ", too_big ? std::string("more") : std::to_string(want_size),
                     " bytes, but the file has ", size, " bytes, ", found,
                     " (truncated or oversized file, or wrong input shape)");
    }
  } else if (image_bytes % (4 * n) != 0) {
    return IoError("dataset '", name, "': file size ", size, " does not fit ", n,
                   " samples (int64 count + N float32 images + N int64 labels); truncated or oversized file");
  }
  reader.num_samples_ = n;
  reader.sample_numel_ = image_bytes / 4 / n;
  return reader;
}

Status DatasetReader::ReadBatch(int64_t start, int64_t count, float* images, int64_t* labels) {
  if (start < 0 || count < 0 || start > num_samples_ || count > num_samples_ - start) {
    return InvalidArgument("dataset '", path_.string(), "': batch [", start, ", ", start, "+", count,
                           ") is outside the ", num_samples_, " samples");
  }
  if (count == 0) return OkStatus();
  in_.clear();
  if (images != nullptr) {
    const int64_t sample_bytes = sample_numel_ * 4;
    in_.seekg(8 + start * sample_bytes);
    in_.read(reinterpret_cast<char*>(images), static_cast<std::streamsize>(count * sample_bytes));
    if (!in_) {
      return IoError("cannot read images ", start, "..", start + count - 1, " of dataset '", path_.string(),
                     "' (file changed or truncated?)");
    }
  }
  if (labels != nullptr) {
    in_.seekg(8 + num_samples_ * sample_numel_ * 4 + start * 8);
    in_.read(reinterpret_cast<char*>(labels), static_cast<std::streamsize>(count * 8));
    if (!in_) {
      return IoError("cannot read labels ", start, "..", start + count - 1, " of dataset '", path_.string(),
                     "' (file changed or truncated?)");
    }
  }
  return OkStatus();
}

}  // namespace q2i
