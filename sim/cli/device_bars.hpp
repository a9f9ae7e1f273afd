// A connected vfio-user device's BARs as the enumeration plan wants them
// (topology::BarSpec): the size from each region's info, the kind from the
// BAR register in config space, as rcsim probe prints it (bit 0: I/O; bits
// 2:1 = 2: 64-bit, the next BAR its upper half; bit 3: prefetchable).
#pragma once

#include "enumeration_plan.hpp"
#include "vfio_user/client.h"

#include <string>
#include <vector>

namespace rcsim {

// Reads DEVICE_GET_INFO, the region info of BAR0-5 and the ROM (region 6)
// and the BAR registers of config space (region 7). A region of size 0 is
// no BAR. Returns 0, or a negative errno with `error` saying which request
// failed or what the device got wrong.
int gather_device_bars(vuc_ctx *ctx, std::vector<topology::BarSpec> *out, std::string *error);

} // namespace rcsim
