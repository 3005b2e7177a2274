// PacketReader over a socket pair: packets split anywhere by the transport, a payload continued
// over several packets, bytes read ahead before it took over, and the ends of a stream.
#include "mysql/packet_reader.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mm::mysql {
namespace {

using Bytes = std::vector<uint8_t>;

// A MySQL packet: 3-byte length, sequence number, payload.
Bytes packet(const Bytes& payload, uint8_t sequence = 0) {
  Bytes out{static_cast<uint8_t>(payload.size()), static_cast<uint8_t>(payload.size() >> 8),
            static_cast<uint8_t>(payload.size() >> 16), sequence};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes payloadOf(size_t size, uint8_t seed) {
  Bytes out(size);
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<uint8_t>(seed + i * 7);
  }
  return out;
}

class SocketPair {
 public:
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  ~SocketPair() {
    closeWriter();
    ::close(fds_[0]);
  }
  int reader() const { return fds_[0]; }
  void write(const Bytes& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fds_[1], bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      done += static_cast<size_t>(n);
    }
  }
  void closeWriter() {
    if (fds_[1] >= 0) {
      ::close(fds_[1]);
      fds_[1] = -1;
    }
  }

 private:
  int fds_[2] = {-1, -1};
};

TEST(PacketReader, ReadsPacketsSplitAnywhereAcrossReads) {
  SocketPair sockets;
  Bytes stream;
  std::vector<Bytes> payloads;
  for (size_t i = 0; i < 50; ++i) {
    payloads.push_back(payloadOf(1 + i * 97, static_cast<uint8_t>(i)));
    const Bytes p = packet(payloads.back(), static_cast<uint8_t>(i));
    stream.insert(stream.end(), p.begin(), p.end());
  }
  // The writer trickles the stream in odd pieces, so headers and payloads arrive cut.
  std::jthread writer([&] {
    for (size_t at = 0; at < stream.size(); at += 13) {
      sockets.write(Bytes(stream.begin() + at, stream.begin() + std::min(stream.size(), at + 13)));
    }
  });
  PacketReader reader(sockets.reader(), {}, std::chrono::seconds(5));
  for (const Bytes& expected : payloads) {
    auto read = reader.next();
    ASSERT_TRUE(read.isOk()) << read.status().toString();
    EXPECT_EQ(Bytes(read->begin(), read->end()), expected);
  }
}

TEST(PacketReader, JoinsAPayloadContinuedOverSeveralPackets) {
  SocketPair sockets;
  const Bytes whole = payloadOf(2 * 0xFFFFFF + 10, 3);
  Bytes stream;
  for (size_t at = 0; at <= whole.size(); at += 0xFFFFFF) {
    const size_t size = std::min<size_t>(0xFFFFFF, whole.size() - at);
    const Bytes part = packet(Bytes(whole.begin() + at, whole.begin() + at + size));
    stream.insert(stream.end(), part.begin(), part.end());
  }
  const Bytes after = packet({0x00, 0x42});
  stream.insert(stream.end(), after.begin(), after.end());
  std::jthread writer([&] { sockets.write(stream); });
  PacketReader reader(sockets.reader(), {}, std::chrono::seconds(5));
  auto read = reader.next();
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  EXPECT_TRUE(Bytes(read->begin(), read->end()) == whole);
  read = reader.next();
  ASSERT_TRUE(read.isOk());
  EXPECT_EQ(Bytes(read->begin(), read->end()), (Bytes{0x00, 0x42}));
  // And small packets after it still come whole once its buffers were given back.
  const Bytes small = packet({7, 8, 9});
  std::jthread more([&] { sockets.write(small); });
  read = reader.next();
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  EXPECT_EQ(Bytes(read->begin(), read->end()), (Bytes{7, 8, 9}));
}

TEST(PacketReader, TakesTheBytesReadAheadFirst) {
  SocketPair sockets;
  const Bytes first = packet({1, 2, 3});
  const Bytes second = packet({4, 5});
  // Connector/C had read the first packet and half the second's header.
  Bytes ahead = first;
  ahead.insert(ahead.end(), second.begin(), second.begin() + 2);
  sockets.write(Bytes(second.begin() + 2, second.end()));
  PacketReader reader(sockets.reader(), ahead, std::chrono::seconds(5));
  EXPECT_TRUE(reader.buffered());
  auto read = reader.next();
  ASSERT_TRUE(read.isOk());
  EXPECT_EQ(Bytes(read->begin(), read->end()), (Bytes{1, 2, 3}));
  read = reader.next();
  ASSERT_TRUE(read.isOk());
  EXPECT_EQ(Bytes(read->begin(), read->end()), (Bytes{4, 5}));
  EXPECT_FALSE(reader.buffered());
}

TEST(PacketReader, AClosedConnectionIsAnIoErrorEvenInsideAPacket) {
  SocketPair sockets;
  const Bytes whole = packet({1, 2, 3, 4});
  sockets.write(Bytes(whole.begin(), whole.begin() + 6));
  sockets.closeWriter();
  PacketReader reader(sockets.reader(), {}, std::chrono::seconds(5));
  auto read = reader.next();
  ASSERT_FALSE(read.isOk());
  EXPECT_EQ(read.status().code(), StatusCode::Io);
  EXPECT_EQ(read.status().message(), "the server closed the connection");
}

TEST(PacketReader, SilenceForTheReadTimeoutIsAnIoError) {
  SocketPair sockets;
  PacketReader reader(sockets.reader(), {}, std::chrono::milliseconds(50));
  auto read = reader.next();
  ASSERT_FALSE(read.isOk());
  EXPECT_EQ(read.status().code(), StatusCode::Io);
  EXPECT_NE(read.status().message().find("read timeout"), std::string::npos)
      << read.status().message();
}

}  // namespace
}  // namespace mm::mysql
