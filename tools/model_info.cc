// model_info: what is inside a Paddle inference model. Prints the feed/fetch targets with shapes, an op
// census and summary lines; optionally writes a DOT graph and re-saves the model.
#include <gflags/gflags.h>

#include <cstdio>
#include <iostream>
#include <map>

#include "converter/model_io.h"
#include "ir/dot_writer.h"
#include "ir/op_kinds.h"
#include "support/file_io.h"

DEFINE_string(model_dir, "", "Model directory (or <prefix> of .pdmodel/.pdiparams, or a .pdmodel file)");
DEFINE_string(model_filename, "", "Program file name inside --model_dir (default: detect)");
DEFINE_string(params_filename, "", "Combined params file name inside --model_dir (empty: one file per var)");
DEFINE_string(dot, "", "Write the graph in DOT format to this file");
DEFINE_string(save_to, "", "Re-save the model into this directory");
DEFINE_string(save_model_filename, "", "Program file name for --save_to (default: the input's)");
DEFINE_string(save_params_filename, "", "Params file name for --save_to (default: the input's layout)");

namespace {

int Fail(const q2i::Status& st) {
  std::fprintf(stderr, "model_info: error: %s\n", st.ToString().c_str());
  return 1;
}

std::string Shape(const q2i::ir::Program& p, const std::string& name) {
  const q2i::ir::Var* v = p.FindVar(name);
  if (v == nullptr) return "?";
  std::string dtype = v->dtype ? std::string(q2i::ir::DataTypeName(*v->dtype)) : "?";
  return dtype + q2i::ir::DimsToString(v->dims);
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("model_info --model_dir=DIR [--model_filename=F --params_filename=P] [--dot=FILE] "
                          "[--save_to=DIR]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_model_dir.empty()) return Fail(q2i::InvalidArgument("--model_dir is required"));
  q2i::converter::ResolvedModelFiles files;
  auto program = q2i::converter::LoadModel(
      {.path = FLAGS_model_dir, .model_filename = FLAGS_model_filename, .params_filename = FLAGS_params_filename},
      &files);
  if (!program.ok()) return Fail(program.status());
  const q2i::ir::Program& p = *program;

  std::cout << "model: " << files.program_file.string() << "\n";
  for (const auto& name : p.FeedNames()) std::cout << "feed: " << name << " " << Shape(p, name) << "\n";
  for (const auto& name : p.FetchNames()) std::cout << "fetch: " << name << " " << Shape(p, name) << "\n";

  std::map<std::string, int> census;
  int fake = 0, int8 = 0;
  for (const auto& op : p.ops()) {
    ++census[op->type()];
    if (q2i::ir::IsFakeQuantOp(op->type())) ++fake;
    if (q2i::ir::IsInt8Op(*op)) ++int8;
  }
  std::cout << "op census:\n";
  for (const auto& [type, n] : census) std::cout << "  " << type << ": " << n << "\n";
  std::cout << "ops: " << p.num_ops() << "\n";
  std::cout << "fake_quant_ops: " << fake << "\n";
  std::cout << "int8_ops: " << int8 << "\n";
  std::cout << "params: " << p.params().size() << " tensors, " << p.ParamBytes() << " bytes\n";

  if (!FLAGS_dot.empty()) {
    q2i::Status st = q2i::WriteFileAtomically(FLAGS_dot, q2i::ir::ToDot(p, {.graph_name = "model_info"}));
    if (!st.ok()) return Fail(st);
    std::cout << "dot: " << FLAGS_dot << "\n";
  }
  if (!FLAGS_save_to.empty()) {
    q2i::converter::SaveOptions opts;
    opts.model_filename = FLAGS_save_model_filename.empty() ? files.model_filename : FLAGS_save_model_filename;
    opts.params_filename = FLAGS_save_params_filename.empty() ? files.params_filename : FLAGS_save_params_filename;
    if (FLAGS_save_params_filename == "-") opts.params_filename.clear();
    q2i::Status st = q2i::converter::SaveModel(p, FLAGS_save_to, opts);
    if (!st.ok()) return Fail(st);
    std::cout << "saved: " << FLAGS_save_to << "\n";
  }
  return 0;
}
