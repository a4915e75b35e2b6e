# amlretrain: one non-recursive Makefile (variants re-invoke it with BUILD=).
#
#   make            libamlr (static and shared), amlretrain, amlretrain-emulator
#   make check      every test tier (installs missing dependencies first)
#   make demo       the retraining workflow on the local emulator
#   make deps       install missing Debian packages
#   make V=1        show the commands

# make install: PREFIX, DESTDIR and each directory below may be set (the
# GNU lower-case names work too).
prefix ?= /usr/local
PREFIX ?= $(prefix)
bindir ?= $(PREFIX)/bin
libdir ?= $(PREFIX)/lib
includedir ?= $(PREFIX)/include
datadir ?= $(PREFIX)/share
mandir ?= $(DATADIR)/man
BINDIR ?= $(bindir)
LIBDIR ?= $(libdir)
INCLUDEDIR ?= $(includedir)
DATADIR ?= $(datadir)
MANDIR ?= $(mandir)
DESTDIR ?=
INSTALL ?= install

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
# The fuzzing build (make fuzz-build, tests/fuzz): clang, every object
# instrumented for libFuzzer; the harnesses link -fsanitize=fuzzer.
ifeq ($(SAN),fuzz)
override CC := clang
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
override CFLAGS += $(SANFLAGS) -fsanitize=fuzzer-no-link -O1
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

C_SOURCES = $(shell find native tests/unit tests/fuzz -name '*.[ch]' | sort)
SHELL_FILES = .ci/run \
	$(filter-out scripts/lib scripts/completion,$(wildcard scripts/*)) \
	$(wildcard scripts/completion/*.bash) \
	$(wildcard scripts/lib/*.sh) \
	$(wildcard tests/test_helper/*) $(wildcard tests/*/*.bats) \
	tests/bench/run tests/bench/report $(wildcard tests/bench/*.sh) \
	tests/fuzz/run tests/faults/run tests/canary/run tests/canary/record \
	tests/canary/script-hook.bash \
	psmodule/build-package.sh \
	tests/valgrind/amlretrain \
	tests/interop/install-tools $(wildcard tests/interop/*.bash)

.PHONY: all lib cli emulator deps check check-unit check-cli check-emulator \
	check-asan check-interop check-ps check-scripts check-canary \
	lint format format-check demo bench clean
.DEFAULT_GOAL := all

all: lib cli emulator
lib: $(LIBA) $(LIBSO)
cli: $(CLI)
emulator: $(EMU)

$(BUILD)/lib/%.o: native/lib/%.c
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

# The CLI uses learn/ for the promotion gate's metrics (gate.c).
$(BUILD)/cli/%.o: native/cli/%.c
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CFLAGS) -Inative/learn -c -o $@ $<

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

$(CLI): $(CLI_O) $(LEARN_O) $(LIBA)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $(CLI_O) $(LEARN_O) $(LIBA) \
		$(LIB_LIBS) -lm

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

# --- install ----------------------------------------------------------------

# The binaries link libamlr.a, so they run from any install tree without an
# RPATH or ldconfig (the emulator needs lib-internal functions, which the
# shared library hides anyway); libamlr.so and amlr.pc are for other
# programs.  Every file and symbolic link install puts under $(DESTDIR),
# and every directory it had to create, is listed (without DESTDIR) in
# INSTALL_MANIFEST; uninstall removes exactly those, directories only when
# empty.  Running install again keeps the list of the first run.
INSTALL_MANIFEST = $(DATADIR)/amlretrain/install-manifest.txt
INSTALL_HEADERS = $(sort $(wildcard native/include/amlr/*.h))
INSTALL_MAN = $(sort $(wildcard docs/man/*.1))
# The emulator's seed and schema, the demo's definitions and data, plans.
INSTALL_MANIFESTS = $(shell find manifests -type f | sort)
# amlr.pc: the libraries under libamlr.a (those of the build).
comma := ,
INSTALL_REQUIRES = $(subst $() $(),$(comma) ,$(LIB_PKGS))

.PHONY: install uninstall

# The PowerShell module goes in packaged (psmodule/build-package.sh).
install: all
	$(Q)psmodule/build-package.sh $(BUILD)/psmodule
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
		-e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
		-e 's|@REQUIRES_PRIVATE@|$(INSTALL_REQUIRES)|' \
		native/amlr.pc.in >$(BUILD)/amlr.pc
	@echo '   INSTALL $(DESTDIR)$(PREFIX)'
	$(Q)set -e; umask 022; d='$(DESTDIR)'; \
	list="$$(mktemp)"; trap 'rm -f -- "$$list"' EXIT; \
	if [ -f "$$d$(INSTALL_MANIFEST)" ]; then \
		cat -- "$$d$(INSTALL_MANIFEST)" >"$$list"; fi; \
	mkdirs() { \
		if [ -z "$$1" ]; then mkdir -p -- "$$d/"; return 0; fi; \
		if [ -d "$$d$$1" ]; then return 0; fi; \
		mkdirs "$${1%/*}"; mkdir -m 0755 -- "$$d$$1"; \
		echo "d $$1" >>"$$list"; }; \
	put() { \
		mkdirs "$${3%/*}"; $(INSTALL) -m "$$1" -- "$$2" "$$d$$3"; \
		echo "f $$3" >>"$$list"; }; \
	link() { \
		mkdirs "$${2%/*}"; ln -sfn -- "$$1" "$$d$$2"; \
		echo "l $$2" >>"$$list"; }; \
	put 0755 $(CLI) '$(BINDIR)/amlretrain'; \
	put 0755 $(EMU) '$(BINDIR)/amlretrain-emulator'; \
	put 0755 $(LIBSO_REAL) '$(LIBDIR)/libamlr.so.$(VERSION)'; \
	link libamlr.so.$(VERSION) '$(LIBDIR)/libamlr.so.$(SOVERSION)'; \
	link libamlr.so.$(SOVERSION) '$(LIBDIR)/libamlr.so'; \
	put 0644 $(LIBA) '$(LIBDIR)/libamlr.a'; \
	for f in $(INSTALL_HEADERS); do \
		put 0644 "$$f" '$(INCLUDEDIR)/amlr/'"$${f##*/}"; done; \
	put 0644 $(BUILD)/amlr.pc '$(LIBDIR)/pkgconfig/amlr.pc'; \
	for f in $(INSTALL_MAN); do \
		put 0644 "$$f" '$(MANDIR)/man1/'"$${f##*/}"; done; \
	for c in amlretrain amlretrain-emulator; do \
		put 0644 scripts/completion/amlretrain.bash \
			'$(DATADIR)/bash-completion/completions/'"$$c"; done; \
	for f in $(INSTALL_MANIFESTS); do \
		put 0644 "$$f" '$(DATADIR)/amlretrain/'"$${f#manifests/}"; done; \
	for f in $$(cd $(BUILD)/psmodule && find AmlRetrain -type f | sort); do \
		put 0644 "$(BUILD)/psmodule/$$f" \
			'$(DATADIR)/amlretrain/powershell/'"$$f"; \
	done; \
	echo 'f $(INSTALL_MANIFEST)' >>"$$list"; \
	LC_ALL=C sort -u -o "$$list" -- "$$list"; \
	put 0644 "$$list" '$(INSTALL_MANIFEST)'

uninstall:
	@echo '   UNINSTALL $(DESTDIR)$(PREFIX)'
	$(Q)set -e; d='$(DESTDIR)'; m="$$d$(INSTALL_MANIFEST)"; \
	if [ ! -f "$$m" ]; then \
		echo "uninstall: nothing to remove: no $$m"; exit 0; fi; \
	list="$$(grep -E '^[dfl] /' -- "$$m" | grep -v '/\.\./')"; \
	printf '%s\n' "$$list" | sed -n 's/^[fl] //p' | \
	while IFS= read -r p; do rm -f -- "$$d$$p"; done; \
	printf '%s\n' "$$list" | sed -n 's/^d //p' | LC_ALL=C sort -r | \
	while IFS= read -r p; do rmdir -- "$$d$$p" 2>/dev/null || true; done

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
	$(Q)$(MAKE) --no-print-directory check-faults
	$(Q)$(MAKE) --no-print-directory check-fuzz FUZZ_SECONDS=5
	$(Q)$(MAKE) --no-print-directory check-scripts
	$(Q)$(MAKE) --no-print-directory check-ps
	$(Q)$(MAKE) --no-print-directory check-canary
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

# The CLI tier with amlretrain under valgrind (tests/valgrind/amlretrain):
# slow, so not part of check.  The emulator runs natively.
# Every file of the CLI tier but the install tests (make install from the
# build directory: the valgrind one holds only the stand-in).
VALGRIND_DEFAULT = $(filter-out tests/cli/900-install.bats,$(wildcard tests/cli/*.bats))
check-valgrind: all
	$(Q)mkdir -p $(BUILD)/valgrind/bin
	$(Q)ln -sf $(abspath tests/valgrind/amlretrain) $(BUILD)/valgrind/bin/amlretrain
	$(Q)ln -sf $(abspath $(EMU)) $(BUILD)/valgrind/bin/amlretrain-emulator
	$(Q)AMLR_VALGRIND_REAL=$(abspath $(CLI)) \
		AMLR_VALGRIND="$$(command -v valgrind)" \
		AMLR_BUILD=$(abspath $(BUILD)/valgrind) tests/test_helper/run-bats \
		"$(TIER)check-valgrind" $(or $(VALGRIND_TESTS),$(VALGRIND_DEFAULT))

# Every client command x every fault the emulator injects (tests/faults/run).
check-faults: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/faults/run "$(TIER)check-faults"

# The CLI, scripts and PowerShell suites once more with every secret in
# play looked for in all they left behind (tests/canary/run, docs/canary.md).
check-canary: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/canary/run "$(TIER)check-canary"

# The bash workflows of scripts/ (tests/scripts), each file against its
# own fresh emulator; also the automation templates of manifests/.
check-scripts: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/test_helper/run-bats \
		"$(TIER)check-scripts" tests/scripts

# The PowerShell module in pwsh (Pester, tests/ps), against the fresh
# binaries; pwsh and Pester come from `make deps` when dotnet is present.
# Then the suites of its commands once more against the packaged module,
# the one `make install` installs (psmodule/build-package.sh: the same
# functions, their bodies loaded at the first call).
PS_COMMAND_TESTS = $(filter-out tests/ps/Module.Tests.ps1,$(wildcard tests/ps/*.Tests.ps1))
check-ps: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/test_helper/run-pester \
		"$(TIER)check-ps"
	$(Q)psmodule/build-package.sh $(BUILD)/psmodule
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) \
		AMLR_PS_MODULE=$(abspath $(BUILD))/psmodule/AmlRetrain/AmlRetrain.psd1 \
		tests/test_helper/run-pester "$(TIER)check-ps (packaged)" \
		$(PS_COMMAND_TESTS)

# The C client against Azurite, Microsoft's .NET client against the
# emulator; both installed by `make deps` (tests/interop/install-tools).
check-interop: all
	$(Q)AMLR_BUILD=$(abspath $(BUILD)) tests/test_helper/run-bats \
		"$(TIER)check-interop" tests/interop

check-asan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 \
		TIER=check-asan: check-unit check-cli check-emulator check-scripts

# libFuzzer harnesses (tests/fuzz/fuzz_<target>.c, docs/fuzzing.md), built
# with clang into $(BUILD)/fuzz (SAN=fuzz).  check-fuzz replays the
# regressions and fuzzes each harness FUZZ_SECONDS from its seed corpus;
# fuzz runs them long, growing $(BUILD)/fuzz/corpus (never the repo's).
FUZZ_SECONDS ?= 10
FUZZ_HARNESSES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_HARNESSES:%=$(BUILD)/bin/%)
# Everything of the emulator but its main(), for the router's harness.
EMU_LIB_O := $(filter-out $(BUILD)/emulator/main.o,$(EMU_O))

.PHONY: fuzz fuzz-build fuzz-bins check-fuzz

$(BUILD)/bin/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(EMU_LIB_O) \
		$(LEARN_O) $(LIBA)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(CFLAGS) $(LIB_CFLAGS) $(MHD_CFLAGS) -Inative/lib \
		-Inative/learn -Inative/emulator -Itests/fuzz -fsanitize=fuzzer \
		$(LDFLAGS) -o $@ $< $(EMU_LIB_O) $(LEARN_O) $(LIBA) \
		$(MHD_LIBS) $(LIB_LIBS) -lpthread -lm

fuzz-bins: $(FUZZ_BINS)
	@:

fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz SAN=fuzz fuzz-bins

check-fuzz:
	$(Q)if tests/fuzz/run --available; then \
		$(MAKE) --no-print-directory fuzz-build && \
		tests/fuzz/run --seconds $(FUZZ_SECONDS) "$(TIER)check-fuzz" \
			$(BUILD)/fuzz; \
	else \
		echo '$(TIER)check-fuzz: SKIPPED: no clang with libFuzzer (make deps installs it): the fuzz tests did NOT run'; \
	fi

fuzz:
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)tests/fuzz/run --long --seconds $(if $(filter command line \
		environment,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),300) fuzz \
		$(BUILD)/fuzz

# Figures, not tests: each benchmark prints its measurement beside its
# baseline (ratios, medians); nothing here decides pass or fail.
# Each prints `BENCH|scenario|ours|baseline|ratio|target` lines, which
# tests/bench/report turns into the table of docs/BENCHMARKS.md.
bench: all
	$(Q)scripts/install-deps --bench
	$(Q){ AMLR_BUILD=$(abspath $(BUILD)) tests/bench/run 2>&1; \
		echo "bench: exit $$?"; } | tee $(BUILD)/bench.out
	$(Q)tests/bench/report $(BUILD)/bench.out >$(BUILD)/BENCHMARKS.md.tmp
	$(Q)mv -f -- $(BUILD)/BENCHMARKS.md.tmp docs/BENCHMARKS.md
	@echo 'bench: docs/BENCHMARKS.md written'
	$(Q)grep -qx 'bench: exit 0' $(BUILD)/bench.out

# --- hygiene ----------------------------------------------------------------

BANNED := \b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol)[[:space:]]*\(
NOISY := \b(printf|fprintf|puts|exit|getenv|isatty)[[:space:]]*\(

lint:
	$(Q)if grep -rnE '$(BANNED)' native tests/unit tests/fuzz; then \
		echo 'lint: banned function (STYLE.md §3)'; exit 1; fi
	$(Q)if grep -rnE '$(NOISY)' native/lib native/learn; then \
		echo 'lint: the libraries never print, exit or read the environment'; \
		exit 1; fi
	$(Q)shellcheck -x $(SHELL_FILES)
	$(Q)tests/test_helper/lint-bats $(wildcard tests/*/*.bats)
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
