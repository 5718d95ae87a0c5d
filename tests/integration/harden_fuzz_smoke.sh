# CI fuzz smoke: every libFuzzer target (decode, sanitize, config, theme, wsmsg, agui, otlp)
# built with ASan+UBSan and run for HARDEN_FUZZ_SECONDS each (default 3: under 60 s in all,
# builds included), seeded with the fixtures and the kept reproducers. `make fuzz` runs
# them longer.
. "$(dirname "$0")/../lib.sh"
command -v clang >/dev/null 2>&1 || { echo "skip: clang not installed"; exit 77; }
sh "$ROOT/tests/fuzz/run.sh" "${HARDEN_FUZZ_SECONDS:-3}" decode sanitize config theme wsmsg agui otlp
