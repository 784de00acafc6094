// Paddle's serialized LoDTensor record (spec 1.3): uint32 version 0, uint64 LoD level count, LoD
// levels, uint32 tensor version 0, int32 TensorDesc length, TensorDesc bytes, raw data. One record is a
// whole per-variable parameter file, or one piece of a combined params file.
//
// The parser never trusts a size from the file: every length is checked against the bytes that remain
// and the element count against int64 overflow before any allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ir/tensor.h"
#include "support/status.h"

namespace q2i::converter {

// Parses one record starting at `*offset` of `data`, advancing `*offset` past it. `what` names the
// file and variable in error messages.
StatusOr<ir::Tensor> ParseTensorRecord(std::string_view data, size_t* offset, std::string_view what);

// Appends the record for `tensor` (no LoD) to `out`, byte-identical to what Paddle writes.
void AppendTensorRecord(const ir::Tensor& tensor, std::string* out);

}  // namespace q2i::converter
