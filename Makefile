# Builds the C core as libiamcore (static and shared), the C example and the C
# tests. The Python extension (setup.py) and the Node addon (binding.gyp)
# compile the same sources themselves.

PKGS      := libcurl libcjson libcrypto
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
CPPFLAGS  += -Icsrc/include $(PKG_CFLAGS)
LDLIBS    += $(PKG_LIBS) -lpthread -lm -ldl

SRC       := $(wildcard csrc/*.c)
BUILD     := build/c
OBJ       := $(SRC:csrc/%.c=$(BUILD)/%.o)
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_OBJ   := $(SRC:csrc/%.c=$(BUILD)/san/%.o)
TSAN_FLAGS := -O1 -g -fsanitize=thread
TSAN_OBJ  := $(SRC:csrc/%.c=$(BUILD)/tsan/%.o)
# Tests whose subject is concurrency also run under ThreadSanitizer.
TSAN_TESTS := $(BUILD)/tsan/test_token_cache $(BUILD)/tsan/test_auth_refresh $(BUILD)/tsan/test_log
TESTS     := $(patsubst tests/c/%.c,$(BUILD)/san/%,$(filter-out tests/c/check.c,$(wildcard tests/c/test_*.c)))

.PHONY: all lib example test-c test-c-tsan test-fuzz-replay fuzz clean
.SECONDARY:
all: lib example

lib: $(BUILD)/libiamcore.a $(BUILD)/libiamcore.so

$(BUILD)/%.o: csrc/%.c $(wildcard csrc/include/*.h) $(wildcard csrc/*.h) | $(BUILD)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(BUILD)/libiamcore.a: $(OBJ)
	$(AR) rcs $@ $^

$(BUILD)/libiamcore.so: $(OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

example: $(BUILD)/get_token

$(BUILD)/get_token: examples/c/get_token.c $(BUILD)/libiamcore.a
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $< $(BUILD)/libiamcore.a $(LDLIBS) -o $@

# C tests link the objects directly (they reach internal functions too) and
# run under AddressSanitizer and UndefinedBehaviorSanitizer.
$(BUILD)/san/%.o: csrc/%.c $(wildcard csrc/include/*.h) $(wildcard csrc/*.h) | $(BUILD)/san
	$(CC) $(CPPFLAGS) -Icsrc $(WARN) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/san/test_%: tests/c/test_%.c tests/c/check.h tests/c/emulator.h $(SAN_OBJ)
	$(CC) $(CPPFLAGS) -Icsrc -Itests/c $(WARN) $(SAN_FLAGS) $< $(SAN_OBJ) $(LDLIBS) -o $@

test-c: $(TESTS)
	@tests/c/run.sh $(TESTS)

$(BUILD)/tsan/%.o: csrc/%.c $(wildcard csrc/include/*.h) $(wildcard csrc/*.h) | $(BUILD)/tsan
	$(CC) $(CPPFLAGS) -Icsrc $(WARN) $(TSAN_FLAGS) -c $< -o $@

$(BUILD)/tsan/test_%: tests/c/test_%.c tests/c/check.h $(TSAN_OBJ)
	$(CC) $(CPPFLAGS) -Icsrc -Itests/c $(WARN) $(TSAN_FLAGS) $< $(TSAN_OBJ) $(LDLIBS) -o $@

test-c-tsan: $(TSAN_TESTS)
	@TSAN_OPTIONS=halt_on_error=1 tests/c/run.sh $(TSAN_TESTS)

# Fuzz targets (tests/fuzz/README.md). The replay links each target with a
# small main() and the ASan/UBSan objects above and runs its committed corpus:
# part of the normal test run, gcc only. `make fuzz` builds the same targets
# with clang's libFuzzer for campaigns (scripts/fuzz.sh).
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/fuzz_%)
FUZZ_CC     ?= clang
FUZZ_FLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJ    := $(SRC:csrc/%.c=$(BUILD)/fuzz/%.o)
FUZZ_BINS   := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/replay.c $(SAN_OBJ) | $(BUILD)/fuzz-replay
	$(CC) $(CPPFLAGS) -Icsrc -Itests/fuzz $(WARN) $(SAN_FLAGS) $< tests/fuzz/replay.c $(SAN_OBJ) $(LDLIBS) -o $@

test-fuzz-replay: $(FUZZ_REPLAY)
	@tests/fuzz/replay.sh $(FUZZ_NAMES)

$(BUILD)/fuzz/%.o: csrc/%.c $(wildcard csrc/include/*.h) $(wildcard csrc/*.h) | $(BUILD)/fuzz
	$(FUZZ_CC) $(CPPFLAGS) -Icsrc $(WARN) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) -Icsrc -Itests/fuzz $(WARN) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJ) $(LDLIBS) -o $@

fuzz: $(FUZZ_BINS)

$(BUILD) $(BUILD)/san $(BUILD)/tsan $(BUILD)/fuzz $(BUILD)/fuzz-replay:
	mkdir -p $@

clean:
	rm -rf build
