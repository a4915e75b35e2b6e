#!/usr/bin/env bats
# bash completion (scripts/completion/amlretrain.bash): commands, verbs,
# options and values, read from the binaries' own --help.
# shellcheck disable=SC2154 # output: set by bats' run
# shellcheck disable=SC2034 # COMP_WORDS, COMP_CWORD, lines: read elsewhere

bats_require_minimum_version 1.5.0

setup() {
  load '../test_helper/common'
  # shellcheck source=../../scripts/completion/amlretrain.bash
  source "${AMLR_ROOT}/scripts/completion/amlretrain.bash"
}

# Complete the last word of a command line; COMPREPLY, one per line, goes
# to $output.
# Arguments: the words (the last one is being completed)
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  if [[ "$1" == amlretrain-emulator ]]; then
    _amlretrain_emulator
  else
    _amlretrain
  fi
  output="$(printf '%s\n' "${COMPREPLY[@]}")"
  lines=("${COMPREPLY[@]}")
}

# The entries of the "Commands:" section of some --help.
# Arguments: the command words
help_commands() {
  "$@" --help | sed -n '/^Commands:$/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p'
}

@test "commands, then verbs, as --help lists them" {
  complete_words amlretrain ''
  assert_equal "${output}" "$(help_commands amlretrain)"
  assert_line webservice
  assert_line blob
  assert_line version
  complete_words amlretrain we
  assert_output webservice
  complete_words amlretrain webservice ''
  assert_equal "${output}" "$(help_commands amlretrain webservice)"
  assert_line set-model
  complete_words amlretrain blob up
  assert_output upload
  # A command without verbs offers none.
  complete_words amlretrain version ''
  assert_output ''
}

@test "global options and their values before the command are skipped" {
  complete_words amlretrain -o table --cloud AzureCloud webservice set-
  assert_output set-model
  complete_words amlretrain --output=json webservice rol
  assert_output rollback
  complete_words amlretrain --output = json webservice rol
  assert_output rollback
}

@test "the options of a verb, its own and the global ones" {
  complete_words amlretrain webservice set-model --mo
  assert_output --model-uri
  complete_words amlretrain webservice set-model -g my-rg --na
  assert_output --name
  complete_words amlretrain webservice set-model --
  assert_line --from-job
  assert_line --backup-dir
  assert_line --output
  assert_line --error-format
  complete_words amlretrain blob upload --con
  assert_output $'--container\n--connection-string-env\n--content-type'
  complete_words amlretrain --
  assert_line --output
  refute_line --model-uri
}

@test "-o json|table|tsv and --error-format text|json" {
  complete_words amlretrain -o ''
  assert_output $'json\ntable\ntsv'
  complete_words amlretrain webservice list --output t
  assert_output $'table\ntsv'
  # COMP_WORDBREAKS splits --output=t into --output, =, t.
  complete_words amlretrain webservice list --output = t
  assert_output $'table\ntsv'
  complete_words amlretrain webservice list --output =
  assert_output $'json\ntable\ntsv'
  complete_words amlretrain --error-format ''
  assert_output $'text\njson'
  complete_words amlretrain --cloud AzureC
  assert_line AzureCloud
  assert_line AzureChinaCloud
}

@test "FILE and PATH values complete file names, DIR values directories" {
  local d="${BATS_TEST_TMPDIR}/w"
  mkdir -p "${d}/backups" "${d}/bin"
  : >"${d}/job.json"
  : >"${d}/ws.json"
  complete_words amlretrain webservice set-model --from-job "${d}/j"
  assert_output "${d}/job.json"
  complete_words amlretrain webservice export -g rg -n ws --out "${d}/w"
  assert_output "${d}/ws.json"
  complete_words amlretrain blob upload -f "${d}/j"
  assert_output "${d}/job.json"
  complete_words amlretrain webservice update --backup-dir "${d}/"
  assert_equal "$(sort <<<"${output}")" "${d}/backups"$'\n'"${d}/bin"
  # URI|@FILE: a file name only after @.
  complete_words amlretrain webservice set-model --model-uri "@${d}/j"
  assert_output "@${d}/job.json"
  complete_words amlretrain webservice set-model --model-uri "${d}/j"
  assert_output ''
  # A value that is no file: nothing.
  complete_words amlretrain webservice get --name ''
  assert_output ''
}

@test "amlretrain-emulator: its options and their values" {
  local d="${BATS_TEST_TMPDIR}/w" opt
  mkdir -p "${d}/state"
  : >"${d}/seed.json"
  complete_words amlretrain-emulator --
  for opt in $(amlretrain-emulator --help |
    grep -oE '^ +(-[a-z], )? *--[a-z-]+' | grep -oE -- '--[a-z-]+$'); do
    assert_line -- "${opt}"
  done
  complete_words amlretrain-emulator --st
  assert_output $'--state\n--state-dir'
  complete_words amlretrain-emulator --seed "${d}/s"
  assert_equal "$(sort <<<"${output}")" "${d}/seed.json"$'\n'"${d}/state"
  complete_words amlretrain-emulator --state "${d}/s"
  assert_output "${d}/state"
  complete_words amlretrain-emulator --listen ''
  assert_output ''
}

@test "help is read once per shell, and new commands complete with no change" {
  local d="${BATS_TEST_TMPDIR}/bin"
  mkdir -p "${d}"
  # A stand-in with one more command, counting its --help runs.
  cat >"${d}/amlretrain" <<'SH'
#!/usr/bin/env bash
echo "$*" >>"${0%/*}/calls"
if [[ "$*" == --help ]]; then
  printf 'usage: amlretrain\n\nGlobal options:\n  -o, --output FORMAT   format\n\nCommands:\n'
  printf '  frobnicate    Something new\n  version       Versions\n'
elif [[ "$*" == 'frobnicate --help' ]]; then
  printf 'usage: amlretrain frobnicate\n\nOptions:\n      --knob FILE   a knob\n'
fi
SH
  chmod +x "${d}/amlretrain"
  complete_words "${d}/amlretrain" fr
  assert_output frobnicate
  complete_words "${d}/amlretrain" frobnicate --k
  assert_output --knob
  complete_words "${d}/amlretrain" frobnicate --knob "${d}/am"
  assert_output "${d}/amlretrain"
  complete_words "${d}/amlretrain" ''
  assert_output $'frobnicate\nversion'
  run -0 sort "${d}/calls"
  assert_output $'--help\nfrobnicate --help'
}
