// The settings of a run that a decision log pins (its header's "rtl"
// object): everything in HarnessConfig that changes what happens in a run
// (sim/harness/README.md, "Pinned settings"). One function writes them, one
// reads them back, so a replay takes exactly what the logged run had, and a
// malformed or out-of-range value in a log is refused by name.
//
// Not pinned: wall-time settings (the watchdog, the server start timeout):
// what they decided is in the log as decisions.
#pragma once

#include "harness.hpp"

#include <map>
#include <string>
#include <vector>

namespace rcsim {

using Settings = std::map<std::string, std::string>;

// The pinned settings of `cfg`, by name, as text. `client`, `dma_choices`
// and `hold_cycles` appear only when not the default (older logs match).
Settings pinned_settings(const HarnessConfig &cfg);

// Sets what `name` pins in `cfg` from its logged `value`. Empty on success,
// else why the value cannot be taken (unknown name, malformed, out of range).
std::string adopt_setting(const std::string &name, const std::string &value, HarnessConfig *cfg);

// One DMA window as the log pins it and --dma-window takes it:
// BASE+SIZE:PERM[:fd|:msg|:sock]:NAME (PERM r, w or rw; fd: shared, a memfd
// the server maps; sock: by messages on a DMA socket of the window's own).
// Empty on success, else why not.
std::string parse_dma_window(const std::string &text, MemWindow *out);

// Every setting of `logged` adopted into `cfg`; one line per refused one
// ("NAME: reason"). A log without bar_access replays by messages.
std::vector<std::string> adopt_settings(const Settings &logged, HarnessConfig *cfg);

// Lines "setting NAME: log has "A", run has "B"" for every difference.
std::vector<std::string> settings_differences(const Settings &log, const Settings &run);

// Parsers shared with the command line (empty string: ok, else the reason).
std::string parse_cpl_timeout(const std::string &text, uint32_t *out);
std::string parse_delay_choices(const std::string &text, std::vector<uint64_t> *out);
bool parse_irq_preference(const std::string &text, IrqPreference *out);
// BASE+SIZE of the I/O window: SIZE > 0, ending at or below 4 GiB (I/O
// addresses are 32 bits). "" or why not.
std::string parse_io_window(const std::string &text, uint32_t *base, uint32_t *size);
const char *to_string(IrqPreference p);
// "mapping" or "messages" (--bar-access, the log's bar_access).
const char *to_string(BarAccess a);
bool parse_bar_access(const std::string &text, BarAccess *out);

} // namespace rcsim
