#!/usr/bin/env bash
# Fuzz the topology DSL and the Rhai entry point for a bounded time (coverage-guided, libFuzzer
# through cargo-fuzz).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); TARGET is `topology` and/or `script` (default both).
# Exits 1 when a target crashes (a panic, a located-error check that fails, a timeout or an
# out-of-memory), printing the reproducer and the command that replays it.
#
# Environment:
#   FUZZ_SANITIZER  none (default, the fastest: panics are caught either way), address, ...
#   FUZZ_TIMEOUT    seconds one input may take before it counts as a hang (default 10, or 60
#                   with a sanitizer)
#   FUZZ_MAX_LEN    longest input in bytes (default 8192)
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd .. && pwd)

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(topology script)
sanitizer=${FUZZ_SANITIZER:-none}
# A busy loop ends at the engine's operation limit in about 2 s, or 20 s under ASan.
if [ "$sanitizer" = none ]; then timeout=${FUZZ_TIMEOUT:-10}; else timeout=${FUZZ_TIMEOUT:-60}; fi
max_len=${FUZZ_MAX_LEN:-8192}

# cargo-fuzz passes nightly-only flags (-Zsanitizer, -Cpasses=sancov-module, ...); the stable
# compiler accepts them when RUSTC_BOOTSTRAP is set, so no nightly toolchain is needed.
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi

# The examples as they are now, beside the hand-made seeds/ (which libFuzzer reads, never
# writes): the seed lab, the test labs, and every example block of the docs.
gather_examples() {
    local target=$1 out=corpus/$1 ext blocks
    case $target in
        topology) ext=topo blocks='^```topo(-error)?$' ;;
        script) ext=rhai blocks='^```rhai(-error)?$' ;;
        *) echo "unknown target $target (expected topology or script)" >&2; exit 2 ;;
    esac
    mkdir -p "$out"
    find "$repo/scripts" "$repo/tests/labs" "$repo/stdlib" -name "*.$ext" 2>/dev/null |
        while read -r file; do
            cp "$file" "$out/example-$(basename "$(dirname "$file")")-$(basename "$file")"
        done
    for doc in "$repo"/docs/*.md "$repo/README.md"; do
        [ -f "$doc" ] || continue
        awk -v out="$out/docs-$(basename "$doc" .md)" -v open="$blocks" '
            $0 ~ open { n++; file = sprintf("%s-%03d", out, n); next }
            /^```/ { if (file) close(file); file = ""; next }
            file { print > file }
        ' "$doc"
    done
}

echo "building the fuzz targets (sanitizer: $sanitizer; fuzz/target)"
cargo fuzz build -s "$sanitizer"
bin=target/$(rustc -vV | sed -n 's/^host: //p')/release

status=0
for target in "${targets[@]}"; do
    gather_examples "$target"
    mkdir -p "artifacts/$target"
    log=$(mktemp)
    echo "fuzzing $target for ${seconds} s (corpus: fuzz/corpus/$target + fuzz/seeds/$target)"
    set +e
    # The binary built above, not `cargo fuzz run`: the project's sources may change while a
    # long run goes on, and a rebuild between targets would cost minutes.
    "$bin/$target" "corpus/$target" "seeds/$target" -artifact_prefix="artifacts/$target/" \
        -max_total_time="$seconds" -timeout="$timeout" -max_len="$max_len" \
        -dict="$target.dict" -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1
    code=$?
    set -e
    # libFuzzer's last status line: executions, coverage (cov: edges, ft: features), speed.
    grep -E '^#[0-9]+' "$log" | tail -1 | sed "s/^/  $target: /" || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" |
        sed "s/^/  $target: /" || true
    if [ $code -ne 0 ]; then
        status=1
        grep -E -m20 'panicked at|^thread |ERROR: libFuzzer|ALARM|out-of-memory|SUMMARY' "$log" | sed 's/^/  /' || true
        artifact=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //')
        echo "FAILED: $target (exit $code); full log: $log"
        if [ -n "$artifact" ]; then
            echo "  reproducer: fuzz/$artifact"
            echo "  replay:     (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s $sanitizer $target $artifact)"
        fi
    else
        rm -f "$log"
    fi
done
exit $status
