#include "sink/amqp_frame_buffer.h"

#include <amqp_framing.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace mm::sink {
namespace {

struct Frame {
  uint8_t type = 0;
  uint16_t channel = 0;
  std::vector<uint8_t> payload;
};

uint64_t bigEndian(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = (v << 8) | p[i];
  }
  return v;
}

// Splits the buffer into frames, checking every envelope (size in bounds, frame-end octet).
std::vector<Frame> parseFrames(std::span<const uint8_t> bytes) {
  std::vector<Frame> frames;
  size_t at = 0;
  while (at < bytes.size()) {
    EXPECT_GE(bytes.size() - at, 8u) << "truncated frame header at " << at;
    if (bytes.size() - at < 8)
      break;
    Frame frame;
    frame.type = bytes[at];
    frame.channel = static_cast<uint16_t>(bigEndian(&bytes[at + 1], 2));
    const size_t size = bigEndian(&bytes[at + 3], 4);
    EXPECT_LE(at + 7 + size + 1, bytes.size()) << "frame at " << at << " runs past the buffer";
    if (at + 7 + size + 1 > bytes.size())
      break;
    frame.payload.assign(bytes.begin() + at + 7, bytes.begin() + at + 7 + size);
    EXPECT_EQ(bytes[at + 7 + size], AMQP_FRAME_END) << "frame at " << at;
    frames.push_back(std::move(frame));
    at += 7 + size + 1;
  }
  return frames;
}

amqp_bytes_t bytesOf(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}
std::string textOf(amqp_bytes_t b) { return std::string(static_cast<const char*>(b.bytes), b.len); }

class AmqpFrameBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    method_.exchange = bytesOf(exchange_);
    method_.routing_key = bytesOf(routing_key_);
    method_.mandatory = 1;
    header_entries_[0].key = bytesOf(header_names_[0]);
    header_entries_[0].value.kind = AMQP_FIELD_KIND_UTF8;
    header_entries_[0].value.value.bytes = bytesOf(header_values_[0]);
    header_entries_[1].key = bytesOf(header_names_[1]);
    header_entries_[1].value.kind = AMQP_FIELD_KIND_UTF8;
    header_entries_[1].value.value.bytes = bytesOf(header_values_[1]);
    properties_._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                         AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
                         AMQP_BASIC_APP_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
    properties_.content_type = bytesOf(content_type_);
    properties_.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    properties_.message_id = bytesOf(message_id_);
    properties_.timestamp = 1700000000;
    properties_.app_id = bytesOf(app_id_);
    properties_.headers = amqp_table_t{2, header_entries_};
  }
  void TearDown() override { empty_amqp_pool(&pool_); }

  std::string exchange_ = "mm-events", routing_key_ = "shop.orders.row_insert";
  std::string content_type_ = "application/json", message_id_ = "mysql-bin.000001:1234:0",
              app_id_ = "mysql-monitor";
  std::string header_names_[2] = {"database", "table"}, header_values_[2] = {"shop", "orders"};
  amqp_table_entry_t header_entries_[2]{};
  amqp_basic_publish_t method_{};
  amqp_basic_properties_t properties_{};
  amqp_pool_t pool_ = [] {
    amqp_pool_t pool;
    init_amqp_pool(&pool, 4096);
    return pool;
  }();
};

TEST_F(AmqpFrameBufferTest, OneMessageIsAMethodAHeaderAndABodyFrame) {
  AmqpFrameBuffer buffer(131072);
  const std::string body = R"({"type":"row_insert"})";
  ASSERT_TRUE(buffer.appendPublish(1, method_, properties_, body).isOk());
  const auto frames = parseFrames(buffer.bytes());
  ASSERT_EQ(frames.size(), 3u);
  for (const Frame& frame : frames) {
    EXPECT_EQ(frame.channel, 1);
  }

  // basic.publish: method id, then arguments as rabbitmq-c decodes them.
  ASSERT_EQ(frames[0].type, AMQP_FRAME_METHOD);
  ASSERT_GE(frames[0].payload.size(), 4u);
  EXPECT_EQ(bigEndian(frames[0].payload.data(), 4), AMQP_BASIC_PUBLISH_METHOD);
  void* decoded = nullptr;
  amqp_bytes_t arguments{frames[0].payload.size() - 4,
                         const_cast<uint8_t*>(frames[0].payload.data() + 4)};
  ASSERT_EQ(amqp_decode_method(AMQP_BASIC_PUBLISH_METHOD, &pool_, arguments, &decoded),
            AMQP_STATUS_OK);
  const auto* publish = static_cast<amqp_basic_publish_t*>(decoded);
  EXPECT_EQ(textOf(publish->exchange), exchange_);
  EXPECT_EQ(textOf(publish->routing_key), routing_key_);
  EXPECT_EQ(publish->mandatory, 1);
  EXPECT_EQ(publish->immediate, 0);

  // Content header: class 60, weight 0, body size, properties.
  ASSERT_EQ(frames[1].type, AMQP_FRAME_HEADER);
  ASSERT_GE(frames[1].payload.size(), 12u);
  EXPECT_EQ(bigEndian(frames[1].payload.data(), 2), AMQP_BASIC_CLASS);
  EXPECT_EQ(bigEndian(frames[1].payload.data() + 2, 2), 0u);
  EXPECT_EQ(bigEndian(frames[1].payload.data() + 4, 8), body.size());
  amqp_bytes_t encoded{frames[1].payload.size() - 12,
                       const_cast<uint8_t*>(frames[1].payload.data() + 12)};
  ASSERT_EQ(amqp_decode_properties(AMQP_BASIC_CLASS, &pool_, encoded, &decoded), AMQP_STATUS_OK);
  const auto* props = static_cast<amqp_basic_properties_t*>(decoded);
  EXPECT_EQ(props->_flags, properties_._flags);
  EXPECT_EQ(textOf(props->content_type), content_type_);
  EXPECT_EQ(props->delivery_mode, AMQP_DELIVERY_PERSISTENT);
  EXPECT_EQ(textOf(props->message_id), message_id_);
  EXPECT_EQ(props->timestamp, 1700000000u);
  EXPECT_EQ(textOf(props->app_id), app_id_);
  ASSERT_EQ(props->headers.num_entries, 2);
  EXPECT_EQ(textOf(props->headers.entries[1].key), "table");
  EXPECT_EQ(textOf(props->headers.entries[1].value.value.bytes), "orders");

  ASSERT_EQ(frames[2].type, AMQP_FRAME_BODY);
  EXPECT_EQ(std::string(frames[2].payload.begin(), frames[2].payload.end()), body);
}

// A large body is framed a part at a time (AmqpPublisher writes the buffer out between the parts,
// and the buffer stays the size of a part): the header announces the whole body, the frames carry
// it in order, none over frame_max, and the buffer ends at the size of one part's frames.
TEST_F(AmqpFrameBufferTest, ABodyAppendedInPartsIsTheSameMessage) {
  AmqpFrameBuffer buffer(4096);
  std::string body(50000, 'x');
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + i % 26);
  }
  ASSERT_TRUE(buffer.appendPublishHeader(1, method_, properties_, body.size()).isOk());
  std::vector<Frame> frames = parseFrames(buffer.bytes());
  buffer.clear();
  constexpr size_t kPart = 12000;  // not a multiple of a frame's payload
  for (size_t offset = 0; offset < body.size(); offset += kPart) {
    buffer.appendBody(1, std::string_view(body).substr(offset, kPart));
    EXPECT_LE(buffer.bytes().size(), kPart + 3 * 8);
    for (Frame& frame : parseFrames(buffer.bytes())) {
      frames.push_back(std::move(frame));
    }
    buffer.clear();
  }
  ASSERT_GE(frames.size(), 3u);
  EXPECT_EQ(frames[0].type, AMQP_FRAME_METHOD);
  ASSERT_EQ(frames[1].type, AMQP_FRAME_HEADER);
  EXPECT_EQ(bigEndian(frames[1].payload.data() + 4, 8), body.size());
  std::string carried;
  for (size_t i = 2; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].type, AMQP_FRAME_BODY);
    EXPECT_LE(frames[i].payload.size() + 8, 4096u);
    carried.append(frames[i].payload.begin(), frames[i].payload.end());
  }
  EXPECT_EQ(carried, body);
}

TEST_F(AmqpFrameBufferTest, MessagesFollowEachOtherAndLargeBodiesSplitAtFrameMax) {
  AmqpFrameBuffer buffer(4096);
  std::string large(10000, 'x');
  for (size_t i = 0; i < large.size(); ++i) {
    large[i] = static_cast<char>('a' + i % 26);
  }
  ASSERT_TRUE(buffer.appendPublish(1, method_, properties_, "first").isOk());
  ASSERT_TRUE(buffer.appendPublish(1, method_, properties_, large).isOk());
  ASSERT_TRUE(buffer.appendPublish(1, method_, properties_, "").isOk());
  const auto frames = parseFrames(buffer.bytes());
  // first: 3 frames; large: method, header, 3 bodies (4088 + 4088 + 1824); empty: no body frame.
  ASSERT_EQ(frames.size(), 3u + 5u + 2u);
  std::string reassembled;
  for (size_t i = 5; i <= 7; ++i) {
    ASSERT_EQ(frames[i].type, AMQP_FRAME_BODY);
    EXPECT_LE(frames[i].payload.size() + 8, 4096u);
    reassembled.append(frames[i].payload.begin(), frames[i].payload.end());
  }
  EXPECT_EQ(reassembled, large);
  EXPECT_EQ(frames[8].type, AMQP_FRAME_METHOD);
  EXPECT_EQ(frames[9].type, AMQP_FRAME_HEADER);
  EXPECT_EQ(bigEndian(frames[9].payload.data() + 4, 8), 0u);
}

TEST_F(AmqpFrameBufferTest, ARoutingKeyLongerThanAShortStringIsRefusedAndNothingAppended) {
  AmqpFrameBuffer buffer(131072);
  ASSERT_TRUE(buffer.appendPublish(1, method_, properties_, "kept").isOk());
  const size_t before = buffer.bytes().size();
  const std::string long_key(300, 'k');
  amqp_basic_publish_t method = method_;
  method.routing_key = bytesOf(long_key);
  const Status status = buffer.appendPublish(1, method, properties_, "body");
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_NE(status.message().find("routing key"), std::string::npos) << status.message();
  EXPECT_EQ(buffer.bytes().size(), before);
  EXPECT_EQ(parseFrames(buffer.bytes()).size(), 3u);
}

TEST(WriteAllToSocket, DeliversEveryByteThroughAFullNonBlockingSocket) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_EQ(::fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  std::vector<uint8_t> sent(8 * 1024 * 1024);
  for (size_t i = 0; i < sent.size(); ++i) {
    sent[i] = static_cast<uint8_t>(i * 7 + i / 4096);
  }
  std::vector<uint8_t> received;
  std::thread reader([&] {
    uint8_t chunk[65536];
    ssize_t n;
    while ((n = ::read(fds[1], chunk, sizeof chunk)) > 0) {
      received.insert(received.end(), chunk, chunk + n);
    }
  });
  const Status status = writeAllToSocket(fds[0], sent, std::chrono::milliseconds{5000});
  ::close(fds[0]);
  reader.join();
  ::close(fds[1]);
  EXPECT_TRUE(status.isOk()) << status.toString();
  EXPECT_TRUE(received == sent) << "received " << received.size() << " of " << sent.size()
                                << " bytes";
}

TEST(WriteAllToSocket, APeerThatReadsNothingIsAStallAfterTheLimit) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_EQ(::fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  const std::vector<uint8_t> sent(16 * 1024 * 1024, 0x5A);
  const Status status = writeAllToSocket(fds[0], sent, std::chrono::milliseconds{200});
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(status.code(), StatusCode::Io);
  EXPECT_NE(status.message().find("accepted no data"), std::string::npos) << status.message();
}

TEST(WriteAllToSocket, AClosedPeerIsAnIoErrorNamingTheCause) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::close(fds[1]);
  const std::vector<uint8_t> sent(1024, 1);
  const Status status = writeAllToSocket(fds[0], sent, std::chrono::milliseconds{1000});
  ::close(fds[0]);
  EXPECT_EQ(status.code(), StatusCode::Io);
  EXPECT_NE(status.message().find("cannot send: Broken pipe"), std::string::npos)
      << status.message();
}

}  // namespace
}  // namespace mm::sink
