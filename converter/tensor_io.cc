#include "converter/tensor_io.h"

#include <cstring>
#include <limits>

#include "framework.pb.h"

namespace q2i::converter {
namespace {

constexpr uint64_t kMaxLodLevels = 64;
constexpr int32_t kMaxTensorDescBytes = 1 << 16;

class Cursor {
 public:
  Cursor(std::string_view data, size_t offset, std::string_view what) : data_(data), pos_(offset), what_(what) {}

  template <typename T>
  Status Read(T* value, const char* field) {
    if (remaining() < sizeof(T))
      return InvalidModel(what_, ": truncated tensor record (", field, " at byte ", pos_, " needs ", sizeof(T),
                          " bytes, ", remaining(), " left)");
    std::memcpy(value, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return OkStatus();
  }
  Status Skip(uint64_t n, const char* field) {
    if (n > remaining())
      return InvalidModel(what_, ": truncated tensor record (", field, " of ", n, " bytes at byte ", pos_, ", ",
                          remaining(), " left)");
    pos_ += n;
    return OkStatus();
  }
  size_t remaining() const { return data_.size() - pos_; }
  size_t pos() const { return pos_; }
  const char* here() const { return data_.data() + pos_; }

 private:
  std::string_view data_;
  size_t pos_;
  std::string_view what_;
};

}  // namespace

StatusOr<ir::Tensor> ParseTensorRecord(std::string_view data, size_t* offset, std::string_view what) {
  Cursor c(data, *offset, what);
  uint32_t version = 0;
  Q2I_RETURN_IF_ERROR(c.Read(&version, "LoDTensor version"));
  if (version != 0) return InvalidModel(what, ": unsupported LoDTensor version ", version, " (expected 0)");
  uint64_t lod_levels = 0;
  Q2I_RETURN_IF_ERROR(c.Read(&lod_levels, "LoD level count"));
  if (lod_levels > kMaxLodLevels) return InvalidModel(what, ": implausible LoD level count ", lod_levels);
  for (uint64_t i = 0; i < lod_levels; ++i) {
    uint64_t bytes = 0;
    Q2I_RETURN_IF_ERROR(c.Read(&bytes, "LoD level size"));
    if (bytes % sizeof(uint64_t) != 0) return InvalidModel(what, ": LoD level size ", bytes, " is not a multiple of 8");
    Q2I_RETURN_IF_ERROR(c.Skip(bytes, "LoD level"));
  }
  uint32_t tensor_version = 0;
  Q2I_RETURN_IF_ERROR(c.Read(&tensor_version, "tensor version"));
  if (tensor_version != 0) return InvalidModel(what, ": unsupported tensor version ", tensor_version, " (expected 0)");
  int32_t desc_size = 0;
  Q2I_RETURN_IF_ERROR(c.Read(&desc_size, "TensorDesc size"));
  if (desc_size < 0 || desc_size > kMaxTensorDescBytes)
    return InvalidModel(what, ": implausible TensorDesc size ", desc_size);
  if (static_cast<size_t>(desc_size) > c.remaining())
    return InvalidModel(what, ": truncated tensor record (TensorDesc of ", desc_size, " bytes, ", c.remaining(), " left)");
  paddle::framework::proto::VarType::TensorDesc desc;
  if (!desc.ParsePartialFromArray(c.here(), desc_size) || !desc.IsInitialized())  // no protobuf log on stderr
    return InvalidModel(what, ": corrupt TensorDesc protobuf (", desc_size, " bytes)");
  Q2I_RETURN_IF_ERROR(c.Skip(static_cast<uint64_t>(desc_size), "TensorDesc"));
  auto dtype = ir::DataTypeFromInt(static_cast<int32_t>(desc.data_type()));
  if (!dtype) return InvalidModel(what, ": unknown tensor data type ", static_cast<int>(desc.data_type()));
  std::vector<int64_t> dims(desc.dims().begin(), desc.dims().end());
  const size_t elem = ir::SizeOf(*dtype);
  const int64_t max_elements = static_cast<int64_t>(c.remaining() / elem);
  auto numel = ir::CheckedNumel(dims, std::numeric_limits<int64_t>::max() / 16);
  if (!numel.ok()) return numel.status().WithContext(std::string(what));
  if (*numel > max_elements)
    return InvalidModel(what, ": tensor ", ir::DimsToString(dims), " of ", ir::DataTypeName(*dtype), " needs ",
                        *numel * static_cast<int64_t>(elem), " bytes of data, only ", c.remaining(), " left");
  ir::Tensor t(*dtype, dims);
  if (t.nbytes() > 0) std::memcpy(t.raw_data(), c.here(), t.nbytes());
  Q2I_RETURN_IF_ERROR(c.Skip(t.nbytes(), "tensor data"));
  *offset = c.pos();
  return t;
}

void AppendTensorRecord(const ir::Tensor& tensor, std::string* out) {
  auto put = [out](const auto& v) { out->append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  put(uint32_t{0});  // LoDTensor version
  put(uint64_t{0});  // no LoD
  put(uint32_t{0});  // tensor version
  paddle::framework::proto::VarType::TensorDesc desc;
  desc.set_data_type(static_cast<paddle::framework::proto::VarType::Type>(tensor.dtype()));
  for (int64_t d : tensor.dims()) desc.add_dims(d);
  std::string desc_bytes = desc.SerializeAsString();
  put(static_cast<int32_t>(desc_bytes.size()));
  out->append(desc_bytes);
  out->append(reinterpret_cast<const char*>(tensor.raw_data()), tensor.nbytes());
}

}  // namespace q2i::converter
