# Warnings are errors for the project's own code only. Generated Verilator
# sources and the Verilator/SystemC headers are compiled without them (the
# headers come in as SYSTEM includes), so a toolchain upgrade cannot break
# the build through code we do not own.
function(rcsim_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
endfunction()
