#include "pipeline/pipeline.h"

#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/thread_name.h"
#include "pipeline/transformer_stage.h"

namespace mm::pipeline {
namespace {

// Runs a stage body, turning an escaped exception into a Status (stages must never die silently).
template <typename Body>
Status guarded(std::string_view stage, Body body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::internal(fmt::format("{} stage: {}", stage, e.what()));
  }
}

// The checkpoint the stream starts from: `start` without the snapshot progress, which only the
// publisher's marks carry (a stream checkpoint carrying it would bring old progress back).
checkpoint::Checkpoint streamStart(const checkpoint::Checkpoint& start) {
  checkpoint::Checkpoint stream = start;
  stream.snapshot = nullptr;
  return stream;
}

// Runs `body` with a stop token that fires on either phase of a stop.
template <typename Body>
Status runEitherStopping(const std::stop_token& reading, const std::stop_token& hard, Body body) {
  std::stop_source either;
  std::stop_callback on_reading(reading, [&] { either.request_stop(); });
  std::stop_callback on_hard(hard, [&] { either.request_stop(); });
  return body(either.get_token());
}

}  // namespace

void Pipeline::requestStop() {
  std::lock_guard lock(mutex_);
  ++stop_requests_;
  reader_stop_.request_stop();
  if (stop_requests_ > 1) {
    hard_stop_.request_stop();
  }
  finished_cv_.notify_all();
}

// The stages of one run, wired to each other by their queues.
struct Pipeline::Stages {
  explicit Stages(Pipeline& p, const checkpoint::Checkpoint& start)
      : source_queue(p.options_.source_queue_batches, p.options_.source_queue_bytes,
                     &p.stats_.source_queue),
        publish_queue(p.options_.publish_queue_items, p.options_.publish_queue_bytes,
                      &p.stats_.publish_queue),
        reader(p.source_, source_queue, p.stats_, p.clock_, p.options_.reader), delay(makeDelay(p)),
        transformer(source_queue, publish_queue, p.history_, delay ? &*delay : nullptr, p.clock_,
                    p.options_.routing_key, p.stats_),
        publisher(p.publisher_, publish_queue, p.state_, p.clock_, p.stats_, p.options_.publisher,
                  start) {
    transformer.setStatePath(p.state_.describe());
    transformer.setMessageFormat(p.options_.message_format);
    if (p.snapshot_source_ != nullptr) {
      snapshot.emplace(*p.snapshot_source_, source_queue, feedback, *p.snapshot_control_,
                       p.options_.reader.filter, p.stats_, p.clock_, p.options_.snapshot);
      transformer.attachSnapshot(feedback,
                                 std::make_shared<const checkpoint::Checkpoint>(streamStart(start)),
                                 start.snapshot);
    }
  }
  static std::optional<DelayBuffer> makeDelay(Pipeline& p) {
    if (p.options_.delay.count() == 0) {
      return std::nullopt;
    }
    return std::optional<DelayBuffer>(std::in_place, p.options_.delay, p.options_.delay_max_entries,
                                      p.stats_);
  }

  BoundedQueue<SourceBatch> source_queue;
  BoundedQueue<PublishBatch> publish_queue;
  ReaderStage reader;
  std::optional<DelayBuffer> delay;
  TransformerStage transformer;
  PublisherStage publisher;
  ChunkFeedback feedback;
  std::optional<SnapshotStage> snapshot;
};

Status Pipeline::run(const checkpoint::Checkpoint& start) {
  Stages stages(*this, start);
  const Outcome outcome = runStages(stages, start);
  spdlog::info("pipeline stopped at {}: {} messages published, {} confirmed, {} republished, {} "
               "changes coalesced",
               checkpoint::toString(stages.publisher.checkpoint()),
               metrics::get(stats_.messages_published), metrics::get(stats_.messages_confirmed),
               metrics::get(stats_.messages_republished), metrics::get(stats_.messages_coalesced));
  for (const Status* s : {&outcome.reader, &outcome.transformer, &outcome.publisher}) {
    if (!s->isOk() && s->code() != StatusCode::Cancelled) {
      return *s;
    }
  }
  return Status::ok();
}

Pipeline::Outcome Pipeline::runStages(Stages& stages, const checkpoint::Checkpoint& start) {
  Outcome outcome;
  std::atomic<int> running{stages.snapshot ? 4 : 3};
  // Runs a stage's body on a thread of its own name; `after` sees its status.
  auto stage = [&](const char* name, Status& status, auto body, auto after) {
    return std::jthread([&, name, body, after] {
      status = guarded(name, [&] {
        nameThisThread(fmt::format("mm-{}", name));
        return body();
      });
      after(status);
      running--;
      std::lock_guard lock(mutex_);
      finished_cv_.notify_all();
    });
  };
  // A failed stage stops the reader; what is already queued still drains and is confirmed.
  auto stop_reading = [this](const Status& s) {
    if (!s.isOk()) {
      reader_stop_.request_stop();
    }
  };
  const std::stop_token hard = hard_stop_.get_token();
  const std::stop_token reading = reader_stop_.get_token();
  {
    std::jthread publisher = stage(
        "publisher", outcome.publisher, [&] { return stages.publisher.run(hard, reading); },
        [this](const Status& s) {
          if (!s.isOk()) {
            // Without a publisher nothing drains: everyone stops now.
            hard_stop_.request_stop();
            reader_stop_.request_stop();
          }
        });
    std::jthread transformer = stage(
        "transformer", outcome.transformer, [&] { return stages.transformer.run(hard); },
        stop_reading);
    // The reader (and the snapshot worker) stop on either phase.
    auto read = [&](std::stop_token stop) { return stages.reader.run(streamStart(start), stop); };
    std::jthread reader = stage(
        "reader", outcome.reader, [&] { return runEitherStopping(reading, hard, read); },
        stop_reading);
    std::jthread snapshot;
    if (stages.snapshot) {
      snapshot = stage(
          "snapshot", outcome.snapshot,
          [&] {
            return runEitherStopping(reading, hard, [&](std::stop_token stop) {
              return stages.snapshot->run(start.snapshot, first_start_, stop);
            });
          },
          [](const Status&) {});  // the snapshot never stops the pipeline
    }
    supervise(running);
  }
  return outcome;
}

void Pipeline::supervise(const std::atomic<int>& running) {
  std::unique_lock lock(mutex_);
  finished_cv_.wait(lock, [&] { return running == 0 || reader_stop_.stop_requested(); });
  if (running > 0 &&
      !finished_cv_.wait_for(lock, options_.stop_timeout, [&] { return running == 0; })) {
    spdlog::warn("pipeline did not drain within {} ms; stopping at once",
                 options_.stop_timeout.count());
    hard_stop_.request_stop();
  }
}

}  // namespace mm::pipeline
