#include "common/line_format.h"

#include <fmt/format.h>

namespace mm::line_format {
namespace {

void appendEscaped(std::string& out, std::string_view field) {
  for (const char c : field) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
}

std::optional<std::string> unescaped(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out.push_back(field[i]);
      continue;
    }
    if (++i == field.size()) {
      return std::nullopt;
    }
    switch (field[i]) {
      case '\\': out.push_back('\\'); break;
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      default: return std::nullopt;
    }
  }
  return out;
}

}  // namespace

Status LineReader::forEachRecord(FunctionRef<Status(std::string_view record)> record) {
  std::string_view rest = text_;
  while (!rest.empty()) {
    ++line_number_;
    const size_t newline = rest.find('\n');
    if (newline == std::string_view::npos && last_line_ == LastLine::NeedsNewline) {
      // Every line was written with its newline: the file was cut off, maybe inside a number,
      // which would then still parse.
      return error("cut off: the last line has no newline");
    }
    const std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (line.empty() || line[0] == '#') {
      continue;
    }
    MM_RETURN_IF_ERROR(record(line));
  }
  return Status::ok();
}

Status LineReader::errorAt(int line_number, std::string_view problem) const {
  return Status::corruption(
      fmt::format("{} line {}: {}; {}", origin_.name, line_number, problem, origin_.fix));
}

std::optional<KeyValue> splitKeyValue(std::string_view line) {
  const size_t eq = line.find('=');
  if (eq == std::string_view::npos) {
    return std::nullopt;
  }
  return KeyValue{line.substr(0, eq), line.substr(eq + 1)};
}

Result<std::vector<std::string>> splitFields(std::string_view line) {
  std::vector<std::string> fields;
  while (true) {
    const size_t tab = line.find('\t');
    auto field = unescaped(line.substr(0, tab));
    if (!field) {
      return Status::invalidArgument("a bad escape sequence");
    }
    fields.push_back(std::move(*field));
    if (tab == std::string_view::npos) {
      return fields;
    }
    line.remove_prefix(tab + 1);
  }
}

void LineWriter::comment(std::string_view text) {
  text_ += "# ";
  text_ += text;
  text_ += '\n';
}

void LineWriter::keyValue(std::string_view key, std::string_view value) {
  text_ += key;
  text_ += '=';
  text_ += value;
  text_ += '\n';
}

void LineWriter::keyValue(std::string_view key, uint64_t value) {
  keyValue(key, std::string_view(fmt::format("{}", value)));
}

void LineWriter::fields(std::initializer_list<std::string_view> fields,
                        const std::vector<std::string>& more) {
  bool first = true;
  auto add = [&](std::string_view field) {
    if (!first) {
      text_ += '\t';
    }
    first = false;
    appendEscaped(text_, field);
  };
  for (const std::string_view field : fields) {
    add(field);
  }
  for (const std::string& field : more) {
    add(field);
  }
  text_ += '\n';
}

}  // namespace mm::line_format
