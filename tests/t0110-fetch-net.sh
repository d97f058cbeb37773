#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-fetch over the network layer: file:// and HTTP mirrors (the test
# mirror server on loopback), the cache and its lock file, --offline,
# resumption after a cut transfer, retries after 503s, a 404, a server
# that ignores Range, a corrupt download, a checksum mismatch that leaves
# the cache as it was, a truncated zip, and no progress bar unless stderr
# is a terminal.  The bundled mirror is copied into $TMP before any change.
. "$(dirname "$0")/lib.sh"

export DSS_FETCH_BACKOFF_MS=0
export DSS_DATASETS="$TOP/datasets"
SVAMP_URL=https://raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json
SVAMP_PATH=/raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json
ANLI_URL=https://dl.fbaipublicfiles.com/anli/anli_v1.0.zip
ANLI_PATH=/dl.fbaipublicfiles.com/anli/anli_v1.0.zip
DEMO="$TOP/datasets/demo/svamp.json"
SVAMP_SHA=$(sed -n 's/.*"sha256": *"\([0-9a-f]*\)".*/\1/p' "$DEMO")
MIRROR_PY="$TOP/tests/servers/mirror.py"
M="$TMP/mirror"
mkdir -p "$M"
cp -R "$TOP/datasets/mirror/raw.githubusercontent.com" "$M/"

# An ANLI-shaped zip of our own: R1 train/dev/test plus a round we never read.
python3 - "$M$ANLI_PATH" <<'EOF'
import json, os, sys, zipfile
path = sys.argv[1]
os.makedirs(os.path.dirname(path), exist_ok=True)
labels = "enc"
def rows(split, n):
    for i in range(n):
        yield json.dumps({
            "uid": "%s-%05d" % (split, i),
            "context": "The lighthouse on cape %d was painted %s in the spring of %d." % (i, ["red", "white", "blue"][i % 3], 1900 + i % 120),
            "hypothesis": "The lighthouse on cape %d is %s." % (i, ["red", "green", "tall"][i % 3]),
            "label": labels[i % 3],
            "model_label": labels[(i + 1) % 3],
            "emturk": False,
            "genre": "wiki",
            "reason": "The text says what colour cape %d's lighthouse was." % i,
            "tag": "test-fixture"}) + "\n"
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("anli_v1.0/", "")
    z.writestr("anli_v1.0/R1/", "")
    z.writestr("anli_v1.0/R1/train.jsonl", "".join(rows("train", 3000)))
    z.writestr("anli_v1.0/R1/dev.jsonl", "".join(rows("dev", 40)))
    z.writestr("anli_v1.0/R1/test.jsonl", "".join(rows("test", 30)))
    z.writestr("anli_v1.0/R2/train.jsonl", "".join(rows("r2", 10)))
EOF
ANLI_SHA=$(sha256sum "$M$ANLI_PATH" | cut -d' ' -f1)
cp "$M$ANLI_PATH" "$TMP/anli-good.zip"

# snapshot DIR: every file under DIR with its hash, for "as it was" checks
snapshot() {
	(cd "$1" 2>/dev/null && find . -print | LC_ALL=C sort | while read -r f; do
		if [ -f "$f" ]; then echo "$f $(sha256sum < "$f" | cut -d' ' -f1)"; else echo "$f"; fi
	done)
}

# serve VAR ARGS...: starts the mirror server over $M with a request log
# in $TMP/log (emptied first); VAR gets its base URL
serve() {
	_v=$1; shift
	: > "$TMP/log"
	start_server _p python3 "$MIRROR_PY" --timeout 300 --log "$TMP/log" "$@" "$M"
	eval "$_v=http://127.0.0.1:\$_p"
}

count() {
	grep -c -- "$1" "$TMP/log"
}

# 1. file:// mirror, the reference output
expect_ok "file:// mirror: svamp train" dss-fetch --mirror "file://$M" "$DEMO" train
cp "$TMP/out" "$TMP/ref-train"
is "$(wc -l < "$TMP/ref-train" | tr -d ' ')" 800 "file:// mirror: 800 train records"
is "$(sha256sum < "$DSS_CACHE$SVAMP_PATH" | cut -d' ' -f1)" "$SVAMP_SHA" \
	"cached as CACHE/HOST/PATH with the pinned hash"
ok "$([ ! -e "$DSS_CACHE/dss.lock.json" ]; echo $?)" "pinned files are not written to the lock file"
expect_ok "no progress bar when stderr is not a terminal" \
	dss-fetch --mirror "file://$M" "$DEMO" test
ok "$(grep -q "$(printf '\r')" "$TMP/err"; [ $? -ne 0 ]; echo $?)" \
	"...stderr holds no carriage return"
ok "$(grep -q '%' "$TMP/err"; [ $? -ne 0 ]; echo $?)" "...and no percentage"

# 2. cache hits and --offline
expect_ok "--offline from the cache" dss-fetch --offline "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "--offline output equals the mirror's"
expect_ok "a cache hit needs no mirror even without --offline" \
	dss-fetch --mirror "file://$TMP/nowhere" "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "cache hit output"
expect_fail 1 "^dss-fetch: '$SVAMP_URL' is not in the cache \\($TMP/empty$SVAMP_PATH\\) and --offline is set\$" \
	"--offline with an empty cache" dss-fetch --offline --cache "$TMP/empty" "$DEMO" train
is "$(wc -c < "$TMP/out" | tr -d ' ')" 0 "--offline failure writes no records"
ok "$([ ! -e "$TMP/empty" ]; echo $?)" "--offline failure creates nothing, not even the cache"
DSS_CACHE="$TMP/empty2" expect_fail 1 "is not in the cache \\($TMP/empty2$SVAMP_PATH\\) and --offline is set" \
	"--offline honours DSS_CACHE" dss-fetch --offline "$DEMO" train

# where the cache is: XDG_CACHE_HOME, then HOME; a mirror may be a plain path
(unset DSS_CACHE; XDG_CACHE_HOME="$TMP/xdg" dss-fetch --mirror "$M" "$DEMO" test >/dev/null 2>"$TMP/err")
ok "$([ -f "$TMP/xdg/dss$SVAMP_PATH" ]; echo $?)" "no DSS_CACHE: \$XDG_CACHE_HOME/dss, and a plain path as mirror"
(unset DSS_CACHE XDG_CACHE_HOME; HOME="$TMP/home" dss-fetch --mirror "file://$M" "$DEMO" test >/dev/null 2>"$TMP/err")
ok "$([ -f "$TMP/home/.cache/dss$SVAMP_PATH" ]; echo $?)" "no DSS_CACHE nor XDG_CACHE_HOME: ~/.cache/dss"

# a damaged cached file: --offline refuses it, a fetch replaces it
cp -R "$DSS_CACHE" "$TMP/c-damaged"
printf 'x' >> "$TMP/c-damaged$SVAMP_PATH"
GOT=$(sha256sum < "$TMP/c-damaged$SVAMP_PATH" | cut -d' ' -f1)
expect_fail 1 "^dss-fetch: checksum mismatch for '$SVAMP_URL' \(cached as '$TMP/c-damaged$SVAMP_PATH'\): expected $SVAMP_SHA, got $GOT\$" \
	"--offline with a damaged cached file" dss-fetch --offline --cache "$TMP/c-damaged" "$DEMO" train
expect_ok "a damaged cached file is fetched again" \
	dss-fetch --mirror "file://$M" --cache "$TMP/c-damaged" "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "output after the repair"
is "$(sha256sum < "$TMP/c-damaged$SVAMP_PATH" | cut -d' ' -f1)" "$SVAMP_SHA" "cached file repaired"

# 3. HTTP mirror
serve URL
expect_ok "http mirror: svamp train" dss-fetch --mirror "$URL" --cache "$TMP/c-http" "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "http mirror output equals file:// mirror output"
is "$(count "GET $SVAMP_PATH range=- status=200")" 1 "one plain GET"
DSS_MIRROR="$URL/" expect_ok "DSS_MIRROR with a trailing slash" \
	dss-fetch --cache "$TMP/c-env" "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "DSS_MIRROR output"
is "$(count GET)" 2 "DSS_MIRROR went to the server"
DSS_MIRROR="file://$TMP/nowhere" expect_ok "--mirror wins over DSS_MIRROR" \
	dss-fetch --mirror "$URL" --cache "$TMP/c-env2" "$DEMO" train

# 4. unpinned: trust on first download, recorded in the lock file with its
# origin (our zip is smaller than ANLI: --allow-count-mismatch)
expect_ok "anli1 from the http mirror" dss-fetch --allow-count-mismatch --mirror "$URL" anli1 valid test
is "$(wc -l < "$TMP/out" | tr -d ' ')" 70 "anli1 valid+test: 70 records"
is "$(grep -c "^  \"$ANLI_URL\": {\"sha256\":\"$ANLI_SHA\",\"origin\":\"$URL$ANLI_PATH\"}" "$DSS_CACHE/dss.lock.json")" 1 \
	"lock file records the zip's SHA-256 and origin under its upstream URL"
is "$(count "GET $ANLI_PATH")" 1 "the zip is downloaded once for two splits"
expect_ok "anli1 valid offline, through the same mirror" \
	dss-fetch --allow-count-mismatch --offline --mirror "$URL" anli1 valid
is "$(wc -l < "$TMP/out" | tr -d ' ')" 40 "anli1 valid offline: 40 records"

# 5. a checksum mismatch leaves the cache as it was
rm "$DSS_CACHE$ANLI_PATH"
python3 - "$M$ANLI_PATH" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "a") as z:
    z.writestr("anli_v1.0/README.txt", "changed upstream\n")
EOF
NEW_SHA=$(sha256sum < "$M$ANLI_PATH" | cut -d' ' -f1)
snapshot "$DSS_CACHE" > "$TMP/before"
expect_fail 1 "^dss-fetch: checksum mismatch for '$ANLI_URL': expected $ANLI_SHA, got $NEW_SHA; if it changed at its origin, --refresh downloads it anew\$" \
	"changed upstream file against the lock file" dss-fetch --allow-count-mismatch --mirror "$URL" anli1 test
is "$(wc -c < "$TMP/out" | tr -d ' ')" 0 "mismatch writes no records"
snapshot "$DSS_CACHE" > "$TMP/after"
cmp_file "$TMP/after" "$TMP/before" "cache (files, hashes, lock file) as it was"
cp "$TMP/anli-good.zip" "$M$ANLI_PATH"

# 6. corrupt bytes on the wire against a pinned hash
serve URL --corrupt "$SVAMP_PATH"
snapshot "$TMP/c-corrupt" > "$TMP/before"
expect_fail 1 "^dss-fetch: checksum mismatch for '$SVAMP_URL': expected $SVAMP_SHA, got [0-9a-f]{64}; the mirror '$URL' holds other data than '$DEMO' pins: use a manifest written for that mirror\$" \
	"corrupt download" dss-fetch --mirror "$URL" --cache "$TMP/c-corrupt" "$DEMO" train
is "$(wc -c < "$TMP/out" | tr -d ' ')" 0 "corrupt download writes no records"
snapshot "$TMP/c-corrupt" > "$TMP/after"
cmp_file "$TMP/after" "$TMP/before" "corrupt download leaves no file, .part or directory"
is "$(count GET)" 1 "a checksum mismatch is not retried"
# ... and with a good copy already cached, that copy is kept and used
expect_ok "good cached copy is used, the corrupt mirror not asked" \
	dss-fetch --mirror "$URL" "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "good cached copy output"
is "$(count GET)" 1 "no request for a verified cache hit"

# 7. resume after a cut transfer, within one run
serve URL --truncate "$SVAMP_PATH"
expect_ok "cut transfer is resumed" dss-fetch --mirror "$URL" --cache "$TMP/c-cut" "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "resumed output"
SIZE=$(wc -c < "$M$SVAMP_PATH" | tr -d ' ')
is "$(count "range=bytes=$((SIZE / 2))- status=206")" 1 "second request asks for the rest with Range"
ok "$([ ! -e "$TMP/c-cut$SVAMP_PATH.part" ]; echo $?)" "no .part left"

# 8. resume across runs: every transfer is cut, so the run fails...
serve URL --truncate "$SVAMP_PATH" --truncate-all
expect_fail 1 "^dss-fetch: cannot download '$SVAMP_URL' from '$URL$SVAMP_PATH': " \
	"transfers cut every time: fails after the retries" \
	dss-fetch --mirror "$URL" --cache "$TMP/c-cut2" "$DEMO" train
is "$(count GET)" 5 "first attempt and four retries"
is "$(count "status=206")" 4 "each retry resumes with Range"
ok "$([ ! -e "$TMP/c-cut2$SVAMP_PATH" ]; echo $?)" "nothing in place after the failure"
PART=$(wc -c < "$TMP/c-cut2$SVAMP_PATH.part" | tr -d ' ')
ok "$([ "$PART" -gt 0 ] && [ "$PART" -lt "$SIZE" ]; echo $?)" ".part keeps what came ($PART of $SIZE bytes)"
# ... and the next run picks up where it stopped
serve URL
expect_ok "next run resumes the .part" dss-fetch --mirror "$URL" --cache "$TMP/c-cut2" "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "output after resuming across runs"
is "$(count "GET $SVAMP_PATH range=bytes=$PART- status=206")" 1 "one Range request from the .part's size"
is "$(count GET)" 1 "and nothing else"

# 9. a server that ignores Range: start over cleanly
mkdir -p "$TMP/c-norange/$(dirname "$SVAMP_PATH")"
head -c 1000 "$M$SVAMP_PATH" > "$TMP/c-norange$SVAMP_PATH.part"
serve URL --no-range
expect_ok "server ignoring Range" dss-fetch --mirror "$URL" --cache "$TMP/c-norange" "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "no-range output"
is "$(count "range=bytes=1000- status=200")" 1 "range asked, whole file sent"
is "$(count "range=- status=200")" 1 "then one clean whole transfer"

# 10. retries after 503
serve URL --fail-first 3
expect_ok "three 503s, then success" dss-fetch --mirror "$URL" --cache "$TMP/c-503" "$DEMO" train
cmp_file "$TMP/out" "$TMP/ref-train" "output after 503s"
is "$(count "status=503")" 3 "three 503s logged"
serve URL --status "$SVAMP_PATH=503"
expect_fail 1 "^dss-fetch: cannot download '$SVAMP_URL' from '$URL$SVAMP_PATH': HTTP 503\$" \
	"503 for ever: gives up" dss-fetch --mirror "$URL" --cache "$TMP/c-503b" "$DEMO" train
is "$(count "status=503")" 5 "gave up after four retries"

# 11. 404: one request, a clear message
serve URL --status "$SVAMP_PATH=404"
expect_fail 1 "^dss-fetch: cannot download '$SVAMP_URL' from '$URL$SVAMP_PATH': HTTP 404\$" \
	"404" dss-fetch --mirror "$URL" --cache "$TMP/c-404" "$DEMO" train
is "$(count GET)" 1 "404 is not retried"
is "$(snapshot "$TMP/c-404" | grep -c 'SVAMP')" 0 "404 leaves nothing in the cache"
serve URL --status "$SVAMP_PATH=403"
expect_fail 1 "HTTP 403\$" "403" dss-fetch --mirror "$URL" --cache "$TMP/c-403" "$DEMO" train
is "$(count GET)" 1 "403 is not retried"
expect_fail 1 "^dss-fetch: cannot download '$SVAMP_URL' from 'file://$TMP/nowhere$SVAMP_PATH': " \
	"missing file in a file:// mirror" dss-fetch --mirror "file://$TMP/nowhere" --cache "$TMP/c-nf" "$DEMO" train

# 12. a truncated zip is an error, not a short split
SIZE=$(wc -c < "$M$ANLI_PATH" | tr -d ' ')
head -c $((SIZE / 2)) "$TMP/anli-good.zip" > "$M$ANLI_PATH"
expect_fail 1 "^dss-fetch: cannot read 'anli_v1.0/R1/train.jsonl' in '$TMP/c-trunc$ANLI_PATH.part': (ZIP decompression failed|Truncated ZIP)" "truncated zip" \
	dss-fetch --mirror "file://$M" --cache "$TMP/c-trunc" anli1 train
ok "$(grep -q "anli1 train: .* examples" "$TMP/err"; [ $? -ne 0 ]; echo $?)" \
	"truncated zip: not reported as a (short) split"
cp "$TMP/anli-good.zip" "$M$ANLI_PATH"

# 13. bad mirrors and cache directories
expect_fail 1 "^dss-fetch: invalid mirror 'ftp://example.org': " "ftp mirror rejected" \
	dss-fetch --mirror ftp://example.org --cache "$TMP/c-ftp" "$DEMO" train
: > "$TMP/afile"
expect_fail 1 "^dss-fetch: cannot create '$TMP/afile': Not a directory\$" \
	"cache below a regular file" dss-fetch --mirror "file://$M" --cache "$TMP/afile/sub" "$DEMO" train

# 14. a corrupt lock file, and URLs that would escape the cache
mkdir -p "$TMP/c-badlock"
echo '["not", "an", "object"]' > "$TMP/c-badlock/dss.lock.json"
expect_fail 1 "^dss-fetch: cannot parse lock file '$TMP/c-badlock/dss.lock.json': not a JSON object\$" \
	"corrupt lock file" dss-fetch --mirror "file://$M" --cache "$TMP/c-badlock" anli1 test
for u in "https://example.org/../escape.jsonl" "https://example.org/a/./b.jsonl" \
    "https://example.org/x.jsonl?y=1" "https://../x.jsonl"; do
	cat > "$TMP/unsafe.json" <<JSON
{"name": "t", "format": "jsonl", "sources": {"a": {"url": "$u"}},
 "splits": {"train": {"sources": ["a"]}},
 "fields": {"premise": "context"}, "label": {"from": "label"}, "input": "{premise}"}
JSON
	expect_fail 1 "^dss-fetch: cannot cache '$(printf '%s' "$u" | sed 's/[.?]/\\&/g')': " \
		"unsafe URL refused: $u" dss-fetch --mirror "file://$M" --cache "$TMP/c-unsafe" "$TMP/unsafe.json"
done
ok "$([ ! -e "$TMP/c-unsafe" ] && [ ! -e "$TMP/escape.jsonl" ]; echo $?)" "unsafe URLs create nothing"

# 15. a progress bar when stderr is a terminal (script(1) provides one)
if command -v script >/dev/null 2>&1; then
	serve URL
	script -qec "dss-fetch --mirror '$URL' --cache '$TMP/c-tty' '$DEMO' test >/dev/null" \
		"$TMP/typescript" >/dev/null 2>&1
	ok "$(grep -q '100% 275.3 KiB / 275.3 KiB' "$TMP/typescript"; echo $?)" \
		"progress bar on a terminal"
else
	echo "ok $((_n + 1)) # skip script(1) is not installed"
	_n=$((_n + 1))
fi

done_testing
