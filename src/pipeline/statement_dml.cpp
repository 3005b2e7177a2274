#include "pipeline/statement_dml.h"

#include <cctype>
#include <initializer_list>

namespace mm::pipeline {
namespace {

// A cursor over SQL text that skips whitespace and comments between tokens.
class SqlCursor {
 public:
  explicit SqlCursor(std::string_view text) : text_(text) {}

  void skipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (text_.substr(pos_, 2) == "/*") {
        const auto end = text_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? text_.size() : end + 2;
      } else if (c == '#' || text_.substr(pos_, 3) == "-- ") {
        const auto end = text_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? text_.size() : end + 1;
      } else {
        return;
      }
    }
  }

  // Consumes `word` (case-insensitive) when it is the next whole word.
  bool keyword(std::string_view word) {
    skipSpace();
    if (text_.size() - pos_ < word.size()) {
      return false;
    }
    for (size_t i = 0; i < word.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(text_[pos_ + i])) != word[i]) {
        return false;
      }
    }
    const size_t after = pos_ + word.size();
    if (after < text_.size() && isWordChar(text_[after])) {
      return false;
    }
    pos_ = after;
    return true;
  }

  void skipKeywords(std::initializer_list<std::string_view> words) {
    bool skipped = true;
    while (skipped) {
      skipped = false;
      for (std::string_view w : words) {
        if (keyword(w)) {
          skipped = true;
        }
      }
    }
  }

  // An identifier, bare or `quoted` (`` inside quotes is one backtick); nullopt if none.
  std::optional<std::string> identifier() {
    skipSpace();
    std::string out;
    if (pos_ < text_.size() && text_[pos_] == '`') {
      for (++pos_; pos_ < text_.size(); ++pos_) {
        if (text_[pos_] == '`') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '`') {
            out.push_back('`');
            ++pos_;
          } else {
            ++pos_;
            return out;
          }
        } else {
          out.push_back(text_[pos_]);
        }
      }
      return std::nullopt;  // unterminated
    }
    while (pos_ < text_.size() && isWordChar(text_[pos_])) {
      out.push_back(text_[pos_++]);
    }
    return out.empty() ? std::nullopt : std::optional<std::string>(std::move(out));
  }

  bool dot() {
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      return true;
    }
    return false;
  }

 private:
  static bool isWordChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::optional<StatementTable> tableName(SqlCursor& sql, std::string_view default_database) {
  auto first = sql.identifier();
  if (!first) {
    return std::nullopt;
  }
  if (sql.dot()) {
    auto second = sql.identifier();
    if (!second) {
      return std::nullopt;
    }
    return StatementTable{std::move(*first), std::move(*second)};
  }
  return StatementTable{std::string(default_database), std::move(*first)};
}

}  // namespace

std::optional<StatementTable> statementDmlTarget(std::string_view query, std::string_view default_database) {
  SqlCursor sql(query);
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
  return std::nullopt;
}

}  // namespace mm::pipeline
