#include "data_prep/convert_to_dataset.h"

#include <algorithm>

#include "data_prep/dataset.h"
#include "data_prep/label_list.h"

namespace q2i {
namespace fs = std::filesystem;

StatusOr<ConversionResult> ConvertImageList(const ImageListConversion& c, const ConversionProgress& progress) {
  if (c.output_file.empty()) return InvalidArgument("no output file given");
  if (c.limit < 0) return InvalidArgument("limit must be >= 0 (0 = all), got ", c.limit);
  Q2I_RETURN_IF_ERROR(ValidateImagePreprocessOptions(c.preprocess));
  std::error_code ec;
  if (!c.data_dir.empty() && !fs::is_directory(c.data_dir, ec)) {
    return NotFound("data dir '", c.data_dir.string(), "' does not exist or is not a directory");
  }
  const fs::path list_path = c.label_list.is_absolute() ? c.label_list : c.data_dir / c.label_list;
  Q2I_ASSIGN_OR_RETURN(std::vector<LabeledPath> entries, ReadLabelList(list_path));
  if (c.limit > 0 && static_cast<int64_t>(entries.size()) > c.limit) entries.resize(static_cast<size_t>(c.limit));

  const ImagePreprocessOptions& p = c.preprocess;
  ConversionResult result;
  result.sample_dims = {p.channels, p.height, p.width};
  Q2I_ASSIGN_OR_RETURN(DatasetWriter writer,
                       DatasetWriter::Create(c.output_file, int64_t{p.channels} * p.height * p.width));
  const int64_t total = static_cast<int64_t>(entries.size());
  for (int64_t i = 0; i < total; ++i) {
    const LabeledPath& entry = entries[static_cast<size_t>(i)];
    StatusOr<std::vector<float>> image = PreprocessImageFile(c.data_dir / entry.path, p);
    if (image.ok()) {
      Q2I_RETURN_IF_ERROR(writer.Append(*image, entry.label));
      ++result.written;
    } else if (c.skip_bad) {
      ++result.skipped;
      result.skip_reasons.push_back(image.status().message());
    } else {
      return image.status().WithContext("list entry " + std::to_string(i + 1) + " of '" + list_path.string() +
                                        "' (use --skip_bad to leave unreadable images out)");
    }
    if (progress) progress(i + 1, total);
  }
  if (result.written == 0) {
    return InvalidArgument("none of the ", total, " images listed in '", list_path.string(), "' could be read");
  }
  Q2I_RETURN_IF_ERROR(writer.Finish());
  return result;
}

StatusOr<ConversionResult> ConvertMnist(const MnistConversion& c, const ConversionProgress& progress) {
  if (c.output_file.empty()) return InvalidArgument("no output file given");
  if (c.limit < 0) return InvalidArgument("limit must be >= 0 (0 = all), got ", c.limit);
  Q2I_RETURN_IF_ERROR(ValidateMnistNormalization(c.normalization));
  Q2I_ASSIGN_OR_RETURN(MnistImages images, ReadIdxImages(c.images));
  Q2I_ASSIGN_OR_RETURN(std::vector<uint8_t> labels, ReadIdxLabels(c.labels));
  if (static_cast<int64_t>(labels.size()) != images.count) {
    return InvalidArgument("MNIST images '", c.images.string(), "' hold ", images.count, " images but labels '",
                           c.labels.string(), "' hold ", labels.size(), " labels");
  }
  const int64_t total = c.limit > 0 ? std::min(c.limit, images.count) : images.count;
  const int64_t numel = int64_t{images.rows} * images.cols;
  ConversionResult result;
  result.sample_dims = {1, images.rows, images.cols};
  Q2I_ASSIGN_OR_RETURN(DatasetWriter writer, DatasetWriter::Create(c.output_file, numel));
  std::vector<float> image(static_cast<size_t>(numel));
  for (int64_t i = 0; i < total; ++i) {
    NormalizeMnistPixels(images.pixels.data() + i * numel, numel, c.normalization, image.data());
    Q2I_RETURN_IF_ERROR(writer.Append(image, labels[static_cast<size_t>(i)]));
    ++result.written;
    if (progress) progress(i + 1, total);
  }
  Q2I_RETURN_IF_ERROR(writer.Finish());
  return result;
}

}  // namespace q2i
