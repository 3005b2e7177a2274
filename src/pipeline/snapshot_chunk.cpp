#include "pipeline/snapshot_chunk.h"

#include <charconv>

#include "binlog/column_type.h"

namespace mm::pipeline {
namespace {

using message::EncodedColumns;
using message::RowChange;

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

std::string_view unquoted(std::string_view json) {
  if (json.size() >= 2 && json.front() == '"' && json.back() == '"') {
    return json.substr(1, json.size() - 2);
  }
  return {};
}

template <typename T>
std::optional<int> compareNumbers(std::string_view a, std::string_view b) {
  T x{};
  T y{};
  if (std::from_chars(a.data(), a.data() + a.size(), x).ec != std::errc{} ||
      std::from_chars(b.data(), b.data() + b.size(), y).ec != std::errc{}) {
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
    return c < 0 ? -1 : 1;
  }
  const int c = af.compare(bf);  // no trailing zeros: the text order is the numeric order
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Signed decimal text: DECIMAL values and TIME as total hours ("-838:59:58.5" compares by its
// parts; its fields have fixed widths after the hours).
std::optional<int> compareSignedText(std::string_view a, std::string_view b, bool time) {
  const bool an = !a.empty() && a.front() == '-';
  const bool bn = !b.empty() && b.front() == '-';
  if (an) {
    a.remove_prefix(1);
  }
  if (bn) {
    b.remove_prefix(1);
  }
  int magnitude = 0;
  if (time) {
    const size_t ah = a.find(':');
    const size_t bh = b.find(':');
    if (ah == std::string_view::npos || bh == std::string_view::npos) {
      return std::nullopt;
    }
    magnitude = compareMagnitudes(a.substr(0, ah), b.substr(0, bh));
    if (magnitude == 0) {
      const int rest = a.substr(ah).compare(b.substr(bh));
      magnitude = rest < 0 ? -1 : (rest > 0 ? 1 : 0);
    }
  } else {
    magnitude = compareMagnitudes(a, b);
  }
  const bool a_zero = magnitude == 0 && an != bn ? compareMagnitudes(a, "0") == 0 : false;
  if (an != bn) {
    return a_zero ? 0 : (an ? -1 : 1);
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
    return column.is_unsigned || type == binlog::MYSQL_TYPE_BIT ? compareNumbers<uint64_t>(a, b)
                                                                : compareNumbers<int64_t>(a, b);
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
    const int c = x.compare(y);  // fixed-width fields within one column
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
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

void ChunkCorrection::store(const std::string& key, RowChange row) {
  indexRows();
  row.kind = binlog::RowsKind::Write;
  row.table = table_;
  row.before.clear();
  row.after.clear();
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    rows_[it->second] = std::move(row);
    return;
  }
  by_key_.emplace(key, rows_.size());
  rows_.push_back(std::move(row));
  indexed_ = rows_.size();
}

std::optional<RowChange> ChunkCorrection::takeRow(const std::string& key) {
  indexRows();
  auto it = by_key_.find(key);
  if (it == by_key_.end()) {
    return std::nullopt;
  }
  RowChange row = std::move(rows_[it->second]);
  rows_[it->second] = RowChange{};  // an empty slot: no table
  by_key_.erase(it);
  return row;
}

void ChunkCorrection::addSelected(RowChange row) {
  row.kind = binlog::RowsKind::Write;
  row.table = table_;
  rows_.push_back(std::move(row));  // indexed by its key only when a change needs it
}

void ChunkCorrection::apply(const RowChange& change) {
  if (keyless_) {
    needs_reread_ = true;
    return;
  }
  indexRows();
  const bool whole_row = change.values.size() == table_->columns.size();
  switch (change.kind) {
    case binlog::RowsKind::Write: {
      const std::string key = keyText(change.keys);
      auto held = by_key_.find(key);
      if (whole_row) {
        if (held != by_key_.end() || mayBeInRange(change.keys)) {
          store(key, change);
        }
      } else if (held != by_key_.end()) {
        RowChange& row = rows_[held->second];
        for (size_t i = 0; i < change.values.size(); ++i) {
          row.values.put(change.values.column(i), change.values.value(i));
        }
      } else if (mayBeInRange(change.keys)) {
        needs_reread_ = true;
      }
      break;
    }
    case binlog::RowsKind::Update: applyUpdate(change); break;
    case binlog::RowsKind::Delete: (void)takeRow(keyText(change.keys)); break;
  }
}

void ChunkCorrection::applyUpdate(const RowChange& change) {
  const bool moves = change.changesKey();
  const EncodedColumns new_keys = moves ? change.keysAfter() : change.keys;
  const std::string new_key = keyText(new_keys);
  if (!moves) {
    auto held = by_key_.find(new_key);
    if (held != by_key_.end()) {  // overlaid in place: the row keeps its place in the chunk
      RowChange& row = rows_[held->second];
      for (size_t i = 0; i < change.after.size(); ++i) {
        row.values.put(change.after.column(i), change.after.value(i));
      }
    }
    return;  // not held: see the header
  }
  std::optional<RowChange> row = takeRow(keyText(change.keys));
  if (!row) {
    row = takeRow(new_key);  // the SELECT saw the row after this update
  }
  if (!row) {
    if (mayBeInRange(new_keys)) {
      needs_reread_ = true;  // a row moved into the range whose other columns are unknown
    }
    return;
  }
  for (size_t i = 0; i < change.after.size(); ++i) {
    row->values.put(change.after.column(i), change.after.value(i));
  }
  row->keys = new_keys;
  // Kept whatever its new key: a consumer may not have this row yet.
  store(new_key, std::move(*row));
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
  by_key_.clear();
  indexed_ = 0;
  return out;
}

}  // namespace mm::pipeline
