#include "fsm/tunnel_channel.h"

namespace l2tp::transport {
template class ControlChannel<fsm::OutgoingMessage, fsm::IncomingMessage>;
}  // namespace l2tp::transport
