#include "mysql/server_refusal.h"

namespace mm::mysql {
namespace {

// Server error numbers (MySQL include/mysqld_error.h, the same in MariaDB).
constexpr unsigned int ER_DBACCESS_DENIED_ERROR = 1044;
constexpr unsigned int ER_ACCESS_DENIED_ERROR = 1045;
constexpr unsigned int ER_TABLEACCESS_DENIED_ERROR = 1142;
constexpr unsigned int ER_COLUMNACCESS_DENIED_ERROR = 1143;
constexpr unsigned int ER_SPECIFIC_ACCESS_DENIED_ERROR = 1227;
constexpr unsigned int ER_HOST_NOT_PRIVILEGED = 1130;
constexpr unsigned int ER_ACCESS_DENIED_NO_PASSWORD_ERROR = 1698;
constexpr unsigned int ER_ACCOUNT_HAS_BEEN_LOCKED = 3118;

}  // namespace

std::string_view refusalFix(unsigned int code) {
  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return "check [mysql] user and password (or password_file), and that the account's host part "
             "matches this host";
    case ER_HOST_NOT_PRIVILEGED:
      return "create the monitor's account for this host (CREATE USER 'monitor'@'HOST'), or "
             "connect "
             "from a host the account allows";
    case ER_ACCOUNT_HAS_BEEN_LOCKED:
      return "unlock the monitor's account: ALTER USER ... ACCOUNT UNLOCK";
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
      return "GRANT REPLICATION SLAVE, REPLICATION CLIENT (MariaDB: BINLOG MONITOR), SELECT ON *.* "
             "TO the monitor's account; `mysql-monitor check` lists what is missing";
    default: return {};
  }
}

}  // namespace mm::mysql
