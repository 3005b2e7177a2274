// RowMessageBuilder: turns decoded row images into the JSON messages consumers receive.
//
// The contract (README "Messages"; extra fields may be added, none renamed):
//   {"type":"row_insert","table_name":T,"keys":{..},"values":{every logged column},...}
//   {"type":"row_update","table_name":T,"keys":{..},"before_values":{changed},
//    "after_values":{changed},...}
//   {"type":"row_delete","table_name":T,"keys":{..},...}
//   {"type":"heartbeat","timestamp":S}
// Rows also carry "database", "timestamp" (when the message was built for publishing, Unix s),
// "binlog_timestamp" (the event's, Unix s), "position" {"file","pos","row"} (the rows event's file
// and end position and the row's index there: the coordinate the message_id is made of) and "gtid"
// (the transaction's, when the server has one). A column absent from an image is absent from the
// message, never null. `keys` are the primary-key columns; a table without a primary key gets an
// empty `keys` and its deletes carry the logged before image as `values` so the row can still be
// identified.
//
// Requires: the TableMap has column names (from metadata or binlog::completeTableMap). One builder
// per thread; the returned string_view is valid until the next call.
//
// Speed: the message is written into one reused buffer, and the escaped `"name":` of every column
// (and the database and table fields) is prepared once per table map and copied per row, so a row
// costs no allocation once the buffers have grown. The prepared text is kept for the table map at
// the last address seen: call prepare() whenever a table map may have changed or a new one may sit
// at an old one's address (RowsFormatter does, once per rows event).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "binlog/column_value.h"
#include "binlog/rows_event.h"
#include "binlog/table_map.h"
#include "common/status.h"
#include "message/json_buffer.h"
#include "message/message_format.h"
#include "message/row_change.h"
#include "message/row_oversize.h"

namespace mm::message {

// Where and when a row change happened, as its message states it.
struct RowOrigin {
  int64_t binlog_timestamp = 0;   // the event's, Unix s
  int64_t publish_timestamp = 0;  // when the message is built, Unix s
  std::string_view file = {};     // the rows event's binlog file; "" = no "position" field
  uint64_t event_end = 0;         // the rows event's end position
  uint64_t row = 0;               // the row's index among the rows at that position
  std::string_view gtid = {};     // the transaction's GTID; "" = no "gtid" field
};

class RowMessageBuilder {
 public:
  using Cells = std::vector<binlog::Cell>;

  Result<std::string_view> insert(const binlog::TableMap& table, const Cells& after,
                                  const RowOrigin& origin);
  Result<std::string_view> update(const binlog::TableMap& table, const Cells& before,
                                  const Cells& after, const RowOrigin& origin);
  Result<std::string_view> remove(const binlog::TableMap& table, const Cells& before,
                                  const RowOrigin& origin);
  std::string_view heartbeat(int64_t publish_timestamp);

  // The change insert/update/remove would write for the same row, as a typed RowChange (for the
  // delay buffer): its sections are replaced; kind, table and origin are the caller's to set.
  // `image` is the row (the after image of an insert, else the before image); `after` the after
  // image of an update (else ignored).
  Status encode(binlog::RowsKind kind, const binlog::TableMap& table, const Cells& image,
                const Cells& after, RowChange& change);
  // The message of `change` published at `publish_timestamp`: the same bytes insert/update/remove
  // write for the row it was encoded from (with its origin). Valid until the next call.
  std::string_view render(const RowChange& change, int64_t publish_timestamp);
  // The row_snapshot message of a snapshot row (`row`: a Write change with every column): the
  // keys and values exactly as render() writes them for a row_insert, then "snapshot_id" and the
  // row's origin (the binlog point the row is as of). Valid until the next call.
  std::string_view renderSnapshot(const RowChange& row, std::string_view snapshot_id,
                                  int64_t publish_timestamp);
  // The "keys" object of the last message written, as its JSON text ({keys_hash} routing hashes
  // it); valid as long as that message's view is.
  // Where the parts of the last message written are (row_oversize.h builds a stand-in from them).
  RowMessageLayout lastLayout() const {
    return RowMessageLayout{static_cast<uint32_t>(keys_begin_ - start_),
                            static_cast<uint32_t>(keys_end_ - start_),
                            static_cast<uint32_t>(tail_begin_ - start_)};
  }
  std::string_view lastKeys() const {
    return out_->view().substr(keys_begin_, keys_end_ - keys_begin_);
  }

  // The last message insert/update/remove returned, followed by `suffix` (copied only when longer
  // than JsonBuffer::kTakeSuffix bytes), moved out of the builder's own buffer, which
  // then starts empty again; large scratch buffers are released too. For a large message (a 60 MB
  // value), so that it is held once and nothing of its size stays behind. Requires: the builder
  // writes into its own buffer (writeInto(nullptr)).
  std::string takeMessage(std::string_view suffix);

  // Where insert/update/remove write: by default (nullptr) the builder's own buffer, cleared for
  // each message; given `out`, each message is appended after what `out` holds, and the returned
  // view is that message's part of it, so a caller collecting messages in a block of its own does
  // not copy each one (RowsFormatter::formatLines). A message that fails leaves `out` as it was.
  // heartbeat() always uses the own buffer.
  void writeInto(JsonBuffer* out) { out_ = out != nullptr ? out : &own_; }

  // Which contract insert/update/remove, render and heartbeat write (message/message_format.h).
  // In origin mode each value is encoded as the origin wrote it (encode() too, so the delay
  // buffer folds origin values) and each message is the origin's body (message/origin_message.h);
  // snapshot rows keep the native envelope around origin values.
  void setFormat(MessageFormat format) { format_ = format; }
  MessageFormat format() const { return format_; }

  // Prepares the escaped names of `table` unless they were prepared from the same names already.
  // insert/update/remove prepare by themselves only when given a table at another address.
  void prepare(const binlog::TableMap& table);
  // The same for a table map shared immutably (binlog::EventDecoder hands out the same one for a
  // repeated TABLE_MAP): kept alive here, so the same pointer means the same names and nothing
  // needs comparing. Comparing them for every rows event of 1-row statements cost 5% of decode.
  void prepare(std::shared_ptr<const binlog::TableMap> table);

 private:
  // The escaped JSON text that depends only on the table map, prepared by prepare().
  struct TablePrefixes {
    // What they were made from: a table map at a reused address, or changed in place, is detected.
    const binlog::TableMap* table = nullptr;
    std::string database;
    std::string table_name;
    std::vector<std::string> names;
    std::string header;            // ,"database":"...","table_name":"..."
    std::vector<PaddedText> keys;  // ,"name": per column (without the comma for a first column)
    std::shared_ptr<const binlog::TableMap> pinned;  // set by prepare(shared_ptr): `table` is it
  };
  // The escaped text of the fields that repeat from row to row (the same timestamps, file and GTID
  // for a whole transaction), remade only when one of them changes.
  struct OriginText {
    bool valid = false;
    int64_t publish_timestamp = 0;
    int64_t binlog_timestamp = 0;
    std::string file;
    std::string gtid;
    std::string head;        // ,"timestamp":T,"binlog_timestamp":B[,"position":{"file":F,"pos":]
    std::string gtid_field;  // ,"gtid":G or nothing
  };

  // The sections of a row message, in the order a message lists them.
  enum class Section : uint8_t { Keys, Values, Before, After };
  struct DirectWriter;
  struct EncodeWriter;

  void begin(std::string_view type, const binlog::TableMap& table);
  std::string_view end(const RowOrigin& origin);
  // end(origin) when `written` is ok, else the message is taken back out of the buffer.
  Result<std::string_view> finish(const Status& written, const RowOrigin& origin);
  // Hands `writer` the sections of a change of `kind` and, in each, the columns it lists: the one
  // place that decides what a row message holds (image and after as for encode()).
  template <typename Writer>
  Status walk(binlog::RowsKind kind, const binlog::TableMap& table, const Cells& image,
              const Cells& after, Writer& writer);
  // The columns `include` selects among `cells`, as `section`.
  template <typename Writer, typename Include>
  Status walkColumns(Section section, const binlog::TableMap& table, const Cells& cells,
                     Include include, Writer& writer);
  template <typename Writer>
  Status walkKeys(const binlog::TableMap& table, const Cells& image, Writer& writer);
  // Writes a message of `kind` for the row (insert/update/remove).
  Result<std::string_view> write(binlog::RowsKind kind, const binlog::TableMap& table,
                                 const Cells& image, const Cells& after, const RowOrigin& origin);
  void writeSection(Section section, const EncodedColumns& columns);
  // Writes ,"name":value for column `i` (no comma before the first).
  Status writeColumn(const binlog::TableMap& table, const Cells& cells, size_t i, bool& first);
  // `status` with the table and column named.
  static Status columnError(const Status& status, const binlog::TableMap& table, size_t i);
  Status writeValue(const binlog::TableMapColumn& column, const binlog::Cell& cell);
  // writeValue(), or in origin mode the origin's rendering (the native one where it had none).
  Status writeEncodedValue(const binlog::TableMapColumn& column, const binlog::Cell& cell);
  // The origin mode's write(): the row encoded, then rendered as the origin's body.
  Result<std::string_view> writeOrigin(binlog::RowsKind kind, const binlog::TableMap& table,
                                       const Cells& image, const Cells& after,
                                       const RowOrigin& origin);
  // The origin's body of `change` of `table`, written where insert/update/remove write.
  std::string_view renderOrigin(const binlog::TableMap& table, const RowChange& change,
                                int64_t publish_timestamp);

  JsonBuffer own_;
  // own_, or the caller's block (writeInto). The functions that write take `JsonBuffer& out =
  // *out_` once: the member itself would be reloaded after every byte written (a char store may
  // alias it), which cost 3% of decode.
  JsonBuffer* out_ = &own_;
  size_t start_ = 0;  // where the message being built starts in *out_
  TablePrefixes prefixes_;
  OriginText origin_text_;
  binlog::CellValue scratch_;
  JsonBuffer encoded_;  // one value at a time, for encode()
  // Where the "keys" object of the last message is in *out_.
  size_t keys_begin_ = 0;
  size_t keys_end_ = 0;
  size_t tail_begin_ = 0;  // where ,"timestamp": starts
  MessageFormat format_ = MessageFormat::Native;
  RowChange origin_change_;  // origin mode: the row being written
  std::string origin_json_;  // origin mode: the value or body being written
};

}  // namespace mm::message
