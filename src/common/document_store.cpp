#include "common/document_store.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "common/atomic_file.h"

namespace mm {

std::string DirectoryDocuments::path(const std::string& name) const {
  return (std::filesystem::path(directory_) / name).string();
}

Result<std::optional<std::string>> DirectoryDocuments::read(const std::string& name) {
  const std::string file = path(name);
  std::ifstream in(file);
  if (!in) {
    // The error_code overload: the throwing one aborts the daemon on EACCES or ELOOP.
    std::error_code error;
    const auto status = std::filesystem::status(file, error);
    if (status.type() == std::filesystem::file_type::not_found) {
      return std::optional<std::string>{};
    }
    return Status::io(fmt::format("{}: {}", describe(name),
                                  error ? error.message() : std::string("it cannot be opened")));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return std::optional<std::string>(text.str());
}

Status DirectoryDocuments::write(const std::string& name, std::string_view content) {
  return writeFileAtomically(path(name), content);
}

std::string DirectoryDocuments::describe(const std::string& name) const { return path(name); }

}  // namespace mm
