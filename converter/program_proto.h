// ProgramDesc bytes <-> ir::Program (block 0 parsed, other blocks verbatim).
//
// Reading validates what the rest of the tool relies on (known attribute types, one VarDesc per name,
// well-formed tensor descs) and assigns Paddle-compatible node ids. Writing is deterministic: vars
// sorted by name (as Paddle's BlockDesc does), slots sorted by slot name and attributes by attribute name
// (as Paddle 2.x OpDesc::Flush does); fields we do not model are written back verbatim.
#pragma once

#include <string>
#include <string_view>

#include "ir/program.h"
#include "support/status.h"

namespace q2i::converter {

// `what` names the source (a file path) in error messages.
StatusOr<ir::Program> ParseProgram(std::string_view bytes, std::string_view what);
StatusOr<std::string> SerializeProgram(const ir::Program& program);

}  // namespace q2i::converter
