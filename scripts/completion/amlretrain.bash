# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# bash completion for amlretrain and amlretrain-emulator, read from their
# own --help (so it follows new commands and options), cached per shell.
#
# Installed as share/bash-completion/completions/amlretrain and
# .../amlretrain-emulator; from a checkout:
#   source scripts/completion/amlretrain.bash

# Help texts already read, by "binary<TAB>command words".
declare -gA _amlretrain_help_cache=()

# Read (once per shell) the --help of a binary for some command words into
# _amlretrain_text.  Not a command substitution: its subshell would forget
# the cache.
# Arguments: binary, then the command words (none for the top level)
_amlretrain_help() {
  local key
  key="$(printf '%s\t' "$@")"
  if [[ -z "${_amlretrain_help_cache[${key}]+set}" ]]; then
    _amlretrain_help_cache[${key}]="$("$@" --help 2>/dev/null </dev/null)"
  fi
  _amlretrain_text="${_amlretrain_help_cache[${key}]}"
}

# Print the entries of a help text's "Commands:" section, one name a line.
# Arguments: the help text
_amlretrain_commands() {
  local line in=0
  while IFS= read -r line; do
    if [[ "${line}" == Commands: ]]; then
      in=1
    elif ((in)) && [[ "${line}" =~ ^\ \ ([a-z][a-z0-9-]*)(\ |$) ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
    elif ((in)) && [[ -n "${line}" ]]; then
      in=0
    fi
  done <<<"$1"
}

# Print the options of a help text, one a line: "name<TAB>ARG" where name
# is --long or -x and ARG the value's placeholder (empty: no value), with
# "|@FILE" added when the description says the value may be @FILE.  A
# placeholder has no lower-case letter; the description that follows
# starts with one.
# Arguments: the help text
_amlretrain_options() {
  local line short long rest arg
  local re='^ +(-([A-Za-z0-9]), )? *--([a-z0-9][a-z0-9-]*)( (.*))?$'
  while IFS= read -r line; do
    [[ "${line}" =~ ${re} ]] || continue
    short="${BASH_REMATCH[2]}"
    long="${BASH_REMATCH[3]}"
    rest="${BASH_REMATCH[5]}"
    arg=''
    if [[ -n "${rest}" && "${rest}" != ' '* ]]; then
      arg="${rest%% *}"
      [[ "${arg}" =~ [a-z] ]] && arg=''
    fi
    # "@FILE reads it from FILE" in the description: a value may be @FILE.
    if [[ -n "${arg}" && "${arg}" != *@FILE* && "${rest}" == *@FILE* ]]; then
      arg+='|@FILE'
    fi
    printf -- '--%s\t%s\n' "${long}" "${arg}"
    [[ -z "${short}" ]] || printf -- '-%s\t%s\n' "${short}" "${arg}"
  done <<<"$1"
}

# The placeholder of option $2 among the options $1 ("-" when the option
# takes no value; nothing when it is unknown).
_amlretrain_option_arg() {
  local name arg
  while IFS=$'\t' read -r name arg; do
    if [[ "${name}" == "$2" ]]; then
      printf '%s\n' "${arg:--}"
      return 0
    fi
  done <<<"$1"
  return 1
}

# Set COMPREPLY to the completions of a value.
# Arguments: option name, its placeholder, the word being completed
_amlretrain_values() {
  local opt="$1" arg="$2" cur="$3" prefix=''
  case "${opt}" in
    -o | --output)
      mapfile -t COMPREPLY < <(compgen -W 'json table tsv' -- "${cur}")
      return
      ;;
    --error-format)
      mapfile -t COMPREPLY < <(compgen -W 'text json' -- "${cur}")
      return
      ;;
    --cloud)
      mapfile -t COMPREPLY < <(compgen -W \
        'AzureCloud AzureChinaCloud AzureUSGovernment' -- "${cur}")
      ;;
    -m | --method)
      if [[ "${arg}" == METHOD ]]; then
        mapfile -t COMPREPLY < <(compgen -W \
          'GET HEAD PUT PATCH POST DELETE' -- "${cur}")
        return
      fi
      ;;
  esac
  # FILE, PATH and DIR take names from the file system; "@FILE" a name
  # after the @.
  if [[ "${arg}" == *@FILE* && "${cur}" == @* ]]; then
    prefix='@'
    cur="${cur#@}"
  else
    arg="${arg//@FILE/}"
    [[ "${arg}" == *FILE* || "${arg}" == *PATH* || "${arg}" == *DIR* ]] ||
      return 0
  fi
  compopt -o filenames 2>/dev/null || true
  if [[ "${arg}" == *DIR* ]]; then
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "${cur}")
  else
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "${cur}")
  fi
  if [[ -n "${prefix}" ]]; then
    COMPREPLY=("${COMPREPLY[@]/#/${prefix}}")
  fi
}

# Complete the word COMP_WORDS[COMP_CWORD] of a command line of binary $1,
# whose top level lists the commands (amlretrain) or not (the emulator).
_amlretrain_complete() {
  local bin="$1" cur prev opt arg options word i _amlretrain_text
  local -a path=()
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  _amlretrain_help "${bin}"
  options="$(_amlretrain_options "${_amlretrain_text}")"

  # The command words so far (those the level above lists), skipping
  # options and their values.  A level's --help lists its options, the
  # global ones included; a level listing commands lists none: the
  # options of the level above still apply.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    if [[ "${word}" == -* ]]; then
      [[ "${word}" == *=* ]] && continue
      arg="$(_amlretrain_option_arg "${options}" "${word}")" || arg='-'
      if [[ "${arg}" != - ]] && ((i + 1 < COMP_CWORD)); then
        [[ "${COMP_WORDS[i + 1]}" == = ]] && ((i++))
        ((i++))
      fi
      continue
    fi
    [[ "${word}" == = ]] && continue
    if _amlretrain_commands "${_amlretrain_text}" | grep -qxF -- "${word}"; then
      path+=("${word}")
      _amlretrain_help "${bin}" "${path[@]}"
      opt="$(_amlretrain_options "${_amlretrain_text}")"
      [[ -z "${opt}" ]] || options="${opt}"
    fi
  done

  # A value: after "--opt" or "--opt=" (COMP_WORDBREAKS splits at '=').
  prev="${COMP_WORDS[COMP_CWORD - 1]:-}"
  opt=''
  if [[ "${prev}" == = ]] && ((COMP_CWORD >= 2)); then
    opt="${COMP_WORDS[COMP_CWORD - 2]}"
  elif [[ "${cur}" == = ]]; then
    opt="${prev}"
    cur=''
  elif [[ "${prev}" == -* && "${prev}" != *=* ]]; then
    opt="${prev}"
  fi
  if [[ -n "${opt}" ]] &&
    arg="$(_amlretrain_option_arg "${options}" "${opt}")" &&
    [[ "${arg}" != - ]]; then
    _amlretrain_values "${opt}" "${arg}" "${cur}"
    return 0
  fi

  if [[ "${cur}" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W \
      "$(cut -f1 <<<"${options}" | grep -- '^--')" -- "${cur}")
    return 0
  fi
  mapfile -t COMPREPLY < <(compgen -W \
    "$(_amlretrain_commands "${_amlretrain_text}")" -- "${cur}")
  return 0
}

_amlretrain() {
  local bin="${COMP_WORDS[0]}"
  [[ "${bin}" == */* && -x "${bin}" ]] || bin=amlretrain
  _amlretrain_complete "${bin}"
}

_amlretrain_emulator() {
  local bin="${COMP_WORDS[0]}"
  [[ "${bin}" == */* && -x "${bin}" ]] || bin=amlretrain-emulator
  _amlretrain_complete "${bin}"
}

complete -F _amlretrain amlretrain
complete -F _amlretrain_emulator amlretrain-emulator
