#!/bin/sh
# SPDX-License-Identifier: MIT
# The API key never leaks: a server that echoes it back -- in a non-JSON
# error body after 170 bytes (so a cut at 200 would keep 30 of its 31
# characters), in a JSON error message after 280 bytes, in the text and the
# raw body of a 200 answer, in a redirect -- for each of the three keyed
# providers.  No run of 8 or more characters of the key may appear on
# stdout, on stderr, in the database (every table, every column) or in any
# file the run writes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

KEY=sk-leak0350-ABCDEFGHIJKLMNOPQRSTU
mkanli 2 'Gamma %d ran.' 'Gamma %d moved.' entailment 5eed0350 > "$TMP/p2.jsonl"

# leaks DIR: prints the files under DIR that hold 8 or more consecutive
# characters of $KEY, as they are or once JSON's escapes (\uXXXX, \/)
# are decoded (the database is dumped to text first).
leaks() {
	for f in "$1"/*.db; do
		[ -e "$f" ] && sqlite3 "$f" .dump > "$f.dump"
	done
	"$PY" - "$KEY" "$1" <<'PYEOF'
import os, re, sys
key, top = sys.argv[1], sys.argv[2]
grams = {key[i:i + 8].encode() for i in range(len(key) - 7)}
def unescape(b):
    b = re.sub(rb"\\u([0-9a-fA-F]{4})",
               lambda m: chr(int(m.group(1), 16)).encode("utf-8", "replace"), b)
    return b.replace(b"\\/", b"/")
for d, _, fs in os.walk(top):
    for f in fs:
        data = open(os.path.join(d, f), "rb").read()
        if any(g in data or g in unescape(data) for g in grams):
            print(os.path.relpath(os.path.join(d, f), top))
PYEOF
}

# teach PROVIDER NAME FAULT: one run against a fake teacher that injects
# FAULT into every request, in a directory of its own ($D).
teach() {
	_prov=$1 _name=$2 _fault=$3
	D="$TMP/run-$_prov-$_name"
	mkdir -p "$D"
	start_server port "$PY" "$FAKE" --fault-every "1:$_fault" --lifetime 120
	case $_prov in
	openai) _env=OPENAI_API_KEY _base="http://127.0.0.1:$port/v1" ;;
	anthropic) _env=ANTHROPIC_API_KEY _base="http://127.0.0.1:$port" ;;
	gemini) _env=GEMINI_API_KEY _base="http://127.0.0.1:$port" ;;
	esac
	env "$_env=$KEY" dss-teach --db "$D/run.db" --teacher "$_prov:m" \
	    --base-url "$_base" --retries 0 --summary "$D/summary.json" \
	    < "$TMP/p2.jsonl" > "$D/stdout" 2> "$D/stderr"
	st=$?
}

for prov in openai anthropic gemini; do
	teach "$prov" raw401 leak:401
	is "$st" 1 "$prov: 401 with the key in a raw body: exit 1"
	grep -q 'HTTP 401: x\{100\}' "$D/stderr"
	ok $? "$prov: 401 raw body: the body is still shown"
	is "$(leaks "$D")" "" "$prov: 401 raw body: no fragment of the key anywhere"

	teach "$prov" json401 leakjson:401
	is "$st" 1 "$prov: 401 with the key in a JSON message: exit 1"
	grep -q 'HTTP 401: y\{100\}' "$D/stderr"
	ok $? "$prov: 401 JSON message: the message is still shown"
	is "$(leaks "$D")" "" "$prov: 401 JSON message: no fragment of the key anywhere"

	teach "$prov" raw500 leak:500
	is "$st" 1 "$prov: 500 with the key in a raw body: exit 1"
	is "$(leaks "$D")" "" "$prov: 500 raw body: no fragment of the key anywhere"

	teach "$prov" ok200 leak:200
	is "$st" 0 "$prov: 200 echoing the key: exit 0"
	is "$(wc -l < "$D/stdout" | tr -d ' ')" 2 "$prov: 200 echoing the key: answers kept"
	grep -q 'I was sent \*\*\*\*\*\*\*\*' "$D/stdout"
	ok $? "$prov: 200 echoing the key: the completion shows it masked"
	is "$(sqlite3 "$D/run.db" "SELECT count(*) FROM teach_cache WHERE response LIKE '%********%' AND completion LIKE '%********%'")" 2 \
	    "$prov: 200 echoing the key: cached body and completion masked"
	is "$(leaks "$D")" "" "$prov: 200 echoing the key: no fragment of the key anywhere"
	# a rerun serves the masked answer from the cache
	env "OPENAI_API_KEY=$KEY" "ANTHROPIC_API_KEY=$KEY" "GEMINI_API_KEY=$KEY" \
	    dss-teach --db "$D/run.db" --teacher "$prov:m" --base-url "$_base" \
	    < "$TMP/p2.jsonl" > "$D/stdout2" 2> "$D/stderr2"
	is "$(leaks "$D")" "" "$prov: 200 echoing the key: a cached rerun shows none either"

	# the key written with JSON escapes, \u0073\u006b..., decodes to the key
	teach "$prov" esc200 leakesc:200
	is "$st" 0 "$prov: 200 echoing the key in escapes: exit 0"
	grep -q 'I was sent \*\*\*\*\*\*\*\*' "$D/stdout"
	ok $? "$prov: 200 echoing the key in escapes: the completion shows it masked"
	is "$(leaks "$D")" "" "$prov: 200 echoing the key in escapes: no fragment of it anywhere, decoded or not"
	teach "$prov" esc401 leakesc:401
	is "$st" 1 "$prov: 401 with the key in escapes: exit 1"
	is "$(leaks "$D")" "" "$prov: 401 with the key in escapes: no fragment of it anywhere"
done

teach openai redirect redirect:302
is "$st" 1 "a redirect: exit 1"
is "$(leaks "$D")" "" "a redirect: no fragment of the key anywhere"

# The key is masked wherever it starts and ends: 8 characters taken from
# its middle are hidden, 7 are not (they are too short to tell).
"$PY" - "$TMP/mid.jsonl" "$KEY" <<'PYEOF'
import json, sys
key = sys.argv[2]
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"match": "", "completion": "a %s b %s c" % (key[5:13], key[20:27])}) + "\n")
PYEOF
start_server port "$PY" "$FAKE" --script "$TMP/mid.jsonl" --lifetime 120
OPENAI_API_KEY=$KEY dss-teach --db "$TMP/mid.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" --quiet < "$TMP/p2.jsonl" \
    > "$TMP/mid.out" 2> "$TMP/mid.err"
is "$(jsonq "$TMP/mid.out" 'R[0]["completion"]')" "a ******** b IJKLMNO c" \
    "8 characters of the key are masked, 7 are kept"

done_testing
