#include "sql/statement_kind.h"

#include <cctype>
#include <initializer_list>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "sql/sql_lexer.h"

namespace mm::sql {
namespace {

// Tokens with one of look-ahead.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : lexer_(text), current_(lex()) {}

  const Token& peek() const { return current_; }
  Token take() { return std::exchange(current_, lex()); }
  // Consumes the keyword when it is next.
  bool keyword(std::string_view upper) {
    if (!current_.isKeyword(upper)) {
      return false;
    }
    take();
    return true;
  }
  void skipKeywords(std::initializer_list<std::string_view> words) {
    for (bool skipped = true; skipped;) {
      skipped = false;
      for (std::string_view w : words) {
        skipped = keyword(w) || skipped;
      }
    }
  }
  bool symbol(char c) {
    if (!current_.isSymbol(c)) {
      return false;
    }
    take();
    return true;
  }
  // Nothing but an optional ';' left.
  bool atEnd() {
    symbol(';');
    return current_.kind == TokenKind::End;
  }

 private:
  // A quoted token without its closing quote ends the text: it names nothing.
  Token lex() {
    Token t = lexer_.next();
    return lexer_.unterminated() ? Token{} : t;
  }

  SqlLexer lexer_;
  Token current_;
};

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// "6731" -> "g1"; nullopt when not hex. An odd count has an implied leading 0, as the server reads
// it.
std::optional<std::string> fromHex(std::string_view hex) {
  std::string out;
  size_t i = 0;
  if (hex.size() % 2 == 1) {
    const int low = hexValue(hex[0]);
    if (low < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(low));
    i = 1;
  }
  for (; i < hex.size(); i += 2) {
    const int high = hexValue(hex[i]);
    const int low = hexValue(hex[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

// One part of an xid: 'text', X'hex' or 0xhex.
std::optional<std::string> xidPart(Cursor& sql) {
  const Token& t = sql.peek();
  if (t.kind == TokenKind::String) {
    std::optional<std::string> part =
        t.prefix == 'x' ? fromHex(t.text) : std::optional<std::string>(t.text);
    sql.take();
    return part;
  }
  if (t.kind == TokenKind::Word && t.text.size() >= 2 && t.text[0] == '0' &&
      (t.text[1] == 'x' || t.text[1] == 'X')) {
    auto part = fromHex(std::string_view(t.text).substr(2));
    sql.take();
    return part;
  }
  return std::nullopt;
}

// gtrid [, bqual [, formatID]]
std::optional<XaId> xid(Cursor& sql) {
  XaId id;
  auto gtrid = xidPart(sql);
  if (!gtrid) {
    return std::nullopt;
  }
  id.gtrid = std::move(*gtrid);
  if (sql.symbol(',')) {
    auto bqual = xidPart(sql);
    if (!bqual) {
      return std::nullopt;
    }
    id.bqual = std::move(*bqual);
    if (sql.symbol(',')) {
      const bool negative = sql.symbol('-');
      const Token& t = sql.peek();
      if (t.kind != TokenKind::Word || t.text.empty() || t.text.size() > 18) {
        return std::nullopt;
      }
      int64_t value = 0;
      for (char c : t.text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          return std::nullopt;
        }
        value = value * 10 + (c - '0');
      }
      sql.take();
      id.format_id = negative ? -value : value;
    }
  }
  return id;
}

Statement xaStatement(Cursor& sql) {
  Statement s;
  s.kind = StatementKind::XaOther;
  StatementKind kind{};
  if (sql.keyword("START") || sql.keyword("BEGIN")) {
    kind = StatementKind::XaStart;
  } else if (sql.keyword("END")) {
    kind = StatementKind::XaEnd;
  } else if (sql.keyword("PREPARE")) {
    kind = StatementKind::XaPrepare;
  } else if (sql.keyword("COMMIT")) {
    kind = StatementKind::XaCommit;
  } else if (sql.keyword("ROLLBACK")) {
    kind = StatementKind::XaRollback;
  } else {
    return s;
  }
  s.kind = kind;
  s.xid = xid(sql);
  if (kind == StatementKind::XaCommit && sql.keyword("ONE") && sql.keyword("PHASE")) {
    s.kind = StatementKind::XaCommitOnePhase;
  }
  return s;
}

std::optional<std::string> name(Cursor& sql) {
  const Token& t = sql.peek();
  if (!t.isName() && t.kind != TokenKind::DoubleQuoted) {
    return std::nullopt;
  }
  return sql.take().text;
}

std::optional<StatementTable> tableName(Cursor& sql, std::string_view default_database) {
  auto first = name(sql);
  if (!first) {
    return std::nullopt;
  }
  if (sql.symbol('.')) {
    auto second = name(sql);
    if (!second) {
      return std::nullopt;
    }
    return StatementTable{std::move(*first), std::move(*second)};
  }
  return StatementTable{std::string(default_database), std::move(*first)};
}

// After the statement's first word; nullopt when it is no write.
std::optional<std::optional<StatementTable>> dmlTarget(Cursor& sql,
                                                       std::string_view default_database) {
  if (sql.keyword("INSERT")) {
    sql.skipKeywords({"LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE"});
    sql.keyword("INTO");
    return tableName(sql, default_database);
  }
  if (sql.keyword("REPLACE")) {
    sql.skipKeywords({"LOW_PRIORITY", "DELAYED"});
    sql.keyword("INTO");
    return tableName(sql, default_database);
  }
  if (sql.keyword("UPDATE")) {
    sql.skipKeywords({"LOW_PRIORITY", "IGNORE"});
    return tableName(sql, default_database);
  }
  if (sql.keyword("DELETE")) {
    sql.skipKeywords({"LOW_PRIORITY", "QUICK", "IGNORE"});
    // DELETE FROM t ... or the multi-table DELETE t1, t2 FROM ...: either way the next name.
    sql.keyword("FROM");
    return tableName(sql, default_database);
  }
  if (sql.peek().isKeyword("LOAD")) {
    sql.take();
    if (!sql.keyword("DATA") && !sql.keyword("XML")) {
      return std::nullopt;  // LOAD INDEX INTO CACHE
    }
    // LOAD DATA [LOW_PRIORITY | CONCURRENT] [LOCAL] INFILE 'file' [REPLACE | IGNORE] INTO TABLE t
    sql.skipKeywords({"LOW_PRIORITY", "CONCURRENT", "LOCAL"});
    if (!sql.keyword("INFILE")) {
      return std::optional<StatementTable>{};
    }
    sql.take();  // the file name
    sql.skipKeywords({"REPLACE", "IGNORE"});
    if (!sql.keyword("INTO") || !sql.keyword("TABLE")) {
      return std::optional<StatementTable>{};
    }
    return tableName(sql, default_database);
  }
  return std::nullopt;
}

Statement savepointStatement(StatementKind kind, Cursor& sql) {
  Statement s;
  s.kind = kind;
  s.savepoint = name(sql).value_or("");
  return s;
}

// BEGIN, START TRANSACTION, COMMIT, ROLLBACK [TO SAVEPOINT], SAVEPOINT, RELEASE SAVEPOINT;
// nullopt when the statement starts with none of them.
std::optional<Statement> transactionControl(Cursor& sql) {
  Statement s;
  if (sql.keyword("BEGIN")) {
    sql.keyword("WORK");
    // BEGIN NOT ATOMIC ... is a block.
    s.kind = sql.atEnd() ? StatementKind::Begin : StatementKind::Other;
  } else if (sql.keyword("START")) {
    s.kind = sql.keyword("TRANSACTION") ? StatementKind::Begin : StatementKind::Other;
  } else if (sql.keyword("COMMIT")) {
    s.kind = StatementKind::Commit;
  } else if (sql.keyword("ROLLBACK")) {
    sql.keyword("WORK");
    if (!sql.keyword("TO")) {
      s.kind = StatementKind::Rollback;
      return s;
    }
    sql.keyword("SAVEPOINT");
    return savepointStatement(StatementKind::RollbackToSavepoint, sql);
  } else if (sql.keyword("SAVEPOINT")) {
    return savepointStatement(StatementKind::Savepoint, sql);
  } else if (sql.keyword("RELEASE")) {
    if (sql.keyword("SAVEPOINT")) {
      return savepointStatement(StatementKind::ReleaseSavepoint, sql);
    }
  } else {
    return std::nullopt;
  }
  return s;
}

// Any other statement (DDL, DCL, ...): only its last two words matter (DDL is rare, so reading it
// to the end costs little).
Statement otherStatement(Cursor& sql) {
  bool start = false;
  bool start_transaction = false;
  while (sql.peek().kind != TokenKind::End) {
    if (sql.peek().isSymbol(';')) {
      sql.take();
      continue;
    }
    start_transaction = start && sql.peek().isKeyword("TRANSACTION");
    start = sql.take().isKeyword("START");
  }
  Statement s;
  s.opens_transaction = start_transaction;
  return s;
}

}  // namespace

std::string XaId::text() const {
  std::string out = "X'";
  for (unsigned char c : gtrid) {
    fmt::format_to(std::back_inserter(out), "{:02x}", c);
  }
  out += "',X'";
  for (unsigned char c : bqual) {
    fmt::format_to(std::back_inserter(out), "{:02x}", c);
  }
  fmt::format_to(std::back_inserter(out), "',{}", format_id);
  return out;
}

Statement classifyStatement(std::string_view query, std::string_view default_database) {
  // The statements every transaction of some servers carries, as the server writes them: no
  // tokens needed (MySQL logs BEGIN per transaction, MariaDB COMMIT after non-transactional rows).
  if (query == "BEGIN") {
    return Statement{StatementKind::Begin, {}, {}, {}};
  }
  if (query == "COMMIT") {
    return Statement{StatementKind::Commit, {}, {}, {}};
  }
  Cursor sql(query);
  if (auto control = transactionControl(sql)) {
    return std::move(*control);
  }
  if (sql.keyword("XA")) {
    return xaStatement(sql);
  }
  if (auto target = dmlTarget(sql, default_database)) {
    Statement s;
    s.kind = StatementKind::Dml;
    s.table = std::move(*target);
    return s;
  }
  return otherStatement(sql);
}

std::optional<StatementTable> statementDmlTarget(std::string_view query,
                                                 std::string_view default_database) {
  Cursor sql(query);
  auto target = dmlTarget(sql, default_database);
  return target ? *target : std::nullopt;
}

}  // namespace mm::sql
