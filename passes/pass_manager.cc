#include "passes/pass_manager.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "ir/dot_writer.h"
#include "support/file_io.h"

namespace q2i::passes {
namespace fs = std::filesystem;

namespace {
bool HaveGraphviz() {
  static const bool have = std::system("command -v dot > /dev/null 2>&1") == 0;
  return have;
}
std::string FileName(std::string name) {
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}
}  // namespace

Status PassManager::Dump(const ir::Program& program, const std::string& file_stem) const {
  fs::path dot = fs::path(options_.dump_dir) / (file_stem + ".dot");
  Q2I_RETURN_IF_ERROR(WriteFileAtomically(dot, ir::ToDot(program)));
  if (options_.dump_svg && HaveGraphviz()) {
    fs::path svg = dot;
    svg.replace_extension(".svg");
    std::string cmd = "dot -Tsvg '" + dot.string() + "' -o '" + svg.string() + "' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return IoError("graphviz could not render '", dot.string(), "'");
  }
  return OkStatus();
}

Status PassManager::Run(ir::Program& program, PassContext& ctx) {
  records_.clear();
  const bool dumping = !options_.dump_dir.empty();
  if (dumping) {
    std::error_code ec;
    fs::create_directories(options_.dump_dir, ec);
    if (ec) return IoError("cannot create dump directory '", options_.dump_dir, "': ", ec.message());
    Q2I_RETURN_IF_ERROR(Dump(program, options_.dump_orig_name));
  }
  for (size_t i = 0; i < passes_.size(); ++i) {
    const Pass& pass = *passes_[i];
    ctx.set_current_pass(std::string(pass.name()));
    auto start = std::chrono::steady_clock::now();
    StatusOr<bool> changed = pass.Run(program, ctx);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!changed.ok()) return changed.status().WithContext("pass '" + std::string(pass.name()) + "'");
    records_.push_back(PassRecord{std::string(pass.name()), *changed, ms});
    if (options_.verifier) {
      Status st = options_.verifier(program);
      if (!st.ok()) return st.WithContext("verification failed after pass '" + std::string(pass.name()) + "'");
    }
    if (dumping) {
      char index[32];
      std::snprintf(index, sizeof index, "%02zu", i);
      Q2I_RETURN_IF_ERROR(Dump(program, options_.dump_prefix + "_" + index + "_" + FileName(std::string(pass.name()))));
    }
  }
  ctx.set_current_pass("");
  return OkStatus();
}

std::string PassManager::StatsReport(const PassContext& ctx) const {
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %-8s %9s  %s\n", "pass", "changed", "ms", "counters");
  os << line;
  double total = 0;
  for (const PassRecord& r : records_) {
    std::string counters;
    auto it = ctx.stats().find(r.name);
    if (it != ctx.stats().end())
      for (const auto& [k, v] : it->second) counters += k + "=" + std::to_string(v) + " ";
    std::snprintf(line, sizeof line, "%-28s %-8s %9.2f  %s\n", r.name.c_str(), r.changed ? "yes" : "no", r.ms,
                  counters.c_str());
    os << line;
    total += r.ms;
  }
  std::snprintf(line, sizeof line, "%-28s %-8s %9.2f\n", "total", "", total);
  os << line;
  return os.str();
}

}  // namespace q2i::passes
