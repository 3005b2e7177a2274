#include "message/rows_formatter.h"

#include <fmt/format.h>

namespace mm::message {

Status RowsFormatter::format(const binlog::RowsEventHeader& rows, const binlog::TableMap& table,
                             RowOrigin origin, Emit emit) {
  // A new table map may sit at the address of an old one (the caller's cache was refilled).
  builder_.prepare(table);
  return formatRows(rows, table, origin, emit);
}

Status RowsFormatter::format(const binlog::RowsEventHeader& rows,
                             const std::shared_ptr<const binlog::TableMap>& table, RowOrigin origin,
                             Emit emit) {
  builder_.prepare(table);
  return formatRows(rows, *table, origin, emit);
}

Status RowsFormatter::formatLines(const binlog::RowsEventHeader& rows,
                                  const std::shared_ptr<const binlog::TableMap>& table,
                                  RowOrigin origin, JsonBuffer& block, RowWritten written) {
  builder_.prepare(table);
  builder_.writeInto(&block);
  Status status = formatRows(rows, *table, origin, [&](uint64_t row, std::string_view) {
    block.put('\n');
    return written(row);
  });
  builder_.writeInto(nullptr);
  return status;
}

template <typename OnImages>
Status RowsFormatter::readRows(const binlog::RowsEventHeader& rows, const binlog::TableMap& table,
                               uint64_t first_row, OnImages on_images) {
  binlog::RowImageReader reader(rows, table);
  for (uint64_t row = first_row; !reader.done(); ++row) {
    MM_RETURN_IF_ERROR(reader.next(before_));
    if (rows.kind == binlog::RowsKind::Update) {
      MM_RETURN_IF_ERROR(reader.next(after_));
    }
    MM_RETURN_IF_ERROR(on_images(row));
  }
  return Status::ok();
}

template <typename OnRow>
Status RowsFormatter::formatRows(const binlog::RowsEventHeader& rows, const binlog::TableMap& table,
                                 RowOrigin origin, OnRow on_row) {
  return readRows(rows, table, origin.row, [&](uint64_t row) {
    origin.row = row;
    Result<std::string_view> body = std::string_view{};
    switch (rows.kind) {
      case binlog::RowsKind::Write: body = builder_.insert(table, before_, origin); break;
      case binlog::RowsKind::Update: body = builder_.update(table, before_, after_, origin); break;
      case binlog::RowsKind::Delete: body = builder_.remove(table, before_, origin); break;
    }
    if (!body.isOk()) {
      return body.status();
    }
    return on_row(row, *body);
  });
}

Status RowsFormatter::encode(const binlog::RowsEventHeader& rows,
                             const std::shared_ptr<const binlog::TableMap>& table,
                             const ChangeOrigin& origin, EmitChange emit) {
  return readRows(rows, *table, origin.row, [&](uint64_t row) {
    MM_RETURN_IF_ERROR(builder_.encode(rows.kind, *table, before_, after_, change_));
    change_.kind = rows.kind;
    change_.table = table;
    change_.origin = origin;
    change_.origin.row = row;
    return emit(change_);
  });
}

binlog::TableMap withPositionalNames(const binlog::TableMap& table) {
  binlog::TableMap out = table;
  for (size_t i = 0; i < out.columns.size(); ++i) {
    if (out.columns[i].name.empty()) {
      out.columns[i].name = fmt::format("@{}", i + 1);
    }
  }
  out.has_column_names = true;
  return out;
}

}  // namespace mm::message
