#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-fetch's trust rules (issue #7, section 2): a file from a mirror never
# satisfies a fetch without that mirror or through another, and the lock
# file says where each file came from; a split's count is checked before a
# record is written; --refresh replaces a cached file only with one that
# reads; --verify re-hashes the cache against the lock file and the pins; a
# hostile body never enters the cache; downloads stop at a size limit and
# a deadline; a mirror's TLS certificate is verified.  "Upstream" is a
# loopback server of our own, so that a fetch without a mirror stays on
# this machine.
. "$(dirname "$0")/lib.sh"

MIRROR_PY="$TOP/tests/servers/mirror.py"
export DSS_FETCH_BACKOFF_MS=0

# snapshot DIR: every file under DIR with its hash, for "as it was" checks
snapshot() {
	(cd "$1" 2>/dev/null && find . -print | LC_ALL=C sort | while read -r f; do
		if [ -f "$f" ]; then echo "$f $(sha256sum < "$f" | cut -d' ' -f1)"; else echo "$f"; fi
	done)
}
sha() { sha256sum < "$1" | cut -d' ' -f1; }
rows() { printf 'P,L\n'; for r in "$@"; do printf '%s,yes\n' "$r"; done; }

# --- upstream, two mirrors, a manifest --------------------------------------
mkdir -p "$TMP/up/data"
rows up-1 up-2 up-3 >"$TMP/up/data/e.csv"
start_server PA python3 "$MIRROR_PY" --timeout 300 --log "$TMP/up.log" "$TMP/up"
UP="http://127.0.0.1:$PA"
URL="$UP/data/e.csv"
MA="$TMP/mirror-a"
MB="$TMP/mirror-b"
mkdir -p "$MA/127.0.0.1:$PA/data" "$MB/127.0.0.1:$PA/data"
rows toy-1 toy-2 >"$MA/127.0.0.1:$PA/data/e.csv"
rows b-1 b-2 b-3 >"$MB/127.0.0.1:$PA/data/e.csv"
cat >"$TMP/m.json" <<JSON
{"name": "t", "format": "csv", "sources": {"a": {"url": "$URL"}},
 "splits": {"train": {"sources": ["a"], "count": 3}},
 "fields": {"p": "P"}, "label": {"from": "L"}, "input": "{p}"}
JSON
inputs() { grep -o '"input":"[^"]*"' "$TMP/out" | sed 's/"input":"//; s/"$//' | tr '\n' ' '; }
gets() { grep -c "GET /data/e.csv" "$TMP/up.log"; }
CACHED="$DSS_CACHE/127.0.0.1:$PA/data/e.csv"
LOCK="$DSS_CACHE/dss.lock.json"
entry() { grep -F "\"$URL\": " "$LOCK"; }

# --- a partial mirror: refused by the count, taken only when asked ----------
expect_fail 1 "^dss-fetch: t train has 2 examples where the manifest expects 3 \(--allow-count-mismatch accepts that, for a deliberately partial mirror\)$" \
    "a partial mirror's split is refused by its count" dss-fetch --mirror "file://$MA" "$TMP/m.json"
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing written"
is "$(snapshot "$DSS_CACHE" | grep -c 'e.csv\|lock')" 0 "nothing cached, nothing locked"
expect_ok "--allow-count-mismatch takes the partial mirror" \
    dss-fetch --allow-count-mismatch --mirror "file://$MA" "$TMP/m.json"
is "$(inputs)" "toy-1 toy-2 " "the mirror's two rows"
is "$(entry)" "  \"$URL\": {\"sha256\":\"$(sha "$MA/127.0.0.1:$PA/data/e.csv")\",\"origin\":\"file://$MA/127.0.0.1:$PA/data/e.csv\"}" \
    "the lock file records the hash and the origin, the mirrored URL"

# --- the mirror's file does not satisfy a fetch without it -------------------
expect_fail 1 "^dss-fetch: '$URL' is cached from 'file://$MA/127.0.0.1:$PA/data/e.csv', not from upstream, and --offline is set$" \
    "--offline without the mirror refuses the mirror's file" dss-fetch --offline "$TMP/m.json"
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing written"
expect_ok "a plain fetch goes upstream" dss-fetch "$TMP/m.json"
is "$(inputs)" "up-1 up-2 up-3 " "upstream's rows, not the mirror's"
is "$(gets)" 1 "upstream was asked"
is "$(entry)" "  \"$URL\": {\"sha256\":\"$(sha "$TMP/up/data/e.csv")\",\"origin\":\"upstream\"}" \
    "the lock entry now names upstream"
expect_ok "--offline after that" dss-fetch --offline "$TMP/m.json"
is "$(inputs)" "up-1 up-2 up-3 " "upstream's rows from the cache"
expect_fail 1 "is cached from upstream, not from 'file://$MA/127.0.0.1:$PA/data/e.csv', and --offline is set$" \
    "an upstream file does not satisfy a fetch through a mirror either" \
    dss-fetch --offline --mirror "file://$MA" --allow-count-mismatch "$TMP/m.json"

# --- another mirror is not ignored --------------------------------------------
expect_ok "a second mirror" dss-fetch --mirror "file://$MB" "$TMP/m.json"
is "$(inputs)" "b-1 b-2 b-3 " "the second mirror's rows, not the cached ones"
expect_ok "and upstream again" dss-fetch "$TMP/m.json"
is "$(inputs)" "up-1 up-2 up-3 " "upstream's rows again"
is "$(gets)" 2 "fetched from upstream once more"

# --- a change upstream: refused against the lock file, taken by --refresh ----
OLD=$(sha "$TMP/up/data/e.csv")
rows new-1 new-2 new-3 >"$TMP/up/data/e.csv"
NEW=$(sha "$TMP/up/data/e.csv")
rm "$CACHED"
expect_fail 1 "^dss-fetch: checksum mismatch for '$URL': expected $OLD, got $NEW; if it changed at its origin, --refresh downloads it anew$" \
    "a changed upstream file is refused against the lock file, with advice" dss-fetch "$TMP/m.json"
rows up-1 up-2 up-3 >"$TMP/up/data/e.csv"
expect_ok "the old file back upstream" dss-fetch "$TMP/m.json"
rows new-1 new-2 new-3 >"$TMP/up/data/e.csv"
expect_ok "a cache hit is not downloaded again" dss-fetch "$TMP/m.json"
is "$(inputs)" "up-1 up-2 up-3 " "the cached rows"
n=$(gets)
expect_ok "--refresh" dss-fetch --refresh "$TMP/m.json"
is "$(inputs)" "new-1 new-2 new-3 " "--refresh: the new rows"
is "$(gets)" $((n + 1)) "--refresh: downloaded again"
is "$(entry)" "  \"$URL\": {\"sha256\":\"$NEW\",\"origin\":\"upstream\"}" "--refresh: the lock entry replaced"
# a new copy that does not read leaves the cache and the lock as they were
printf 'P,L\n"broken,yes\n' >"$TMP/up/data/e.csv"
snapshot "$DSS_CACHE" >"$TMP/before"
expect_fail 1 "^dss-fetch: 'e.csv': line 2: unterminated quoted field$" \
    "--refresh with a file that does not read" dss-fetch --refresh "$TMP/m.json"
snapshot "$DSS_CACHE" >"$TMP/after"
cmp_file "$TMP/after" "$TMP/before" "--refresh failed: cache, lock file, no .part: as they were"
rows up-1 up-2 >"$TMP/up/data/e.csv"
expect_fail 1 "^dss-fetch: t train has 2 examples where the manifest expects 3 " \
    "--refresh with a file of the wrong count" dss-fetch --refresh "$TMP/m.json"
snapshot "$DSS_CACHE" >"$TMP/after"
cmp_file "$TMP/after" "$TMP/before" "--refresh, wrong count: as they were"
expect_fail 2 "^dss-fetch: --refresh downloads again, which --offline forbids$" \
    "--refresh with --offline is a usage error" dss-fetch --refresh --offline "$TMP/m.json"

# --- --verify -------------------------------------------------------------------
expect_ok "--verify on a good cache" dss-fetch --verify
is "$(cat "$TMP/out")" "ok $URL" "--verify: one line per file"
grep -q "^dss-fetch: verified 1 files in '$DSS_CACHE': 1 ok, 0 mismatched, 0 missing$" "$TMP/err"
ok $? "--verify: a summary on stderr"
printf 'tampered\n' >>"$CACHED"
GOT=$(sha "$CACHED")
expect_fail 1 "^dss-fetch: checksum mismatch for '$URL' \(cached as '$CACHED'\): expected $NEW, got $GOT$" \
    "--verify finds a damaged file" dss-fetch --verify
is "$(cat "$TMP/out")" "mismatch $URL" "--verify: the mismatch on stdout"
rm "$CACHED"
expect_ok "--verify: a recorded file that is gone is not a mismatch" dss-fetch --verify
is "$(cat "$TMP/out")" "missing $URL" "--verify: reported missing"
expect_ok "--verify with a manifest's pins" \
    dss-fetch --mirror "file://$TOP/datasets/mirror" "$TOP/datasets/demo/svamp.json" test
expect_ok "the demo pin matches" dss-fetch --verify "$TOP/datasets/demo/svamp.json"
grep -q "^ok https://raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json$" "$TMP/out"
ok $? "--verify: the pinned file is listed"
expect_fail 1 "^dss-fetch: checksum mismatch for 'https://raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json' \(cached as '.*'\): expected 5be77703a6d891ae476d7c082787ad361392aa02453b132516cdd5f4e7934e3e, got 0603408aaa4a3fea69c631c60f84e5b4ef26e9583c4d25e7b55363fb21057c68 \(the manifest's pin\)$" \
    "--verify against the real pin: the toy file differs" env DSS_DATASETS="$TOP/datasets" dss-fetch --verify
expect_fail 2 "^dss-fetch: --verify takes no option but --cache$" "--verify with --mirror" \
    dss-fetch --verify --mirror "file://$MA"
expect_fail 2 "^dss-fetch: unknown dataset 'nope' \(known: anli1, cqa, esnli, svamp\)$" \
    "--verify with an unknown dataset" dss-fetch --verify nope
mkdir -p "$TMP/badlock"
echo '["not", "an", "object"]' >"$TMP/badlock/dss.lock.json"
expect_fail 1 "^dss-fetch: cannot parse lock file '$TMP/badlock/dss.lock.json': not a JSON object$" \
    "--verify with a corrupt lock file" dss-fetch --verify --cache "$TMP/badlock"

# --- a lock file of the older form -------------------------------------------------
rows up-1 up-2 up-3 >"$TMP/up/data/e.csv"
cp "$TMP/up/data/e.csv" "$CACHED"
printf '{\n  "%s": "%s"\n}\n' "$URL" "$(sha "$CACHED")" >"$LOCK"
expect_fail 1 "^dss-fetch: '$URL' is cached from an unrecorded origin, not from upstream, and --offline is set$" \
    "an old lock entry vouches for nothing offline" dss-fetch --offline "$TMP/m.json"
n=$(gets)
expect_ok "an old lock entry: fetched again" dss-fetch "$TMP/m.json"
is "$(gets)" $((n + 1)) "...from upstream"
is "$(entry)" "  \"$URL\": {\"sha256\":\"$(sha "$CACHED")\",\"origin\":\"upstream\"}" \
    "...and the entry is rewritten with its origin"

# --- a hostile server: 1 MiB of spaces as an unpinned anli_v1.0.zip -------------
ANLI=dl.fbaipublicfiles.com/anli/anli_v1.0.zip
mkdir -p "$TMP/hostile/$(dirname "$ANLI")"
head -c 1048576 /dev/zero | tr '\0' ' ' >"$TMP/hostile/$ANLI"
start_server PH python3 "$MIRROR_PY" --timeout 300 --log "$TMP/hostile.log" "$TMP/hostile"
export DSS_CACHE="$TMP/cache-hostile"
for run in first second; do
	expect_fail 1 "^dss-fetch: .*anli_v1.0.zip.*: Unrecognized archive format" \
	    "spaces as anli_v1.0.zip: refused ($run run)" \
	    dss-fetch --mirror "http://127.0.0.1:$PH" anli1 test
	is "$(snapshot "$DSS_CACHE" | grep -c 'anli_v1.0.zip')" 0 \
	    "spaces as anli_v1.0.zip: not in the cache, not even as a .part ($run run)"
	ok "$([ ! -s "$DSS_CACHE/dss.lock.json" ] || ! grep -q anli "$DSS_CACHE/dss.lock.json"; echo $?)" \
	    "spaces as anli_v1.0.zip: not in the lock file ($run run)"
done
is "$(grep -c "GET /$ANLI" "$TMP/hostile.log")" 2 "the second run asked the server again"
expect_ok "the good zip after the hostile one" \
    dss-fetch --mirror "file://$TOP/datasets/mirror" "$TOP/datasets/demo/anli1.json" test
is "$(wc -l <"$TMP/out" | tr -d ' ')" 12 "its 12 test records"

# --- size limits and deadlines ----------------------------------------------------
cat >"$TMP/big.json" <<JSON
{"name": "t", "format": "csv", "sources": {"a": {"url": "https://example.org/big.csv", "max_bytes": 1000}},
 "splits": {"train": {"sources": ["a"]}}, "fields": {"p": "P"}, "label": {"from": "L"}, "input": "{p}"}
JSON
start_server PE python3 "$MIRROR_PY" --timeout 120 --endless /example.org/big.csv "$TMP/up"
export DSS_CACHE="$TMP/cache-big"
expect_fail 1 "^dss-fetch: cannot download 'https://example.org/big.csv' from 'http://127.0.0.1:$PE/example.org/big.csv': larger than the limit of 1000 bytes$" \
    "an endless body stops at the source's max_bytes" dss-fetch --mirror "http://127.0.0.1:$PE" "$TMP/big.json"
is "$(snapshot "$DSS_CACHE" | grep -c 'big')" 0 "over the limit: no .part left"

sed 's/, "max_bytes": 1000//' "$TMP/big.json" >"$TMP/default.json"
start_server PT python3 "$MIRROR_PY" --timeout 120 --trickle /example.org/big.csv "$TMP/up"
t0=$(date +%s)
expect_fail 1 "^dss-fetch: cannot download 'https://example.org/big.csv' from 'http://127.0.0.1:$PT/example.org/big.csv': it announces 1099511627776 bytes, more than the limit of 4294967296 bytes$" \
    "a 1 TiB Content-Length is refused at once against the default limit" \
    dss-fetch --mirror "http://127.0.0.1:$PT" "$TMP/default.json"
sed 's/"max_bytes": 1000/"max_bytes": 2000000000000/' "$TMP/big.json" >"$TMP/huge.json"
expect_fail 1 "^dss-fetch: cannot download 'https://example.org/big.csv' from 'http://127.0.0.1:$PT/example.org/big.csv': not complete within the deadline of 2 s$" \
    "a 2 KiB/s trickle stops at --deadline" \
    dss-fetch --deadline 2 --mirror "http://127.0.0.1:$PT" "$TMP/huge.json"
t1=$(date +%s)
ok "$([ $((t1 - t0)) -lt 15 ]; echo $?)" "both done in $((t1 - t0)) s"
ok "$([ -s "$DSS_CACHE/example.org/big.csv.part" ]; echo $?)" "past the deadline the .part is kept, to resume"
sed 's/"max_bytes": 1000/"max_bytes": 0/' "$TMP/big.json" >"$TMP/zero.json"
expect_fail 1 "^dss-fetch: '$TMP/zero.json': source 'a': 'max_bytes' is not a positive integer$" \
    "max_bytes 0 in a manifest" dss-fetch "$TMP/zero.json"

# every wait counts: a Retry-After longer than the deadline ends the run at once
start_server PR python3 "$MIRROR_PY" --timeout 120 --fail-first 100 --retry-after 30 \
    --log "$TMP/retry.log" "$TMP/up"
t0=$(date +%s)
DSS_FETCH_BACKOFF_MS= expect_fail 1 "^dss-fetch: cannot download '$URL' from 'http://127.0.0.1:$PR/127.0.0.1:$PA/data/e.csv': not complete within the deadline of 3 s$" \
    "retries wait no longer than the deadline" \
    dss-fetch --deadline 3 --mirror "http://127.0.0.1:$PR" "$TMP/m.json"
t1=$(date +%s)
ok "$([ $((t1 - t0)) -lt 10 ]; echo $?)" "gave up in $((t1 - t0)) s, not after a 30 s Retry-After"
is "$(grep -c 'status=503' "$TMP/retry.log")" 1 "one request, no retry past the deadline"

expect_fail 2 "^dss-fetch: bad --deadline '0': want a whole number from 1 to 31536000$" \
    "--deadline 0 is a usage error" dss-fetch --deadline 0 "$TMP/m.json"
expect_fail 2 "^dss-fetch: bad --deadline 'soon'" "--deadline needs a number" \
    dss-fetch --deadline soon "$TMP/m.json"
# ---- TLS: a mirror's certificate is verified ---------------------------------
# A self-signed HTTPS mirror on loopback is refused before a byte is
# cached: libcurl verifies peer and host name, and dss-fetch has no switch
# to turn that off.
if command -v openssl >/dev/null 2>&1; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/key.pem" \
	    -out "$TMP/cert.pem" >/dev/null 2>&1
	mkdir -p "$TMP/tls/127.0.0.1:$PA/data"
	rows tls-1 tls-2 tls-3 >"$TMP/tls/127.0.0.1:$PA/data/e.csv"
	start_server PS python3 "$MIRROR_PY" --timeout 120 --tls-cert "$TMP/cert.pem" \
	    --tls-key "$TMP/key.pem" --log "$TMP/tls.log" "$TMP/tls"
	export DSS_CACHE="$TMP/cache-tls"
	expect_fail 1 "^dss-fetch: cannot download '$URL' from 'https://127.0.0.1:$PS/127.0.0.1:$PA/data/e.csv': .*certificate" \
	    "a self-signed HTTPS mirror is refused" \
	    dss-fetch --mirror "https://127.0.0.1:$PS" "$TMP/m.json"
	is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "a self-signed HTTPS mirror: nothing written"
	is "$(snapshot "$DSS_CACHE" | grep -c 'e.csv')" 0 "a self-signed HTTPS mirror: nothing cached"
	is "$(cat "$TMP/tls.log" 2>/dev/null | wc -l | tr -d ' ')" 0 "a self-signed HTTPS mirror: no request made"
else
	skip "openssl is not installed (scripts/deps.sh installs it)"
fi
done_testing
