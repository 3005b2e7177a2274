#include "binlog/gtid_events.h"

#include <algorithm>
#include <bit>
#include <iterator>
#include <limits>

#include <fmt/format.h>

#include "common/byte_reader.h"
#include "common/digits.h"

namespace mm::binlog {
namespace {

constexpr uint8_t kLogicalTimestampTypeCode = 2;
constexpr uint64_t kCommitTimestampFlag = 1ULL << 55;  // the original timestamp follows
constexpr uint32_t kServerVersionFlag = 1U << 31;      // the original server version follows
constexpr size_t kTagMaxLength = 32;                   // mysql::gtid::tag_max_length

// MySQL serialization's variable-length unsigned integer (readme.md "Variable-length integers"):
// the number of trailing one bits of the first byte, plus one, is the byte count; the value
// follows that marker, little-endian. Nine bytes hold a full 64-bit value after a 0xFF marker.
uint64_t readVarlen(ByteReader& r) {
  const uint8_t first = r.u8();
  const int bytes = std::countr_one(first) + 1;
  if (bytes == 1) {
    return first >> 1;
  }
  const uint64_t rest = r.uintLe(static_cast<size_t>(bytes - 1));
  if (bytes == 9) {
    return rest;
  }
  return (static_cast<uint64_t>(first) >> bytes) | (rest << (8 - bytes));
}

// Signed values move the sign to bit 0 ("zigzag"), so small magnitudes stay short.
int64_t readVarlenSigned(ByteReader& r) {
  const uint64_t v = readVarlen(r);
  return static_cast<int64_t>((v >> 1) ^ (0 - (v & 1)));
}

// A varlen value that must fit T; larger marks the reader failed (corrupt field).
template <typename T>
T readVarlenAs(ByteReader& r) {
  const uint64_t v = readVarlen(r);
  if (v > std::numeric_limits<T>::max()) {
    r.fail();
    return 0;
  }
  return static_cast<T>(v);
}

Uuid readUuid(ByteReader& r) {
  Uuid uuid{};
  auto bytes = r.bytes(uuid.size());
  if (r.ok()) {
    std::copy(bytes.begin(), bytes.end(), uuid.begin());
  }
  return uuid;
}

std::string intervalsText(const GtidSetEntry& entry) {
  std::string out;
  for (const auto& [start, end] : entry.intervals) {
    if (end - start == 1) {
      fmt::format_to(std::back_inserter(out), ":{}", start);
    } else {
      fmt::format_to(std::back_inserter(out), ":{}-{}", start, end - 1);
    }
  }
  return out;
}

// GTID_TAGGED_LOG_EVENT (42, MySQL 8.3+): a MySQL serialization message, not a fixed layout.
Status taggedGtidCorrupt(std::string_view what) {
  return Status::corruption(fmt::format("GTID_TAGGED_LOG_EVENT: {}", what));
}

// Field ids of Gtid_event::define_fields(); 7, 10 and 11 are optional.
enum TaggedGtidField : uint64_t {
  kFlags,
  kUuid,
  kGno,
  kTag,
  kLastCommitted,
  kSequenceNumber,
  kImmediateCommitTimestamp,
  kOriginalCommitTimestamp,
  kTransactionLength,
  kImmediateServerVersion,
  kOriginalServerVersion,
  kCommitGroupTicket,
  kFieldCount
};

// The message header: format version, size, and the last field a reader must know.
Status readTaggedGtidHeader(ByteReader& r, size_t body_size) {
  (void)readVarlen(r);  // serialization format version: fields, not the version, say what is there
  const uint64_t size = readVarlen(r);
  const uint64_t last_non_ignorable = readVarlen(r);
  if (!r.ok()) {
    return taggedGtidCorrupt("message header truncated");
  }
  // The message size counts from the start of the body, version byte included.
  if (size != body_size) {
    return taggedGtidCorrupt(
        fmt::format("message size {} but the body has {} bytes", size, body_size));
  }
  if (last_non_ignorable >= kFieldCount) {
    return Status::unsupported(fmt::format(
        "GTID_TAGGED_LOG_EVENT: field {} is required but unknown (written by a newer server)",
        last_non_ignorable));
  }
  return Status::ok();
}

// The value of field `id` into `e`; a value out of range marks `r` failed.
Status readTaggedGtidField(ByteReader& r, uint64_t id, MysqlGtidEvent& e) {
  switch (id) {
    case kFlags: e.flags = readVarlenAs<uint8_t>(r); break;
    case kUuid:
      // A fixed-size array of 16 bytes, each a varlen integer.
      for (uint8_t& b : e.sid) {
        b = readVarlenAs<uint8_t>(r);
      }
      break;
    case kGno: e.gno = readVarlenSigned(r); break;
    case kTag: {
      const uint64_t len = readVarlen(r);
      if (r.ok() && len > kTagMaxLength) {
        return taggedGtidCorrupt(fmt::format("tag length {} exceeds {}", len, kTagMaxLength));
      }
      e.tag = std::string(r.chars(len));
      break;
    }
    case kLastCommitted: e.last_committed = readVarlenSigned(r); break;
    case kSequenceNumber: e.sequence_number = readVarlenSigned(r); break;
    case kImmediateCommitTimestamp: e.immediate_commit_timestamp = readVarlen(r); break;
    case kOriginalCommitTimestamp: e.original_commit_timestamp = readVarlen(r); break;
    case kTransactionLength: e.transaction_length = readVarlen(r); break;
    case kImmediateServerVersion: e.immediate_server_version = readVarlenAs<uint32_t>(r); break;
    case kOriginalServerVersion: e.original_server_version = readVarlenAs<uint32_t>(r); break;
    case kCommitGroupTicket: e.commit_group_ticket = readVarlen(r); break;
  }
  return Status::ok();
}

// The (id, value) fields up to the end or the first one newer than us; `seen` gets a bit per id.
Status readTaggedGtidFields(ByteReader& r, MysqlGtidEvent& e, uint32_t& seen) {
  int64_t previous = -1;
  while (!r.empty()) {
    const uint64_t id = readVarlen(r);
    if (!r.ok()) {
      return taggedGtidCorrupt("field id truncated");
    }
    if (static_cast<int64_t>(id) <= previous) {
      return taggedGtidCorrupt(fmt::format("field id {} after field {}", id, previous));
    }
    if (id >= kFieldCount) {
      break;  // ignorable fields of a newer server: ids only grow, so nothing known follows
    }
    previous = static_cast<int64_t>(id);
    seen |= 1U << id;
    MM_RETURN_IF_ERROR(readTaggedGtidField(r, id, e));
    if (!r.ok()) {
      return taggedGtidCorrupt(fmt::format("field {} truncated or out of range", id));
    }
  }
  return Status::ok();
}

// Refuses a message without a required field; absent optional fields mean "same as the immediate
// one" (the Field_missing_functors).
Status completeTaggedGtid(uint32_t seen, MysqlGtidEvent& e) {
  const uint32_t optional = (1U << kOriginalCommitTimestamp) | (1U << kOriginalServerVersion) |
                            (1U << kCommitGroupTicket);
  const uint32_t required = ((1U << kFieldCount) - 1) & ~optional;
  if ((seen & required) != required) {
    return taggedGtidCorrupt(fmt::format("required fields missing (present: {:#x})", seen));
  }
  if ((seen & (1U << kOriginalCommitTimestamp)) == 0) {
    e.original_commit_timestamp = e.immediate_commit_timestamp;
  }
  if ((seen & (1U << kOriginalServerVersion)) == 0) {
    e.original_server_version = e.immediate_server_version;
  }
  e.has_logical_clock = true;
  return Status::ok();
}

}  // namespace

// GTID text is made once per transaction: by hand, as fmt's format-string parsing showed in the
// profile of 1-row transactions.
std::string uuidText(const Uuid& u) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t at = 0;
  for (size_t i = 0; i < u.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      ++at;  // the dash already there
    }
    out[at++] = kHex[u[i] >> 4];
    out[at++] = kHex[u[i] & 0xF];
  }
  return out;
}

std::string MysqlGtidEvent::text() const {
  if (anonymous) {
    return {};
  }
  std::string out = uuidText(sid);
  if (!tag.empty()) {
    out.push_back(':');
    out.append(tag);
  }
  char digits[24];
  digits[0] = ':';
  out.append(digits, writeSigned(digits + 1, gno));
  return out;
}

Result<MysqlGtidEvent> decodeMysqlGtid(std::span<const uint8_t> body, bool anonymous) {
  const char* name = anonymous ? "ANONYMOUS_GTID_LOG_EVENT" : "GTID_LOG_EVENT";
  auto fail = [&](std::string_view what) {
    return Status::corruption(fmt::format("{}: {}", name, what));
  };
  ByteReader r(body);
  MysqlGtidEvent e;
  e.anonymous = anonymous;
  e.flags = r.u8();
  e.sid = readUuid(r);
  e.gno = static_cast<int64_t>(r.u64le());
  if (!r.ok()) {
    return fail("truncated before the GNO's end");
  }
  // Each later field is present when the server version that added it wrote the event.
  if (!r.empty()) {
    const uint8_t type_code = r.u8();
    if (type_code != kLogicalTimestampTypeCode) {
      return fail(fmt::format("logical timestamp type code {} (expected 2)", type_code));
    }
    e.has_logical_clock = true;
    e.last_committed = static_cast<int64_t>(r.u64le());
    e.sequence_number = static_cast<int64_t>(r.u64le());
    if (!r.ok()) {
      return fail("logical timestamps truncated");
    }
  }
  if (r.remaining() >= 7) {
    e.immediate_commit_timestamp = r.uintLe(7);
    e.original_commit_timestamp = e.immediate_commit_timestamp;
    if ((e.immediate_commit_timestamp & kCommitTimestampFlag) != 0) {
      e.immediate_commit_timestamp &= ~kCommitTimestampFlag;
      e.original_commit_timestamp = r.uintLe(7);
    }
    if (!r.empty()) {
      e.transaction_length = r.packedInt();
    }
    if (r.remaining() >= 4) {
      e.immediate_server_version = r.u32le();
      e.original_server_version = e.immediate_server_version;
      if ((e.immediate_server_version & kServerVersionFlag) != 0) {
        e.immediate_server_version &= ~kServerVersionFlag;
        e.original_server_version = r.u32le();
      }
    }
    if (r.remaining() >= 8) {
      e.commit_group_ticket = r.u64le();
    }
    if (!r.ok()) {
      return fail("commit timestamps, transaction length or server versions truncated");
    }
  } else if (!r.empty()) {
    return fail(fmt::format("{} bytes after the logical timestamps, too few for a commit timestamp",
                            r.remaining()));
  }
  // Bytes beyond the fields above are left for newer servers, as MySQL's own reader does.
  return e;
}

Result<MysqlGtidEvent> decodeMysqlTaggedGtid(std::span<const uint8_t> body) {
  ByteReader r(body);
  MM_RETURN_IF_ERROR(readTaggedGtidHeader(r, body.size()));
  MysqlGtidEvent e;
  uint32_t seen = 0;
  MM_RETURN_IF_ERROR(readTaggedGtidFields(r, e, seen));
  MM_RETURN_IF_ERROR(completeTaggedGtid(seen, e));
  return e;
}

std::string PreviousGtidsEvent::text() const {
  std::string out;
  for (const GtidSetEntry& entry : sids) {
    if (!out.empty()) {
      out.push_back(',');
    }
    out += uuidText(entry.sid);
    if (!entry.tag.empty()) {
      out += ":" + entry.tag;
    }
    out += intervalsText(entry);
  }
  return out;
}

Result<PreviousGtidsEvent> decodePreviousGtids(std::span<const uint8_t> body) {
  auto fail = [](std::string_view what) {
    return Status::corruption(fmt::format("PREVIOUS_GTIDS_LOG_EVENT: {}", what));
  };
  constexpr size_t kMinEntry = 16 + 8;  // UUID and interval count
  ByteReader r(body);
  const uint64_t word = r.u64le();
  if (!r.ok()) {
    return fail("truncated SID count");
  }
  // Tagged sets (8.3+) mark the count word with format byte 0x01 at both ends (§2.6).
  const bool tagged = (word & 0xFF) == 1 && (word >> 56) == 1;
  const uint64_t count = tagged ? (word >> 8) & 0xFFFFFFFFFFFFULL : word;
  if (count > r.remaining() / kMinEntry) {
    return fail(fmt::format("{} SIDs cannot fit in {} bytes", count, r.remaining()));
  }
  PreviousGtidsEvent e;
  e.sids.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    GtidSetEntry entry;
    entry.sid = readUuid(r);
    if (tagged) {
      const uint64_t len = readVarlen(r);
      if (r.ok() && len > kTagMaxLength) {
        return fail(fmt::format("tag length {} exceeds {}", len, kTagMaxLength));
      }
      entry.tag = std::string(r.chars(len));
    }
    const uint64_t intervals = r.u64le();
    if (!r.ok() || intervals > r.remaining() / 16) {
      return fail(fmt::format("SID {} of {}: truncated", i + 1, count));
    }
    entry.intervals.reserve(intervals);
    for (uint64_t k = 0; k < intervals; ++k) {
      const auto start = static_cast<int64_t>(r.u64le());
      const auto end = static_cast<int64_t>(r.u64le());
      // GNOs start at 1 and an interval [start, end) is never empty (MySQL rejects both).
      if (start < 1 || end <= start) {
        return fail(
            fmt::format("SID {} of {}: invalid interval [{}, {})", i + 1, count, start, end));
      }
      entry.intervals.emplace_back(start, end);
    }
    e.sids.push_back(std::move(entry));
  }
  if (!r.empty()) {
    return fail(fmt::format("{} unexpected bytes after the GTID set", r.remaining()));
  }
  return e;
}

std::string MariadbGtid::text() const {
  std::string out;
  appendText(out);
  return out;
}

void MariadbGtid::appendText(std::string& out) const {
  char text[10 + 1 + 10 + 1 + 20];
  char* end = writeDigits(text, domain_id);
  *end++ = '-';
  end = writeDigits(end, server_id);
  *end++ = '-';
  end = writeDigits(end, sequence);
  out.append(text, end);
}

Result<MariadbGtidListEvent> decodeMariadbGtidList(std::span<const uint8_t> body) {
  ByteReader r(body);
  const uint32_t word = r.u32le();
  if (!r.ok()) {
    return Status::corruption("GTID_LIST_EVENT: truncated count");
  }
  const uint32_t count = word & 0x0FFFFFFF;
  MariadbGtidListEvent e;
  e.flags = static_cast<uint8_t>(word >> 28);
  if (count > r.remaining() / 16) {
    return Status::corruption(
        fmt::format("GTID_LIST_EVENT: {} GTIDs cannot fit in {} bytes", count, r.remaining()));
  }
  e.gtids.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    MariadbGtid g;
    g.domain_id = r.u32le();
    g.server_id = r.u32le();
    g.sequence = r.u64le();
    e.gtids.push_back(g);
  }
  // Trailing bytes are documented padding: a 10.5.15 file has 2 after a count of 0 (§2.7).
  return e;
}

}  // namespace mm::binlog
