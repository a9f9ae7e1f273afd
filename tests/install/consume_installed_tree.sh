#!/bin/bash
# The install-and-consume test: `cmake --install` the build into a fresh
# prefix, check what is there, then build examples/model-regression (a copy,
# outside the source tree) against that prefix alone and run its tests, and
# compile its C program through pkg-config's rcsim-client.
# usage: consume_installed_tree.sh SOURCE_DIR BUILD_DIR WORK_DIR LIBDIR INCLUDEDIR LIBEXECDIR
set -eu -o pipefail
src=$1 build=$2 work=$3 libdir=$4 incdir=$5 libexecdir=$6
prefix=$work/prefix

fail() {
  echo "install.ConsumeInstalledTree: $*" >&2
  exit 1
}

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"

# What a device author looks for, by the names the READMEs give.
for f in bin/rcsim bin/vu-probe \
  "$libexecdir"/rcsim/{regs,dmacopy,gpio,dmaprobe,wide,timer,shmem} \
  "$libdir"/librcsim-client.so "$libdir"/librcsim-client.so.0 "$libdir"/librcsim-client.so.0.1.0 \
  "$libdir"/librcsim-client.a \
  "$libdir"/librcsim_{harness,harness_rtl,port,tlp,host,bridge,process,files,sched}.a \
  "$incdir"/rcsim/harness_fixture.hpp "$incdir"/rcsim/harness.hpp \
  "$incdir"/rcsim/vfio_user/client.h "$incdir"/rcsim/vfio_user/proto.h \
  "$libdir"/cmake/rcsim/rcsimConfig.cmake "$libdir"/cmake/rcsim/rcsimConfigVersion.cmake \
  "$libdir"/cmake/rcsim/rcsimTargets.cmake "$libdir"/pkgconfig/rcsim-client.pc; do
  [ -e "$prefix/$f" ] || fail "missing $f"
done
soname=$(readelf -d "$prefix/$libdir/librcsim-client.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = librcsim-client.so.0 ] || fail "SONAME '$soname', expected librcsim-client.so.0"
# The package and the .pc file find everything from where they are installed.
if grep -rlF -e "$src" "$prefix/$libdir/cmake" "$prefix/$libdir/pkgconfig"; then
  fail "installed package files name the source or build tree"
fi

# The installed tool runs on its own: a scenario against an installed model.
"$prefix/bin/rcsim" run --server "$prefix/$libexecdir/rcsim/regs" \
  --scenario "$src/tests/scenarios/regs.rcs" >"$work/rcsim-run.log" 2>&1 ||
  { cat "$work/rcsim-run.log"; fail "installed rcsim run failed"; }

# The example project, configured with nothing but the prefix.
cp -r "$src/examples/model-regression" "$work/example"
cmake -S "$work/example" -B "$work/example-build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$work/configure.log" ||
  { cat "$work/configure.log"; fail "configuring the example failed"; }
# Every path its compile and link commands use is in the prefix, the copy or
# the system: none into this source or build tree outside $work.
for f in compile_commands.json build.ninja; do
  if sed "s|$work||g" "$work/example-build/$f" | grep -F "$src"; then
    fail "the example's $f names the source or build tree"
  fi
done
cmake --build "$work/example-build" -j 2 >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; fail "building the example failed"; }
ctest --test-dir "$work/example-build" --output-on-failure --no-tests=error >"$work/ctest.log" 2>&1 ||
  { cat "$work/ctest.log"; fail "the example's tests failed"; }
grep -q "100% tests passed, 0 tests failed out of 3" "$work/ctest.log" ||
  { cat "$work/ctest.log"; fail "expected the example's 3 tests (2 regression, read_regs)"; }

# The C client through pkg-config: shared, then static.
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
pc_libdir=$(pkg-config --variable=libdir rcsim-client)
[ "$(cd "$pc_libdir" && pwd)" = "$(cd "$prefix/$libdir" && pwd)" ] ||
  fail "pkg-config's libdir $pc_libdir is not the prefix's"
read -r -a cflags <<<"$(pkg-config --cflags rcsim-client)"
read -r -a libs <<<"$(pkg-config --libs rcsim-client)"
cc -std=c11 -Wall -Wextra -Werror "${cflags[@]}" "$work/example/read_regs.c" -o "$work/read_regs_shared" \
  "${libs[@]}" -Wl,-rpath,"$pc_libdir"
ldd "$work/read_regs_shared" | grep -qF "$pc_libdir/librcsim-client.so.0" ||
  fail "read_regs_shared does not load the installed librcsim-client.so.0"
# --static adds Requires.private (json-c); -Bstatic picks librcsim-client.a.
static_libs=$(pkg-config --static --libs rcsim-client)
read -r -a static_libs <<<"${static_libs/-lrcsim-client/-Wl,-Bstatic -lrcsim-client -Wl,-Bdynamic}"
cc -std=c11 -Wall -Wextra -Werror "${cflags[@]}" "$work/example/read_regs.c" -o "$work/read_regs_static" \
  "${static_libs[@]}"
if ldd "$work/read_regs_static" | grep -q librcsim-client; then
  fail "read_regs_static loads librcsim-client.so"
fi
for v in shared static; do
  out=$("$work/read_regs_$v" "$prefix/$libexecdir/rcsim/regs")
  [ "$out" = "vendor 0x5243, BAR0 ID 0x52435247" ] || fail "read_regs_$v printed '$out'"
done
echo "install.ConsumeInstalledTree: installed, example built and its 3 tests passed, pkg-config links shared and static"
