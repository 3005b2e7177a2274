#include "sql/sql_lexer.h"

#include <cctype>

namespace mm::sql {

bool isWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool Token::isKeyword(std::string_view upper) const {
  if (kind != TokenKind::Word || text.size() != upper.size()) {
    return false;
  }
  for (size_t i = 0; i < upper.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != upper[i]) {
      return false;
    }
  }
  return true;
}

Token SqlLexer::next() {
  skipSpaceAndComments();
  Token token;
  token.offset = pos_;
  if (pos_ >= text_.size()) {
    return token;
  }
  const char c = text_[pos_];
  if (c == '`') {
    token.kind = TokenKind::QuotedName;
    token.text = quoted('`', false);
  } else if (c == '"') {
    token.kind = TokenKind::DoubleQuoted;
    token.text = quoted('"', true);
  } else if (c == '\'') {
    token.kind = TokenKind::String;
    token.text = quoted('\'', true);
  } else if (isWordChar(c)) {
    // b'0101', x'0A', N'text': the prefix belongs to the literal.
    if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '\'' &&
        std::string_view("bBxXnN").find(c) != std::string_view::npos) {
      token.prefix = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      ++pos_;
      token.kind = TokenKind::String;
      token.text = quoted('\'', true);
    } else {
      token.kind = TokenKind::Word;
      const size_t start = pos_;
      while (pos_ < text_.size() && isWordChar(text_[pos_])) {
        ++pos_;
      }
      token.text.assign(text_.substr(start, pos_ - start));
    }
  } else {
    token.kind = TokenKind::Symbol;
    token.text = std::string(1, c);
    ++pos_;
  }
  return token;
}

std::vector<Token> SqlLexer::tokens() {
  std::vector<Token> out;
  for (;;) {
    out.push_back(next());
    if (out.back().kind == TokenKind::End) {
      return out;
    }
  }
}

void SqlLexer::skipSpaceAndComments() {
  while (pos_ < text_.size()) {
    const std::string_view rest = text_.substr(pos_);
    if (std::isspace(static_cast<unsigned char>(rest[0]))) {
      ++pos_;
    } else if (rest.starts_with("/*!") || rest.starts_with("/*M!")) {
      // Executable comment: its content is SQL the server ran (version permitting).
      pos_ += rest[2] == '!' ? 3 : 4;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      }
      ++executable_comments_;
    } else if (rest.starts_with("*/") && executable_comments_ > 0) {
      pos_ += 2;
      --executable_comments_;
    } else if (rest.starts_with("/*")) {
      const auto end = text_.find("*/", pos_ + 2);
      pos_ = end == std::string_view::npos ? text_.size() : end + 2;
    } else if (rest[0] == '#' ||
               (rest.starts_with("--") &&
                (rest.size() == 2 || std::isspace(static_cast<unsigned char>(rest[2]))))) {
      const auto end = text_.find('\n', pos_);
      pos_ = end == std::string_view::npos ? text_.size() : end + 1;
    } else {
      return;
    }
  }
}

std::string SqlLexer::quoted(char quote, bool backslash_escapes) {
  std::string out;
  for (++pos_; pos_ < text_.size(); ++pos_) {
    const char c = text_[pos_];
    if (c == quote) {
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == quote) {
        out.push_back(quote);
        ++pos_;
        continue;
      }
      ++pos_;
      return out;
    }
    if (backslash_escapes && c == '\\' && pos_ + 1 < text_.size()) {
      const char e = text_[++pos_];
      switch (e) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case '0': out.push_back('\0'); break;
        case 'Z': out.push_back('\x1A'); break;
        case 'b': out.push_back('\b'); break;
        default: out.push_back(e); break;
      }
      continue;
    }
    out.push_back(c);
  }
  unterminated_ = true;
  return out;
}

}  // namespace mm::sql
