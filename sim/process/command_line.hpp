// A server's command line as the user wrote it (`--server "dmacopy --irq msi"`)
// into the argv it is started with.
#pragma once

#include <string>
#include <vector>

namespace rcsim {

// Splits a command line into argv the way a POSIX shell's word splitting and
// quote removal would, with no expansion: blanks separate words; '...' is
// literal; "..." is literal except \" \\ \$ \` and backslash-newline;
// outside quotes a backslash quotes the next character. Returns 0, or
// -EINVAL with `error` set (unterminated quote, trailing backslash, no words).
int split_command_line(const std::string &line, std::vector<std::string> *argv, std::string *error);

// Where a program would be found by execvp (PATH search when it has no
// slash). Returns 0 or a negative errno.
int resolve_executable(const std::string &program, std::string *path);

} // namespace rcsim
