#!/usr/bin/env bats
# The CLI skeleton: help, versions, usage errors, error formats, stdout.
# shellcheck disable=SC2154 # stderr, stderr_lines: set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load '../test_helper/common'
}

@test "--help prints usage and the commands on stdout, exit 0" {
  run -0 --separate-stderr amlretrain --help
  assert_line --index 0 --partial 'usage: amlretrain'
  assert_line --regexp '^  rest +'
  assert_line --regexp '^  version +'
  assert_equal "${stderr}" ''
}

@test "every command has --help, exit 0" {
  local cmd
  for cmd in rest version; do
    run -0 --separate-stderr amlretrain "${cmd}" --help
    assert_line --index 0 --partial "usage: amlretrain ${cmd}"
    assert_line 'Global options:'
    assert_equal "${stderr}" ''
  done
  run -0 amlretrain rest -h
}

@test "--version names amlretrain and every library" {
  run -0 --separate-stderr amlretrain --version
  assert_line --regexp '^amlretrain [0-9]+\.[0-9]+\.[0-9]+$'
  assert_line --regexp '^libcurl [0-9.]+'
  assert_line --regexp '^json-c [0-9.]+'
  assert_line --regexp '^libxml2 [0-9.]+'
  assert_line --regexp '^OpenSSL [0-9.]+'
  assert_line --regexp '^libmicrohttpd [0-9.]+'
}

@test "version is one JSON document; table and tsv render it" {
  run -0 --separate-stderr amlretrain version
  jq -e '.amlretrain and .libcurl and .["json-c"] and .libxml2 and .OpenSSL and .libmicrohttpd' <<<"${output}"
  run -0 amlretrain version -o table
  assert_line --index 0 --regexp '^amlretrain +libcurl +json-c'
  assert_line --index 1 --regexp '^-+ +-+'
  run -0 amlretrain -o tsv version
  assert_equal "${#lines[@]}" 1
  assert_output --regexp $'^[0-9.]+\t[0-9.]+'
}

# Each usage error: exit 2, nothing on stdout, the first stderr line names
# the offending word.
usage_error() {
  local word="$1"
  shift
  run -2 --separate-stderr amlretrain "$@"
  assert_output ''
  assert_equal "${stderr_lines[0]}" "amlretrain: ${word}"
  [[ "${stderr}" == *"Try '"*"--help' for more information."* ]]
}

@test "usage errors exit 2 with one line naming the word" {
  usage_error "missing command"
  usage_error "unknown command 'frobnicate'" frobnicate
  usage_error "unknown option '--frob'" --frob version
  usage_error "unknown option '--frob'" version --frob
  usage_error "unknown option '-z'" version -z
  usage_error "invalid value 'xml' for '--output'" -o xml version
  usage_error "invalid value 'xml' for '--output'" version --output=xml
  usage_error "option '--output' needs a value" version -o
  usage_error "option '--debug' takes no value" version --debug=yes
  usage_error "unexpected argument 'extra'" version extra
  usage_error "missing required option '--url'" rest
  usage_error "invalid value 'FETCH' for '--method'" rest --url http://127.0.0.1:1/ -m FETCH
}

@test "--error-format json: the last stderr line is one JSON error" {
  run -2 --separate-stderr amlretrain --error-format json version --bogus
  assert_output ''
  jq -e '.error.exitCode == 2 and .error.category == "InvalidArgument"
    and .error.code == null and .error.httpStatus == null
    and (.error.message | contains("--bogus"))' <<<"$(last_stderr_line)"
}

@test "a failed write to stdout exits 9" {
  run -9 --separate-stderr bash -c 'amlretrain version >/dev/full'
  assert_equal "${stderr}" 'amlretrain: cannot write standard output: No space left on device'
}

@test "a closed pipe on stdout exits 9, not by signal" {
  # The reader is gone before amlretrain writes: EPIPE, never SIGPIPE (141).
  # shellcheck disable=SC2016 # expanded by the inner shell
  run -0 --separate-stderr bash -c \
    '(sleep 0.3; amlretrain version) | true; echo "${PIPESTATUS[0]}"'
  assert_output '9'
  assert_equal "${stderr}" 'amlretrain: cannot write standard output: Broken pipe'
}
