#!/usr/bin/env bats
# make install / make uninstall (issue #9, item 3): the tree installed into
# a DESTDIR works on its own (binaries, emulator and its seed, libamlr
# through pkg-config, man pages, completion, the PowerShell module), and
# uninstall removes exactly what install put there.
# shellcheck disable=SC2154 # output, stderr, lines: set by bats' run

bats_require_minimum_version 1.5.0

# Install the build under test ($AMLR_BUILD) as it is: `-o all` keeps make
# from rebuilding it (an ASan build needs its own flags, and sources may
# change under a running test).  MAKEFLAGS of an outer make (check-cli)
# must not leak in.
# Arguments: the make target, DESTDIR, then more make arguments
# Outputs: make's output
run_make() {
  local target="$1" destdir="$2"
  shift 2
  env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
    make -C "${AMLR_ROOT}" --no-print-directory -o all \
    BUILD="${AMLR_BUILD}" DESTDIR="${destdir}" "$@" "${target}"
}

# The version the Makefile installs.
make_version() {
  sed -n 's/^VERSION := //p' "${AMLR_ROOT}/Makefile"
}

# Every file and symbolic link under a directory, as /path, sorted.
tree_files() {
  (cd "$1" && find . -mindepth 1 ! -type d -printf '/%P\n' | LC_ALL=C sort)
}

setup_file() {
  load '../test_helper/common'
  ROOT="${BATS_FILE_TMPDIR}/root"
  export ROOT
  run_make install "${ROOT}" PREFIX=/usr >"${BATS_FILE_TMPDIR}/install.log" 2>&1 ||
    {
      cat "${BATS_FILE_TMPDIR}/install.log" >&3
      return 1
    }
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  # The installed tree only: neither the build directory nor a library
  # path.
  INSTALLED_PATH="${ROOT}/usr/bin:/usr/bin:/bin"
  unset LD_LIBRARY_PATH AMLR_EXE
}

teardown() {
  emu_stop
}

@test "install puts each part in its place, with its mode" {
  local f base
  assert_equal "$(find "${ROOT}" -mindepth 1 -maxdepth 1)" "${ROOT}/usr"
  assert_equal "$(stat -c %a "${ROOT}/usr/bin/amlretrain")" 755
  assert_equal "$(stat -c %a "${ROOT}/usr/bin/amlretrain-emulator")" 755
  cmp "${AMLR_BUILD}/bin/amlretrain" "${ROOT}/usr/bin/amlretrain"
  cmp "${AMLR_BUILD}/bin/amlretrain-emulator" "${ROOT}/usr/bin/amlretrain-emulator"
  # The shared library with its soname link and its development link.
  f="libamlr.so.$(make_version)"
  assert_file_exists "${ROOT}/usr/lib/${f}"
  assert_equal "$(readlink "${ROOT}/usr/lib/libamlr.so.0")" "${f}"
  assert_equal "$(readlink "${ROOT}/usr/lib/libamlr.so")" libamlr.so.0
  run -0 readelf -d "${ROOT}/usr/lib/${f}"
  assert_output --partial 'Library soname: [libamlr.so.0]'
  assert_equal "$(stat -c %a "${ROOT}/usr/lib/libamlr.a")" 644
  for f in "${AMLR_ROOT}"/native/include/amlr/*.h; do
    cmp "${f}" "${ROOT}/usr/include/amlr/${f##*/}"
  done
  assert_equal "$(stat -c %a "${ROOT}/usr/include/amlr/amlr.h")" 644
  assert_file_exists "${ROOT}/usr/lib/pkgconfig/amlr.pc"
  assert_file_exists "${ROOT}/usr/share/man/man1/amlretrain.1"
  assert_file_exists "${ROOT}/usr/share/man/man1/amlretrain-emulator.1"
  assert_file_exists "${ROOT}/usr/share/bash-completion/completions/amlretrain"
  assert_file_exists "${ROOT}/usr/share/bash-completion/completions/amlretrain-emulator"
  # manifests/ (the emulator's seeds and schema, definitions, data,
  # plans) and the PowerShell module, file for file.
  while IFS= read -r f; do
    cmp "${AMLR_ROOT}/manifests/${f}" "${ROOT}/usr/share/amlretrain/${f}"
  done < <(cd "${AMLR_ROOT}/manifests" && find . -type f -printf '%P\n')
  assert_file_exists "${ROOT}/usr/share/amlretrain/emulator/seed.schema.json"
  assert_file_exists "${ROOT}/usr/share/amlretrain/definitions/census-training.json"
  assert_file_exists "${ROOT}/usr/share/amlretrain/data/census-a.csv"
  # the module goes in packaged (psmodule/build-package.sh): its manifest,
  # views and help as they are, and every function
  base="${ROOT}/usr/share/amlretrain/powershell/AmlRetrain"
  for f in AmlRetrain.psd1 AmlRetrain.Format.ps1xml en-US/about_AmlRetrain.help.txt; do
    cmp "${AMLR_ROOT}/psmodule/AmlRetrain/${f}" "${base}/${f}"
  done
  assert_file_not_exists "${base}/Public"
  if "${AMLR_ROOT}/tests/test_helper/run-pester" --which-pwsh >/dev/null; then
    # with a pwsh: the help as MAML, no help comment left to parse, the
    # public functions' param blocks in AmlRetrain.psm1, their bodies and
    # the private functions in AmlRetrain.Bodies.ps1 (build-psm1.ps1)
    xmllint --noout "${base}/en-US/AmlRetrain-help.xml"
    run -1 grep -c '<#' "${base}/AmlRetrain.psm1"
    for f in "${AMLR_ROOT}"/psmodule/AmlRetrain/Public/*.ps1; do
      grep -q "^function $(basename "${f}" .ps1) {" "${base}/AmlRetrain.psm1"
      grep -q "^    '$(basename "${f}" .ps1)' = @{" "${base}/AmlRetrain.Bodies.ps1"
    done
    for f in "${AMLR_ROOT}"/psmodule/AmlRetrain/Private/*.ps1; do
      grep -q "^function script:$(basename "${f}" .ps1) {" "${base}/AmlRetrain.Bodies.ps1"
    done
  else
    for f in "${AMLR_ROOT}"/psmodule/AmlRetrain/{Public,Private}/*.ps1; do
      grep -q "^function $(basename "${f}" .ps1) {" "${base}/AmlRetrain.psm1"
    done
  fi
  # Nothing is writable by others.
  run -0 find "${ROOT}" -perm -o+w ! -type l
  assert_output ''
}

@test "the install manifest lists every file and link install put there" {
  local manifest="${ROOT}/usr/share/amlretrain/install-manifest.txt"
  assert_file_exists "${manifest}"
  assert_equal "$(sed -n 's/^[fl] //p' "${manifest}" | LC_ALL=C sort)" \
    "$(tree_files "${ROOT}")"
  # DESTDIR is not part of the recorded paths; every directory install
  # made is there.
  run -1 grep -F -- "${ROOT}" "${manifest}"
  run -0 grep -x 'd /usr/share/amlretrain/powershell/AmlRetrain/en-US' "${manifest}"
}

@test "the installed binaries run from the tree alone, without LD_LIBRARY_PATH" {
  run -0 --separate-stderr env -i PATH="${INSTALLED_PATH}" HOME="${HOME}" \
    sh -c 'command -v amlretrain; command -v amlretrain-emulator'
  assert_equal "${lines[0]}" "${ROOT}/usr/bin/amlretrain"
  assert_equal "${lines[1]}" "${ROOT}/usr/bin/amlretrain-emulator"
  run -0 --separate-stderr env -i PATH="${INSTALLED_PATH}" HOME="${HOME}" \
    amlretrain version
  assert_equal "$(jq -r .amlretrain <<<"${output}")" "$(make_version)"
  assert_equal "${stderr}" ''
  run -0 --separate-stderr env -i PATH="${INSTALLED_PATH}" HOME="${HOME}" \
    amlretrain --help
  assert_line --index 0 --partial 'usage: amlretrain'
  assert_line --regexp '^  webservice +'
  run -0 --separate-stderr env -i PATH="${INSTALLED_PATH}" HOME="${HOME}" \
    amlretrain-emulator --version
  assert_line --index 0 "amlretrain-emulator $(make_version)"
  # libamlr is linked in (libamlr.a): no RPATH, no ldconfig needed.
  run -0 readelf -d "${ROOT}/usr/bin/amlretrain" "${ROOT}/usr/bin/amlretrain-emulator"
  refute_output --partial 'libamlr'
  refute_output --partial 'RPATH'
  refute_output --partial 'RUNPATH'
}

@test "the installed emulator starts with its default seed; the installed CLI signs in" {
  local seed="${ROOT}/usr/share/amlretrain/emulator/demo.json"
  PATH="${INSTALLED_PATH}"
  emu_start
  assert_equal "$(readlink "/proc/${EMU_PID}/exe")" "${ROOT}/usr/bin/amlretrain-emulator"
  run -0 curl -sSf "${AMLR_EMULATOR_URL}/health"
  assert_equal "$(jq -r .version <<<"${output}")" "$(make_version)"
  # The built-in seed (manifests/emulator/demo.json) found its files in
  # the installed share/amlretrain/, not in this checkout.
  assert_equal "${AMLR_DATA_DIR}" "${ROOT}/usr/share/amlretrain/data"
  assert_equal "${AZURE_TENANT_ID}" "$(jq -r '.tenants[0].id' "${seed}")"
  run -0 --separate-stderr amlretrain login
  assert_equal "$(jq -r .tenantId <<<"${output}")" "${AZURE_TENANT_ID}"
  assert_equal "$(jq -r .clientId <<<"${output}")" "${AZURE_CLIENT_ID}"
  # Its web services come from the installed definitions.
  run -0 --separate-stderr amlretrain webservice get -n "${AMLR_PREDICTIVE_NAME}"
  assert_equal "$(jq -r .name <<<"${output}")" "${AMLR_PREDICTIVE_NAME}"
}

@test "a C program builds and runs against the installed libamlr via pkg-config" {
  local cflags=() libs d="${BATS_TEST_TMPDIR}"
  # amlr.pc says prefix=/usr; --define-prefix takes it from where the file
  # is, as for a tree moved elsewhere (here: into DESTDIR).
  export PKG_CONFIG_PATH="${ROOT}/usr/lib/pkgconfig"
  pkg-config() { command pkg-config --define-prefix "$@"; }
  run -0 grep -x 'prefix=/usr' "${ROOT}/usr/lib/pkgconfig/amlr.pc"
  run -0 pkg-config --modversion amlr
  assert_output "$(make_version)"
  run -0 pkg-config --print-requires-private amlr
  assert_output $'libcurl\njson-c\nlibxml-2.0\nlibcrypto'
  run -0 pkg-config --cflags-only-I amlr
  assert_output --regexp "^-I${ROOT}/usr/include( |$)"
  run -0 pkg-config --libs amlr
  assert_output --regexp "^-L${ROOT}/usr/lib -lamlr *\$"
  cat >"${d}/prog.c" <<'C'
#include <stdio.h>
#include <string.h>

#include <amlr/amlr.h>

int main(void)
{
	printf("%s\n%s\n", amlr_version(), amlr_strerror(AMLR_ENOTFOUND));
	return strcmp(amlr_version(), AMLR_VERSION) != 0;
}
C
  # A library built with the sanitizers needs programs built with them.
  if readelf -d "${ROOT}/usr/lib/libamlr.so" | grep -q libasan; then
    cflags=('-fsanitize=address,undefined')
  fi
  # Shared: libamlr.so.0 (the soname) from the tree.
  # shellcheck disable=SC2046 # pkg-config's words are separate arguments
  cc -std=c11 -Wall -Werror "${cflags[@]}" -o "${d}/prog" "${d}/prog.c" \
    $(pkg-config --cflags --libs amlr)
  run -0 readelf -d "${d}/prog"
  assert_output --partial 'Shared library: [libamlr.so.0]'
  run -0 env LD_LIBRARY_PATH="${ROOT}/usr/lib" "${d}/prog"
  assert_equal "${lines[0]}" "$(make_version)"
  assert_equal "${lines[1]}" 'not found'
  # libamlr.a, with the libraries Requires.private names (shared: a
  # --static link would want the static archives of libcurl's own).
  libs="$(pkg-config --libs amlr)"
  # shellcheck disable=SC2046,SC2086 # pkg-config's words are separate arguments
  cc -std=c11 -Wall -Werror "${cflags[@]}" -o "${d}/prog-static" "${d}/prog.c" \
    $(pkg-config --cflags amlr) ${libs/-lamlr/-l:libamlr.a} \
    $(pkg-config --libs $(pkg-config --print-requires-private amlr))
  run -0 readelf -d "${d}/prog-static"
  refute_output --partial 'libamlr'
  run -0 "${d}/prog-static"
  assert_equal "${lines[0]}" "$(make_version)"
}

@test "the installed man pages are found by man and lint clean" {
  local page
  for page in amlretrain amlretrain-emulator; do
    run -0 --separate-stderr env MANPATH="${ROOT}/usr/share/man" man -w "${page}"
    assert_output "${ROOT}/usr/share/man/man1/${page}.1"
    run -0 --separate-stderr env MANWIDTH=80 MANPATH="${ROOT}/usr/share/man" \
      man --warnings "${page}"
    assert_equal "${stderr}" ''
    assert_line --index 0 --regexp "^${page^^}\(1\)"
    run -0 --separate-stderr groff -ww -man -z "${ROOT}/usr/share/man/man1/${page}.1"
    assert_equal "${stderr}" ''
  done
}

@test "the installed completion completes from the installed binaries" {
  PATH="${INSTALLED_PATH}"
  # shellcheck source=/dev/null
  source "${ROOT}/usr/share/bash-completion/completions/amlretrain"
  COMP_WORDS=(amlretrain webs)
  COMP_CWORD=1
  _amlretrain
  assert_equal "${COMPREPLY[*]}" webservice
  COMP_WORDS=(amlretrain-emulator --see)
  COMP_CWORD=1
  _amlretrain_emulator
  assert_equal "${COMPREPLY[*]}" --seed
  # Loaded by name, as bash-completion does: the emulator's file too.
  # shellcheck source=/dev/null
  source "${ROOT}/usr/share/bash-completion/completions/amlretrain-emulator"
  run -0 complete -p amlretrain-emulator
  assert_output 'complete -F _amlretrain_emulator amlretrain-emulator'
}

@test "uninstall removes exactly what install put there; install twice is fine" {
  local d="${BATS_TEST_TMPDIR}/root" before once
  # Files and directories that were there before stay.
  mkdir -p "${d}/usr/bin" "${d}/usr/share/man/man1" "${d}/usr/lib/pkgconfig"
  echo other >"${d}/usr/bin/other"
  echo other >"${d}/usr/share/man/man1/other.1"
  before="$(find "${d}" -printf '%M %p\n' | LC_ALL=C sort)"
  run -0 run_make install "${d}" PREFIX=/usr
  once="$(cat "${d}/usr/share/amlretrain/install-manifest.txt")"
  # The directories install made are listed; those that were there not.
  grep -qx 'd /usr/include' <<<"${once}"
  run -1 grep -x 'd /usr/bin' <<<"${once}"
  run -1 grep -x 'd /usr/lib/pkgconfig' <<<"${once}"
  run -0 run_make install "${d}" PREFIX=/usr
  assert_equal "$(cat "${d}/usr/share/amlretrain/install-manifest.txt")" "${once}"
  assert_equal "$(sed -n 's/^[fl] //p' <<<"${once}" | LC_ALL=C sort)" \
    "$(tree_files "${d}" | grep -vxF -e /usr/bin/other -e /usr/share/man/man1/other.1)"
  run -0 run_make uninstall "${d}" PREFIX=/usr
  assert_equal "$(find "${d}" -printf '%M %p\n' | LC_ALL=C sort)" "${before}"
  # Nothing left to remove: said, not failed.
  run -0 run_make uninstall "${d}" PREFIX=/usr
  assert_output --partial 'nothing to remove'
}

@test "install honours PREFIX, BINDIR, LIBDIR, INCLUDEDIR, MANDIR and DATADIR" {
  local d="${BATS_TEST_TMPDIR}/root"
  run -0 run_make install "${d}" PREFIX=/opt/amlr BINDIR=/opt/amlr/sbin \
    LIBDIR=/opt/amlr/lib64 INCLUDEDIR=/opt/amlr/inc MANDIR=/opt/man \
    DATADIR=/opt/amlr/data
  assert_file_executable "${d}/opt/amlr/sbin/amlretrain"
  assert_file_exists "${d}/opt/amlr/lib64/libamlr.a"
  assert_file_exists "${d}/opt/amlr/inc/amlr/amlr.h"
  assert_file_exists "${d}/opt/man/man1/amlretrain.1"
  assert_file_exists "${d}/opt/amlr/data/amlretrain/emulator/seed.schema.json"
  assert_file_exists "${d}/opt/amlr/data/bash-completion/completions/amlretrain"
  # shellcheck disable=SC2016 # ${prefix} is pkg-config's
  run -0 grep -x -e 'prefix=/opt/amlr' -e 'libdir=${prefix}/lib64' \
    -e 'includedir=${prefix}/inc' "${d}/opt/amlr/lib64/pkgconfig/amlr.pc"
  assert_equal "${#lines[@]}" 3
  # Outside PREFIX, a directory stays absolute.
  run -0 run_make install "${BATS_TEST_TMPDIR}/other" PREFIX=/opt/amlr \
    INCLUDEDIR=/usr/include
  run -0 grep -x 'includedir=/usr/include' \
    "${BATS_TEST_TMPDIR}/other/opt/amlr/lib/pkgconfig/amlr.pc"
  # The GNU lower-case name works too.
  run -0 run_make install "${BATS_TEST_TMPDIR}/gnu" prefix=/srv/amlr
  assert_file_executable "${BATS_TEST_TMPDIR}/gnu/srv/amlr/bin/amlretrain"
  # Uninstall needs the same directories to find the manifest.
  run -0 run_make uninstall "${d}" PREFIX=/opt/amlr BINDIR=/opt/amlr/sbin \
    LIBDIR=/opt/amlr/lib64 INCLUDEDIR=/opt/amlr/inc MANDIR=/opt/man \
    DATADIR=/opt/amlr/data
  run -0 find "${d}" -mindepth 1
  assert_output ''
}

@test "the installed PowerShell module runs the installed amlretrain" {
  local pwsh
  # make deps puts pwsh under the real home (common.bash replaced HOME).
  if ! pwsh="$(HOME="$(getent passwd "$(id -u)" | cut -d: -f6)" \
    "${AMLR_ROOT}/tests/test_helper/run-pester" --which-pwsh)"; then
    if command -v dotnet >/dev/null; then
      fail "pwsh not found although dotnet is present; run 'make deps'"
    fi
    skip 'no pwsh and no dotnet to install it'
  fi
  PATH="${INSTALLED_PATH}"
  emu_start
  # Not on PATH, not AMLR_EXE: the module finds <prefix>/bin/amlretrain
  # from <prefix>/share/amlretrain/powershell/AmlRetrain.
  # shellcheck disable=SC2016 # PowerShell code: its $ are PowerShell's
  run -0 --separate-stderr env PATH=/usr/bin:/bin \
    MODULE="${ROOT}/usr/share/amlretrain/powershell/AmlRetrain" \
    POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off DOTNET_NOLOGO=1 \
    "${pwsh}" -NoProfile -NonInteractive -Command '
      $ErrorActionPreference = "Stop"
      Import-Module $env:MODULE
      $module = Get-Module AmlRetrain
      $module.ModuleBase
      & $module { Find-AmlrExe -ModuleBase $script:AmlrModuleBase }
      (Get-Help Get-AzMlWebService).Synopsis.Length -gt 0
      (Get-AzMlWebService -ResourceGroupName $env:AMLR_RESOURCE_GROUP -Name $env:AMLR_PREDICTIVE_NAME).Name
      try {
        Get-AzMlWebService -ResourceGroupName $env:AMLR_RESOURCE_GROUP -Name nope
      } catch {
        $_.CategoryInfo.Category.ToString()
      }' </dev/null
  assert_equal "${lines[0]}" "${ROOT}/usr/share/amlretrain/powershell/AmlRetrain"
  assert_equal "${lines[1]}" "${ROOT}/usr/bin/amlretrain"
  assert_equal "${lines[2]}" True
  assert_equal "${lines[3]}" "${AMLR_PREDICTIVE_NAME}"
  assert_equal "${lines[4]}" ObjectNotFound
}
