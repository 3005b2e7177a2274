// SqlLexer: MySQL/MariaDB statement text -> tokens, the one tokenizer behind the DDL parser
// (schema/ddl_parser.h) and the statement classification (sql/statement_kind.h).
//
// Tokens are words, `backquoted` names, "double-quoted" text, 'string' literals (with their x/b/n
// prefix), and single-character symbols. Whitespace and comments (/* */, # and "-- " to the end
// of the line) are skipped; the content of executable comments (/*!50100 ... */, /*M!100100 ...
// */) is read as SQL, as the server reads it. Quoted tokens come back unquoted and unescaped (a
// doubled quote stands for itself; string literals take backslash escapes).
//
// Pure and allocation-light: next() yields one token at a time, so a caller that only needs the
// first words of a statement never tokenizes the rest. Not thread-safe; `text` must outlive the
// lexer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mm::sql {

enum class TokenKind { Word, QuotedName, DoubleQuoted, String, Symbol, End };

struct Token {
  TokenKind kind = TokenKind::End;
  std::string text;   // unquoted and unescaped for quoted kinds; the character for a Symbol
  size_t offset = 0;  // where the token starts in the text
  char prefix = 0;    // a String's literal prefix, lower case: 'x' (hex), 'b' (bits), 'n'; else 0

  // A Word equal to `upper` (given in upper case) regardless of case.
  bool isKeyword(std::string_view upper) const;
  bool isSymbol(char c) const {
    return kind == TokenKind::Symbol && text.size() == 1 && text[0] == c;
  }
  // A name: a bare word or a `backquoted` one.
  bool isName() const { return kind == TokenKind::Word || kind == TokenKind::QuotedName; }
};

class SqlLexer {
 public:
  explicit SqlLexer(std::string_view text) : text_(text) {}

  // The next token; TokenKind::End (repeatedly) once the text is used up.
  Token next();
  // Every token up to and including the End token.
  std::vector<Token> tokens();
  // Whether a quoted token ran to the end of the text without its closing quote.
  bool unterminated() const { return unterminated_; }

 private:
  void skipSpaceAndComments();
  std::string quoted(char quote, bool backslash_escapes);

  std::string_view text_;
  size_t pos_ = 0;
  int executable_comments_ = 0;
  bool unterminated_ = false;
};

// Characters that continue a bare word (identifiers and keywords; any byte of a UTF-8 sequence).
bool isWordChar(char c);

}  // namespace mm::sql
