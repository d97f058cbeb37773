#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages dss builds and tests with.  "deps.sh install"
# installs the missing ones when run as root and prints the apt-get line
# otherwise; "deps.sh check" does the same only when something is missing.
PKGS="gcc make pkg-config libsqlite3-dev libcurl4-openssl-dev libcjson-dev \
libpcre2-dev libarchive-dev libssl-dev mandoc openssl perl python3 sqlite3"
PCS="sqlite3 libcurl libcjson libpcre2-8 libarchive libcrypto"

missing() {
	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || printf '%s ' "$p"
	done
}

if [ "$1" = check ] && command -v pkg-config >/dev/null 2>&1 &&
    pkg-config --exists $PCS && command -v prove >/dev/null 2>&1 &&
    command -v mandoc >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
	exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; install the equivalents of: $PKGS" >&2
	exit 1
fi
m=$(missing)
[ -z "$m" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq $m
else
	echo "deps: missing packages; run as root:" >&2
	echo "  apt-get install -y $m" >&2
	exit 1
fi
