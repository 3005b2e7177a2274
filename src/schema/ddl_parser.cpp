#include "schema/ddl_parser.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "common/strings.h"
#include "sql/sql_lexer.h"

namespace mm::schema {
namespace {

using binlog::Charset;
using binlog::SchemaColumn;
using binlog::TableName;

// ---------------------------------------------------------------------------------------------
// Tokens: the shared SQL lexer (sql/sql_lexer.h).

using sql::Token;
using sql::TokenKind;
using Lexer = sql::SqlLexer;

// ---------------------------------------------------------------------------------------------
// Column types: information_schema's DATA_TYPE names.

bool isBinaryType(std::string_view t) {
  return t == "binary" || t == "varbinary" || t == "tinyblob" || t == "blob" || t == "mediumblob" ||
         t == "longblob";
}

// ---------------------------------------------------------------------------------------------
// Parser.

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view default_database)
      : tokens_(std::move(tokens)), default_database_(default_database) {}

  DdlStatement statement();

 private:
  DdlStatement statementKind();
  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  bool atEnd() const {
    return peek().kind == TokenKind::End ||
           (isSymbol(peek(), ';') && peek(1).kind == TokenKind::End);
  }
  static bool isSymbol(const Token& t, char c) { return t.isSymbol(c); }
  static bool isKeyword(const Token& t, std::string_view word) { return t.isKeyword(word); }
  bool at(std::string_view word, size_t ahead = 0) const { return isKeyword(peek(ahead), word); }
  bool atAny(std::span<const std::string_view> words) const {
    return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return at(w); });
  }
  bool atAny(std::initializer_list<std::string_view> words) const {
    return atAny(std::span<const std::string_view>(words.begin(), words.size()));
  }
  bool accept(std::string_view word) {
    if (at(word)) {
      ++pos_;
      return true;
    }
    return false;
  }
  // Consumes the whole sequence or nothing.
  bool acceptAll(std::initializer_list<std::string_view> words) {
    size_t i = 0;
    for (std::string_view w : words) {
      if (!at(w, i++)) {
        return false;
      }
    }
    pos_ += words.size();
    return true;
  }
  bool acceptSymbol(char c) {
    if (isSymbol(peek(), c)) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expectSymbol(char c) {
    if (!acceptSymbol(c)) {
      fail(fmt::format("expected '{}'", c));
    }
  }
  void expect(std::string_view word) {
    if (!accept(word)) {
      fail(fmt::format("expected {}", word));
    }
  }
  // Sticky, like common::ByteReader: the first failure is kept and the cursor jumps to the end, so
  // every loop stops and statement() reports Unparsed.
  void fail(const std::string& what) {
    if (error_.empty()) {
      const Token& t = peek();
      error_ = t.kind == TokenKind::End
                   ? fmt::format("{} at the end of the statement", what)
                   : fmt::format("{} at offset {} (near '{}')", what, t.offset, t.text);
    }
    pos_ = tokens_.size() - 1;
  }

  std::optional<std::string> tryIdentifier() {
    const Token& t = peek();
    if (t.kind == TokenKind::Word || t.kind == TokenKind::QuotedName ||
        t.kind == TokenKind::DoubleQuoted) {
      ++pos_;
      return t.text;
    }
    return std::nullopt;
  }
  std::string identifier(std::string_view what) {
    auto name = tryIdentifier();
    if (!name) {
      fail(fmt::format("expected {}", what));
      return {};
    }
    return std::move(*name);
  }
  TableName tableName() {
    std::string first = identifier("a table name");
    if (acceptSymbol('.')) {
      return TableName{std::move(first), identifier("a table name")};
    }
    return TableName{std::string(default_database_), std::move(first)};
  }
  bool acceptIfExists() { return acceptAll({"IF", "EXISTS"}); }
  bool acceptIfNotExists() { return acceptAll({"IF", "NOT", "EXISTS"}); }
  // MariaDB's lock wait clause after a table name.
  void skipWait() {
    if (accept("WAIT")) {
      ++pos_;
    } else {
      accept("NOWAIT");
    }
  }

  // Skips a balanced (...) group starting at '('.
  void skipGroup() {
    expectSymbol('(');
    int depth = 1;
    while (depth > 0) {
      if (peek().kind == TokenKind::End) {
        fail("unbalanced parentheses");
        return;
      }
      if (isSymbol(peek(), '(')) {
        ++depth;
      } else if (isSymbol(peek(), ')')) {
        --depth;
      }
      ++pos_;
    }
  }
  bool atBoundary() const { return atEnd() || isSymbol(peek(), ',') || isSymbol(peek(), ')'); }
  // Skips to the next ',' or ')' at this nesting level (not consumed), or the end.
  void skipToBoundary() {
    while (!atBoundary()) {
      if (isSymbol(peek(), '(')) {
        skipGroup();
      } else {
        ++pos_;
      }
    }
  }
  // One value: -1, 'x', _utf8mb4'x', CURRENT_TIMESTAMP(3), NOW(), (expr), NULL.
  void skipValue() {
    while (acceptSymbol('-') || acceptSymbol('+')) {
    }
    if (isSymbol(peek(), '(')) {
      skipGroup();
      return;
    }
    if (atBoundary()) {
      fail("expected a value");
      return;
    }
    const bool word = peek().kind == TokenKind::Word;
    ++pos_;
    if (word && peek().kind == TokenKind::String) {
      ++pos_;  // charset introducer
    } else if (word && isSymbol(peek(), '(')) {
      skipGroup();
    } else if (word && isSymbol(peek(), '.')) {  // 1.5 is lexed as 1 . 5
      ++pos_;
      if (!atBoundary()) {
        ++pos_;
      }
    }
  }
  std::string charsetName() {
    accept("DEFAULT");  // never reached for "CHARACTER SET DEFAULT": caller handles
    acceptSymbol('=');
    const Token& t = peek();
    if (t.kind == TokenKind::Word || t.kind == TokenKind::QuotedName ||
        t.kind == TokenKind::String || t.kind == TokenKind::DoubleQuoted) {
      ++pos_;
      return t.text;
    }
    fail("expected a character set");
    return {};
  }
  // A charset the decoder does not transcode is Unknown: read as UTF-8, as with none at all.
  static Charset charsetNamed(const std::string& name) {
    return binlog::charsetByName(asciiLower(name));
  }
  // CHARACTER SET / CHARSET / CHAR SET, consumed; false if none here.
  bool acceptCharsetKeyword() {
    return acceptAll({"CHARACTER", "SET"}) || accept("CHARSET") || acceptAll({"CHAR", "SET"});
  }

  // A column definition and the keys it declares inline (PRIMARY KEY, UNIQUE, SERIAL).
  struct ColumnDefinition {
    SchemaColumn column;
    bool primary = false;
    bool unique = false;

    void addKeysTo(std::vector<AddKey>& keys) const {
      if (primary) {
        keys.push_back(AddKey{binlog::UniqueKey{"PRIMARY", {column.name}}, false});
      }
      if (unique) {
        keys.push_back(AddKey{binlog::UniqueKey{"", {column.name}}, false});
      }
    }
  };

  struct TypeName {
    std::string name;
    bool national = false;  // NATIONAL, NCHAR, NVARCHAR: utf8mb3
  };
  TypeName typeName();
  void dataType(ColumnDefinition& definition);
  void enumMembers(SchemaColumn& c);
  ColumnDefinition columnDefinition(std::string name);
  bool acceptNullOrKey(ColumnDefinition& definition);
  bool acceptColumnCharset(SchemaColumn& c);
  bool acceptColumnExpression(SchemaColumn& c);
  std::optional<binlog::UniqueKey> keyParts(std::string name);
  bool keyDefinition(std::vector<AddKey>& keys);
  void createTableBody(CreateTable& create);
  void tableOptions(Charset& default_charset);
  DdlStatement createStatement();
  DdlStatement createTable(bool or_replace);
  DdlStatement createIndex();
  DdlStatement alterTable();
  void alterSpecification(AlterTable& alter);
  void addSpecification(AlterTable& alter);
  void addColumn(AlterTable& alter, bool if_not_exists);
  void dropSpecification(AlterTable& alter);
  void changeSpecification(AlterTable& alter);
  void renameSpecification(AlterTable& alter);
  void convertSpecification(AlterTable& alter);
  ColumnPlacement placement(ColumnPlacement::Where otherwise);
  DdlStatement dropStatement();
  DdlStatement dropIndex();
  DdlStatement renameTables();
  DdlStatement dropTables();

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::string_view default_database_;
  std::vector<TableName> touched_;  // for Unparsed
  std::string error_;               // the first failure; empty while parsing goes well
};

// information_schema's DATA_TYPE name for a type name in lower case.
std::string canonicalTypeName(std::string name) {
  static const std::pair<std::string_view, std::string_view> kAliases[] = {
      {"integer", "int"},
      {"int1", "tinyint"},
      {"int2", "smallint"},
      {"int3", "mediumint"},
      {"int4", "int"},
      {"int8", "bigint"},
      {"middleint", "mediumint"},
      {"bool", "tinyint"},
      {"boolean", "tinyint"},
      {"dec", "decimal"},
      {"numeric", "decimal"},
      {"fixed", "decimal"},
      {"real", "double"},
      {"float4", "float"},
      {"float8", "double"},
      {"character", "char"},
      {"nchar", "char"},
      {"nvarchar", "varchar"},
      {"geomcollection", "geometrycollection"},
  };
  for (const auto& [alias, canonical] : kAliases) {
    if (name == alias) {
      return std::string(canonical);
    }
  }
  return name;
}

// The type's name, with the words that spell it (DOUBLE PRECISION, CHAR VARYING, LONG VARCHAR).
Parser::TypeName Parser::typeName() {
  TypeName type{asciiLower(identifier("a column type"))};
  std::string& t = type.name;
  if (t == "national") {
    type.national = true;
    t = asciiLower(identifier("a column type"));
  }
  if (t == "double" && accept("PRECISION")) {
  } else if ((t == "char" || t == "character") && accept("VARYING")) {
    t = "varchar";
  } else if (t == "long") {
    if (accept("VARBINARY")) {
      t = "mediumblob";
    } else {
      accept("VARCHAR");
      t = "mediumtext";
    }
  }
  if (t == "nchar" || t == "nvarchar") {
    type.national = true;
  }
  t = canonicalTypeName(std::move(t));
  return type;
}

void Parser::dataType(ColumnDefinition& definition) {
  SchemaColumn& c = definition.column;
  const TypeName type = typeName();
  std::string t = type.name;
  if (t == "serial") {  // BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE
    t = "bigint";
    c.is_unsigned = true;
    c.nullable = false;
    definition.unique = true;
  }
  c.data_type = t;
  c.is_json = t == "json";
  c.is_binary = isBinaryType(t);
  if (type.national) {
    c.charset = Charset::Utf8mb3;
  }
  if (isSymbol(peek(), '(')) {
    if (t == "enum" || t == "set") {
      enumMembers(c);
    } else {
      skipGroup();
    }
  }
}

// ('a', _utf8mb4'b', "c") after ENUM or SET.
void Parser::enumMembers(SchemaColumn& c) {
  expectSymbol('(');
  do {
    const Token& m = peek();
    if (m.kind == TokenKind::Word && peek(1).kind == TokenKind::String) {
      ++pos_;  // _utf8mb4'member'
    }
    if (peek().kind != TokenKind::String && peek().kind != TokenKind::DoubleQuoted) {
      fail("expected an ENUM/SET member");
      return;
    }
    c.members.push_back(peek().text);
    ++pos_;
  } while (acceptSymbol(','));
  expectSymbol(')');
}

// After the column name: the type and its attributes, up to ',' or ')'.
Parser::ColumnDefinition Parser::columnDefinition(std::string name) {
  ColumnDefinition definition;
  SchemaColumn& c = definition.column;
  c.name = std::move(name);
  dataType(definition);
  while (!atBoundary() && !at("FIRST") && !at("AFTER")) {
    if (acceptNullOrKey(definition) || acceptColumnCharset(c) || acceptColumnExpression(c)) {
      continue;
    }
    ++pos_;  // AUTO_INCREMENT, VISIBLE, INVISIBLE, STORED, VIRTUAL, PERSISTENT, BINARY, ...
    if (acceptSymbol('=')) {
      skipValue();
    }
  }
  if (c.is_binary) {
    c.charset = Charset::Binary;
  }
  if (c.charset == Charset::Binary && isTextType(c.data_type)) {
    c.is_binary = true;  // CHAR(n) CHARACTER SET binary holds bytes
  }
  return definition;
}

// [UN]SIGNED, ZEROFILL, [NOT] NULL, [PRIMARY] KEY, UNIQUE [KEY].
bool Parser::acceptNullOrKey(ColumnDefinition& definition) {
  SchemaColumn& c = definition.column;
  if (accept("UNSIGNED") || accept("ZEROFILL")) {
    c.is_unsigned = true;
  } else if (accept("SIGNED")) {
  } else if (acceptAll({"NOT", "NULL"})) {
    c.nullable = false;
  } else if (accept("NULL")) {
    c.nullable = true;
  } else if (acceptAll({"PRIMARY", "KEY"}) || accept("KEY")) {
    definition.primary = true;
  } else if (accept("UNIQUE")) {
    accept("KEY");
    definition.unique = true;
  } else {
    return false;
  }
  return true;
}

// CHARACTER SET x, COLLATE x, ASCII, UNICODE.
bool Parser::acceptColumnCharset(SchemaColumn& c) {
  if (acceptCharsetKeyword()) {
    const std::string cs = asciiLower(charsetName());
    if (cs == "binary") {
      c.is_binary = true;
      c.charset = Charset::Binary;
    } else {
      c.charset = charsetNamed(cs);
    }
  } else if (accept("COLLATE")) {
    acceptSymbol('=');
    const Charset cs = binlog::charsetOfCollationName(identifier("a collation"));
    if (c.charset == Charset::Unknown && !c.is_binary) {
      c.charset = cs;
    }
  } else if (accept("ASCII")) {
    c.charset = Charset::Latin1;
  } else if (accept("UNICODE")) {
    c.charset = Charset::Ucs2;
  } else {
    return false;
  }
  return true;
}

// Attributes with a value or an expression, skipped: DEFAULT, COMMENT, SRID, ON UPDATE, ON
// DELETE, CHECK, REFERENCES, GENERATED ALWAYS AS (...). Only CHECK (json_valid(c)) means
// something: MariaDB spells its JSON type as LONGTEXT CHECK (json_valid(`col`)).
bool Parser::acceptColumnExpression(SchemaColumn& c) {
  if (accept("DEFAULT") || accept("COMMENT") || accept("SRID")) {
    acceptSymbol('=');
    skipValue();
  } else if (accept("ON")) {
    // ON UPDATE CURRENT_TIMESTAMP(n), or a foreign key action.
    if (!accept("UPDATE")) {
      expect("DELETE");
    }
    if (accept("SET")) {
      ++pos_;  // NULL / DEFAULT: not this column's nullability
    } else if (accept("NO")) {
      expect("ACTION");
    } else {
      skipValue();
    }
  } else if (accept("CHECK")) {
    if (isSymbol(peek(), '(') && isKeyword(peek(1), "JSON_VALID") && isSymbol(peek(2), '(') &&
        peek(3).text == c.name && isSymbol(peek(4), ')') && isSymbol(peek(5), ')')) {
      c.is_json = true;
    }
    skipGroup();
  } else if (accept("REFERENCES")) {
    tableName();
    if (isSymbol(peek(), '(')) {
      skipGroup();
    }
  } else if (isSymbol(peek(), '(')) {
    skipGroup();  // GENERATED ALWAYS AS (expr), AS (expr)
  } else {
    return false;
  }
  return true;
}

// (col[(len)] [ASC|DESC], ...): nullopt for a key over an expression (MySQL 8 functional key
// parts), which identifies no column set.
std::optional<binlog::UniqueKey> Parser::keyParts(std::string name) {
  binlog::UniqueKey key{std::move(name), {}};
  bool functional = false;
  expectSymbol('(');
  do {
    if (isSymbol(peek(), '(')) {
      skipGroup();
      functional = true;
    } else {
      key.columns.push_back(identifier("a key column"));
      if (isSymbol(peek(), '(')) {
        skipGroup();  // prefix length
      }
    }
    accept("ASC") || accept("DESC");
  } while (acceptSymbol(','));
  expectSymbol(')');
  skipToBoundary();  // index options: USING, COMMENT, KEY_BLOCK_SIZE, VISIBLE, ...
  if (functional) {
    return std::nullopt;
  }
  return key;
}

// [CONSTRAINT [name]] PRIMARY KEY / UNIQUE / INDEX / KEY / FULLTEXT / SPATIAL / FOREIGN KEY /
// CHECK / PERIOD: false (nothing consumed) when the element is a column instead. Adds the primary
// or unique key to `keys`; other indexes and constraints identify no row and are skipped.
bool Parser::keyDefinition(std::vector<AddKey>& keys) {
  if (accept("CONSTRAINT")) {
    if (!atAny({"PRIMARY", "UNIQUE", "FOREIGN", "CHECK"})) {
      identifier("a constraint name");
    }
  } else if (!atAny({"PRIMARY", "UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK",
                     "PERIOD"})) {
    return false;
  }
  const bool primary = acceptAll({"PRIMARY", "KEY"});
  if (!primary && !accept("UNIQUE")) {
    skipToBoundary();
    return true;
  }
  bool if_not_exists = false;
  std::string name = "PRIMARY";
  if (!primary) {
    accept("INDEX") || accept("KEY");
    if_not_exists = acceptIfNotExists();
    name.clear();
    if (!isSymbol(peek(), '(') && !at("USING")) {
      name = identifier("an index name");
    }
  }
  if (accept("USING")) {
    ++pos_;
  }
  if (auto key = keyParts(std::move(name))) {
    keys.push_back(AddKey{std::move(*key), if_not_exists});
  } else if (primary) {
    fail("a primary key over an expression");
  }
  return true;
}

void Parser::createTableBody(CreateTable& create) {
  binlog::TableSchema& schema = create.schema;
  std::vector<AddKey> keys;
  do {
    if (keyDefinition(keys)) {
      continue;
    }
    ColumnDefinition definition = columnDefinition(identifier("a column name"));
    definition.addKeysTo(keys);
    schema.columns.push_back(std::move(definition.column));
  } while (acceptSymbol(','));
  expectSymbol(')');
  for (AddKey& key : keys) {
    auto at = key.key.name == "PRIMARY" ? schema.unique_keys.begin() : schema.unique_keys.end();
    schema.unique_keys.insert(at, std::move(key.key));
  }
}

// Table options after the column list; only the default charset matters. Stops at the end, or
// fails at what would add columns (a SELECT).
void Parser::tableOptions(Charset& default_charset) {
  while (!atEnd()) {
    if (accept("DEFAULT")) {
      continue;
    }
    if (acceptCharsetKeyword()) {
      default_charset = charsetNamed(charsetName());
    } else if (accept("COLLATE")) {
      acceptSymbol('=');
      const Charset cs = binlog::charsetOfCollationName(identifier("a collation"));
      if (default_charset == Charset::Unknown) {
        default_charset = cs;
      }
    } else if (atAny({"SELECT", "AS", "IGNORE", "REPLACE"}) || isSymbol(peek(), '(')) {
      fail("CREATE TABLE ... SELECT (columns come from the query)");
    } else if (accept("PARTITION")) {
      return;  // partitioning names no columns of its own
    } else {
      ++pos_;
      if (acceptSymbol('=')) {
        skipValue();
      } else if (isSymbol(peek(), '(')) {
        skipGroup();  // UNION = (t1, t2) without '='
      }
    }
    acceptSymbol(',');
  }
}

DdlStatement Parser::createTable(bool or_replace) {
  const bool if_not_exists = acceptIfNotExists();
  const TableName table = tableName();
  touched_.push_back(table);
  if (accept("LIKE") || (isSymbol(peek(), '(') && at("LIKE", 1))) {
    const bool parenthesized = acceptSymbol('(');
    if (parenthesized) {
      expect("LIKE");
    }
    CreateTableLike like{table, tableName(), if_not_exists && !or_replace};
    if (parenthesized) {
      expectSymbol(')');
    }
    return like;
  }
  if (!acceptSymbol('(')) {
    fail("CREATE TABLE without a column list");
  }
  if (atAny({"SELECT", "WITH"})) {
    fail("CREATE TABLE (SELECT ...)");
  }
  CreateTable create;
  create.table = table;
  create.if_not_exists = if_not_exists && !or_replace;
  createTableBody(create);
  tableOptions(create.schema.default_charset);
  for (SchemaColumn& c : create.schema.columns) {
    if (isTextType(c.data_type) && c.charset == Charset::Unknown && !c.is_binary) {
      c.charset = create.schema.default_charset;
    }
  }
  return create;
}

ColumnPlacement Parser::placement(ColumnPlacement::Where otherwise) {
  if (accept("FIRST")) {
    return ColumnPlacement{ColumnPlacement::Where::First, {}};
  }
  if (accept("AFTER")) {
    return ColumnPlacement{ColumnPlacement::Where::After, identifier("a column name")};
  }
  return ColumnPlacement{otherwise, {}};
}

void Parser::addSpecification(AlterTable& alter) {
  std::vector<AddKey> keys;
  if (keyDefinition(keys)) {
    alter.operations.insert(alter.operations.end(), keys.begin(), keys.end());
    return;
  }
  if (at("PARTITION")) {
    skipToBoundary();
    return;
  }
  if (at("SYSTEM")) {
    fail("ADD SYSTEM VERSIONING (adds hidden row_start/row_end columns)");
  }
  accept("COLUMN");
  const bool if_not_exists = acceptIfNotExists();
  if (acceptSymbol('(')) {  // ADD (a INT, b INT)
    do {
      addColumn(alter, if_not_exists);
    } while (acceptSymbol(','));
    expectSymbol(')');
    return;
  }
  addColumn(alter, if_not_exists);
}

// One column of ADD [COLUMN]: the column, then the keys it declares.
void Parser::addColumn(AlterTable& alter, bool if_not_exists) {
  ColumnDefinition definition = columnDefinition(identifier("a column name"));
  std::vector<AddKey> keys;
  definition.addKeysTo(keys);
  alter.operations.push_back(AddColumn{std::move(definition.column),
                                       placement(ColumnPlacement::Where::Last), if_not_exists});
  alter.operations.insert(alter.operations.end(), keys.begin(), keys.end());
}

void Parser::dropSpecification(AlterTable& alter) {
  if (acceptAll({"PRIMARY", "KEY"})) {
    alter.operations.push_back(DropKey{"PRIMARY", false});
  } else if (accept("INDEX") || accept("KEY")) {
    const bool if_exists = acceptIfExists();
    alter.operations.push_back(DropKey{identifier("an index name"), if_exists});
  } else if (accept("CONSTRAINT")) {
    // MySQL 8 drops a UNIQUE key by its constraint name too; unknown names are no key here.
    acceptIfExists();
    alter.operations.push_back(DropKey{identifier("a constraint name"), true});
  } else if (atAny({"FOREIGN", "CHECK", "PARTITION", "PERIOD"})) {
    skipToBoundary();
  } else if (at("SYSTEM")) {
    fail("DROP SYSTEM VERSIONING");
  } else {
    accept("COLUMN");
    const bool if_exists = acceptIfExists();
    alter.operations.push_back(DropColumn{identifier("a column name"), if_exists});
    accept("RESTRICT") || accept("CASCADE");
  }
}

// ALTER TABLE clauses that change no column and no unique key: skipped to the next ','.
constexpr std::string_view kClausesChangingNoColumn[] = {"ALTER",
                                                         "ENGINE",
                                                         "ALGORITHM",
                                                         "LOCK",
                                                         "FORCE",
                                                         "COMMENT",
                                                         "AUTO_INCREMENT",
                                                         "ROW_FORMAT",
                                                         "KEY_BLOCK_SIZE",
                                                         "STATS_PERSISTENT",
                                                         "STATS_AUTO_RECALC",
                                                         "STATS_SAMPLE_PAGES",
                                                         "PACK_KEYS",
                                                         "CHECKSUM",
                                                         "PAGE_CHECKSUM",
                                                         "DELAY_KEY_WRITE",
                                                         "ENABLE",
                                                         "DISABLE",
                                                         "DISCARD",
                                                         "IMPORT",
                                                         "ORDER",
                                                         "AVG_ROW_LENGTH",
                                                         "MAX_ROWS",
                                                         "MIN_ROWS",
                                                         "ENCRYPTION",
                                                         "ENCRYPTED",
                                                         "ENCRYPTION_KEY_ID",
                                                         "COMPRESSION",
                                                         "CONNECTION",
                                                         "DATA",
                                                         "INDEX",
                                                         "INSERT_METHOD",
                                                         "PASSWORD",
                                                         "TABLESPACE",
                                                         "UNION",
                                                         "TRANSACTIONAL",
                                                         "PAGE_COMPRESSED",
                                                         "PAGE_COMPRESSION_LEVEL",
                                                         "IETF_QUOTES",
                                                         "WITH",
                                                         "WITHOUT",
                                                         "COALESCE",
                                                         "REORGANIZE",
                                                         "EXCHANGE",
                                                         "ANALYZE",
                                                         "CHECK",
                                                         "OPTIMIZE",
                                                         "REBUILD",
                                                         "REPAIR",
                                                         "REMOVE",
                                                         "TRUNCATE",
                                                         "PARTITION",
                                                         "PARTITIONS",
                                                         "SECONDARY_ENGINE",
                                                         "SECONDARY_LOAD",
                                                         "SECONDARY_UNLOAD",
                                                         "UPGRADE",
                                                         "ENGINE_ATTRIBUTE",
                                                         "SECONDARY_ENGINE_ATTRIBUTE",
                                                         "AUTOEXTEND_SIZE",
                                                         "VALIDATION",
                                                         "STORAGE"};

void Parser::alterSpecification(AlterTable& alter) {
  if (accept("ADD")) {
    addSpecification(alter);
  } else if (accept("DROP")) {
    dropSpecification(alter);
  } else if (atAny({"MODIFY", "CHANGE"})) {
    changeSpecification(alter);
  } else if (accept("RENAME")) {
    renameSpecification(alter);
  } else if (acceptAll({"CONVERT", "TO"})) {
    convertSpecification(alter);
  } else if (at("DEFAULT") && (at("CHARACTER", 1) || at("CHARSET", 1) || at("COLLATE", 1))) {
    ++pos_;
    alterSpecification(alter);
  } else if (acceptCharsetKeyword()) {
    alter.operations.push_back(DefaultCharset{charsetNamed(charsetName())});
    skipToBoundary();
  } else if (accept("COLLATE")) {
    acceptSymbol('=');
    alter.operations.push_back(
        DefaultCharset{binlog::charsetOfCollationName(identifier("a collation"))});
  } else if (atAny(kClausesChangingNoColumn)) {
    skipToBoundary();
  } else {
    fail("unknown ALTER TABLE clause");
  }
}

// MODIFY [COLUMN] [IF EXISTS] name definition, CHANGE [COLUMN] [IF EXISTS] old new definition.
void Parser::changeSpecification(AlterTable& alter) {
  const bool change = at("CHANGE");
  ++pos_;  // MODIFY or CHANGE
  accept("COLUMN");
  const bool if_exists = acceptIfExists();
  std::string old_name = identifier("a column name");
  std::string new_name = change ? identifier("a column name") : old_name;
  ColumnDefinition definition = columnDefinition(std::move(new_name));
  std::vector<AddKey> keys;
  definition.addKeysTo(keys);
  alter.operations.push_back(ChangeColumn{std::move(old_name), std::move(definition.column),
                                          placement(ColumnPlacement::Where::Keep), if_exists});
  alter.operations.insert(alter.operations.end(), keys.begin(), keys.end());
}

// RENAME COLUMN a TO b, RENAME INDEX / KEY a TO b, RENAME [TO | AS] table.
void Parser::renameSpecification(AlterTable& alter) {
  if (accept("COLUMN")) {
    std::string old_name = identifier("a column name");
    expect("TO");
    alter.operations.push_back(RenameColumn{std::move(old_name), identifier("a column name")});
  } else if (accept("INDEX") || accept("KEY")) {
    std::string old_name = identifier("an index name");
    expect("TO");
    alter.operations.push_back(RenameKey{std::move(old_name), identifier("an index name")});
  } else {
    accept("TO") || accept("AS");
    TableName to = tableName();
    touched_.push_back(to);
    alter.operations.push_back(RenameTableTo{std::move(to)});
  }
}

// CONVERT TO CHARACTER SET x [COLLATE y].
void Parser::convertSpecification(AlterTable& alter) {
  if (!acceptCharsetKeyword()) {
    fail("expected CHARACTER SET");
  }
  if (at("DEFAULT")) {
    fail("CONVERT TO CHARACTER SET DEFAULT (the database's charset is not tracked)");
  }
  const std::string name = charsetName();
  alter.operations.push_back(ConvertCharset{charsetNamed(name)});
  skipToBoundary();  // COLLATE x
}

DdlStatement Parser::alterTable() {
  AlterTable alter;
  alter.if_exists = acceptIfExists();
  alter.table = tableName();
  touched_.push_back(alter.table);
  skipWait();
  while (!atEnd()) {
    alterSpecification(alter);
    if (!acceptSymbol(',') && !atEnd()) {
      // Partitioning may follow the last clause without a comma.
      if (at("PARTITION") || at("REMOVE")) {
        skipToBoundary();
        continue;
      }
      fail("expected ',' between ALTER TABLE clauses");
    }
  }
  return alter;
}

DdlStatement Parser::renameTables() {
  RenameTables rename;
  acceptIfExists();
  do {
    TableName from = tableName();
    skipWait();
    expect("TO");
    TableName to = tableName();
    touched_.push_back(from);
    touched_.push_back(to);
    rename.renames.emplace_back(std::move(from), std::move(to));
  } while (acceptSymbol(','));
  return rename;
}

DdlStatement Parser::dropTables() {
  DropTables drop;
  acceptIfExists();
  do {
    drop.tables.push_back(tableName());
  } while (acceptSymbol(','));
  return drop;
}

DdlStatement Parser::createIndex() {
  // After CREATE [OR REPLACE] [ONLINE|OFFLINE] UNIQUE INDEX.
  acceptIfNotExists();
  std::string name = identifier("an index name");
  if (accept("USING")) {
    ++pos_;
  }
  expect("ON");
  AlterTable alter;
  alter.table = tableName();
  touched_.push_back(alter.table);
  if (auto key = keyParts(std::move(name))) {
    alter.operations.push_back(AddKey{std::move(*key), false});
  }
  return alter;
}

DdlStatement Parser::statement() {
  DdlStatement parsed = statementKind();
  if (!error_.empty()) {
    return Unparsed{error_, touched_};
  }
  return parsed;
}

DdlStatement Parser::statementKind() {
  if (acceptAll({"SET", "STATEMENT"})) {  // MariaDB: SET STATEMENT var = value, ... FOR <statement>
    while (!atEnd() && !at("FOR")) {
      if (isSymbol(peek(), '(')) {
        skipGroup();
      } else {
        ++pos_;
      }
    }
    expect("FOR");
  }
  if (accept("CREATE")) {
    return createStatement();
  }
  if (accept("ALTER")) {
    accept("ONLINE");
    accept("IGNORE");
    if (accept("TABLE")) {
      return alterTable();
    }
    return NoSchemaChange{};  // ALTER DATABASE / USER / VIEW / EVENT ...
  }
  if (accept("DROP")) {
    return dropStatement();
  }
  if (accept("RENAME")) {
    if (accept("TABLE") || accept("TABLES")) {
      return renameTables();
    }
    return NoSchemaChange{};  // RENAME USER
  }
  return NoSchemaChange{};  // TRUNCATE, GRANT, FLUSH, ANALYZE, OPTIMIZE, ...
}

// After CREATE.
DdlStatement Parser::createStatement() {
  const bool or_replace = acceptAll({"OR", "REPLACE"});
  while (accept("ONLINE") || accept("OFFLINE")) {
  }
  if (accept("TEMPORARY")) {
    return NoSchemaChange{};  // session-private: never in a row-based binlog
  }
  if (accept("TABLE")) {
    return createTable(or_replace);
  }
  if (accept("DATABASE") || accept("SCHEMA")) {
    CreateDatabase create;
    create.if_not_exists = acceptIfNotExists() && !or_replace;
    create.name = identifier("a database name");
    tableOptions(create.default_charset);
    return create;
  }
  if (accept("UNIQUE")) {
    expect("INDEX");
    return createIndex();
  }
  if (accept("INDEX") || ((accept("FULLTEXT") || accept("SPATIAL")) && accept("INDEX"))) {
    return NoSchemaChange{};  // not unique: no key for messages
  }
  return NoSchemaChange{};  // views, routines, triggers, events, users, roles, sequences, ...
}

// After DROP.
DdlStatement Parser::dropStatement() {
  if (accept("TEMPORARY")) {
    return NoSchemaChange{};
  }
  if (accept("TABLE") || accept("TABLES")) {
    return dropTables();
  }
  if (accept("DATABASE") || accept("SCHEMA")) {
    acceptIfExists();
    return DropDatabase{identifier("a database name")};
  }
  if (accept("INDEX")) {
    return dropIndex();
  }
  return NoSchemaChange{};
}

// After DROP INDEX: [ONLINE | OFFLINE] [IF EXISTS] name ON table.
DdlStatement Parser::dropIndex() {
  accept("ONLINE") || accept("OFFLINE");
  const bool if_exists = acceptIfExists();
  std::string name = identifier("an index name");
  expect("ON");
  AlterTable alter;
  alter.table = tableName();
  alter.operations.push_back(DropKey{std::move(name), if_exists});
  return alter;
}

}  // namespace

bool isTextType(std::string_view t) {
  return t == "char" || t == "varchar" || t == "tinytext" || t == "text" || t == "mediumtext" ||
         t == "longtext" || t == "enum" || t == "set";
}

DdlStatement parseDdl(std::string_view statement, std::string_view default_database) {
  Lexer lexer(statement);
  std::vector<Token> tokens = lexer.tokens();
  if (lexer.unterminated()) {
    return Unparsed{"an unterminated quoted string or name", {}};
  }
  return Parser(std::move(tokens), default_database).statement();
}

}  // namespace mm::schema
