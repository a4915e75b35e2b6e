# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The secret canary's recorder for the scripts of scripts/ (docs/canary.md):
# tests/canary/run exports BASH_ENV pointing here, so every non-interactive
# bash sources it before its script.  For a script of scripts/ it notes the
# run (argv, working directory, environment) and copies standard output and
# error aside, as tests/canary/record does for the binaries; for anything
# else it does nothing.  It must cost nothing there: bats and every helper
# of the suites run bash.
# Configuration: CANARY_DIR and CANARY_ROOT (exported by tests/canary/run).
canary_self="${0}"
[[ "${canary_self}" == /* ]] || canary_self="${PWD}/${canary_self#./}"
if [[ -n "${CANARY_DIR:-}" &&
  "${canary_self}" == "${CANARY_ROOT:-/nonexistent}/scripts/"* &&
  "${canary_self}" != */lib/* ]]; then
  # Close every descriptor above 2 in a helper (a test's flock on fd 8
  # must not outlive the script in its tee).
  canary_close_fds() {
    local f n
    for f in /proc/self/fd/*; do
      n="${f##*/}"
      ((n > 2)) || continue
      { exec {n}>&-; } 2>/dev/null
    done
  }
  canary_hook() {
    local rec fd as rfd
    rec="${CANARY_DIR}/runs/script-${0##*/}.$$.${EPOCHREALTIME/./}"
    (
      umask 077
      printf '%s\0' "$@" >"${rec}.argv"
      printf '%s\n' "${PWD}" >"${rec}.cwd"
      printf '%s\n' "${AMLR_BACKUP_DIR:-}" "${HOME:-}" \
        "${XDG_CACHE_HOME:-}" "${XDG_STATE_HOME:-}" \
        "${BATS_TEST_TMPDIR:-}" "${BATS_FILE_TMPDIR:-}" >"${rec}.env"
    )
    for fd in 1 2; do
      as=out
      ((fd == 2)) && as=err
      if [[ ! -e "/proc/self/fd/${fd}" || -t "${fd}" ]] ||
        [[ "/proc/self/fd/${fd}" -ef /dev/full ]]; then
        continue
      fi
      if [[ -f "/proc/self/fd/${fd}" ]]; then
        # A file: copied as it grows by a watcher, whole (see record).
        exec {rfd}<"/proc/self/fd/${fd}" || continue
        (
          canary_close_fds
          /usr/bin/readlink /proc/self/fd/0 >"${rec}.${as}.path"
          exec /usr/bin/tail -c +1 -s 0.2 --pid=$$ -f
        ) <&"${rfd}" >"${rec}.${as}" 2>/dev/null &
        printf '%s\n' "$!" >>"${CANARY_DIR}/watchers"
        exec {rfd}<&-
      elif [[ -p "/proc/self/fd/${fd}" ]]; then
        # A pipe (bats' run): tee, whose reader waits for it.
        if ((fd == 1)); then
          exec 1> >(
            canary_close_fds
            exec /usr/bin/tee -a -- "${rec}.${as}"
          )
        else
          exec 2> >(
            canary_close_fds
            exec /usr/bin/tee -a -- "${rec}.${as}" >&2
          )
        fi
      fi
    done
  }
  canary_hook "$@"
  unset -f canary_hook canary_close_fds
fi
unset canary_self
