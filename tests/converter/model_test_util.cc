#include "tests/converter/model_test_util.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace fs = std::filesystem;

const std::vector<SharedModel>& SharedModels() {
  static const std::vector<SharedModel> kModels = {
      {"lenet_mnist_fp32", false, false},   {"mobilenet_v1_fp32", false, true}, {"resnet50_qat_v1", false, true},
      {"ocr_cls_fp32", true, false},        {"ocr_cls_slim", true, false},      {"ocr_det_v3_fp32", true, false},
      {"ocr_det_v3_slim", true, false},     {"squeezenet1_1_fp32", true, false},
  };
  return kModels;
}

fs::path ModelDir(const SharedModel& model) {
  std::error_code ec;
  if (!model.needs_filling) {
    fs::path dir = SharedPath("models/" + model.name);
    return fs::is_directory(dir, ec) ? dir : fs::path();
  }
  return FilledModelCopy(model.name);  // locks against other threads and test processes itself
}

void WriteBytes(const fs::path& path, const std::string& bytes) {
  std::error_code ec;
  fs::remove(path, ec);  // never write through a symlink into ../shared
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void LinkCopy(const fs::path& src, const fs::path& dst) {
  fs::create_directories(dst);
  for (const auto& e : fs::recursive_directory_iterator(src)) {
    fs::path rel = fs::relative(e.path(), src);
    if (e.is_directory()) {
      fs::create_directories(dst / rel);
    } else {
      fs::create_symlink(fs::absolute(e.path()), dst / rel);
    }
  }
}

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not found in:\n" << text;
}

namespace {
std::vector<ir::Slot> Sorted(std::vector<ir::Slot> slots) {
  std::stable_sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return slots;
}
}  // namespace

void ExpectSamePrograms(const ir::Program& a, const ir::Program& b) {
  ASSERT_EQ(a.num_ops(), b.num_ops());
  for (size_t i = 0; i < a.num_ops(); ++i) {
    const ir::Op& x = a.op(i);
    const ir::Op& y = b.op(i);
    EXPECT_EQ(x.type(), y.type()) << "op #" << i;
    EXPECT_EQ(x.id(), y.id()) << x.DebugName();
    EXPECT_TRUE(Sorted(x.inputs()) == Sorted(y.inputs())) << x.DebugName() << ": inputs differ";
    EXPECT_TRUE(Sorted(x.outputs()) == Sorted(y.outputs())) << x.DebugName() << ": outputs differ";
    EXPECT_EQ(x.is_target(), y.is_target()) << x.DebugName();
    ASSERT_EQ(x.attrs().size(), y.attrs().size()) << x.DebugName();
    for (const auto& [name, attr] : x.attrs()) {
      const ir::Attribute* other = y.FindAttr(name);
      ASSERT_NE(other, nullptr) << x.DebugName() << " lost attribute " << name;
      EXPECT_EQ(attr.type(), other->type()) << x.DebugName() << " attribute " << name;
      EXPECT_TRUE(attr == *other) << x.DebugName() << " attribute " << name << ": " << attr.ToString() << " vs "
                                  << other->ToString();
    }
  }
  ASSERT_EQ(a.vars().size(), b.vars().size());
  for (const auto& [name, v] : a.vars()) {
    const ir::Var* w = b.FindVar(name);
    ASSERT_NE(w, nullptr) << "variable " << name << " lost";
    EXPECT_EQ(v.kind, w->kind) << name;
    EXPECT_EQ(v.dtype, w->dtype) << name;
    EXPECT_EQ(v.dims, w->dims) << name;
    EXPECT_EQ(v.lod_level, w->lod_level) << name;
    EXPECT_EQ(v.persistable, w->persistable) << name;
    EXPECT_EQ(v.need_check_feed, w->need_check_feed) << name;
    EXPECT_EQ(v.is_parameter, w->is_parameter) << name;
    EXPECT_EQ(v.stop_gradient, w->stop_gradient) << name;
    EXPECT_EQ(v.unmodeled, w->unmodeled) << name;
    EXPECT_EQ(v.id, w->id) << name;
  }
  EXPECT_EQ(a.FeedNames(), b.FeedNames());
  EXPECT_EQ(a.FetchNames(), b.FetchNames());
  EXPECT_EQ(a.meta().version, b.meta().version);
  EXPECT_EQ(a.meta().op_version_map, b.meta().op_version_map);
  EXPECT_EQ(a.meta().other_blocks, b.meta().other_blocks);
}

void ExpectSameParams(const ir::Program& a, const ir::Program& b) {
  ASSERT_EQ(a.params().size(), b.params().size());
  for (const auto& [name, t] : a.params()) {
    const ir::Tensor* u = b.FindParam(name);
    ASSERT_NE(u, nullptr) << "parameter " << name << " lost";
    EXPECT_TRUE(t.IdenticalTo(*u)) << "parameter " << name << " differs";
  }
}

}  // namespace q2i::testing
