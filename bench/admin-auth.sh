# Sourced by the bench scripts: the Authorization header of a node's first
# administrator. Since issue 5 qiliand refuses anonymous writes; a node with
# prefixes creates its first administrator 300:0.NA/<first prefix> on its
# first start and writes the secret to <data_dir>/admin.secret. That
# identity is an operator, so no write quota throttles the load.
#
# admin_auth DATA_DIR FIRST_PREFIX: waits (up to 5 s) for the secret file and
# prints "Basic base64(300%3A0.NA/<prefix>:<secret>)" (the Handle.Net Basic
# convention, docs/authentication.md); fails if the file never appears.
admin_auth() {
  local secret_file=$1/admin.secret prefix=$2 secret
  for _ in $(seq 50); do [[ -s "$secret_file" ]] && break; sleep 0.1; done
  [[ -s "$secret_file" ]] || { echo "no $secret_file" >&2; return 1; }
  secret=$(tr -d '\n' <"$secret_file")
  printf 'Basic %s\n' "$(printf '300%%3A0.NA/%s:%s' "$prefix" "$secret" | base64 -w0)"
}
