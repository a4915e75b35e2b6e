#!/usr/bin/env bash
# Build the packaged (installed) AmlRetrain module: the manifest, the
# views, the help, and one AmlRetrain.psm1 holding every function of
# Private/ and Public/ in place of the source tree's loader (the block
# between '# <loader>' and '# </loader>'), so that importing it reads
# and parses one file.  The source tree keeps one function per file.
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
  local dest tmp f
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
  {
    sed -n '1,/^# <loader>$/p' "${SRC}/AmlRetrain.psm1" | sed '$d'
    echo '# The functions of Private/ and Public/ (psmodule/build-package.sh).'
    for f in "${SRC}"/Private/*.ps1 "${SRC}"/Public/*.ps1; do
      cat -- "${f}"
      echo
    done
    sed -n '/^# <\/loader>$/,$p' "${SRC}/AmlRetrain.psm1" | sed '1d'
  } >"${tmp}/AmlRetrain.psm1"
  chmod -R u=rwX,go=rX -- "${tmp}"
  rm -rf -- "${dest}"
  mv -- "${tmp}" "${dest}"
  trap - EXIT
}

main "$@"
