// Loading and saving whole Paddle inference models in every layout users have (spec 1.2):
//   - separate params: <dir>/__model__ + one LoDTensor file per persistable var (<dir>/<var name>,
//     names containing '/' are sub-directories);
//   - combined: <dir>/<model_filename> + <dir>/<params_filename> (e.g. __model__/__params__,
//     model/params), records in byte-wise sorted name order, nothing left over at EOF;
//   - 2.x: <prefix>.pdmodel + <prefix>.pdiparams.
// Saving writes into a temporary directory that replaces the target only when complete.
#pragma once

#include <filesystem>
#include <string>

#include "ir/program.h"
#include "support/status.h"

namespace q2i::converter {

struct ModelLocation {
  // A model directory, or a path prefix "<dir>/<name>" of <name>.pdmodel/.pdiparams, or a .pdmodel file.
  std::filesystem::path path;
  // Explicit file names inside the directory; empty = detect. An empty params_filename together with
  // a given model_filename means separate parameter files.
  std::string model_filename;
  std::string params_filename;
};

struct ResolvedModelFiles {
  std::filesystem::path program_file;
  std::filesystem::path params_file;  // empty: one file per variable under params_dir
  std::filesystem::path params_dir;
  std::string model_filename;   // file names as given/detected, to save "in the input's layout"
  std::string params_filename;  // empty: separate
};

StatusOr<ResolvedModelFiles> ResolveModelFiles(const ModelLocation& location);

// Loads the program and every persistable variable's tensor, checking each tensor against its VarDesc.
StatusOr<ir::Program> LoadModel(const ModelLocation& location, ResolvedModelFiles* resolved = nullptr);

struct SaveOptions {
  std::string model_filename = "__model__";
  std::string params_filename;  // empty = one file per persistable variable
};

// Writes program + params into `dir` atomically (temporary sibling directory, then rename).
Status SaveModel(const ir::Program& program, const std::filesystem::path& dir, const SaveOptions& options);

// Writes into an existing directory (used by SaveModel inside its temporary directory).
Status WriteModelFiles(const ir::Program& program, const std::filesystem::path& dir, const SaveOptions& options);

}  // namespace q2i::converter
