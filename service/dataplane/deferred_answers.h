// The data planes answer on the next turn of the loop (a zero-delay alarm),
// never from inside the request, so the engine is never re-entered.
#pragma once

#include <deque>
#include <functional>
#include <memory>

#include "core/data_plane.h"
#include "core/timing.h"

namespace l2tp::dataplane {

class DeferredAnswers {
 public:
  using Answer = std::function<void(DataPlaneEvents&)>;

  DeferredAnswers(AlarmFactory& alarms, DataPlaneEvents& events)
      : events_(events), alarm_(alarms.create([this] { flush(); })) {}

  void later(Answer answer) {
    pending_.push_back(std::move(answer));
    if (!alarm_->armed()) alarm_->arm(Duration::zero());
  }

 private:
  void flush() {
    // Answers can make the engine ask for more; those wait for the next
    // turn, so one turn never runs unbounded.
    std::deque<Answer> due;
    due.swap(pending_);
    for (Answer& answer : due) answer(events_);
  }

  DataPlaneEvents& events_;
  std::unique_ptr<Alarm> alarm_;
  std::deque<Answer> pending_;
};

}  // namespace l2tp::dataplane
