#include "support/message_schema.h"

#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

namespace mm::test {

struct MessageSchema::Compiled {
  rapidjson::Document source;
  std::unique_ptr<rapidjson::SchemaDocument> whole;
  // One schema per message type: the definition as the root, with every definition beside it so
  // its "#/definitions/..." references still resolve.
  std::map<std::string, rapidjson::Document> definition_sources;
  std::map<std::string, std::unique_ptr<rapidjson::SchemaDocument>> definitions;
};

namespace {

std::string pointerText(const rapidjson::Pointer& pointer) {
  rapidjson::StringBuffer buffer;
  pointer.StringifyUriFragment(buffer);
  return buffer.GetString();
}

// The names listed by the failing `required` keyword that the object at `where` lacks.
std::string missingNames(const rapidjson::Value& schema_node, const rapidjson::Value* instance) {
  std::string names;
  if (!schema_node.IsObject() || !schema_node.HasMember("required") || instance == nullptr ||
      !instance->IsObject()) {
    return names;
  }
  for (const auto& name : schema_node["required"].GetArray()) {
    if (name.IsString() && !instance->HasMember(name.GetString())) {
      names.append(names.empty() ? "" : ", ").append(name.GetString());
    }
  }
  return names;
}

// Why `validator` refused `body`, in words; `schema_root` is the document it compiled from.
std::string describeFailure(const rapidjson::SchemaValidator& validator,
                            const rapidjson::Value& schema_root, const rapidjson::Document& body) {
  const std::string keyword = validator.GetInvalidSchemaKeyword();
  const std::string field = pointerText(validator.GetInvalidDocumentPointer());
  std::string text =
      fmt::format("field '{}' fails '{}' of schema node '{}'", field.empty() ? "#" : field, keyword,
                  pointerText(validator.GetInvalidSchemaPointer()));
  if (keyword == "required") {
    const rapidjson::Value* node = validator.GetInvalidSchemaPointer().Get(schema_root);
    const rapidjson::Value* instance = validator.GetInvalidDocumentPointer().Get(body);
    const std::string missing = node ? missingNames(*node, instance) : "";
    if (!missing.empty()) {
      text += " (missing: " + missing + ")";
    }
  }
  return text;
}

}  // namespace

MessageSchema::MessageSchema(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
MessageSchema::~MessageSchema() = default;

Result<std::unique_ptr<MessageSchema>> MessageSchema::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::internal(fmt::format("cannot read the message schema {}", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto compiled = std::make_unique<Compiled>();
  rapidjson::Document& source = compiled->source;
  source.Parse(text.str().c_str());
  if (source.HasParseError()) {
    return Status::internal(fmt::format("{}: not JSON at offset {}: {}", path,
                                        source.GetErrorOffset(),
                                        rapidjson::GetParseError_En(source.GetParseError())));
  }
  if (!source.IsObject() || !source.HasMember("definitions") || !source["definitions"].IsObject()) {
    return Status::internal(fmt::format("{}: not a schema object with definitions", path));
  }
  compiled->whole = std::make_unique<rapidjson::SchemaDocument>(source);
  for (const auto& definition : source["definitions"].GetObject()) {
    const std::string name = definition.name.GetString();
    rapidjson::Document& root = compiled->definition_sources[name];
    root.CopyFrom(definition.value, root.GetAllocator());
    if (!root.IsObject()) {
      return Status::internal(fmt::format("{}: definition {} is not an object", path, name));
    }
    rapidjson::Value definitions;
    definitions.CopyFrom(source["definitions"], root.GetAllocator());
    root.AddMember("definitions", definitions, root.GetAllocator());
    compiled->definitions[name] = std::make_unique<rapidjson::SchemaDocument>(root);
  }
  return std::unique_ptr<MessageSchema>(new MessageSchema(std::move(compiled)));
}

Status MessageSchema::validate(std::string_view body) const {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    return Status::invalidArgument(
        fmt::format("not JSON at offset {} ({}): {}", doc.GetErrorOffset(),
                    rapidjson::GetParseError_En(doc.GetParseError()), body));
  }
  rapidjson::SchemaValidator whole(*compiled_->whole);
  if (doc.Accept(whole)) {
    return Status::ok();
  }
  const std::string type = doc.IsObject() && doc.HasMember("type") && doc["type"].IsString()
                               ? doc["type"].GetString()
                               : "";
  auto definition = compiled_->definitions.find(type);
  if (type.empty() || definition == compiled_->definitions.end()) {
    return Status::invalidArgument(
        fmt::format("{}: {}", describeFailure(whole, compiled_->source, doc), body));
  }
  rapidjson::SchemaValidator specific(*definition->second);
  if (doc.Accept(specific)) {
    // Valid for its own definition yet refused by the whole: it matched a second branch of oneOf.
    return Status::invalidArgument(
        fmt::format("{} message matches more than one message type: {}", type, body));
  }
  return Status::invalidArgument(
      fmt::format("{} message: {}: {}", type,
                  describeFailure(specific, compiled_->definition_sources.at(type), doc), body));
}

::testing::AssertionResult isValidMessage(std::string_view body) {
  static const Result<std::unique_ptr<MessageSchema>> schema = MessageSchema::load();
  if (!schema.isOk()) {
    return ::testing::AssertionFailure() << schema.status().toString();
  }
  Status valid = (*schema)->validate(body);
  if (!valid.isOk()) {
    return ::testing::AssertionFailure()
           << "message breaks docs/message.schema.json: " << valid.message();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace mm::test
