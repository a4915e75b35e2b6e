#!/usr/bin/env bash
# Build the packaged (installed) AmlRetrain module: the manifest, the
# views, the help, and one AmlRetrain.psm1 holding every function of
# Private/ and Public/ in place of the source tree's loader (the block
# between '# <loader>' and '# </loader>'), so that importing it reads
# and parses one file.  The source tree keeps one function per file.
# With a pwsh (AMLR_PWSH, the one `make deps` installed, or PATH), the
# comment-based help becomes MAML, en-US/AmlRetrain-help.xml
# (build-help.ps1), and the functions lose their comments: pwsh on its
# own JIT-compiles the parser's paths for comments at every import, a
# third of what the module would add to it.  Without one the help stays
# in the functions (the same help, a slower import), and it says so.
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

# The functions of Private/ and Public/ for a package whose help is MAML:
# the help comments of Public/'s functions replaced by '.ExternalHelp',
# Private/'s dropped, and every comment line dropped.
strip_comments() {
  perl -0777 -ne '
    my $public = $ARGV =~ m{/Public/[^/]+$};
    s{^([ \t]*)<#.*?#>[ \t]*\n}{$public ? "$1# .ExternalHelp AmlRetrain-help.xml\n" : ""}mse;
    s{^[ \t]*#(?! \.ExternalHelp ).*\n}{}mg;
    print, print "\n";
  ' "$@"
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
    POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off \
      "${pwsh}" -NoProfile -NonInteractive -File "${SCRIPT_DIR}/build-help.ps1" \
      -Manifest "${SRC}/AmlRetrain.psd1" -OutFile "${tmp}/en-US/AmlRetrain-help.xml" </dev/null ||
      die "the MAML help could not be written (build-help.ps1)"
  else
    echo "build-package: no pwsh: the help stays in the functions (a slower import)" >&2
  fi
  {
    sed -n '1,/^# <loader>$/p' "${SRC}/AmlRetrain.psm1" | sed '$d'
    echo '# The functions of Private/ and Public/ (psmodule/build-package.sh).'
    if [[ -n "${pwsh}" ]]; then
      strip_comments "${SRC}"/Private/*.ps1 "${SRC}"/Public/*.ps1
    else
      for f in "${SRC}"/Private/*.ps1 "${SRC}"/Public/*.ps1; do
        cat -- "${f}"
        echo
      done
    fi
    sed -n '/^# <\/loader>$/,$p' "${SRC}/AmlRetrain.psm1" | sed '1d'
  } >"${tmp}/AmlRetrain.psm1"
  chmod -R u=rwX,go=rX -- "${tmp}"
  rm -rf -- "${dest}"
  mv -- "${tmp}" "${dest}"
  trap - EXIT
}

main "$@"
