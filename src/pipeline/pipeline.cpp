#include "pipeline/pipeline.h"

#include <thread>

#include <spdlog/spdlog.h>

#include "common/check.h"
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

Status Pipeline::run(const checkpoint::Checkpoint& start) {
  metrics::Stats* stats = options_.stats;
  BoundedQueue<SourceBatch> source_queue(options_.source_queue_batches, options_.source_queue_bytes,
                                        stats != nullptr ? &stats->source_queue : nullptr);
  BoundedQueue<PublishBatch> publish_queue(options_.publish_queue_items, options_.publish_queue_bytes,
                                           stats != nullptr ? &stats->publish_queue : nullptr);
  metrics::Stats reader_stats;  // until PipelineOptions::stats is required
  ReaderStage reader(source_, source_queue, stats != nullptr ? *stats : reader_stats, clock_,
                     options_.reader);
  std::optional<DelayBuffer> delay;
  if (options_.delay.count() > 0) {
    delay.emplace(options_.delay, options_.delay_max_entries, *stats);
  }
  TransformerStage transformer(source_queue, publish_queue, history_, delay ? &*delay : nullptr, clock_,
                               options_.routing_key, *stats);
  transformer.setStatePath(state_.path());
  MM_CHECK(stats != nullptr, "the publisher stage counts into the pipeline's metrics::Stats");
  PublisherStage publisher(publisher_, publish_queue, state_, clock_, *stats, options_.publisher,
                           start);

  Status reader_status, transformer_status, publisher_status;
  std::atomic<int> running{3};
  auto finish = [&] {
    running--;
    std::lock_guard lock(mutex_);
    finished_cv_.notify_all();
  };
  auto fail_fast = [&](const Status& s) {
    if (!s.isOk()) {
      // A failed stage stops the reader; what is already queued still drains and is confirmed.
      reader_stop_.request_stop();
    }
  };
  {
    std::stop_token hard = hard_stop_.get_token();
    std::stop_token reading = reader_stop_.get_token();
    std::jthread publisher_thread([&] {
      nameThisThread("mm-publisher");
      publisher_status = guarded("publisher", [&] { return publisher.run(hard, reading); });
      if (!publisher_status.isOk()) {
        // Without a publisher nothing drains: everyone stops now.
        hard_stop_.request_stop();
        reader_stop_.request_stop();
      }
      finish();
    });
    std::jthread transformer_thread([&] {
      nameThisThread("mm-transformer");
      transformer_status = guarded("transformer", [&] { return transformer.run(hard); });
      fail_fast(transformer_status);
      finish();
    });
    std::jthread reader_thread([&] {
      nameThisThread("mm-reader");
      // The reader stops on either phase.
      std::stop_source either;
      std::stop_callback on_reading(reading, [&] { either.request_stop(); });
      std::stop_callback on_hard(hard, [&] { either.request_stop(); });
      reader_status = guarded("reader", [&] { return reader.run(start, either.get_token()); });
      fail_fast(reader_status);
      finish();
    });
    // Supervise: once stopping began, bound how long draining may take.
    std::unique_lock lock(mutex_);
    finished_cv_.wait(lock, [&] { return running == 0 || reader_stop_.stop_requested(); });
    if (running > 0 && !finished_cv_.wait_for(lock, options_.stop_timeout, [&] { return running == 0; })) {
      spdlog::warn("pipeline did not drain within {} ms; stopping at once",
                   options_.stop_timeout.count());
      hard_stop_.request_stop();
    }
    lock.unlock();
  }
  spdlog::info("pipeline stopped at {}: {} messages published, {} confirmed, {} republished, {} "
               "changes coalesced",
               checkpoint::toString(publisher.checkpoint()),
               metrics::get(stats->messages_published), metrics::get(stats->messages_confirmed),
               metrics::get(stats->messages_republished),
               delay ? delay->coalesced() : 0);
  for (const Status* s : {&reader_status, &transformer_status, &publisher_status}) {
    if (!s->isOk() && s->code() != StatusCode::Cancelled) {
      return *s;
    }
  }
  return Status::ok();
}

}  // namespace mm::pipeline
