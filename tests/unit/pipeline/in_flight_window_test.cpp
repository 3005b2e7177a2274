// InFlightWindow: the low-water mark never passes an unconfirmed message whatever order the
// confirms come in, single and multiple acks, pure checkpoint marks, the republish order after a
// lost connection, and the halt point.
#include "pipeline/in_flight_window.h"

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

checkpoint::Checkpoint at(uint64_t position, uint64_t rows_done = 0) {
  return checkpoint::Checkpoint{"mysql-bin.000001", position, rows_done};
}

const checkpoint::Checkpoint kStart = at(4);

// Message i moves the mark to at(100 * (i + 1)).
PublishItem message(int i) {
  PublishItem item;
  item.setMessage("m" + std::to_string(i), "{}");
  item.route = makeRoute("rows", {});
  item.checkpoint = std::make_shared<const checkpoint::Checkpoint>(at(100 * (i + 1)));
  return item;
}

// A window holding messages 0 ... count - 1, published with tags 1 ... count.
void publishMessages(InFlightWindow& window, int count) {
  for (int i = 0; i < count; ++i) {
    InFlightWindow::Entry& entry = window.add(message(i));
    window.published(entry, static_cast<uint64_t>(i + 1));
  }
}

TEST(InFlightWindow, TheMarkWaitsForEveryEarlierMessageWhenConfirmsComeOutOfOrder) {
  InFlightWindow window(kStart);
  publishMessages(window, 4);
  EXPECT_EQ(window.unconfirmed(), 4u);

  EXPECT_EQ(window.acknowledge(3, false), 1u);
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), kStart) << "passed the unconfirmed m0 and m1";

  EXPECT_EQ(window.acknowledge(2, false), 1u);
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), kStart) << "passed the unconfirmed m0";

  EXPECT_EQ(window.acknowledge(1, false), 1u);
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), at(300)) << "m0 ... m2 are confirmed";
  EXPECT_EQ(window.unconfirmed(), 1u);

  EXPECT_EQ(window.acknowledge(4, false), 1u);
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), at(400));
  EXPECT_TRUE(window.empty());
  EXPECT_TRUE(window.settled());
}

TEST(InFlightWindow, AMultipleAckConfirmsEveryTagUpToItOnce) {
  InFlightWindow window(kStart);
  publishMessages(window, 5);
  EXPECT_EQ(window.acknowledge(2, false), 1u);
  EXPECT_EQ(window.acknowledge(4, true), 3u) << "tag 2 was confirmed already";
  EXPECT_EQ(window.acknowledge(4, true), 0u);
  EXPECT_EQ(window.acknowledge(3, false), 0u);
  EXPECT_EQ(window.acknowledge(9, false), 0u) << "an unknown tag confirmed something";
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), at(400));
  EXPECT_EQ(window.unconfirmed(), 1u);
}

TEST(InFlightWindow, APureMarkMovesTheMarkOnceEverythingBeforeItIsConfirmed) {
  InFlightWindow window(kStart);
  window.published(window.add(message(0)), 1);
  window.add(checkpointMark(at(150, 2)));  // changes folded away: no message
  EXPECT_EQ(window.unconfirmed(), 1u);
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), kStart);
  window.acknowledge(1, false);
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), at(150, 2)) << "rows_done comes from the item";
}

TEST(InFlightWindow, AMessageWithoutACheckpointKeepsTheMarkWhereItWas) {
  InFlightWindow window(kStart);
  PublishItem heartbeat;
  heartbeat.setMessage("heartbeat:1", "{}");
  window.published(window.add(std::move(heartbeat)), 1);
  window.acknowledge(1, false);
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), kStart);
}

TEST(InFlightWindow, AfterADisconnectEveryUnconfirmedMessageIsRepublishedInOrder) {
  InFlightWindow window(kStart);
  publishMessages(window, 5);
  window.acknowledge(3, false);
  window.acknowledge(1, false);
  window.acknowledge(4, false);
  window.disconnected();
  EXPECT_EQ(window.acknowledge(5, false), 0u) << "a tag of the old connection confirmed something";
  EXPECT_EQ(window.republishOrder(), (std::vector<uint64_t>{1, 4}));

  // The new connection numbers its tags from 1 again.
  window.published(window.at(1), 1);
  window.published(window.at(4), 2);
  EXPECT_EQ(window.at(4).delivery_tag, 2u);
  EXPECT_EQ(window.acknowledge(2, false), 1u);
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), at(100));
  EXPECT_EQ(window.republishOrder(), (std::vector<uint64_t>{1}));
  EXPECT_EQ(window.acknowledge(1, false), 1u);
  window.advance();
  EXPECT_EQ(window.lowWaterMark(), at(500));
  EXPECT_TRUE(window.republishOrder().empty());
}

TEST(InFlightWindow, NothingFromTheHaltPointOnIsRepublishedAndTheMarkStaysBeforeIt) {
  InFlightWindow window(kStart);
  publishMessages(window, 4);
  window.haltAt(2);
  EXPECT_TRUE(window.halted());
  EXPECT_TRUE(window.publishable(window.at(1)));
  EXPECT_FALSE(window.publishable(window.at(3)));
  window.disconnected();
  EXPECT_EQ(window.republishOrder(), (std::vector<uint64_t>{0, 1}));
  window.published(window.at(0), 1);
  window.published(window.at(1), 2);
  EXPECT_FALSE(window.settled());
  window.acknowledge(2, true);
  window.advance();
  EXPECT_TRUE(window.settled()) << "everything before the halt point is confirmed";
  EXPECT_EQ(window.lowWaterMark(), at(200));
  EXPECT_EQ(window.unconfirmed(), 2u);
}

}  // namespace
}  // namespace mm::pipeline
