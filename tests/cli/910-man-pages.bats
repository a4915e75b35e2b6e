#!/usr/bin/env bats
# The man pages docs/man/amlretrain.1 and amlretrain-emulator.1 stay
# honest: they lint clean, and every command, verb and option the
# binaries' --help lists, every exit code of error.h and every variable the
# CLI reads appears in them.
# shellcheck disable=SC2154 # output, stderr, lines: set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load '../test_helper/common'
  MAN_CLI="${AMLR_ROOT}/docs/man/amlretrain.1"
  MAN_EMU="${AMLR_ROOT}/docs/man/amlretrain-emulator.1"
}

# A page as plain text, 100 columns.
# Arguments: the page's file
render() {
  MANWIDTH=100 man -E ascii -l "$1" 2>/dev/null
}

# One section of a rendered page (the lines under its heading).
# Arguments: the page's file, the section's heading
section() {
  render "$1" | awk -v s="$2" '$0 == s { f = 1; next } /^[A-Z]/ { f = 0 } f'
}

# The entries of a help text's "Commands:" section.
# Arguments: the help text
help_commands() {
  sed -n '/^Commands:$/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' <<<"$1"
}

# The long options of a help text.
# Arguments: the help text
help_options() {
  grep -oE '^ +(-[A-Za-z0-9], )? *--[a-z0-9][a-z0-9-]*' <<<"$1" |
    grep -oE -- '--[a-z0-9-]+$'
}

@test "the pages lint clean: groff -ww and man --warnings say nothing" {
  local page
  for page in "${MAN_CLI}" "${MAN_EMU}"; do
    run -0 --separate-stderr groff -ww -man -z "${page}"
    assert_equal "${stderr}" ''
    run -0 --separate-stderr env MANWIDTH=80 man --warnings -E ascii -l "${page}"
    assert_equal "${stderr}" ''
    assert_line --index 0 --regexp '^AMLRETRAIN(-EMULATOR)?\(1\) +User Commands'
    # The sections the pages promise.
    for heading in NAME SYNOPSIS DESCRIPTION ENVIRONMENT 'EXIT STATUS' FILES \
      EXAMPLES 'SEE ALSO'; do
      assert_line "${heading}"
    done
  done
  run -0 render "${MAN_CLI}"
  assert_line COMMANDS
  assert_line 'GLOBAL OPTIONS'
  run -0 render "${MAN_EMU}"
  assert_line OPTIONS
  assert_line SERVICES
  assert_line SIGNALS
}

@test "every command of amlretrain --help, with each of its verbs, is in COMMANDS" {
  local commands noun verb verbs text missing=()
  run -0 amlretrain --help
  mapfile -t commands < <(help_commands "${output}")
  ((${#commands[@]} >= 6))
  text="$(section "${MAN_CLI}" COMMANDS)"
  for noun in "${commands[@]}"; do
    # A subsection per command, then an entry per verb.
    grep -qx "   ${noun}" <<<"${text}" || missing+=("${noun}")
    run -0 amlretrain "${noun}" --help
    verbs="$(help_commands "${output}")"
    for verb in ${verbs}; do
      grep -qE "^       ${noun} ${verb}( |$)" <<<"${text}" ||
        missing+=("${noun} ${verb}")
    done
    if [[ -z "${verbs}" ]]; then
      grep -qE "^       ${noun}( |$)" <<<"${text}" || missing+=("${noun}")
    fi
  done
  assert_equal "${missing[*]}" ''
}

@test "every global option of amlretrain --help is in GLOBAL OPTIONS" {
  local opt text missing=()
  run -0 amlretrain --help
  text="$(section "${MAN_CLI}" 'GLOBAL OPTIONS')"
  for opt in $(help_options "${output}") --version; do
    grep -qE -- "(^| )${opt}( |,|$)" <<<"${text}" || missing+=("${opt}")
  done
  assert_equal "${missing[*]}" ''
}

@test "every option of amlretrain-emulator --help is in OPTIONS" {
  local opt text missing=() options
  run -0 amlretrain-emulator --help
  options="$(help_options "${output}")"
  [[ "${options}" == *--listen* ]]
  text="$(section "${MAN_EMU}" OPTIONS)"
  for opt in ${options}; do
    grep -qE -- "^       (.*, )?${opt}( |,|$)" <<<"${text}" || missing+=("${opt}")
  done
  assert_equal "${missing[*]}" ''
}

@test "every exit code of error.h is in EXIT STATUS with its name" {
  local name code text n=0 missing=()
  text="$(section "${MAN_CLI}" 'EXIT STATUS')"
  while read -r name code; do
    ((n += 1))
    grep -qE "^       ${code} +\(${name}\) " <<<"${text}" || missing+=("${code} ${name}")
  done < <(sed -nE 's/^\s*(AMLR_[A-Z]+) = ([0-9]+),?.*/\1 \2/p' \
    "${AMLR_ROOT}/native/include/amlr/error.h")
  ((n >= 14))
  assert_equal "${missing[*]}" ''
}

@test "every environment variable the CLI reads is in ENVIRONMENT" {
  local name text names missing=()
  text="$(section "${MAN_CLI}" ENVIRONMENT)"
  # Read by name (getenv("X"), env("X")), or named by a string constant
  # (env_or(arg, "AMLR_X"), #define CLI_X_ENV "AMLR_X").
  names="$({
    grep -ohE '\b(getenv|env)\("[A-Za-z_][A-Za-z0-9_]*"\)' \
      "${AMLR_ROOT}"/native/cli/*.[ch] | sed -E 's/.*\("(.*)"\)/\1/'
    grep -ohE '"[A-Z][A-Z0-9]*_[A-Z0-9_]+"' "${AMLR_ROOT}"/native/cli/*.[ch] |
      tr -d '"'
  } | sort -u)"
  [[ "${names}" == *AZURE_CLIENT_SECRET* ]]
  for name in ${names}; do
    grep -qE "^       ([A-Za-z_]+, )*${name}(,| |$)" <<<"${text}" ||
      missing+=("${name}")
  done
  assert_equal "${missing[*]}" ''
}

@test "every variable the emulator exports is in its ENVIRONMENT" {
  local name text missing=() d="${BATS_TEST_TMPDIR}"
  text="$(section "${MAN_EMU}" ENVIRONMENT)"
  # --print-env prints the exports once serving; then stop it.
  amlretrain-emulator --managed-identity --env-file "${d}/emu.env" \
    --state "${d}/state" >/dev/null 2>"${d}/emu.err" 3>&- &
  for ((i = 0; i < 200; i++)); do
    [[ -s "${d}/emu.env" ]] && break
    sleep 0.05
  done
  cp -- "${d}/emu.env" "${d}/exports"
  kill -TERM $!
  wait $!
  while read -r name; do
    grep -qE "^       ([A-Za-z_]+, )*${name}(,| |$)" <<<"${text}" ||
      missing+=("${name}")
  done < <(sed -nE 's/^export ([A-Z_]+)=.*/\1/p' "${d}/exports")
  run -0 grep -c '^export ' "${d}/exports"
  ((output >= 10))
  assert_equal "${missing[*]}" ''
}
