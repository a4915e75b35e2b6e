#!/usr/bin/env bash
# Build the packaged (installed) AmlRetrain module: the manifest, the
# views, the help, and the functions of Private/ and Public/ in place of
# the source tree's loader (the block between '# <loader>' and
# '# </loader>' of AmlRetrain.psm1), so that importing it reads one file.
# The source tree keeps one function per file.
# With a pwsh (AMLR_PWSH, the one `make deps` installed, or PATH), the
# comment-based help becomes MAML, en-US/AmlRetrain-help.xml
# (build-help.ps1), and AmlRetrain.psm1 holds only the public functions'
# attributes and param blocks; their bodies and the private functions are
# in AmlRetrain.Bodies.ps1, loaded at the first call (build-psm1.ps1), so
# that the import parses a fifth of the code.  Without a pwsh the psm1
# holds every function, help included (the same module, a slower import),
# and it says so.
# Usage: build-package.sh DIR   (writes DIR/AmlRetrain, replacing it)
set -o errexit -o nounset -o pipefail
shopt -s inherit_errexit

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly SRC="${SCRIPT_DIR}/AmlRetrain"

die() {
  echo "build-package: $*" >&2
  exit 2
}

main() {
  local dest tmp f pwsh=''
  (($# == 1)) || die "usage: build-package.sh DIR"
  dest="$1/AmlRetrain"
  [[ "$(grep -c -e '^# <loader>$' -e '^# </loader>$' "${SRC}/AmlRetrain.psm1")" == 2 ]] ||
    die "${SRC}/AmlRetrain.psm1 needs one '# <loader>' and one '# </loader>' line"
  mkdir -p -- "$1"
  tmp="$(mktemp -d "$1/.AmlRetrain.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: tmp is local
  trap "rm -rf -- '${tmp}'" EXIT
  cp -- "${SRC}/AmlRetrain.psd1" "${SRC}/AmlRetrain.Format.ps1xml" "${tmp}/"
  cp -R -- "${SRC}/en-US" "${tmp}/"
  if pwsh="$("${SCRIPT_DIR}/../tests/test_helper/run-pester" --which-pwsh 2>/dev/null)"; then
    export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
    "${pwsh}" -NoProfile -NonInteractive -File "${SCRIPT_DIR}/build-help.ps1" \
      -Manifest "${SRC}/AmlRetrain.psd1" -OutFile "${tmp}/en-US/AmlRetrain-help.xml" </dev/null ||
      die "the MAML help could not be written (build-help.ps1)"
    "${pwsh}" -NoProfile -NonInteractive -File "${SCRIPT_DIR}/build-psm1.ps1" \
      -Source "${SRC}" -OutDir "${tmp}" </dev/null ||
      die "the module's code could not be written (build-psm1.ps1)"
  else
    echo "build-package: no pwsh: the help stays in the functions (a slower import)" >&2
    {
      sed -n '1,/^# <loader>$/p' "${SRC}/AmlRetrain.psm1" | sed '$d'
      echo '# The functions of Private/ and Public/ (psmodule/build-package.sh).'
      for f in "${SRC}"/Private/*.ps1 "${SRC}"/Public/*.ps1; do
        cat -- "${f}"
        echo
      done
      sed -n '/^# <\/loader>$/,$p' "${SRC}/AmlRetrain.psm1" | sed '1d'
    } >"${tmp}/AmlRetrain.psm1"
  fi
  chmod -R u=rwX,go=rX -- "${tmp}"
  rm -rf -- "${dest}"
  mv -- "${tmp}" "${dest}"
  trap - EXIT
}

main "$@"
