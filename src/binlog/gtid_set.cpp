#include "binlog/gtid_set.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "common/strings.h"

namespace mm::binlog {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  for (;;) {
    const size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) {
      return parts;
    }
    begin = end + 1;
  }
}

template <typename Int>
bool parseNumber(std::string_view text, Int& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// "3e11fa47-71ca-11e1-9e33-c80aa9429562" (hyphens where MySQL prints them; also accepted without).
bool parseUuid(std::string_view text, Uuid& out) {
  size_t byte = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '-') {
      ++i;
      continue;
    }
    if (byte == out.size() || i + 1 >= text.size()) {
      return false;
    }
    const int high = hexDigit(text[i]);
    const int low = hexDigit(text[i + 1]);
    if (high < 0 || low < 0) {
      return false;
    }
    out[byte++] = static_cast<uint8_t>(high * 16 + low);
    i += 2;
  }
  return byte == out.size();
}

bool isTag(std::string_view part) {
  return !part.empty() && (std::isalpha(static_cast<unsigned char>(part[0])) || part[0] == '_');
}

void putLe(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

}  // namespace

Result<MysqlGtidSet> MysqlGtidSet::parse(std::string_view text) {
  MysqlGtidSet set;
  for (std::string_view entry : split(text, ',')) {
    entry = trim(entry);
    if (entry.empty()) {
      continue;
    }
    auto bad = [&](std::string_view why) {
      return Status::invalidArgument(
          fmt::format("MySQL GTID set entry '{}': {} (expected UUID:N[-M][:N[-M]...], tags as "
                      "UUID:tag:N)",
                      entry, why));
    };
    const std::vector<std::string_view> parts = split(entry, ':');
    Key key;
    if (!parseUuid(trim(parts[0]), key.first)) {
      return bad("not a server UUID");
    }
    if (parts.size() < 2) {
      return bad("no transaction numbers");
    }
    for (size_t i = 1; i < parts.size(); ++i) {
      const std::string_view part = trim(parts[i]);
      if (isTag(part)) {
        key.second = std::string(part);
        continue;
      }
      const size_t dash = part.find('-');
      int64_t first = 0, last = 0;
      if (!parseNumber(part.substr(0, dash), first) ||
          !(dash == std::string_view::npos ? (last = first, true)
                                           : parseNumber(part.substr(dash + 1), last)) ||
          first < 1 || last < first) {
        return bad(fmt::format("'{}' is not N or N-M with 1 <= N <= M", part));
      }
      set.addInterval(key, first, last + 1);
    }
  }
  return set;
}

MysqlGtidSet MysqlGtidSet::fromPrevious(const PreviousGtidsEvent& event) {
  MysqlGtidSet set;
  for (const GtidSetEntry& entry : event.sids) {
    for (const auto& [start, end] : entry.intervals) {
      if (start < end) {
        set.addInterval(Key{entry.sid, entry.tag}, start, end);
      }
    }
  }
  return set;
}

void MysqlGtidSet::addInterval(const Key& key, int64_t start, int64_t end) {
  Intervals& list = intervals_[key];
  // Insert, then merge every interval that overlaps or touches [start, end).
  auto it = std::lower_bound(list.begin(), list.end(), std::make_pair(start, end));
  it = list.insert(it, {start, end});
  if (it != list.begin() && std::prev(it)->second >= it->first) {
    it = std::prev(it);
    it->second = std::max(it->second, std::next(it)->second);
    list.erase(std::next(it));
  }
  while (std::next(it) != list.end() && std::next(it)->first <= it->second) {
    it->second = std::max(it->second, std::next(it)->second);
    list.erase(std::next(it));
  }
}

void MysqlGtidSet::add(const Uuid& sid, const std::string& tag, int64_t gno) {
  addInterval(Key{sid, tag}, gno, gno + 1);
}

void MysqlGtidSet::merge(const MysqlGtidSet& other) {
  for (const auto& [key, list] : other.intervals_) {
    for (const auto& [start, end] : list) {
      addInterval(key, start, end);
    }
  }
}

bool MysqlGtidSet::contains(const Uuid& sid, const std::string& tag, int64_t gno) const {
  auto found = intervals_.find(Key{sid, tag});
  if (found == intervals_.end()) {
    return false;
  }
  return std::any_of(found->second.begin(), found->second.end(), [&](const auto& interval) {
    return interval.first <= gno && gno < interval.second;
  });
}

std::string MysqlGtidSet::text() const {
  // One entry per UUID, its untagged intervals first, then each tag's (the map orders them so).
  std::string out;
  const Uuid* current = nullptr;
  for (const auto& [key, list] : intervals_) {
    if (current == nullptr || *current != key.first) {
      if (current != nullptr) {
        out.push_back(',');
      }
      out += uuidText(key.first);
      current = &key.first;
    }
    if (!key.second.empty()) {
      out += ":" + key.second;
    }
    for (const auto& [start, end] : list) {
      out += end - start == 1 ? fmt::format(":{}", start) : fmt::format(":{}-{}", start, end - 1);
    }
  }
  return out;
}

Result<std::string> MysqlGtidSet::dumpEncoding() const {
  std::string out;
  putLe(out, intervals_.size());
  for (const auto& [key, list] : intervals_) {
    if (!key.second.empty()) {
      return Status::unsupported(fmt::format(
          "GTID set has tagged GTIDs ({}:{}): resuming by tagged GTID is not supported; resume by "
          "file position ([mysql] resume_by = position)",
          uuidText(key.first), key.second));
    }
    out.append(reinterpret_cast<const char*>(key.first.data()), key.first.size());
    putLe(out, list.size());
    for (const auto& [start, end] : list) {
      putLe(out, static_cast<uint64_t>(start));
      putLe(out, static_cast<uint64_t>(end));
    }
  }
  return out;
}

Result<MariadbGtidPos> MariadbGtidPos::parse(std::string_view text) {
  MariadbGtidPos pos;
  for (std::string_view entry : split(text, ',')) {
    entry = trim(entry);
    if (entry.empty()) {
      continue;
    }
    const std::vector<std::string_view> parts = split(entry, '-');
    MariadbGtid gtid;
    if (parts.size() != 3 || !parseNumber(parts[0], gtid.domain_id) ||
        !parseNumber(parts[1], gtid.server_id) || !parseNumber(parts[2], gtid.sequence)) {
      return Status::invalidArgument(
          fmt::format("MariaDB GTID '{}' is not DOMAIN-SERVER-SEQUENCE (e.g. 0-1-100)", entry));
    }
    if (pos.last_.count(gtid.domain_id) != 0) {
      return Status::invalidArgument(
          fmt::format("MariaDB GTID position '{}' names domain {} twice", text, gtid.domain_id));
    }
    pos.add(gtid);
  }
  return pos;
}

MariadbGtidPos MariadbGtidPos::fromList(const MariadbGtidListEvent& event) {
  MariadbGtidPos pos;
  for (const MariadbGtid& gtid : event.gtids) {
    // A list can name several servers of one domain; the last one listed is the newest.
    pos.add(gtid);
  }
  return pos;
}

void MariadbGtidPos::addMissingDomains(const MariadbGtidPos& other) {
  for (const auto& [domain, gtid] : other.last_) {
    last_.emplace(domain, gtid);
  }
}

std::string MariadbGtidPos::text() const {
  std::string out;
  appendText(out);
  return out;
}

void MariadbGtidPos::appendText(std::string& out) const {
  bool first = true;
  for (const auto& [domain, gtid] : last_) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    gtid.appendText(out);
  }
}

Result<GtidState> GtidState::parse(std::string_view text) {
  GtidState state;
  text = trim(text);
  if (text.empty()) {
    return state;
  }
  if (text.find(':') != std::string_view::npos) {
    auto set = MysqlGtidSet::parse(text);
    if (!set.isOk()) {
      return set.status();
    }
    state.reset(std::move(*set));
  } else {
    auto pos = MariadbGtidPos::parse(text);
    if (!pos.isOk()) {
      return pos.status();
    }
    state.reset(std::move(*pos));
  }
  return state;
}

GtidDialect GtidState::dialect() const {
  if (std::holds_alternative<MysqlGtidSet>(set_)) {
    return GtidDialect::Mysql;
  }
  if (std::holds_alternative<MariadbGtidPos>(set_)) {
    return GtidDialect::Mariadb;
  }
  return GtidDialect::Unknown;
}

std::string GtidState::text() const {
  std::string out;
  writeText(out);
  return out;
}

void GtidState::writeText(std::string& out) const {
  out.clear();
  if (const auto* set = std::get_if<MysqlGtidSet>(&set_)) {
    out = set->text();
  } else if (const auto* pos = std::get_if<MariadbGtidPos>(&set_)) {
    pos->appendText(out);
  }
}

void GtidState::learn(const MysqlGtidSet& set) {
  if (auto* known = std::get_if<MysqlGtidSet>(&set_)) {
    known->merge(set);
  } else {
    set_ = set;
  }
}

void GtidState::learn(const MariadbGtidPos& pos) {
  if (auto* known = std::get_if<MariadbGtidPos>(&set_)) {
    known->addMissingDomains(pos);
  } else {
    set_ = pos;
  }
}

void GtidState::add(const MysqlGtidEvent& gtid) {
  if (auto* set = std::get_if<MysqlGtidSet>(&set_); set != nullptr && !gtid.anonymous) {
    set->add(gtid.sid, gtid.tag, gtid.gno);
  }
}

void GtidState::add(const MariadbGtid& gtid) {
  if (auto* pos = std::get_if<MariadbGtidPos>(&set_)) {
    pos->add(gtid);
  }
}

}  // namespace mm::binlog
