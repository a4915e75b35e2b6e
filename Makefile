# amlretrain: one non-recursive Makefile (variants re-invoke it with BUILD=).
#
#   make            libamlr (static and shared), amlretrain, amlretrain-emulator
#   make check      every test tier (installs missing dependencies first)
#   make demo       the retraining workflow on the local emulator
#   make deps       install missing Debian packages
#   make V=1        show the commands

prefix ?= /usr/local
bindir ?= $(prefix)/bin
libdir ?= $(prefix)/lib
includedir ?= $(prefix)/include

CC ?= cc
CFLAGS ?= -O2 -g
LDFLAGS ?=
PKG_CONFIG ?= pkg-config
DEVELOPER ?= 1
BUILD ?= build
SAN ?=
TIER ?=

VERSION := 0.1.0
SOVERSION := 0

WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wdeclaration-after-statement \
	-Wpointer-arith -Wundef -Wwrite-strings
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L $(WARNINGS) \
	-fvisibility=hidden -fPIC -MMD -MP -Inative/include
ifeq ($(DEVELOPER),1)
override CFLAGS += -Werror
endif
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
override CFLAGS += $(SANFLAGS) -O1
override LDFLAGS += $(SANFLAGS)
endif

# Evaluated when a recipe runs, so that `make deps` can come first.
LIB_PKGS := libcurl json-c libxml-2.0 libcrypto
LIB_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIB_PKGS))
LIB_LIBS = $(shell $(PKG_CONFIG) --libs $(LIB_PKGS))
MHD_CFLAGS = $(shell $(PKG_CONFIG) --cflags libmicrohttpd)
MHD_LIBS = $(shell $(PKG_CONFIG) --libs libmicrohttpd)
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka)

ifneq ($(V),1)
Q := @
QUIET_CC = @echo '   CC      $@';
QUIET_AR = @echo '   AR      $@';
QUIET_LINK = @echo '   LINK    $@';
endif

# Every .c of a directory is part of its target (one file per module).
objs_of = $(sort $(patsubst $(1)/%.c,%,$(wildcard $(1)/*.c)))
LIB_OBJS := $(call objs_of,native/lib)
CLI_OBJS := $(call objs_of,native/cli)
LEARN_OBJS := $(call objs_of,native/learn)
EMU_OBJS := $(call objs_of,native/emulator)

LIB_O := $(LIB_OBJS:%=$(BUILD)/lib/%.o)
CLI_O := $(CLI_OBJS:%=$(BUILD)/cli/%.o)
LEARN_O := $(LEARN_OBJS:%=$(BUILD)/learn/%.o)
EMU_O := $(EMU_OBJS:%=$(BUILD)/emulator/%.o)

LIBA := $(BUILD)/libamlr.a
LIBSO_REAL := $(BUILD)/libamlr.so.$(VERSION)
LIBSO := $(BUILD)/libamlr.so
CLI := $(BUILD)/bin/amlretrain
EMU := $(BUILD)/bin/amlretrain-emulator

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,\
	$(wildcard tests/unit/test_*.c))

C_SOURCES = $(shell find native tests/unit -name '*.[ch]' | sort)
SHELL_FILES = .ci/run $(filter-out scripts/lib,$(wildcard scripts/*)) \
	$(wildcard scripts/lib/*.sh) \
	$(wildcard tests/test_helper/*) $(wildcard tests/*/*.bats) \
	tests/bench/run $(wildcard tests/bench/*.sh) \
	tests/interop/install-tools $(wildcard tests/interop/*.bash)

.PHONY: all lib cli emulator deps check check-unit check-cli check-emulator \
	check-asan check-interop check-ps \
	lint format format-check demo bench clean
.DEFAULT_GOAL := all

all: lib cli emulator
lib: $(LIBA) $(LIBSO)
cli: $(CLI)
emulator: $(EMU)

$(BUILD)/lib/%.o: native/lib/%.c
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

$(BUILD)/cli/%.o: native/cli/%.c
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CFLAGS) -c -o $@ $<

# The CLI reports the libmicrohttpd version its emulator is built with.
$(BUILD)/cli/main.o $(BUILD)/cli/cmd_version.o: override CFLAGS += \
	-DAMLR_MHD_VERSION='"$(shell $(PKG_CONFIG) --modversion libmicrohttpd)"'

$(BUILD)/learn/%.o: native/learn/%.c
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/emulator/%.o: native/emulator/%.c
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CFLAGS) $(LIB_CFLAGS) $(MHD_CFLAGS) -Inative/lib \
		-Inative/learn -c -o $@ $<

$(LIBA): $(LIB_O)
	@rm -f $@
	$(QUIET_AR)$(AR) rcs $@ $^

$(LIBSO_REAL): $(LIB_O)
	$(QUIET_LINK)$(CC) -shared -Wl,-soname,libamlr.so.$(SOVERSION) \
		$(LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(LIBSO): $(LIBSO_REAL)
	$(Q)ln -sf $(notdir $<) $(BUILD)/libamlr.so.$(SOVERSION)
	$(Q)ln -sf $(notdir $<) $@

$(CLI): $(CLI_O) $(LIBA)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $(CLI_O) $(LIBA) $(LIB_LIBS)

$(EMU): $(EMU_O) $(LEARN_O) $(LIBA)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $(EMU_O) $(LEARN_O) $(LIBA) \
		$(MHD_LIBS) $(LIB_LIBS) -lpthread -lm

# tests/unit/helper_*.c: shared by every unit test (e.g. a scripted server).
UNIT_HELPERS := $(wildcard tests/unit/helper_*.c)

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HELPERS) $(LIBA)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(CFLAGS) $(LIB_CFLAGS) $(CMOCKA_CFLAGS) -Inative/lib \
		-Itests/unit $(LDFLAGS) -o $@ $< $(UNIT_HELPERS) $(LIBA) \
		$(CMOCKA_LIBS) $(LIB_LIBS) -lpthread

# learn/'s own tests link the learner alone (learn -> nothing of ours);
# make prefers this rule to the one above: its stem is shorter.
$(BUILD)/tests/test_learn_%: tests/unit/test_learn_%.c $(LEARN_O)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(CFLAGS) $(CMOCKA_CFLAGS) -Inative/learn \
		$(LDFLAGS) -o $@ $< $(LEARN_O) $(CMOCKA_LIBS) -lm

# --- dependencies -----------------------------------------------------------

deps:
	$(Q)scripts/install-deps
	$(Q)tests/interop/install-tools

# --- tests ------------------------------------------------------------------

# The umbrella runs each step in order in a fresh make, so that the
# dependencies are installed before pkg-config is asked anything.
check:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory lint format-check
	$(Q)$(MAKE) --no-print-directory check-unit
	$(Q)$(MAKE) --no-print-directory check-cli
	$(Q)$(MAKE) --no-print-directory check-emulator
	$(Q)$(MAKE) --no-print-directory check-ps
	$(Q)$(MAKE) --no-print-directory check-interop
	$(Q)$(MAKE) --no-print-directory check-asan

check-unit: $(UNIT_TESTS)
	$(Q)tests/test_helper/run-unit "$(TIER)check-unit" $(UNIT_TESTS)

check-cli: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/test_helper/run-bats \
		"$(TIER)check-cli" tests/cli

check-emulator: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/test_helper/run-bats \
		"$(TIER)check-emulator" tests/emulator

# The PowerShell module in pwsh (Pester, tests/ps), against the fresh
# binaries; pwsh and Pester come from `make deps` when dotnet is present.
check-ps: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/test_helper/run-pester \
		"$(TIER)check-ps"

# The C client against Azurite, Microsoft's .NET client against the
# emulator; both installed by `make deps` (tests/interop/install-tools).
check-interop: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/test_helper/run-bats \
		"$(TIER)check-interop" tests/interop

check-asan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 \
		TIER=check-asan: check-unit check-cli check-emulator

# Figures, not tests: each benchmark prints its measurement beside its
# baseline (ratios, medians); nothing here decides pass or fail.
bench: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/bench/run

# --- hygiene ----------------------------------------------------------------

BANNED := \b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol)[[:space:]]*\(
NOISY := \b(printf|fprintf|puts|exit|getenv|isatty)[[:space:]]*\(

lint:
	$(Q)if grep -rnE '$(BANNED)' native tests/unit; then \
		echo 'lint: banned function (STYLE.md §3)'; exit 1; fi
	$(Q)if grep -rnE '$(NOISY)' native/lib native/learn; then \
		echo 'lint: the libraries never print, exit or read the environment'; \
		exit 1; fi
	$(Q)shellcheck -x $(SHELL_FILES)
	$(Q)ref=../shared/reference; if [ -d "$$ref" ]; then \
		for d in README.md arm-machinelearning recorded-sessions; do \
			diff -rq "$$ref/$$d" "tests/fixtures/reference/$$d" || \
			{ echo "lint: tests/fixtures/reference/$$d differs from $$ref"; exit 1; }; \
		done; fi
	@echo 'lint: ok'

format:
	$(Q)clang-format -i $(C_SOURCES)

format-check:
	$(Q)clang-format --dry-run -Werror $(C_SOURCES)
	@echo 'format-check: ok'

# --- demo -------------------------------------------------------------------

demo:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) scripts/run-demo

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*/*.d)
