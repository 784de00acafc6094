#include "data_prep/mnist.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <system_error>

namespace q2i {
namespace {

constexpr uint32_t kImagesMagic = 2051;
constexpr uint32_t kLabelsMagic = 2049;
constexpr int64_t kMaxPayloadBytes = int64_t{1} << 32;  // far above any real MNIST-like file
constexpr uint32_t kMaxSide = 1 << 16;

// gzFile reader for gzip or raw files (zlib reads non-gzip data transparently).
class GzFile {
 public:
  ~GzFile() {
    if (file_ != nullptr) gzclose(file_);
  }
  Status Open(const std::filesystem::path& path) {
    name_ = path.string();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return NotFound("MNIST file '", name_, "' does not exist");
    if (std::filesystem::is_directory(path, ec)) return IoError("MNIST file '", name_, "' is a directory");
    file_ = gzopen(name_.c_str(), "rb");
    if (file_ == nullptr) return IoError("cannot open MNIST file '", name_, "'");
    return OkStatus();
  }
  // Reads up to `size` bytes; returns how many were read (fewer only at end of file).
  StatusOr<int64_t> Read(void* data, int64_t size) {
    int64_t done = 0;
    while (done < size) {
      const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(size - done, int64_t{1} << 30));
      const int got = gzread(file_, static_cast<char*>(data) + done, chunk);
      if (got < 0) {
        int err = 0;
        const char* msg = gzerror(file_, &err);
        return IoError("cannot read MNIST file '", name_, "': ", msg != nullptr ? msg : "zlib error",
                       " (corrupt gzip data?)");
      }
      if (got == 0) break;
      done += got;
    }
    return done;
  }
  // Reads exactly `size` bytes or fails with a truncation error mentioning `what`.
  Status ReadExactly(void* data, int64_t size, const char* what) {
    Q2I_ASSIGN_OR_RETURN(int64_t got, Read(data, size));
    if (got != size) {
      return IoError("MNIST file '", name_, "' is truncated: ", what, " needs ", size, " bytes, found ", got);
    }
    return OkStatus();
  }
  // Reads exactly `size` bytes into `out`, growing it chunk by chunk so a lying header cannot make us
  // allocate more than the file really holds.
  Status ReadPayload(int64_t size, std::vector<uint8_t>* out, const char* what) {
    constexpr int64_t kChunk = int64_t{16} << 20;
    out->clear();
    while (static_cast<int64_t>(out->size()) < size) {
      const int64_t before = static_cast<int64_t>(out->size());
      const int64_t want = std::min(kChunk, size - before);
      out->resize(static_cast<size_t>(before + want));
      Q2I_ASSIGN_OR_RETURN(int64_t got, Read(out->data() + before, want));
      if (got != want) {
        return IoError("MNIST file '", name_, "' is truncated: ", what, " needs ", size, " bytes, found ",
                       before + got);
      }
    }
    return OkStatus();
  }
  Status ExpectEnd() {
    char extra = 0;
    Q2I_ASSIGN_OR_RETURN(int64_t got, Read(&extra, 1));
    if (got != 0) return IoError("MNIST file '", name_, "' has unexpected data after the end of its payload");
    return OkStatus();
  }
  const std::string& name() const { return name_; }

 private:
  gzFile file_ = nullptr;
  std::string name_;
};

uint32_t BigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Reads an IDX header: the magic number (checked first, so a wrong kind of file says so), then kNumDims dims.
template <size_t kNumDims>
StatusOr<std::array<uint32_t, kNumDims>> ReadHeader(GzFile& file, uint32_t want_magic, const char* kind) {
  uint8_t raw[4 * kNumDims];
  Q2I_RETURN_IF_ERROR(file.ReadExactly(raw, 4, "the IDX magic number"));
  const uint32_t magic = BigEndian32(raw);
  if (magic != want_magic) {
    return IoError("MNIST file '", file.name(), "': bad magic number ", magic, ", expected ", want_magic, " for ",
                   kind, " (not an IDX ", kind, " file?)");
  }
  Q2I_RETURN_IF_ERROR(file.ReadExactly(raw, sizeof(raw), "the IDX header"));
  std::array<uint32_t, kNumDims> dims{};
  for (size_t i = 0; i < kNumDims; ++i) dims[i] = BigEndian32(raw + 4 * i);
  return dims;
}

}  // namespace

StatusOr<MnistImages> ReadIdxImages(const std::filesystem::path& path) {
  GzFile file;
  Q2I_RETURN_IF_ERROR(file.Open(path));
  Q2I_ASSIGN_OR_RETURN(auto dims, ReadHeader<3>(file, kImagesMagic, "images"));
  if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0 || dims[1] > kMaxSide || dims[2] > kMaxSide) {
    return IoError("MNIST file '", file.name(), "': invalid header dims ", dims[0], "x", dims[1], "x", dims[2]);
  }
  const int64_t bytes = int64_t{dims[0]} * dims[1] * dims[2];
  if (bytes > kMaxPayloadBytes) {
    return IoError("MNIST file '", file.name(), "': header claims ", dims[0], " images of ", dims[1], "x", dims[2],
                   ", implausibly large");
  }
  MnistImages images;
  images.count = dims[0];
  images.rows = static_cast<int>(dims[1]);
  images.cols = static_cast<int>(dims[2]);
  Q2I_RETURN_IF_ERROR(file.ReadPayload(bytes, &images.pixels, "the pixel data"));
  Q2I_RETURN_IF_ERROR(file.ExpectEnd());
  return images;
}

StatusOr<std::vector<uint8_t>> ReadIdxLabels(const std::filesystem::path& path) {
  GzFile file;
  Q2I_RETURN_IF_ERROR(file.Open(path));
  Q2I_ASSIGN_OR_RETURN(auto dims, ReadHeader<1>(file, kLabelsMagic, "labels"));
  if (dims[0] == 0) return IoError("MNIST file '", file.name(), "' holds no labels");
  std::vector<uint8_t> labels;
  Q2I_RETURN_IF_ERROR(file.ReadPayload(dims[0], &labels, "the label data"));
  Q2I_RETURN_IF_ERROR(file.ExpectEnd());
  return labels;
}

Status ValidateMnistNormalization(const MnistNormalization& n) {
  if (!std::isfinite(n.scale) || n.scale == 0) return InvalidArgument("scale must be finite and non-zero, got ", n.scale);
  if (!std::isfinite(n.mean)) return InvalidArgument("mean must be finite, got ", n.mean);
  if (!std::isfinite(n.std) || n.std == 0) return InvalidArgument("std must be finite and non-zero, got ", n.std);
  return OkStatus();
}

void NormalizeMnistPixels(const uint8_t* pixels, int64_t count, const MnistNormalization& n, float* out) {
  for (int64_t i = 0; i < count; ++i) {
    out[i] = static_cast<float>((static_cast<double>(pixels[i]) * n.scale - n.mean) / n.std);
  }
}

}  // namespace q2i
