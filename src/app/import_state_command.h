// `mysql-monitor import-state`: moves a state kept in [monitor] state_path (the checkpoint and
// the schema history) into the [state] tables on a server, the one step of switching a monitor to
// [monitor] state_store = mysql (docs/high-availability.md "Moving a file state to the server").
//
// Refuses (exit 1, naming the fix) when state_path holds no state, when a monitor of this
// [monitor] name runs (it holds the leader lock), or when the tables already hold a state for that
// name (nothing is overwritten). Imports by taking office like a leader, so a monitor of the old
// epoch could not overwrite it either.
#pragma once

#include "config/config.h"

namespace mm::app {

int runImportState(const config::Config& config);

}  // namespace mm::app
