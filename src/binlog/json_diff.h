// PARTIAL_UPDATE_ROWS_EVENT (39) JSON diffs: a JSON column of the after image whose partial bit is
// set holds a diff vector instead of the document; applying it to the before image's document
// gives the after value. Layout: docs/binlog-format.md §3.4 (MySQL sql/json_diff.cc).
//
// Diff vector: 4-byte LE length L, then diffs filling exactly L bytes, each an operation (0
// REPLACE, 1 INSERT, 2 REMOVE), a packed-int path length, the path ("$.a[1].b", '$."key with
// space"'), and for REPLACE and INSERT a packed-int value length and a binary JSON value. Every
// diff is applied, in order (go-mysql decodes only the first). The semantics are MySQL's
// apply_json_diffs(): REPLACE needs the path to exist; INSERT adds a missing object member (in
// MySQL's key order: shorter keys first, then bytewise) or inserts into an array (appending past
// its end); REMOVE needs the path. Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"

namespace mm::binlog {

// Replaces `out` with the JSON text of `before_doc` (a binary JSON document, length prefix
// removed) after applying `diff_vector` (with its 4-byte length). Errors (Corruption) name the diff
// and what is wrong: a malformed vector, a path that does not parse, or one the document does not
// have.
Status applyJsonDiffs(std::span<const uint8_t> before_doc, std::span<const uint8_t> diff_vector,
                      std::string& out);

}  // namespace mm::binlog
