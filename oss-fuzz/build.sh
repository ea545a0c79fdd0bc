#!/bin/bash -eu
# OSS-Fuzz build script for parsec-harness. Uses only what OSS-Fuzz sets: $CC $CXX $CFLAGS
# $CXXFLAGS $LIB_FUZZING_ENGINE $SRC $OUT $WORK. Every fuzz/fuzz_*.c that the checkout can build
# becomes $OUT/<target>, with <target>.dict, <target>.options and <target>_seed_corpus.zip.
# At fuzz time only $OUT exists: shared libraries other than libc, libm, libpthread, libdl,
# libstdc++ and the dynamic loader are copied to $OUT/lib, which the targets' DT_RPATH
# ($ORIGIN/lib) finds, and so do those libraries' own dependencies.
src=$SRC/parsec-harness
build=$WORK/parsec-harness-build

# No CMAKE_BUILD_TYPE: $CFLAGS alone decide optimisation and instrumentation. Warnings stay
# warnings: OSS-Fuzz's flag sets are not what -Werror is kept clean against.
cmake -S "$src" -B "$build" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" -DCMAKE_BUILD_TYPE= \
  -DPSH_FUZZ=ON -DPSH_FUZZ_ENGINE_LIB="$LIB_FUZZING_ENGINE" -DPSH_SANITIZE=OFF -DPSH_WERROR=OFF
cmake --build "$build" -j"$(nproc)" --target fuzz_all

mkdir -p "$OUT/lib"
targets=$(cat "$build/fuzz/targets.txt")
for t in $targets; do
  cp "$build/fuzz/$t" "$OUT/"
  for ext in dict options; do
    if [ -f "$src/fuzz/$t.$ext" ]; then cp "$src/fuzz/$t.$ext" "$OUT/"; fi
  done
  if [ -d "$src/corpora/$t" ] && [ -n "$(ls -A "$src/corpora/$t")" ]; then
    rm -f "$OUT/${t}_seed_corpus.zip"
    (cd "$src/corpora/$t" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
  fi
done

# Shared objects a target needs at run time, beyond the runner's own C/C++ runtime.
keep_system() {
  case "$(basename "$1")" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|libstdc++.so.*|ld-linux*.so.*) return 0 ;;
  esac
  return 1
}
copy_deps() { # binary-or-library
  ldd "$1" | awk '/=> \// { print $3 }' | while read -r lib; do
    keep_system "$lib" && continue
    [ -f "$OUT/lib/$(basename "$lib")" ] && continue
    cp -L "$lib" "$OUT/lib/"
  done
}
for t in $targets; do copy_deps "$OUT/$t"; done
# Modules the targets dlopen() themselves (the PKCS#11 target loads SoftHSM from its own
# directory's lib/): shipped with their dependencies.
need_softhsm=0
for t in $targets; do
  case "$t" in fuzz_pkcs11_*) need_softhsm=1 ;; esac
done
if [ "$need_softhsm" = 1 ]; then
  for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
    if [ -f "$m" ]; then cp -L "$m" "$OUT/lib/libsofthsm2.so"; copy_deps "$m"; break; fi
  done
fi
