// PassManager: runs an ordered list of passes. After every pass it runs the verifier (when given),
// records wall time and whether the pass changed the program, and, with a dump directory, writes
// `<prefix>_<NN>_<pass_name>.dot` (and .svg when graphviz `dot` is installed), preceded by
// `<orig_name>.dot` for the input. Dump file names use the pass name with '-' turned into '_'.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "passes/pass.h"

namespace q2i::passes {

struct PassManagerOptions {
  std::function<Status(const ir::Program&)> verifier;  // empty: no verification
  std::string dump_dir;                                 // empty: no dumps
  std::string dump_prefix = "int8";
  std::string dump_orig_name = "quant_orig";
  bool dump_svg = true;                                 // also render SVG when `dot` exists
};

struct PassRecord {
  std::string name;
  bool changed = false;
  double ms = 0;
};

class PassManager {
 public:
  explicit PassManager(PassManagerOptions options = {}) : options_(std::move(options)) {}

  void Add(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
  const std::vector<std::unique_ptr<Pass>>& passes() const { return passes_; }

  // Stops at the first failing pass or verifier error; the Status names the pass.
  Status Run(ir::Program& program, PassContext& ctx);

  const std::vector<PassRecord>& records() const { return records_; }
  // Human-readable table: pass, changed, ms, counters.
  std::string StatsReport(const PassContext& ctx) const;

 private:
  Status Dump(const ir::Program& program, const std::string& file_stem) const;

  PassManagerOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
  std::vector<PassRecord> records_;
};

}  // namespace q2i::passes
