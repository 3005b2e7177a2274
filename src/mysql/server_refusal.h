// Which MySQL/MariaDB errors a retry cannot fix, and the fix to print: the daemon exits 1 on them
// at once and `check` prints the same text (issue 16). Everything else (2000..2999, the client's
// link errors, and the server's other errors) keeps its code and the callers' policy.
#pragma once

#include <string_view>

namespace mm::mysql {

// The fix for a refusal by the server with error `code` (1045 access denied, 1044/1142/1227 a
// missing grant, ...); empty when `code` is not a refusal.
std::string_view refusalFix(unsigned int code);

}  // namespace mm::mysql
