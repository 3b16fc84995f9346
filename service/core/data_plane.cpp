#include "core/data_plane.h"

namespace l2tp {

const char* to_string(Pseudowire pseudowire) {
  switch (pseudowire) {
    case Pseudowire::kPpp:
      return "ppp";
    case Pseudowire::kEth:
      return "eth";
  }
  return "unknown";
}

const char* to_string(L2SpecificSublayer sublayer) {
  switch (sublayer) {
    case L2SpecificSublayer::kNone:
      return "none";
    case L2SpecificSublayer::kDefault:
      return "default";
  }
  return "unknown";
}

const char* to_string(Sequencing sequencing) {
  switch (sequencing) {
    case Sequencing::kNone:
      return "none";
    case Sequencing::kSend:
      return "send";
    case Sequencing::kRecv:
      return "recv";
    case Sequencing::kBoth:
      return "both";
  }
  return "unknown";
}

}  // namespace l2tp
