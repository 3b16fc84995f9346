// When the engine tells its observer: after the entry point that caused an
// event has finished, with the object as it was, so that an observer may
// call back into the engine (fsm/observer.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace l2tp::testing {
namespace {

using fsm::ObjectState;
using wire::MessageType;
using namespace std::chrono_literals;

class EventsTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(pair.net.problems(), ""); }

  LacLns pair{{.transport = Transport{}}};
};

TEST_F(EventsTest, ACommandFinishesBeforeItsEventsAreDelivered) {
  // By the time tunnel_added arrives, create_tunnel has sent its SCCRQ and
  // the tunnel is in the engine's tables: no half-made object is ever seen.
  std::size_t sccrqs_when_added = 0;
  std::optional<fsm::TunnelView> queried_when_added;
  pair.lac.observer().set_hook([&](const ObservedEvent& event) {
    if (event.kind != EventKind::kTunnelAdded) return;
    sccrqs_when_added = count_sent(pair.net, pair.lac, MessageType::kSccrq);
    queried_when_added = pair.lac.engine().tunnel(event.tunnel_id);
  });
  pair.listen();
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  EXPECT_EQ(sccrqs_when_added, 1u);
  ASSERT_TRUE(queried_when_added.has_value());
  EXPECT_EQ(queried_when_added->tunnel_id, id);
  EXPECT_EQ(pair.lac.observer().count(EventKind::kTunnelAdded), 1u);
}

TEST_F(EventsTest, AnEventBatchHoldsDeliveryUntilItEnds) {
  std::uint32_t id = 0;
  {
    const fsm::Engine::EventBatch batch(pair.lac.engine());
    id = expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
    EXPECT_EQ(pair.lac.observer().count(EventKind::kTunnelAdded), 0u);
    EXPECT_TRUE(pair.lac.engine().tunnel(id).has_value());
  }
  ASSERT_EQ(pair.lac.observer().tunnels_added(), std::vector<std::uint32_t>{id});
}

TEST_F(EventsTest, AnObserverMayCloseWhatItWasJustToldAbout) {
  pair.listen();
  pair.lac.observer().set_hook([&](const ObservedEvent& event) {
    if (event.kind == EventKind::kTunnelAdded) {
      expect_ok(pair.lac.engine().close_tunnel(event.tunnel_id), "close_tunnel from the observer");
    }
  });
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(40s);
  EXPECT_TRUE(pair.lac.observer().tunnel_removed_seen(id));
  EXPECT_EQ(pair.lac.observer().last_tunnel(id)->last_result.result, 1);
  EXPECT_EQ(pair.lac.engine().tunnel_ids(), std::vector<std::uint32_t>{});
  EXPECT_THAT(pair.lac.observer().contract_violations(), ::testing::IsEmpty());
}

TEST_F(EventsTest, AnObserverMayOpenASessionWhenItsTunnelComesUp) {
  pair.listen();
  std::optional<std::uint32_t> session;
  pair.lac.observer().set_hook([&](const ObservedEvent& event) {
    if (event.kind == EventKind::kTunnelChanged && event.tunnel &&
        event.tunnel->state == ObjectState::kEstablished && !session) {
      session = expect_ok(pair.lac.engine().create_session(event.tunnel_id, {}),
                          "create_session from the observer");
    }
  });
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(2s);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(pair.lac.session(id, *session).state, ObjectState::kEstablished);
  // The session's events follow the tunnel event whose delivery made it.
  const auto& events = pair.lac.observer().events();
  const auto added = std::find_if(events.begin(), events.end(), [](const ObservedEvent& event) {
    return event.kind == EventKind::kSessionAdded;
  });
  ASSERT_NE(added, events.end());
  ASSERT_NE(added, events.begin());
  EXPECT_EQ(std::prev(added)->kind, EventKind::kTunnelChanged);
  EXPECT_THAT(pair.lac.observer().contract_violations(), ::testing::IsEmpty());
}

TEST_F(EventsTest, RemovalCarriesTheFinalViewOfAnObjectTheEngineNoLongerLists) {
  const TunnelPair tunnels = pair.establish();
  const SessionPair sessions = pair.open_session(tunnels, {});
  std::optional<fsm::TunnelView> queried_at_removal;
  std::optional<fsm::TunnelView> carried_at_removal;
  std::vector<std::uint32_t> sessions_in_final_view{99};
  pair.lac.observer().set_hook([&](const ObservedEvent& event) {
    if (event.kind != EventKind::kTunnelRemoved) return;
    queried_at_removal = pair.lac.engine().tunnel(event.tunnel_id);
    carried_at_removal = event.tunnel;
    sessions_in_final_view = event.tunnel->sessions;
  });
  expect_ok(pair.lac.engine().close_tunnel(tunnels.lac), "close_tunnel");
  pair.net.advance(2s);
  EXPECT_FALSE(queried_at_removal.has_value());
  ASSERT_TRUE(carried_at_removal.has_value());
  EXPECT_EQ(carried_at_removal->state, ObjectState::kClosed);
  EXPECT_EQ(carried_at_removal->last_result.result, 1);
  EXPECT_TRUE(sessions_in_final_view.empty());
  EXPECT_TRUE(pair.lac.observer().session_removed_seen(tunnels.lac, sessions.lac));
}

}  // namespace
}  // namespace l2tp::testing
