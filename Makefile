# Strongroom: the two commands a newcomer needs are `make run` and `make test`.
#   make deps    install build, test and run dependencies (Debian 12 packages; needs root)
#   make build   hardened release binary at build/release/strongroom
#   make run     build, create ./var on first run (development instance), serve on :8443
#   make test    build debug and asan, run every test in both, and the console's in a real
#                browser; run every fuzz target for 20 s; build release, check its hardening, and
#                run the IT Health Check harness against it
#   make fuzz    every fuzz target for FUZZ_SECONDS (default 3600) each, keeping new corpus
#                entries (docs/testing.md); FUZZ_TARGETS="json csv" for some only
#   make ithc    the IT Health Check harness (scripts/ithc): independent tools against an instance
#                it starts (or, with ITHC_ARGS="--public URL --admin URL --cacert PEM ...", a
#                running deployment); the report goes to build/ithc
#   make bench   release build against nginx, same machine, same run

.PHONY: deps build run test test-debug test-console test-asan test-fuzz test-release test-ithc ithc fuzz bench format clean

deps:
	scripts/install-deps

build: deps
	cmake --preset release
	cmake --build build/release

run: build
	scripts/run-dev

test-debug: deps
	cmake --preset debug
	cmake --build build/debug
	ctest --preset debug

# The console in Debian's chromium, driven by playwright-core, against the debug binary.
test-console: test-debug
	scripts/test-console build/debug/strongroom

test-asan: deps
	cmake --preset asan
	cmake --build build/asan
	ctest --preset asan

# The libFuzzer targets (fuzz/, clang 16), each for 20 s from its seed corpus: about 4 minutes
# to run and 3 to build on two cores. Any finding fails; so does a target that ran nothing.
test-fuzz: deps
	cmake --preset fuzz
	cmake --build build/fuzz --target fuzzers
	scripts/fuzz --seconds 20

FUZZ_SECONDS ?= 3600
FUZZ_TARGETS ?=
fuzz: deps
	cmake --preset fuzz
	cmake --build build/fuzz --target fuzzers
	scripts/fuzz --seconds $(FUZZ_SECONDS) --keep $(FUZZ_TARGETS)

# The release binary is checked as built, not assumed; the check's own self-test shows it fails
# each property on a program built without the flags.
test-release: deps
	cmake --preset release
	cmake --build build/release
	scripts/check-hardening --self-test
	scripts/check-hardening build/release/strongroom

# The harness against the release binary: every tool must run and show what it did, and no
# finding may be high or critical. About 6 minutes on two idle cores (docs/compliance.md).
test-ithc: test-release
	scripts/ithc --launch build/release/strongroom --out build/ithc --record --fail-on high

ITHC_ARGS ?= --launch build/release/strongroom --record
ithc: build
	scripts/ithc $(ITHC_ARGS) --out build/ithc

test: test-debug test-console test-asan test-fuzz test-release test-ithc

bench:
	scripts/install-deps bench
	cmake --preset release
	cmake --build build/release
	bench/run

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build
