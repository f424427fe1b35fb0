#!/bin/sh
# Fills docker/secrets/ (or DIR) with every file compose.yaml hands to the containers as a
# Docker secret, made with Tandem's own commands. A file that exists is kept, never
# overwritten: run it again after deleting a file to make only that one anew.
#
#   usage: docker/init-secrets.sh [DIR]
#
#   ca.pem ca.key            the pair's certificate authority (tandem certificates); ca.key
#                            stays here, no container gets it
#   NODE.pem NODE.key        primary, backup and watch: certificates for mutual TLS, issued
#                            for the compose service name, localhost and 127.0.0.1, and the
#                            names in $TANDEM_CERT_HOSTS (comma-separated), if set
#   cluster-password         random: the nodes and the watch log in to each other with it
#   admin-password           random: the operator user `admin`
#   licence-issuer.key .pub  a development licence issuer (tandem license keygen); the
#                            nodes trust the .pub, no container gets the .key
#   licence.json             a development licence for a year (tandem license issue);
#                            replace it with the production licence
#
# Needs Node 20 and a built checkout (npm ci && npm run build), or run it in the image:
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/docker/secrets:/secrets" \
#     --entrypoint /opt/tandem/docker/init-secrets.sh tandem:dev /secrets
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
dir=${1:-$here/secrets}
cli=${TANDEM_CLI:-$here/../dist/src/cli/main.js}
if [ ! -f "$cli" ]; then
  echo "init-secrets: $cli not found: run npm ci && npm run build first (or set TANDEM_CLI)" >&2
  exit 1
fi
tandem() {
  node "$cli" "$@"
}

umask 077
mkdir -p "$dir"
# Only this user may enter the directory. The files that containers read are made
# readable by all at the end: Docker Compose bind-mounts a secret file with its host
# permissions, and the image's user (uid 10001) is not their owner.
chmod 700 "$dir"
mounted='ca.pem primary.pem primary.key backup.pem backup.key watch.pem watch.key cluster-password admin-password licence-issuer.pub licence.json'
new=''
for f in $mounted; do
  [ -e "$dir/$f" ] || new="$new $f"
done

extra=${TANDEM_CERT_HOSTS:+,$TANDEM_CERT_HOSTS}
tandem certificates --dir "$dir" \
  --node "primary=primary,localhost,127.0.0.1$extra" \
  --node "backup=backup,localhost,127.0.0.1$extra" \
  --node "watch=watch,localhost,127.0.0.1$extra"

# Writes a random password to $1 unless it exists.
password() {
  if [ -e "$dir/$1" ]; then
    echo "kept  $dir/$1 (exists)"
    return
  fi
  value=$(node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("base64url"))')
  (set -C && printf '%s\n' "$value" > "$dir/$1")
  echo "wrote $dir/$1"
}
password cluster-password
password admin-password

if [ ! -e "$dir/licence-issuer.key" ] && [ ! -e "$dir/licence-issuer.pub" ]; then
  tandem license keygen --out-dir "$dir"
fi
if [ -e "$dir/licence.json" ]; then
  echo "kept  $dir/licence.json (exists)"
elif [ -e "$dir/licence-issuer.key" ]; then
  until=$(node -e 'process.stdout.write(new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10))')
  tandem license issue --private-key "$dir/licence-issuer.key" --licensee "${TANDEM_LICENSEE:-Tandem development}" \
    --valid-until "$until" --out "$dir/licence.json"
else
  echo "init-secrets: $dir/licence.json is missing and there is no licence-issuer.key to sign a new one" >&2
  exit 1
fi

# Only the files this run made: permissions an operator set on kept files stay as they are.
for f in $new; do
  chmod 644 "$dir/$f"
done
echo "secrets are in $dir; a production licence replaces licence.json"
