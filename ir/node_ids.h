// Paddle-compatible node ids (spec section 4): the numbers Paddle's ir::Graph gives its op and var nodes
// when it is built from block 0, so the ids in our dumps mean what users know from Paddle's dumps.
//
// One counter from 0, in program order: the op node; then, for its input slots sorted by slot name and
// arguments in order, a var node for each name not seen before; then a new var node for every output
// argument. Variables no op touches come last, in name order. A Var's id is the id of its latest node.
#pragma once

#include "ir/program.h"

namespace q2i::ir {

void AssignPaddleNodeIds(Program& program);

}  // namespace q2i::ir
