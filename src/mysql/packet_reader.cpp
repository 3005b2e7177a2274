#include "mysql/packet_reader.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/byte_reader.h"

namespace mm::mysql {
namespace {

constexpr size_t kReadSize = 256 * 1024;
constexpr size_t kHeaderSize = 4;
constexpr size_t kMaxPayloadPerPacket = 0xFFFFFF;

// The whole payload's size, guessed from its first packet: a binlog event is sent as an OK byte
// (0x00) and the event, whose header gives its size (docs/binlog-format.md §1.1: event_size at
// offset 9). Joining a 60 MB event into a vector grown by doubling would reserve 64 MB and, on the
// way, hold 32 MB and 64 MB at once; with the size known it takes what the event needs. A wrong
// guess costs capacity, never correctness.
size_t joinedSizeHint(std::span<const uint8_t> first_packet) {
  constexpr size_t kEventSizeAt = 1 + 9;
  if (first_packet.size() < kEventSizeAt + 4 || first_packet[0] != 0x00) {
    return first_packet.size();
  }
  ByteReader header(first_packet.subspan(kEventSizeAt, 4));
  return std::max<size_t>(first_packet.size(), 1 + size_t{header.u32le()});
}

}  // namespace

PacketReader::PacketReader(int socket, std::span<const uint8_t> pending,
                           std::chrono::milliseconds read_timeout)
    : socket_(socket), read_timeout_(read_timeout), buffer_(std::max(kReadSize, pending.size())) {
  std::copy(pending.begin(), pending.end(), buffer_.begin());
  end_ = pending.size();
}

void PacketReader::moveUnreadToFront() {
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

Status PacketReader::fill(size_t need) {
  if (end_ - begin_ >= need) {
    return Status::ok();
  }
  // Room for the whole packet after its first byte: move what is left to the front, then grow.
  if (buffer_.size() - begin_ < need) {
    moveUnreadToFront();
    if (buffer_.size() < need) {
      buffer_.resize(std::max(need, kReadSize));
    }
  }
  while (end_ - begin_ < need) {
    pollfd readable{socket_, POLLIN, 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(read_timeout_.count()));
    if (ready == 0) {
      return Status::io(fmt::format("nothing received for {:g} s (read timeout)",
                                    static_cast<double>(read_timeout_.count()) / 1000));
    }
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::io(fmt::format("poll: {}", std::strerror(errno)));
    }
    const ssize_t n = ::recv(socket_, buffer_.data() + end_, buffer_.size() - end_, 0);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
    } else if (n == 0) {
      return Status::io("the server closed the connection");
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::io(fmt::format("recv: {}", std::strerror(errno)));
    }
  }
  return Status::ok();
}

Result<std::span<const uint8_t>> PacketReader::next() {
  // What one huge event needed is given back once it is used, so memory stays at the usual size.
  if (joined_.capacity() > kReadSize) {
    joined_ = std::vector<uint8_t>();
  }
  joined_.clear();
  if (buffer_.size() > kReadSize && end_ - begin_ <= kReadSize) {
    moveUnreadToFront();
    buffer_.resize(kReadSize);
    buffer_.shrink_to_fit();
  }
  for (;;) {
    MM_RETURN_IF_ERROR(fill(kHeaderSize));
    ByteReader header(std::span<const uint8_t>(buffer_.data() + begin_, kHeaderSize));
    const size_t length = header.u24le();  // then the sequence number, which TCP keeps in order
    MM_RETURN_IF_ERROR(fill(kHeaderSize + length));
    const std::span<const uint8_t> payload(buffer_.data() + begin_ + kHeaderSize, length);
    begin_ += kHeaderSize + length;
    if (length < kMaxPayloadPerPacket && joined_.empty()) {
      return payload;  // the common case: one packet, returned where it lies
    }
    if (joined_.empty()) {
      joined_.reserve(joinedSizeHint(payload));
    }
    joined_.insert(joined_.end(), payload.begin(), payload.end());
    if (length < kMaxPayloadPerPacket) {
      return std::span<const uint8_t>(joined_);
    }
  }
}

}  // namespace mm::mysql
