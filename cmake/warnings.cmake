# Warnings are errors for the project's own code only. Generated Verilator
# sources and the Verilator/SystemC headers are compiled without them (the
# headers come in as SYSTEM includes), so a toolchain upgrade cannot break
# the build through code we do not own.
#
# RCSIM_SANITIZE=ON (make -f Makefile.ci sanitize) instruments the same
# targets with ASan+UBSan; the sanitizer runtimes are linked into every
# executable, so uninstrumented code (verilated models, Debian's SystemC)
# still runs under them.
option(RCSIM_SANITIZE "Build our targets with -fsanitize=address,undefined" OFF)
set(RCSIM_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=all)
# gcc's -fsanitize link spec turns --as-needed off before our libraries, so
# every tool linking the harness would keep libsystemc.so, whose load needs
# the program's sc_main; rcsim-trace2perfetto and the trace tests have none
# (they never start SystemC). --as-needed again restores the normal link.
if(RCSIM_SANITIZE)
  add_link_options(-fsanitize=address,undefined -Wl,--as-needed)
endif()

function(rcsim_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(RCSIM_SANITIZE)
    target_compile_options(${target} PRIVATE ${RCSIM_SANITIZE_FLAGS})
  endif()
endfunction()
