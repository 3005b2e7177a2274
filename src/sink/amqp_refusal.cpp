#include "sink/amqp_refusal.h"

#include <fmt/format.h>

namespace mm::sink {

std::string amqpRefusalFix(int reply_code, std::string_view reply_text, std::string_view user,
                           std::string_view vhost) {
  switch (reply_code) {
    case kAmqpAccessRefused:
      // RabbitMQ: "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN" for
      // credentials, "ACCESS_REFUSED - access to exchange 'x' in vhost '/' refused for user 'u'"
      // or "... access to vhost ..." for permissions.
      if (reply_text.find("Login was refused") != std::string_view::npos) {
        return "check [amqp] user and password (RabbitMQ's guest may log in only from localhost: "
               "create a user)";
      }
      return fmt::format(
          "grant '{}' permissions on vhost '{}': rabbitmqctl set_permissions -p '{}' '{}' "
          "'.*' '.*' '.*' (configure for the exchange declaration, write to publish)",
          user, vhost, vhost, user);
    case kAmqpNotAllowed:
      return fmt::format("create the vhost (rabbitmqctl add_vhost '{}') or set [amqp] vhost to an "
                         "existing one",
                         vhost);
    case kAmqpPreconditionFailed:
      return "the exchange exists with another type or durability: set [amqp] exchange_type to "
             "match it, or delete the exchange";
    default: return {};
  }
}

}  // namespace mm::sink
