#include "converter/model_io.h"

#include <system_error>

#include "converter/program_proto.h"
#include "converter/tensor_io.h"
#include "support/file_io.h"

namespace q2i::converter {
namespace fs = std::filesystem;

namespace {

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

StatusOr<ResolvedModelFiles> Combined(const fs::path& dir, const std::string& model, const std::string& params) {
  ResolvedModelFiles r;
  r.program_file = dir / model;
  r.model_filename = model;
  r.params_filename = params;
  if (params.empty()) {
    r.params_dir = dir;
  } else {
    r.params_file = dir / params;
  }
  return r;
}

// Checks that a loaded tensor matches what the program declares for the variable.
Status CheckAgainstVar(const ir::Var& var, const ir::Tensor& t, const std::string& what) {
  if (var.dtype && *var.dtype != t.dtype())
    return InvalidModel(what, ": data type ", ir::DataTypeName(t.dtype()), " differs from the declared ",
                        ir::DataTypeName(*var.dtype));
  bool known = !var.dims.empty();
  for (int64_t d : var.dims) known = known && d >= 0;
  if (known) {
    auto numel = ir::CheckedNumel(var.dims);
    if (numel.ok() && *numel != t.numel())
      return InvalidModel(what, ": tensor has dims ", ir::DimsToString(t.dims()), " but the program declares ",
                          ir::DimsToString(var.dims));
  }
  return OkStatus();
}

// In the separate-params layout a variable name is a path under the model directory ('/' makes
// sub-directories, as Paddle does). Names that would leave the directory are rejected.
Status CheckParamFileName(const std::string& name) {
  bool bad = name.empty() || name.front() == '/' || name.find('\0') != std::string::npos;
  for (const auto& part : fs::path(name)) bad = bad || part.empty() || part == ".." || part == ".";
  if (bad)
    return InvalidModel("persistable variable '", name, "' cannot be stored as a parameter file (its name is not a ",
                        "relative path inside the model directory)");
  return OkStatus();
}

}  // namespace

StatusOr<ResolvedModelFiles> ResolveModelFiles(const ModelLocation& loc) {
  std::error_code ec;
  const fs::path& p = loc.path;
  if (p.empty()) return InvalidArgument("no model path given");
  if (!loc.model_filename.empty()) {
    if (!fs::is_directory(p, ec)) return NotFound("model directory '", p.string(), "' does not exist");
    return Combined(p, loc.model_filename, loc.params_filename);
  }
  if (!loc.params_filename.empty())
    return InvalidArgument("--params_filename='", loc.params_filename, "' needs --model_filename as well");
  if (p.extension() == ".pdmodel" && IsFile(p)) {
    fs::path params = p;
    params.replace_extension(".pdiparams");
    return Combined(p.parent_path(), p.filename().string(), params.filename().string());
  }
  if (fs::is_directory(p, ec)) {
    if (IsFile(p / "__model__"))
      return Combined(p, "__model__", IsFile(p / "__params__") ? "__params__" : "");
    if (IsFile(p / "model") && IsFile(p / "params")) return Combined(p, "model", "params");
    std::vector<fs::path> pdmodels;
    for (const auto& e : fs::directory_iterator(p, ec))
      if (e.path().extension() == ".pdmodel") pdmodels.push_back(e.path());
    if (pdmodels.size() == 1) {
      fs::path params = pdmodels[0];
      params.replace_extension(".pdiparams");
      return Combined(p, pdmodels[0].filename().string(), params.filename().string());
    }
    if (pdmodels.size() > 1)
      return InvalidArgument("model directory '", p.string(), "' holds several .pdmodel files; pick one with ",
                             "--model_filename/--params_filename");
    return NotFound("no model in '", p.string(), "' (looked for __model__, model+params and *.pdmodel)");
  }
  fs::path prefix_model = p;
  prefix_model += ".pdmodel";
  if (IsFile(prefix_model)) {
    fs::path params = p;
    params += ".pdiparams";
    return Combined(p.parent_path(), prefix_model.filename().string(), params.filename().string());
  }
  return NotFound("model path '", p.string(), "' does not exist");
}

StatusOr<ir::Program> LoadModel(const ModelLocation& location, ResolvedModelFiles* resolved) {
  Q2I_ASSIGN_OR_RETURN(ResolvedModelFiles files, ResolveModelFiles(location));
  Q2I_ASSIGN_OR_RETURN(std::string program_bytes, ReadFileToString(files.program_file));
  Q2I_ASSIGN_OR_RETURN(ir::Program program, ParseProgram(program_bytes, files.program_file.string()));
  const std::vector<std::string> names = program.PersistableNames();
  if (!files.params_file.empty()) {
    Q2I_ASSIGN_OR_RETURN(std::string data, ReadFileToString(files.params_file));
    size_t offset = 0;
    for (const std::string& name : names) {
      std::string what = files.params_file.string() + " (variable '" + name + "', at byte " + std::to_string(offset) + ")";
      if (offset >= data.size())
        return InvalidModel(files.params_file.string(), ": ends before variable '", name, "' (",
                            names.size(), " persistable variables expected)");
      Q2I_ASSIGN_OR_RETURN(ir::Tensor t, ParseTensorRecord(data, &offset, what));
      Q2I_RETURN_IF_ERROR(CheckAgainstVar(*program.FindVar(name), t, what));
      program.SetParam(name, std::move(t));
    }
    if (offset != data.size())
      return InvalidModel(files.params_file.string(), ": ", data.size() - offset, " bytes left over after the last of ",
                          names.size(), " variables", names.empty() ? "" : " ('" + names.back() + "')");
  } else {
    for (const std::string& name : names) {
      Status name_ok = CheckParamFileName(name);
      if (!name_ok.ok()) return name_ok.WithContext(files.program_file.string());
      fs::path file = files.params_dir / name;
      auto data = ReadFileToString(file);
      if (!data.ok())
        return data.status().WithContext("parameter file for variable '" + name + "'");
      size_t offset = 0;
      std::string what = file.string() + " (variable '" + name + "')";
      Q2I_ASSIGN_OR_RETURN(ir::Tensor t, ParseTensorRecord(*data, &offset, what));
      if (offset != data->size())
        return InvalidModel(what, ": ", data->size() - offset, " unexpected bytes after the tensor");
      Q2I_RETURN_IF_ERROR(CheckAgainstVar(*program.FindVar(name), t, what));
      program.SetParam(name, std::move(t));
    }
  }
  if (resolved) *resolved = files;
  return program;
}

Status WriteModelFiles(const ir::Program& program, const fs::path& dir, const SaveOptions& options) {
  if (options.model_filename.empty()) return InvalidArgument("empty model file name");
  Q2I_ASSIGN_OR_RETURN(std::string bytes, SerializeProgram(program));
  Q2I_RETURN_IF_ERROR(WriteFileAtomically(dir / options.model_filename, bytes));
  std::string combined;
  for (const std::string& name : program.PersistableNames()) {
    const ir::Tensor* t = program.FindParam(name);
    if (t == nullptr) return InternalError("persistable variable '", name, "' has no data to save");
    if (options.params_filename.empty()) {
      Q2I_RETURN_IF_ERROR(CheckParamFileName(name));
      if (name == options.model_filename)
        return InvalidArgument("persistable variable '", name, "' has the name of the program file");
      std::string record;
      AppendTensorRecord(*t, &record);
      Q2I_RETURN_IF_ERROR(WriteFileAtomically(dir / name, record));
    } else {
      AppendTensorRecord(*t, &combined);
    }
  }
  if (!options.params_filename.empty())
    Q2I_RETURN_IF_ERROR(WriteFileAtomically(dir / options.params_filename, combined));
  return OkStatus();
}

Status SaveModel(const ir::Program& program, const fs::path& dir, const SaveOptions& options) {
  return WriteDirectoryAtomically(dir, [&](const fs::path& tmp) { return WriteModelFiles(program, tmp, options); });
}

}  // namespace q2i::converter
