// What a config.cfg written for the Python monitor (aventri's "MySQL Monitor", the origin) means
// here (issue 20; docs/migrating-from-the-python-monitor.md "Configuration"). Its syntax is read by
// config/ini_file.h; this holds the rest:
//   - its key names that differ from ours ([amqp] ca_certs is ssl_ca);
//   - its [monitor] state_path naming the state *file* ("data/state.json");
//   - its CA default: data/cacert.pem beside the state, for ssl = true;
//   - where the same file means something else here (its built-in defaults differ from ours), as
//     lines for `check`.
// Pure functions but for resolveOriginPaths(), which looks at the file system.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mm::config {

struct Config;

// The section name whose keys apply to every section, as Python's ConfigParser has it.
inline constexpr std::string_view kDefaultSection = "DEFAULT";

// Our name for the origin's `key` in `section` ("ssl_ca" for [amqp] ca_certs), else `key`.
std::string_view canonicalKey(std::string_view section, std::string_view key);

// Whether [section] key is one the origin's config.cfg had (or [message] format, which a
// migrating file adds): a file of only such keys was written for the origin.
bool isOriginKey(std::string_view section, std::string_view key);

// Resolves [monitor] state_path: a path ending in ".json", or naming a regular file, is the
// origin's state file and the state directory is its parent; else it is the directory and the
// origin's file is state.json in it. Then, for [amqp] ssl = true without ssl_ca, the origin's
// default CA, cacert.pem in the state directory, when it is there.
void resolveOriginPaths(Config& config);

// Where a file written for the origin means something else here: each of the origin's built-in
// defaults that differs from ours, for a key the file leaves unset (`set_in_file`: section and
// canonical key), and the behaviours that differ for what it sets. One line each.
std::vector<std::string> originDifferences(
    const Config& config, const std::set<std::pair<std::string, std::string>>& set_in_file);

}  // namespace mm::config
