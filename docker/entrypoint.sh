#!/bin/sh
# The container's entrypoint: one image, three roles.
#
#   node    (the default) a controller: `tandem start`; its controller.conf says Primary or Backup
#   watch   the cluster watch: `tandem watch`
#   other   handed to the tandem CLI as is: `docker run IMAGE cluster status --url …`
#
# The role is the first argument, else $TANDEM_ROLE, else node; further arguments go to
# the command (`docker run IMAGE node --log-level debug`). The environment (defaults in
# brackets) says where things are, so the script also runs outside a container:
#   TANDEM_CONFIG_DIR [/etc/tandem]  TANDEM_DATA_DIR [/var/lib/tandem]
#   TANDEM_HTTPS_PORT [8443]  TANDEM_HOST [0.0.0.0]  TANDEM_CLI [../dist/src/cli/main.js beside this script]
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
cli=${TANDEM_CLI:-$here/../dist/src/cli/main.js}
config_dir=${TANDEM_CONFIG_DIR:-/etc/tandem}
data_dir=${TANDEM_DATA_DIR:-/var/lib/tandem}

role=${TANDEM_ROLE:-node}
if [ "$#" -gt 0 ]; then
  role=$1
  shift
fi

# exec: tandem replaces this shell, so `docker stop`'s SIGTERM reaches it directly and it
# stops cleanly (a planned shutdown, exit 0) instead of being killed after the grace period.
case $role in
  node)
    exec node "$cli" start --config-dir "$config_dir" --data-dir "$data_dir" \
      --https-port "${TANDEM_HTTPS_PORT:-8443}" --host "${TANDEM_HOST:-0.0.0.0}" "$@"
    ;;
  watch)
    exec node "$cli" watch --config-dir "$config_dir" --data-dir "$data_dir" "$@"
    ;;
  *)
    exec node "$cli" "$role" "$@"
    ;;
esac
