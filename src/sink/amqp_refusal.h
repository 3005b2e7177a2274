// Which broker replies to a synchronous method (login, connection.open, channel.open,
// confirm.select, exchange.declare) a retry cannot fix, and the fix to print: the daemon exits 1 on
// them at once and `check` prints the same text (issue 16). A 406 in reply to basic.publish (a
// message over the broker's size limit) arrives asynchronously and is not judged here.
#pragma once

#include <string>
#include <string_view>

namespace mm::sink {

// AMQP 0-9-1 reply codes (amqp0-9-1.xml, "constant").
inline constexpr int kAmqpAccessRefused = 403;  // login refused; no permission on vhost or exchange
inline constexpr int kAmqpPreconditionFailed = 406;  // exchange exists with other arguments
inline constexpr int kAmqpNotAllowed = 530;          // e.g. the vhost does not exist

// The fix for `reply_code` with `reply_text` from the broker, for `user` on `vhost`; empty when
// the reply is not a refusal (a retry may help).
std::string amqpRefusalFix(int reply_code, std::string_view reply_text, std::string_view user,
                           std::string_view vhost);

}  // namespace mm::sink
