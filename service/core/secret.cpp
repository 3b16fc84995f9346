#include "core/secret.h"

#include <string.h>

namespace l2tp {

void wipe(void* data, std::size_t size) {
  if (data != nullptr && size > 0) explicit_bzero(data, size);
}

}  // namespace l2tp
