#!/usr/bin/env bash
# Coverage-guided fuzzing of the request parsers with cargo fuzz (libFuzzer)
# on the stable toolchain (`-s none`: no sanitizer, which would need nightly;
# what it finds is a panic, a failed property, an abort, a timeout or memory
# running away). The targets are in fuzz/fuzz_targets/, their seeds in
# fuzz/seeds/; see fuzz/README.md.
#
# Each target runs FUZZ_SECONDS (default 20); FUZZ_TARGETS picks some
# (default: all). The corpus each run grows is kept in ~/.cache/baigate, so
# later runs start where earlier ones stopped. A longer run:
#   FUZZ_SECONDS=1800 ./scripts/fuzz.sh
#   FUZZ_TARGETS=json_bodies FUZZ_SECONDS=3600 ./scripts/fuzz.sh
# A crash is saved in fuzz/artifacts/<target>/; replay it with
#   cargo fuzz run -s none <target> fuzz/artifacts/<target>/<file>
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_EACH="${FUZZ_SECONDS:-20}"
CORPUS_DIR="$CACHE_DIR/fuzz-corpus"

ensure_rust
command -v c++ >/dev/null || apt_install g++ # libfuzzer-sys builds libFuzzer's C++
ensure_cargo_fuzz
export PATH="$CARGO_FUZZ_DIR/bin:$PATH"
cd "$ROOT"

# cargo fuzz has no --locked: check the committed lock file first, so the
# build below cannot change it.
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null

read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo fuzz list | tr '\n' ' ')}"
[ "${#targets[@]}" -gt 0 ] || fail "no fuzz targets"

say "building ${#targets[@]} fuzz targets (release, no sanitizer)"
cargo fuzz build -s none

failed=()
for target in "${targets[@]}"; do
    say "fuzzing $target for ${SECONDS_EACH}s"
    mkdir -p "$CORPUS_DIR/$target"
    # The first directory receives new inputs; the committed seeds are only read.
    if ! cargo fuzz run -s none "$target" "$CORPUS_DIR/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        2>"$CORPUS_DIR/$target.log"; then
        tail -n 60 "$CORPUS_DIR/$target.log" >&2
        failed+=("$target")
    else
        grep -E "stat::number_of_executed_units|stat::new_units_added" "$CORPUS_DIR/$target.log" |
            tr '\n' ' ' >&2
        printf '\n' >&2
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    fail "fuzzing found crashes in: ${failed[*]} (inputs in fuzz/artifacts/)"
fi
say "fuzzing: no crash in ${#targets[@]} targets"
