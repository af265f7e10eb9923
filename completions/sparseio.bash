# bash completion for sparseio(1): commands, then each command's options;
# files for SRC, DST and the options that take a FILE.
_sparseio() {
  local cur prev cmd i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_CWORD:+${COMP_WORDS[COMP_CWORD-1]}}
  local commands="fetch cat stat punch verify plan mount"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      fetch|cat|stat|punch|verify|plan|mount) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
    return 0
  fi
  local common="-h --help -v --verbose -q --quiet"
  local ranges="-r --ranges --ranges-from"
  local http="-H --header --size --retries --connect-timeout --timeout --cacert --insecure --max-redirs"
  local s3="--profile --region --endpoint-url --no-sign-request --s3-path-style"
  local transfer="-j --jobs --chunk-size --sync --overwrite --restart --no-wait --coalesce-gap --max-connections --progress --no-progress --progress-interval"
  local select="--select --shard"
  local opts
  case $cmd in
    fetch) opts="$common $ranges $http $s3 $transfer $select --plan --json --fail-fast --from" ;;
    cat) opts="$common $ranges $http $s3 $transfer $select --no-store -o --output" ;;
    stat) opts="$common --ranges --ranges-only --json" ;;
    punch) opts="$common $ranges --no-wait --json" ;;
    verify) opts="$common $ranges $http $s3 -j --jobs --chunk-size --repair --json" ;;
    plan) opts="$common -r --ranges $http $s3 $select --json --from" ;;
    mount) opts="$common $http $s3 -j --jobs --chunk-size --sync --coalesce-gap --max-connections --cache --cache-max --read-block-size --readahead-max" ;;
  esac
  case $prev in
    --sync) COMPREPLY=($(compgen -W "hash batch none" -- "$cur")); return 0 ;;
    -o|--output) COMPREPLY=(-); return 0 ;;
    --ranges-from|--cacert|--plan|--from) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --cache) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
    -r|--ranges|-j|--jobs|--chunk-size|--size|--retries|--connect-timeout|--timeout|--max-redirs|--coalesce-gap|-H|--header|--profile|--region|--endpoint-url|--max-connections|--select|--shard|--progress-interval|--cache-max|--read-block-size|--readahead-max)
      return 0 ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}
complete -o filenames -F _sparseio sparseio
