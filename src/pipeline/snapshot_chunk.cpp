#include "pipeline/snapshot_chunk.h"

#include <charconv>

#include "binlog/charset.h"
#include "binlog/column_type.h"
#include "common/base64.h"

namespace mm::pipeline {
namespace {

using message::EncodedColumns;
using message::RowChange;

int sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

bool isIntegral(uint8_t type) {
  switch (type) {
    case binlog::MYSQL_TYPE_TINY:
    case binlog::MYSQL_TYPE_SHORT:
    case binlog::MYSQL_TYPE_INT24:
    case binlog::MYSQL_TYPE_LONG:
    case binlog::MYSQL_TYPE_LONGLONG:
    case binlog::MYSQL_TYPE_YEAR:
    case binlog::MYSQL_TYPE_BIT: return true;
    default: return false;
  }
}

bool isDateOrDatetime(uint8_t type) {
  switch (type) {
    case binlog::MYSQL_TYPE_DATE:
    case binlog::MYSQL_TYPE_NEWDATE:
    case binlog::MYSQL_TYPE_DATETIME:
    case binlog::MYSQL_TYPE_DATETIME2:
    case binlog::MYSQL_TYPE_TIMESTAMP:
    case binlog::MYSQL_TYPE_TIMESTAMP2: return true;
    default: return false;
  }
}

bool isString(uint8_t type) {
  switch (type) {
    case binlog::MYSQL_TYPE_VARCHAR:
    case binlog::MYSQL_TYPE_VAR_STRING:
    case binlog::MYSQL_TYPE_STRING:
    case binlog::MYSQL_TYPE_BLOB: return true;
    default: return false;
  }
}

// How a string column's values order, when this code can tell: by their bytes (binary strings,
// and the UTF-8 and ASCII `_bin` collations, whose code point order is the UTF-8 byte order), with
// PAD SPACE (a shorter value compares as if padded with spaces) or without.
enum class ByteOrder { Unknown, Bytes, BytesPadSpace };

ByteOrder byteOrderOf(uint32_t collation) {
  constexpr uint32_t kBinary = 63;
  switch (collation) {
    case kBinary:
    case 309:                                  // utf8mb4_0900_bin (MySQL 8): NO PAD
    case 1070:                                 // MariaDB utf8mb4_nopad_bin
    case 1089:                                 // MariaDB ascii_nopad_bin
    case 1107: return ByteOrder::Bytes;        // MariaDB utf8mb3_nopad_bin
    case 46:                                   // utf8mb4_bin
    case 65:                                   // ascii_bin
    case 83: return ByteOrder::BytesPadSpace;  // utf8mb3_bin
    default: return ByteOrder::Unknown;        // latin1_bin orders cp1252 bytes, not the UTF-8 text
  }
}

std::string_view unquoted(std::string_view json) {
  if (json.size() >= 2 && json.front() == '"' && json.back() == '"') {
    return json.substr(1, json.size() - 2);
  }
  return {};
}

// The four hex digits of a \u escape at `text`.
std::optional<uint32_t> hex4(std::string_view text) {
  uint32_t value = 0;
  if (text.size() < 4 ||
      std::from_chars(text.data(), text.data() + 4, value, 16).ptr != text.data() + 4) {
    return std::nullopt;
  }
  return value;
}

// The bytes of a JSON string's content (between its quotes), as message::JsonBuffer escaped
// them; nullopt when it is not well formed.
std::optional<std::string> unescapeJson(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t slash = text.find('\\');
    out.append(text.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    text.remove_prefix(slash);
    if (text.size() < 2) {
      return std::nullopt;
    }
    const char kind = text[1];
    text.remove_prefix(2);
    static constexpr std::string_view kFrom = "\"\\/bfnrt";
    static constexpr std::string_view kTo = "\"\\/\b\f\n\r\t";
    if (const size_t i = kFrom.find(kind); i != std::string_view::npos) {
      out.push_back(kTo[i]);
      continue;
    }
    std::optional<uint32_t> unit = kind == 'u' ? hex4(text) : std::nullopt;
    if (!unit) {
      return std::nullopt;
    }
    text.remove_prefix(4);
    uint32_t code_point = *unit;
    if (*unit >= 0xD800 && *unit < 0xDC00 && text.size() >= 6 && text.starts_with("\\u")) {
      const std::optional<uint32_t> low = hex4(text.substr(2));
      if (low && *low >= 0xDC00 && *low < 0xE000) {
        code_point = 0x10000 + ((*unit - 0xD800) << 10) + (*low - 0xDC00);
        text.remove_prefix(6);
      }
    }
    binlog::appendUtf8CodePoint(code_point, out);
  }
  return out;
}

// Byte strings in unsigned byte order; with PAD SPACE the longer one's extra bytes compare with
// spaces ("a" > "a\t": the tab is below the space that pads "a").
int compareBytes(std::string_view a, std::string_view b, bool pad_space) {
  const size_t common = std::min(a.size(), b.size());
  if (const int c = a.substr(0, common).compare(b.substr(0, common)); c != 0) {
    return sign(c);
  }
  if (!pad_space) {
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
  }
  const bool a_longer = a.size() > b.size();
  for (char c : (a_longer ? a : b).substr(common)) {
    if (c != ' ') {
      const int longer = static_cast<unsigned char>(c) < ' ' ? -1 : 1;
      return a_longer ? longer : -longer;
    }
  }
  return 0;
}

std::optional<int> compareStrings(const binlog::TableMapColumn& column, std::string_view a,
                                  std::string_view b) {
  const ByteOrder order = byteOrderOf(column.collation);
  if (order == ByteOrder::Unknown || a.size() < 2 || b.size() < 2 || a.front() != '"' ||
      b.front() != '"' || a.back() != '"' || b.back() != '"') {
    return std::nullopt;
  }
  a = a.substr(1, a.size() - 2);
  b = b.substr(1, b.size() - 2);
  std::optional<std::string> x;
  std::optional<std::string> y;
  if (binlog::charsetOfCollation(column.collation) == binlog::Charset::Binary) {
    x.emplace();  // base64 (RowMessageBuilder::writeValue)
    y.emplace();
    if (!decodeBase64(a, *x) || !decodeBase64(b, *y)) {
      return std::nullopt;
    }
  } else {
    x = unescapeJson(a);
    y = unescapeJson(b);
    if (!x || !y) {
      return std::nullopt;
    }
  }
  return compareBytes(*x, *y, order == ByteOrder::BytesPadSpace);
}

template <typename T>
std::optional<int> compareNumbers(std::string_view a, std::string_view b) {
  T x{};
  T y{};
  const auto parsed = [](std::string_view text, T& value) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size();
  };
  if (!parsed(a, x) || !parsed(b, y)) {
    return std::nullopt;
  }
  return x < y ? -1 : (x > y ? 1 : 0);
}

// Magnitudes as decimal text ("0012.50" and "12.5" are equal): digits before the point compared
// by length after leading zeros, then digit by digit, then the fractions.
int compareMagnitudes(std::string_view a, std::string_view b) {
  auto split = [](std::string_view v) {
    const size_t point = v.find('.');
    std::string_view whole = v.substr(0, point);
    std::string_view fraction = point == std::string_view::npos ? "" : v.substr(point + 1);
    while (!whole.empty() && whole.front() == '0') {
      whole.remove_prefix(1);
    }
    while (!fraction.empty() && fraction.back() == '0') {
      fraction.remove_suffix(1);
    }
    return std::pair(whole, fraction);
  };
  auto [aw, af] = split(a);
  auto [bw, bf] = split(b);
  if (aw.size() != bw.size()) {
    return aw.size() < bw.size() ? -1 : 1;
  }
  if (int c = aw.compare(bw); c != 0) {
    return sign(c);
  }
  return sign(af.compare(bf));  // no trailing zeros: the text order is the numeric order
}

bool isZero(std::string_view magnitude) {
  return magnitude.find_first_not_of("0:.") == std::string_view::npos;
}

// Whether `text` is digits with at most one '.', after an optional '-' (DECIMAL), or TIME's
// [-]h...h:mm:ss[.f...].
bool wellFormed(std::string_view text, bool time) {
  if (text.starts_with('-')) {
    text.remove_prefix(1);
  }
  const std::string_view allowed = time ? "0123456789:." : "0123456789.";
  return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos &&
         std::count(text.begin(), text.end(), '.') <= 1 &&
         (!time || std::count(text.begin(), text.end(), ':') == 2);
}

// Signed decimal text: DECIMAL values, and TIME as its hours (any number of digits) then its
// fixed-width minutes, seconds and fraction ("-838:59:58.5").
std::optional<int> compareSignedText(std::string_view a, std::string_view b, bool time) {
  if (!wellFormed(a, time) || !wellFormed(b, time)) {
    return std::nullopt;
  }
  const bool an = a.starts_with('-');
  const bool bn = b.starts_with('-');
  a.remove_prefix(an ? 1 : 0);
  b.remove_prefix(bn ? 1 : 0);
  int magnitude = 0;
  if (time) {
    const size_t ah = a.find(':');
    const size_t bh = b.find(':');
    magnitude = compareMagnitudes(a.substr(0, ah), b.substr(0, bh));
    if (magnitude == 0) {
      magnitude = sign(a.substr(ah).compare(b.substr(bh)));
    }
  } else {
    magnitude = compareMagnitudes(a, b);
  }
  if (an != bn) {
    return isZero(a) && isZero(b) ? 0 : (an ? -1 : 1);  // -0 == 0
  }
  return an ? -magnitude : magnitude;
}

}  // namespace

std::optional<int> compareKeyValue(const binlog::TableMapColumn& column, std::string_view a,
                                   std::string_view b) {
  const uint8_t type = column.real_type != 0 ? column.real_type : column.type;
  if (a == b) {
    return 0;
  }
  if (isIntegral(type)) {
    return column.is_unsigned || type == binlog::MYSQL_TYPE_BIT || type == binlog::MYSQL_TYPE_YEAR
               ? compareNumbers<uint64_t>(a, b)
               : compareNumbers<int64_t>(a, b);
  }
  if (isString(type)) {
    return compareStrings(column, a, b);
  }
  const std::string_view x = unquoted(a);
  const std::string_view y = unquoted(b);
  if (x.empty() || y.empty()) {
    return std::nullopt;
  }
  if (type == binlog::MYSQL_TYPE_NEWDECIMAL) {
    return compareSignedText(x, y, false);
  }
  if (type == binlog::MYSQL_TYPE_TIME || type == binlog::MYSQL_TYPE_TIME2) {
    return compareSignedText(x, y, true);
  }
  if (isDateOrDatetime(type) && x.size() == y.size()) {
    return sign(x.compare(y));  // fixed-width fields within one column
  }
  return std::nullopt;
}

std::optional<int> compareKeys(const binlog::TableMap& table, const EncodedColumns& a,
                               const EncodedColumns& b) {
  for (uint32_t column : table.primary_key) {
    const auto i = a.find(column);
    const auto j = b.find(column);
    if (!i || !j || column >= table.columns.size()) {
      return std::nullopt;
    }
    const auto c = compareKeyValue(table.columns[column], a.value(*i), b.value(*j));
    if (!c || *c != 0) {
      return c;
    }
  }
  return 0;
}

ChunkCorrection::ChunkCorrection(std::shared_ptr<const binlog::TableMap> table, bool keyless)
    : table_(std::move(table)), keyless_(keyless) {}

void ChunkCorrection::setRange(Range range) { range_ = std::move(range); }

std::string ChunkCorrection::keyText(const EncodedColumns& keys) const {
  return message::columnsObject(*table_, keys);
}

std::optional<bool> ChunkCorrection::inRange(const EncodedColumns& keys) const {
  if (range_.only_held) {
    return false;
  }
  if (!range_.after.empty()) {
    const auto above = compareKeys(*table_, keys, range_.after);
    if (!above) {
      return std::nullopt;
    }
    if (*above <= 0) {
      return false;
    }
  }
  if (range_.to_end || range_.last.empty()) {
    return true;
  }
  const auto below = compareKeys(*table_, keys, range_.last);
  if (!below) {
    return std::nullopt;
  }
  return *below <= 0;
}

bool ChunkCorrection::holds(const EncodedColumns& keys) {
  indexRows();
  return by_key_.contains(keyText(keys));
}

void ChunkCorrection::indexRows() {
  // Built when the stream first changes the table: most chunks see no change and never need it
  // (a key text and a hash entry per row saved).
  for (; indexed_ < rows_.size(); ++indexed_) {
    if (rows_[indexed_].table != nullptr) {
      by_key_.emplace(keyless_ ? std::to_string(indexed_) : keyText(rows_[indexed_].keys),
                      indexed_);
    }
  }
}

void ChunkCorrection::store(const std::string& key, RowChange row, bool replayed) {
  indexRows();
  row.kind = binlog::RowsKind::Write;
  row.table = table_;
  row.before.clear();
  row.after.clear();
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    rows_[it->second] = std::move(row);
    replayed_[it->second] = replayed;
    return;
  }
  recreates(key);
  by_key_.emplace(key, rows_.size());
  rows_.push_back(std::move(row));
  replayed_.push_back(replayed);
  indexed_ = rows_.size();
}

std::optional<ChunkCorrection::Held> ChunkCorrection::takeRow(const std::string& key) {
  indexRows();
  auto it = by_key_.find(key);
  if (it == by_key_.end()) {
    return std::nullopt;
  }
  Held held{std::move(rows_[it->second]), replayed_[it->second]};
  rows_[it->second] = RowChange{};  // an empty slot: no table
  by_key_.erase(it);
  return held;
}

void ChunkCorrection::recreates(const std::string& key) {
  // A row the SELECT returned was moved away from `key` and the stream now writes `key` again: if
  // the SELECT ran after this write, the row it returned at `key` was this one, not the one moved,
  // and the moved row's values are unknown (see the header).
  if (vacated_.contains(key)) {
    needs_reread_ = true;
  }
}

void ChunkCorrection::addSelected(RowChange row) {
  row.kind = binlog::RowsKind::Write;
  row.table = table_;
  rows_.push_back(std::move(row));  // indexed by its key only when a change needs it
  replayed_.push_back(false);
}

namespace {

void overlay(EncodedColumns& values, const EncodedColumns& columns) {
  for (size_t i = 0; i < columns.size(); ++i) {
    values.put(columns.column(i), columns.value(i));
  }
}

}  // namespace

void ChunkCorrection::apply(const RowChange& change) {
  if (keyless_) {
    needs_reread_ = true;
    return;
  }
  indexRows();
  switch (change.kind) {
    case binlog::RowsKind::Write: applyInsert(change); break;
    case binlog::RowsKind::Update: applyUpdate(change); break;
    case binlog::RowsKind::Delete: (void)takeRow(keyText(change.keys)); break;
  }
}

void ChunkCorrection::applyInsert(const RowChange& change) {
  const std::string key = keyText(change.keys);
  auto held = by_key_.find(key);
  if (change.values.size() == table_->columns.size()) {  // the whole row
    if (held != by_key_.end() || mayBeInRange(change.keys)) {
      store(key, change, true);
    }
  } else if (held != by_key_.end()) {
    overlay(rows_[held->second].values, change.values);
  } else {
    recreates(key);
    if (mayBeInRange(change.keys)) {
      needs_reread_ = true;  // a row of the range with columns the image did not log
    }
  }
}

void ChunkCorrection::applyUpdate(const RowChange& change) {
  if (!change.changesKey()) {
    auto held = by_key_.find(keyText(change.keys));
    if (held != by_key_.end()) {  // overlaid in place: the row keeps its place in the chunk
      overlay(rows_[held->second].values, change.after);
    }
    return;  // not held: the row is not in the range, or a later change of the stream writes it
  }
  const EncodedColumns new_keys = change.keysAfter();
  const std::string new_key = keyText(new_keys);
  const std::string old_key = keyText(change.keys);
  // The row leaves its old key whatever follows: the stream's later changes say what is there.
  std::optional<Held> moved = takeRow(old_key);
  if (auto held = by_key_.find(new_key); held != by_key_.end()) {
    // The SELECT saw the row after this update (see the header): its row at the old key, if any,
    // is one a later change of the stream wrote there again.
    overlay(rows_[held->second].values, change.after);
    return;
  }
  if (moved) {
    if (!moved->replayed) {
      vacated_.insert(old_key);
    }
    overlay(moved->row.values, change.after);
    moved->row.keys = new_keys;
    // Kept whatever its new key: a consumer may not have this row yet. Moved by the stream, a
    // later write at its old key says nothing more about it.
    store(new_key, std::move(moved->row), true);
  } else if (change.after.size() == table_->columns.size()) {
    RowChange row;
    row.keys = new_keys;
    row.values = change.after;
    store(new_key, std::move(row), true);
  } else if (mayBeInRange(new_keys)) {
    recreates(new_key);
    needs_reread_ = true;  // a row moved into the range whose other columns are unknown
  }
}

std::vector<RowChange> ChunkCorrection::take() {
  std::vector<RowChange> out;
  out.reserve(rows_.size());
  for (RowChange& row : rows_) {
    if (row.table != nullptr) {
      out.push_back(std::move(row));
    }
  }
  rows_.clear();
  replayed_.clear();
  vacated_.clear();
  by_key_.clear();
  indexed_ = 0;
  return out;
}

}  // namespace mm::pipeline
