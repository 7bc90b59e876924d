#!/usr/bin/env bash
# Generate the secret files deploy/docker/compose.yml mounts, on this machine only:
#
#   deploy/docker/make-secrets.sh [--host lms.example.org] [--dir deploy/docker/secrets]
#
# Writes only the files that are missing (run it again safely; delete a file to make a
# new one), never prints a secret, and keeps secrets/ out of git (.gitignore). The TLS
# certificate it makes is self-signed, for trying the cluster out: put your real
# fullchain.pem and privkey.pem in secrets/tls/ for production.
# Keep a copy of field_keys and backup_key OFF this machine: without them encrypted
# fields and backup archives cannot be read (docs/encryption.md, docs/backup.md).
set -euo pipefail

host="lms.example.org"
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
while [ $# -gt 0 ]; do
  case "$1" in
    --host) host="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "make-secrets.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in openssl python3; do
  command -v "$tool" >/dev/null || { echo "make-secrets.sh: $tool is needed" >&2; exit 1; }
done

umask 077
mkdir -p "$dir/tls"
chmod 0700 "$dir"

random_text() { python3 -c "import secrets, sys; print(secrets.token_urlsafe(int(sys.argv[1])))" "$1"; }
random_key() { openssl rand -base64 32; }

# write NAME OWNER_UID: generates the value with the command that follows (stdin).
write() {
  local name="$1" owner="$2" path="$dir/$1"
  if [ -s "$path" ]; then cat >/dev/null; echo "kept      $name"; return; fi
  cat > "$path.new"
  mv "$path.new" "$path"
  # The containers read their secrets as their own user: Syllabus 10001, PostgreSQL and
  # Redis 999. As root, give each file to its reader (0400); otherwise leave it readable
  # (0644) inside this 0700 folder, which only you can enter on this machine.
  if [ "$(id -u)" = 0 ]; then chown "$owner:$owner" "$path"; chmod 0400 "$path"; else chmod 0644 "$path"; fi
  echo "generated $name"
}

random_text 64 | write secret_key 10001
printf 'k%s:%s\n' "$(date -u +%Y%m)" "$(random_key)" | write field_keys 10001
random_key | write backup_key 10001
random_text 32 | write metrics_token 10001
random_text 24 | write postgres_password 999
random_text 24 | write replication_password 999
random_text 24 | write redis_password 999

# Connection URLs carry the passwords above, so they are secrets too.
read_secret() { tr -d '\n' < "$dir/$1"; }
pg="$(read_secret postgres_password)"
printf 'postgres://syllabus:%s@db-primary:5432/syllabus?target_session_attrs=read-write\n' "$pg" \
  | write database_url 10001
printf 'postgres://syllabus:%s@db-replica:5432/syllabus\n' "$pg" | write database_replica_urls 10001
printf 'redis://:%s@redis:6379/0\n' "$(read_secret redis_password)" | write redis_url 10001

# Secrets only you know: created empty once, for you to fill in (an empty one is unused).
for name in smtp_password sms_gateway_token; do
  if [ -e "$dir/$name" ]; then echo "kept      $name"; continue; fi
  : > "$dir/$name"
  if [ "$(id -u)" = 0 ]; then chown 10001:10001 "$dir/$name"; chmod 0400 "$dir/$name"; else chmod 0644 "$dir/$name"; fi
  echo "created   $name (empty: write yours in it when you set SYLLABUS_SMTP_HOST / SYLLABUS_SMS_GATEWAY)"
done

if [ -s "$dir/tls/fullchain.pem" ] && [ -s "$dir/tls/privkey.pem" ]; then
  echo "kept      tls/fullchain.pem, tls/privkey.pem"
else
  openssl req -x509 -newkey rsa:2048 -nodes -days 90 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host,DNS:localhost" \
    -keyout "$dir/tls/privkey.pem" -out "$dir/tls/fullchain.pem" 2>/dev/null
  chmod 0644 "$dir/tls/fullchain.pem"
  chmod 0600 "$dir/tls/privkey.pem"
  echo "generated tls/fullchain.pem, tls/privkey.pem (self-signed for $host, 90 days)"
fi
chmod 0755 "$dir/tls"
echo "Secrets are in $dir. Start with: SYLLABUS_HOST=$host docker compose -f $(dirname "$0")/compose.yml up -d"
