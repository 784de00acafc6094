// The binary dataset format (Paddle's int8 sample-tester format), little-endian:
//   int64 N; N images, each float32 CHW (the same number of floats per image); N int64 labels.
// The file stores no image shape: the reader derives floats-per-image from the file size and, when the
// caller gives the expected sample dims, checks them against it.
//
// DatasetWriter streams images into `<path>.tmp.<pid>` (only the labels are kept in memory) and renames
// it into place on Finish(), so `path` appears only when complete; destroying an unfinished writer
// removes the temporary. DatasetReader reads batches with seeks and never loads the whole file.
// Neither class is thread-safe. All errors are Status values naming the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "support/status.h"

namespace q2i {

class DatasetWriter {
 public:
  // `sample_numel` = floats per image (e.g. 3*224*224); must be > 0.
  static StatusOr<DatasetWriter> Create(const std::filesystem::path& path, int64_t sample_numel);

  DatasetWriter(DatasetWriter&&) noexcept;
  DatasetWriter& operator=(DatasetWriter&&) noexcept;
  ~DatasetWriter();  // removes the temporary file unless Finish() succeeded

  // Appends one image of exactly sample_numel() floats and its label.
  Status Append(std::span<const float> image, int64_t label);
  // Writes the labels and the count, then renames the temporary into place. Fails (and removes the
  // temporary) when no image was appended. No Append/Finish is allowed afterwards.
  Status Finish();

  int64_t sample_numel() const;
  int64_t num_written() const;
  const std::filesystem::path& path() const;

 private:
  struct State;
  explicit DatasetWriter(std::unique_ptr<State> state);
  void Abandon();
  std::unique_ptr<State> state_;
};

class DatasetReader {
 public:
  // Opens and validates `path`. `expected_sample_dims` (without the batch dim, e.g. {3, 224, 224}),
  // when given, must match the floats-per-image the file size implies.
  static StatusOr<DatasetReader> Open(const std::filesystem::path& path,
                                      const std::optional<std::vector<int64_t>>& expected_sample_dims = {});

  int64_t num_samples() const { return num_samples_; }
  int64_t sample_numel() const { return sample_numel_; }
  const std::filesystem::path& path() const { return path_; }

  // Reads samples [start, start+count) into `images` (count*sample_numel() floats) and `labels` (count
  // values). Either pointer may be null to skip that part.
  Status ReadBatch(int64_t start, int64_t count, float* images, int64_t* labels);

 private:
  DatasetReader() = default;
  std::filesystem::path path_;
  std::ifstream in_;
  int64_t num_samples_ = 0;
  int64_t sample_numel_ = 0;
};

}  // namespace q2i
