#include "app/decode_command.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "binlog/binlog_file.h"
#include "binlog/event_decoder.h"
#include "binlog/event_type.h"
#include "binlog/table_schema.h"
#include "message/rows_formatter.h"
#include "pipeline/transaction_tracker.h"

namespace mm::app {
namespace {

// Progress goes to a terminal only, and only for files that take a while.
constexpr size_t kProgressMinBytes = 64 << 20;

// The bytes of one input file: a plain file is mapped read-only (no copy, and pages the kernel can
// drop once decoded), a .gz file is inflated into memory.
class InputFile {
 public:
  static Result<InputFile> open(const std::string& path) {
    InputFile file;
    if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
      MM_RETURN_IF_ERROR(file.inflate(path));
    } else {
      MM_RETURN_IF_ERROR(file.map(path));
    }
    return file;
  }
  InputFile(InputFile&& other) noexcept
      : inflated_(std::move(other.inflated_)), mapped_(std::exchange(other.mapped_, nullptr)),
        mapped_size_(std::exchange(other.mapped_size_, 0)),
        released_(std::exchange(other.released_, 0)) {}
  InputFile& operator=(InputFile&&) = delete;
  ~InputFile() {
    if (mapped_ != nullptr) {
      munmap(mapped_, mapped_size_);
    }
  }

  // Lets the kernel drop the mapped pages before `offset` (already decoded; nothing points into
  // them any more), so resident memory stays flat however long the file. No-op for .gz input.
  void release(size_t offset) {
    static const size_t page =
        static_cast<size_t>(sysconf(_SC_PAGESIZE));  // once: called per event
    const size_t end = offset / page * page;
    if (mapped_ == nullptr || end <= released_ + kReleaseStep) {
      return;
    }
    madvise(static_cast<uint8_t*>(mapped_) + released_, end - released_, MADV_DONTNEED);
    released_ = end;
  }

  std::span<const uint8_t> bytes() const {
    if (mapped_ != nullptr) {
      return {static_cast<const uint8_t*>(mapped_), mapped_size_};
    }
    return inflated_;
  }

 private:
  InputFile() = default;

  Status map(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return Status::io(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    }
    struct stat st {};
    if (fstat(fd, &st) != 0) {
      const int error = errno;
      ::close(fd);
      return Status::io(fmt::format("cannot read {}: {}", path, std::strerror(error)));
    }
    if (!S_ISREG(st.st_mode)) {
      // A pipe or device cannot be mapped: read it instead.
      ::close(fd);
      return readStream(path);
    }
    if (st.st_size > 0) {
      void* mapped = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (mapped == MAP_FAILED) {
        const int error = errno;
        ::close(fd);
        return Status::io(fmt::format("cannot map {}: {}", path, std::strerror(error)));
      }
      madvise(mapped, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
      mapped_ = mapped;
      mapped_size_ = static_cast<size_t>(st.st_size);
    }
    ::close(fd);
    return Status::ok();
  }

  Status readStream(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      return Status::io(fmt::format("cannot open {}", path));
    }
    std::vector<uint8_t> chunk(1 << 20);
    size_t n = 0;
    while ((n = std::fread(chunk.data(), 1, chunk.size(), file)) > 0) {
      inflated_.insert(inflated_.end(), chunk.begin(),
                       chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
    const bool failed = std::ferror(file) != 0;
    std::fclose(file);
    if (failed) {
      return Status::io(fmt::format("cannot read {}", path));
    }
    return Status::ok();
  }

  Status inflate(const std::string& path) {
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) {
      return Status::io(fmt::format("cannot open {}", path));
    }
    std::vector<uint8_t> chunk(1 << 20);
    int n = 0;
    while ((n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) {
      inflated_.insert(inflated_.end(), chunk.begin(), chunk.begin() + n);
    }
    const bool failed = n < 0;
    gzclose(file);
    if (failed) {
      return Status::corruption(fmt::format("{}: damaged gzip data", path));
    }
    return Status::ok();
  }

  static constexpr size_t kReleaseStep = 16 << 20;

  std::vector<uint8_t> inflated_;
  void* mapped_ = nullptr;
  size_t mapped_size_ = 0;
  size_t released_ = 0;
};

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void writeString(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// The fields --all-events prints for each event type, after the common ones (std::visit of the
// decoded body): none for the types not named here.
class EventFields {
 public:
  explicit EventFields(JsonWriter& w) : w_(w) {}

  void operator()(const binlog::QueryEvent& query) {
    writeString(w_, "database", query.database);
    writeString(w_, "query", query.query);
  }
  void operator()(const binlog::RotateEvent& rotate) {
    writeString(w_, "next_file", rotate.next_file);
  }
  void operator()(const binlog::FormatDescription& fde) {
    writeString(w_, "server_version", fde.server_version);
  }
  void operator()(const binlog::TableMapEvent& table) {
    w_.Key("table_id");
    w_.Uint64(table.table->table_id);
    writeString(w_, "table_name", table.table->table);
    writeString(w_, "database", table.table->database);
  }
  void operator()(const binlog::MysqlGtidEvent& gtid) {
    if (!gtid.anonymous) {
      writeString(w_, "gtid", gtid.text());
    }
    w_.Key("last_committed");
    w_.Int64(gtid.last_committed);
    w_.Key("sequence_number");
    w_.Int64(gtid.sequence_number);
    w_.Key("transaction_length");
    w_.Uint64(gtid.transaction_length);
  }
  void operator()(const binlog::MariadbGtidEvent& gtid) {
    writeString(w_, "gtid", gtid.text());
    w_.Key("standalone");
    w_.Bool(gtid.standalone());
  }
  void operator()(const binlog::PreviousGtidsEvent& previous) {
    writeString(w_, "gtid_set", previous.text());
  }
  void operator()(const binlog::MariadbGtidListEvent& list) {
    w_.Key("gtids");
    w_.StartArray();
    for (const auto& g : list.gtids) {
      const std::string text = g.text();
      w_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    w_.EndArray();
  }
  void operator()(const binlog::RowsQueryEvent& rows_query) {
    writeString(w_, "query", rows_query.query);
  }
  void operator()(const binlog::BinlogCheckpointEvent& checkpoint) {
    writeString(w_, "file", checkpoint.file);
  }
  void operator()(const binlog::HeartbeatEvent& heartbeat) {
    writeString(w_, "file", heartbeat.file);
    w_.Key("heartbeat_position");
    w_.Uint64(heartbeat.position);
  }
  void operator()(const binlog::XaPrepareEvent& xa) {
    writeString(w_, "xa_gtrid", xa.gtrid);
    writeString(w_, "xa_bqual", xa.bqual);
    w_.Key("one_phase");
    w_.Bool(xa.one_phase);
  }
  void operator()(const binlog::TransactionPayloadEvent& payload) {
    w_.Key("compressed_size");
    w_.Uint64(payload.payload.size());
    w_.Key("uncompressed_size");
    w_.Uint64(payload.uncompressed_size);
  }
  void operator()(const binlog::LoadDataEvent& load) {
    if (load.executes) {
      writeString(w_, "database", load.database);
      writeString(w_, "query", load.query);
    }
  }
  void operator()(const uint64_t& xid) {  // XID_EVENT
    w_.Key("xid");
    w_.Uint64(xid);
  }
  // Skipped, STOP, INCIDENT and rows events: the common fields only.
  template <typename Other>
  void operator()(const Other& /*event*/) {}

 private:
  JsonWriter& w_;
};

// One line for a non-row event (--all-events). `inner`: from inside a TRANSACTION_PAYLOAD_EVENT.
void printEvent(const binlog::DecodedEvent& event, uint64_t position, bool inner,
                std::string& line) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("type");
  w.String("event");
  writeString(w, "event", binlog::eventTypeName(event.header.type));
  w.Key("event_type");
  w.Uint(event.header.type);
  w.Key("position");
  w.Uint64(position);
  if (inner) {
    w.Key("in_transaction_payload");
    w.Bool(true);
  }
  w.Key("binlog_timestamp");
  w.Uint(event.header.timestamp);
  std::visit(EventFields(w), event.body);
  w.EndObject();
  line.assign(buffer.GetString(), buffer.GetSize());
}

// "decode: mysql-bin.000042  37% of 512 MiB" on stderr, redrawn at most 4 times a second.
class Progress {
 public:
  Progress(const std::string& path, size_t total)
      : path_(path), total_(total),
        enabled_(total >= kProgressMinBytes && isatty(STDERR_FILENO) != 0) {}
  ~Progress() {
    if (enabled_ && drawn_) {
      std::fputs("\r\033[K", stderr);
    }
  }
  void update(uint64_t offset) {
    if (!enabled_ || (++calls_ & 0xFFF) != 0) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(250)) {
      return;
    }
    last_ = now;
    drawn_ = true;
    std::fprintf(stderr, "\rdecode: %s %3d%% of %zu MiB", path_.c_str(),
                 static_cast<int>(offset * 100 / total_), total_ >> 20);
  }

 private:
  std::string path_;
  size_t total_;
  bool enabled_;
  bool drawn_ = false;
  uint64_t calls_ = 0;
  std::chrono::steady_clock::time_point last_;
};

// Standard output, written with write(2) in blocks of about 1 MiB: stdio's fwrite copied every
// message once more, into its own buffer (2% of decode). Row messages are built straight into the
// block (RowsFormatter::formatLines). The first failed write is sticky.
class BlockOutput {
 public:
  explicit BlockOutput(int fd) : fd_(fd) {}

  // Appends `line` and a newline; writes the block once it is full.
  Status line(std::string_view line) {
    pending_.raw(line);
    pending_.put('\n');
    return blockWritten();
  }

  // The block, for appending whole lines to; call blockWritten() after each.
  message::JsonBuffer& block() { return pending_; }
  Status blockWritten() { return pending_.size() >= kBlockBytes ? flush() : Status::ok(); }

  Status flush() {
    std::string_view left = pending_.view();
    while (!left.empty() && failed_.isOk()) {
      const ssize_t n = ::write(fd_, left.data(), left.size());
      if (n < 0 && errno != EINTR) {
        failed_ = Status::io(fmt::format("writing the output: {}", std::strerror(errno)));
      } else if (n > 0) {
        left.remove_prefix(static_cast<size_t>(n));
      }
    }
    pending_.clear();
    return failed_;
  }

 private:
  static constexpr size_t kBlockBytes = 1 << 20;
  int fd_;
  message::JsonBuffer pending_;
  Status failed_;
};

// Decodes one file through the daemon's own event walk (pipeline::TransactionTracker): the same
// transactions, savepoints and XA outcomes, so the same rows come out as the daemon publishes.
class FileDecoder final : private pipeline::TransactionTracker::Output {
 public:
  FileDecoder(const std::string& path, bool all_events, BlockOutput& out)
      : path_(path), basename_(path.substr(path.find_last_of('/') + 1)), all_events_(all_events),
        out_(out), now_(static_cast<int64_t>(std::time(nullptr))) {}

  // Decodes the whole file; every message before an error is written out.
  Status run() {
    Status status = decodeFile();
    Status written = out_.flush();
    return status.isOk() ? written : status;
  }

 private:
  Status decodeFile() {
    auto input = InputFile::open(path_);
    if (!input.isOk()) {
      return input.status();
    }
    auto file = binlog::BinlogFile::open(input->bytes());
    if (!file.isOk()) {
      return file.status().withContext(path_);
    }
    // Offline: no GTID set to keep, and the file's own name in every message id.
    auto tracker = pipeline::TransactionTracker::create(
        checkpoint::Checkpoint{basename_, file->offset(), 0, ""},
        pipeline::TrackerOptions{.track_gtid_set = false,
                                 .checkpoints = false,
                                 .max_prepared_xa_bytes = ~uint64_t{0},
                                 .max_savepoint_bytes = ~uint64_t{0}});
    if (!tracker.isOk()) {
      return tracker.status();
    }
    tracker_ = &*tracker;
    tracker_->streamStarted();
    Progress progress(path_, input->bytes().size());
    for (;;) {
      const uint64_t position = file->offset();
      progress.update(position);
      input->release(position);
      auto raw = file->next();
      if (!raw.isOk()) {
        return raw.status().withContext(path_);
      }
      if (!raw->has_value()) {
        break;
      }
      auto event = decoder_.decode(**raw);
      if (!event.isOk()) {
        return event.status().withContext(fmt::format("{}: event at offset {}", path_, position));
      }
      const pipeline::EventPlace at{event->header.timestamp, position,
                                    position + event->header.event_size, true};
      if (all_events_ && !std::holds_alternative<binlog::RowsEvent>(event->body)) {
        MM_RETURN_IF_ERROR(write(*event, position, /*inner=*/false));
      }
      if (auto* payload = std::get_if<binlog::TransactionPayloadEvent>(&event->body)) {
        MM_RETURN_IF_ERROR(decodePayload(*payload, at));
        continue;
      }
      MM_RETURN_IF_ERROR(walk(*event, at));
    }
    if (tracker_->preparedXaCount() > 0) {
      std::fprintf(stderr,
                   "mysql-monitor decode: note: %s: %zu XA transactions are prepared with no XA "
                   "COMMIT or ROLLBACK in this file: their rows are not printed\n",
                   path_.c_str(), tracker_->preparedXaCount());
    }
    return Status::ok();
  }

  // Inner events sit at the payload's position; rows messages end where the payload ends
  // (binlog/transaction_payload.h).
  Status decodePayload(const binlog::TransactionPayloadEvent& payload,
                       const pipeline::EventPlace& at) {
    binlog::TransactionPayloadReader inner(payload);
    for (;;) {
      auto raw = inner.next();
      if (!raw.isOk()) {
        return raw.status().withContext(fmt::format("{}: event at offset {}", path_, at.start));
      }
      if (!raw->has_value()) {
        return Status::ok();
      }
      auto event = decoder_.decodeInner(**raw);
      if (!event.isOk()) {
        return event.status().withContext(
            fmt::format("{}: event {} inside the TRANSACTION_PAYLOAD_EVENT at offset {}", path_,
                        inner.index(), at.start));
      }
      if (all_events_ && !std::holds_alternative<binlog::RowsEvent>(event->body)) {
        MM_RETURN_IF_ERROR(write(*event, at.start, /*inner=*/true));
      }
      MM_RETURN_IF_ERROR(walk(*event, at));
    }
  }

  Status walk(binlog::DecodedEvent& event, const pipeline::EventPlace& at) {
    if (std::holds_alternative<binlog::TableMapEvent>(event.body)) {
      named_.clear();
    }
    // The rows events' bytes are the input's, which outlive every item (null storage).
    Status status = tracker_->onEvent(event, at, nullptr, *this);
    if (!failed_.isOk()) {
      return std::exchange(failed_, Status::ok());
    }
    return status.isOk() ? status : status.withContext(path_);
  }

  bool rows(const pipeline::RowsChange& rows, size_t /*bytes*/) override {
    Status status = formatRows(rows);
    if (!status.isOk()) {
      failed_ = std::move(status);
      return false;
    }
    return true;
  }
  bool item(pipeline::SourceItem&& /*item*/, size_t /*bytes*/) override { return true; }

  void statementWrite(const std::optional<sql::StatementTable>& table, std::string_view what,
                      const std::string& /*file*/, uint64_t position) override {
    const std::string name =
        table ? table->database + "." + table->table : std::string("a table it does not name");
    std::fprintf(
        stderr,
        "mysql-monitor decode: note: %s: a %.*s write to %s in statement format at offset %llu: "
        "its rows are not in the binlog, so not printed\n",
        path_.c_str(), static_cast<int>(what.size()), what.data(), name.c_str(),
        static_cast<unsigned long long>(position));
  }

  void notice(const std::string& text) override {
    std::fprintf(stderr, "mysql-monitor decode: note: %s: %s\n", path_.c_str(), text.c_str());
  }

  Status formatRows(const pipeline::RowsChange& item) {
    const std::shared_ptr<const binlog::TableMap>* table = &item.event.table;
    if (!(*table)->has_column_names) {
      auto it = named_.find(table->get());
      if (it == named_.end()) {
        it = named_
                 .emplace(table->get(), std::make_shared<const binlog::TableMap>(
                                            message::withPositionalNames(**table)))
                 .first;
      }
      table = &it->second;
    }
    const uint64_t end = item.event_end;
    const std::string& file = item.file;
    // Rows events inside one payload share its end position: their rows count on.
    const message::RowOrigin origin{
        item.binlog_timestamp, now_, file, end, end == rows_end_ ? rows_next_ : 0, item.gtid};
    rows_end_ = end;
    Status status =
        formatter_.formatLines(item.event.header, *table, origin, out_.block(), [&](uint64_t row) {
          rows_next_ = row + 1;
          return out_.blockWritten();
        });
    if (!status.isOk()) {
      return status.withContext(fmt::format("{}: rows event ending at {}:{}", path_, file, end));
    }
    return Status::ok();
  }

  Status write(const binlog::DecodedEvent& event, uint64_t position, bool inner) {
    printEvent(event, position, inner, line_);
    return out_.line(line_);
  }

  std::string path_;
  std::string basename_;
  bool all_events_;
  BlockOutput& out_;
  int64_t now_;
  binlog::EventDecoder decoder_;
  pipeline::TransactionTracker* tracker_ = nullptr;
  Status failed_;  // an error of formatRows, which the tracker's output cannot return
  message::RowsFormatter formatter_;
  // Tables named positionally, per TABLE_MAP (shared_ptr identity), when the file lacks names.
  std::map<const binlog::TableMap*, std::shared_ptr<const binlog::TableMap>> named_;
  uint64_t rows_end_ = 0;   // end position of the last rows event
  uint64_t rows_next_ = 0;  // index of the next row at that position
  std::string line_;
};

}  // namespace

int runDecode(const std::vector<std::string>& files, bool all_events) {
  BlockOutput out(STDOUT_FILENO);
  int exit_code = 0;
  for (const std::string& path : files) {
    Status status = FileDecoder(path, all_events, out).run();
    if (!status.isOk()) {
      std::fprintf(stderr, "mysql-monitor decode: %s\n", status.toString().c_str());
      exit_code = 1;
    }
  }
  return exit_code;
}

}  // namespace mm::app
