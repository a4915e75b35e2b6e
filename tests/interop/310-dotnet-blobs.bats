#!/usr/bin/env bats
# Microsoft's Azure.Storage.Blobs (.NET, NuGet) against the emulator's
# blob endpoint: Shared Key from the emulator's connection string, and a
# container SAS made by amlretrain.  Built by `make deps`
# (tests/interop/install-tools); skipped, saying so, where dotnet is absent.
# shellcheck disable=SC2154 # output: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_stop
}

setup() {
  load '../test_helper/common'
  if ! command -v dotnet >/dev/null; then
    skip 'dotnet is not installed: the Azure.Storage.Blobs interop test is skipped'
  fi
  local home
  home="$(getent passwd "$(id -u)" | cut -d: -f6)"
  DLL="${AMLR_DOTNET_INTEROP_DIR:-${home}/.cache/amlretrain/dotnet-blob-interop}/bin/BlobInterop.dll"
  if [[ ! -f "${DLL}" ]]; then
    echo "the .NET interop client is not built: run 'make deps'" >&2
    return 1
  fi
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${BATS_FILE_TMPDIR}/emu.env")
  export AZURE_STORAGE_CONNECTION_STRING DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1
}

@test ".NET Azure.Storage.Blobs with Shared Key: upload, download, list, properties" {
  run -0 dotnet "${DLL}" sharedkey dotnet-sk
  assert_line 'ok sharedkey: create container'
  assert_line 'ok sharedkey: properties'
  assert_line 'ok sharedkey: upload in blocks (Put Block, Put Block List)'
  assert_line 'ok sharedkey: ranged download'
  assert_line --partial 'ok sharedkey: list'
  assert_line 'ok sharedkey: missing blob gives 404 (BlobNotFound)'
}

@test ".NET Azure.Storage.Blobs with a container SAS made by amlretrain" {
  amlretrain blob upload -c dotnet-sas -n seed.txt -f "${BATS_FILE_TMPDIR}/emu.env" \
    --create-container >/dev/null
  amlretrain blob sas -c dotnet-sas -p racwdl -e 1h | jq -r .url \
    >"${BATS_TEST_TMPDIR}/sas.url"
  run -0 dotnet "${DLL}" sas "${BATS_TEST_TMPDIR}/sas.url"
  assert_line 'ok sas: upload (Put Blob)'
  assert_line 'ok sas: download'
  assert_line 'ok sas: ranged download'
  assert_line --partial 'ok sas: list'
  # The blob it wrote is there for us too, with the same content length.
  run -0 amlretrain blob show -c dotnet-sas -n dotnet/sas/big.bin
  jq -e '.contentLength == 9449529' <<<"${output}"
}
