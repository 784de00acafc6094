// Program verifier and SSA conversion.
//
// VerifyProgram checks the dataflow and op structure of block 0 and reports ALL violations in one
// Status (kInvalidModel), one line per violation, each naming the op (Op::DebugName()) and the
// variable or slot:
//   - use before definition: every non-empty input name is produced by an earlier op, or is a
//     persistable variable that has data (a param tensor) or that Paddle never saves (RAW, READER),
//     or is a feed/fetch variable (the `X` of feed ops, kind FEED_MINIBATCH/FETCH_LIST), or is a feed
//     target (the `Out` of a feed op: a model input, bound before the program runs, wherever its feed
//     op stands);
//   - dangling names: every input/output name is declared in program.vars() (feed/fetch variables
//     excepted);
//   - with `require_ssa`: one producer per name (the `Out` of fetch ops excepted), and no op writes a
//     parameter or a feed variable;
//   - known ops (the table in verifier.cc, one entry per op type we support): required slots present
//     with a non-empty argument, no unknown slots, single-argument slots hold one argument. Unknown
//     op types get only the dataflow checks above.
//   - a slot name appearing twice in one op's inputs or outputs (Paddle stores slots in a map).
//
// MakeSsa renames in-place outputs so that every name has a single producer: an output name that an
// earlier op (or an earlier argument of the same op) already produced, or that is a parameter or feed
// variable (batch_norm's MeanOut aliasing Mean, `x = relu(x)`), becomes a fresh variable
// (Program::UniqueVarName(name), a copy of the old Var that is neither persistable nor a parameter),
// and every later reader of the name reads the fresh one. Node ids of existing ops and variables are
// kept; new variables get the next ids. The pass pipeline calls it before conversion.
#pragma once

#include <string_view>

#include "ir/program.h"
#include "support/status.h"

namespace q2i::ir {

struct VerifyOptions {
  bool require_ssa = false;
};

Status VerifyProgram(const Program& program, const VerifyOptions& options = {});

// Unsupported when a rename would be needed in a program carrying sub-blocks (their ops read
// block-0 variables by name and are not rewritten).
Status MakeSsa(Program& program);

// True when `type` has an entry in the verifier's op table (its slots are checked).
bool IsVerifiedOpType(std::string_view type);

}  // namespace q2i::ir
