// SaveCadence (issue 16 item 10): saves at most every interval on a fast disk, so a crash
// re-publishes at most the interval plus one save of confirmed changes; on a slow disk saves are
// spaced four times their duration (a quarter of the writer's time at most), and a hundred times
// their CPU time (1 % of a core at most).
#include "pipeline/save_cadence.h"

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

TEST(SaveCadence, TheFirstSaveIsDueAtOnce) {
  SaveCadence cadence(50ms);
  EXPECT_TRUE(cadence.due(TimePoint{1h}));
}

// After a save of d and c CPU started at `start`, the next is due at start + max(interval, 4 d, 100
// c).
TEST(SaveCadence, TheNextSaveIsDueAnIntervalOrTenSavesAfterTheLastStarted) {
  SaveCadence cadence(50ms);
  const TimePoint start{1h};
  struct Case {
    std::chrono::milliseconds took;
    std::chrono::microseconds cpu;
    std::chrono::milliseconds due_after;
  };
  TimePoint at = start;
  for (const Case c : {Case{1ms, 200us, 50ms}, Case{12ms, 400us, 50ms}, Case{20ms, 400us, 80ms},
                       Case{10ms, 800us, 80ms}, Case{1ms, 200us, 50ms}}) {
    cadence.saved(at, at + c.took, c.cpu);
    EXPECT_FALSE(cadence.due(at + c.due_after - 1ms)) << "a save of " << c.took.count() << " ms";
    EXPECT_TRUE(cadence.due(at + c.due_after)) << "a save of " << c.took.count() << " ms";
    at += c.due_after;
  }
}

// What a crash costs: under a steady stream of confirms, simulated with saves of `save` each, the
// confirmed-but-unsaved time at any instant (the instant minus the start of the last save that
// completed) never exceeds the spacing plus one save (100 ms at most while a save takes up to 20
// ms), and saving takes at most a quarter of the time.
TEST(SaveCadence, UnsavedConfirmsStayWithinTheIntervalPlusOneSave) {
  for (const auto save : {0ms, 1ms, 5ms, 12ms, 20ms, 40ms}) {
    SaveCadence cadence(50ms);
    const TimePoint begin{1h};
    TimePoint now = begin;
    const TimePoint end = begin + 10s;
    TimePoint durable_mark = now;  // the time whose confirms the last completed save holds
    std::chrono::milliseconds worst_lag{0};
    std::chrono::milliseconds saving{0};
    int saves = 0;
    while (now < end) {
      if (cadence.due(now)) {
        const TimePoint started = now;
        now += save;
        // Until it completes, the previous save is what a crash finds.
        worst_lag = std::max(
            worst_lag, std::chrono::duration_cast<std::chrono::milliseconds>(now - durable_mark));
        cadence.saved(started, now, 400us);  // what a save cost on a busy disk here
        durable_mark = started;
        saving += save;
        ++saves;
      } else {
        now += 1ms;  // one turn of the publisher's loop
        worst_lag = std::max(
            worst_lag, std::chrono::duration_cast<std::chrono::milliseconds>(now - durable_mark));
      }
    }
    const auto spacing =
        std::max<std::chrono::milliseconds>(50ms, save * SaveCadence::kSlowDiskSpacing);
    EXPECT_LE(saves * 400us * 100, now - begin + 40ms)
        << "save of " << save.count() << " ms: over 1 % of a core";
    EXPECT_LE(worst_lag, spacing + save) << "save of " << save.count() << " ms";
    // A quarter of the time, give or take the save the run began with.
    EXPECT_LE(saving * 4, now - begin + save * 4)
        << "save of " << save.count() << " ms: over a quarter saving";
    if (save <= 20ms) {
      EXPECT_LE(worst_lag, 100ms) << "save of " << save.count()
                                  << " ms: more than 100 ms of confirms unsaved";
    }
  }
}

}  // namespace
}  // namespace mm::pipeline
