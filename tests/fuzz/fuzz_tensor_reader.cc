// Fuzz target: ParseTensorRecord on arbitrary bytes, read as a combined parameter file (records back to
// back). Every record that parses must advance the offset, stay inside the input, and survive
// AppendTensorRecord -> ParseTensorRecord bit for bit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "converter/tensor_io.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace q2i;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t offset = 0;
  for (int record = 0; record < 64 && offset < bytes.size(); ++record) {
    const size_t before = offset;
    auto t = converter::ParseTensorRecord(bytes, &offset, "fuzz input");
    if (!t.ok()) {
      FUZZ_CHECK(offset == before, "offset moved on error");
      FUZZ_CHECK(!t.status().message().empty(), "error without a message");
      return 0;
    }
    FUZZ_CHECK(offset > before && offset <= bytes.size(), "offset %zu -> %zu of %zu", before, offset, bytes.size());
    FUZZ_CHECK(t->nbytes() <= offset - before, "tensor larger than its record");
    std::string record_bytes;
    converter::AppendTensorRecord(*t, &record_bytes);
    size_t again_offset = 0;
    auto again = converter::ParseTensorRecord(record_bytes, &again_offset, "re-serialized record");
    FUZZ_CHECK(again.ok(), "%s", again.status().ToString().c_str());
    FUZZ_CHECK(again_offset == record_bytes.size(), "re-serialized record not consumed");
    FUZZ_CHECK(again->IdenticalTo(*t), "tensor changed on AppendTensorRecord -> ParseTensorRecord");
  }
  return 0;
}
