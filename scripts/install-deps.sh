#!/usr/bin/env bash
# Installs the Debian packages AIStore-C builds, tests and deploys with.
# Idempotent: only calls apt-get when something is missing, so `make deploy`
# and `make test` can run it every time at no cost.
set -euo pipefail

PKGS=(
	build-essential cmake pkg-config
	libnng-dev libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler
	libxxhash-dev libisal-dev libarchive-dev libcmocka-dev libjansson-dev
	libcurl4-openssl-dev libssl-dev libmsgpack-dev
	curl python3 python3-requests python3-xxhash python3-msgpack attr
	tar zip unzip lz4
	awscli python3-boto3 s3cmd rclone
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
