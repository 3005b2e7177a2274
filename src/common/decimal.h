// Whole-text decimal numbers, for values read from the server's answers and configuration text:
// std::from_chars, so nothing throws (std::stoull would, past every catch of a stage thread), and
// the whole text must be the number (no sign for unsigned types, no blanks, no trailing text).
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace mm {

// nullopt when `text` is not a decimal number of type T or overflows it.
template <typename T>
std::optional<T> parseDecimal(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace mm
