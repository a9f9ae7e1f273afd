// The verilated model a suite runs on, chosen at build time (RCSIM_TB_W =
// 64, 128, 256 or 512), so one test source serves several data widths.
#pragma once

#ifndef RCSIM_TB_W
#define RCSIM_TB_W 128
#endif

#if RCSIM_TB_W == 512
#include "Vrp512.h"
using TbModel = Vrp512;
#elif RCSIM_TB_W == 256
#include "Vrp256.h"
using TbModel = Vrp256;
#elif RCSIM_TB_W == 64
#include "Vrp64.h"
using TbModel = Vrp64;
#elif RCSIM_TB_W == 128
#include "Vrp128.h"
using TbModel = Vrp128;
#else
#error "RCSIM_TB_W must be 64, 128, 256 or 512"
#endif

#include "root_port_harness.hpp"

using Harness = rcsim::test::RootPortHarness<TbModel, RCSIM_TB_W>;
