#!/bin/sh
# SPDX-License-Identifier: MIT
# TLS and local teachers.  TLS peers are verified by default: a loopback
# HTTPS teacher with a self-signed certificate (made here by openssl) is
# refused, with a message naming the problem and --cacert, before any
# answer is taken; with --cacert naming that certificate the run works.
# A local OpenAI-compatible teacher (vLLM, llama.cpp, Ollama) on a
# loopback address needs no key; a remote base URL without a key is a
# clear error before anything is sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

mkanli 3 'Mu %d ran.' 'Mu %d moved.' entailment 5eed0390 > "$TMP/p3.jsonl"

if ! command -v openssl > /dev/null 2>&1; then
	echo "ok 1 # skip openssl is not installed (scripts/deps.sh installs it)"
	_n=1
else
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/key.pem" \
	    -out "$TMP/cert.pem" > /dev/null 2>&1
	ok $? "a self-signed certificate for 127.0.0.1"
	start_server port "$PY" "$FAKE" --tls-cert "$TMP/cert.pem" \
	    --tls-key "$TMP/key.pem" --log "$TMP/tls.log" --lifetime 120
	expect_fail 1 "stopped: cannot verify the TLS certificate of 'https://127.0.0.1:$port/v1': .*certificate.*; give --cacert FILE" \
	    "a self-signed HTTPS teacher is refused, naming --cacert" \
	    dss-teach --db "$TMP/tls.db" --teacher openai:m \
	    --base-url "https://127.0.0.1:$port/v1" --retries 3 < "$TMP/p3.jsonl"
	is "$(jsonq "$TMP/tls.log" 'len(R)')" 0 "refused: no request reached the server"
	is "$(nrec)" 0 "refused: nothing written"
	expect_ok "--cacert with that certificate: the run works" \
	    dss-teach --db "$TMP/tls.db" --teacher openai:m \
	    --base-url "https://127.0.0.1:$port/v1" --cacert "$TMP/cert.pem" \
	    --quiet < "$TMP/p3.jsonl"
	is "$(nrec)" 3 "--cacert: every prompt answered over HTTPS"
	expect_fail 1 "^dss-teach: cannot read '$TMP/none.pem'" \
	    "a missing --cacert file is an error" \
	    dss-teach --db "$TMP/tls.db" --teacher openai:m \
	    --base-url "https://127.0.0.1:$port/v1" --cacert "$TMP/none.pem" \
	    < "$TMP/p3.jsonl"
	# another certificate does not vouch for this server
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other \
	    -keyout "$TMP/k2.pem" -out "$TMP/c2.pem" > /dev/null 2>&1
	expect_fail 1 "cannot verify the TLS certificate" \
	    "--cacert with an unrelated certificate is still refused" \
	    dss-teach --db "$TMP/tls2.db" --teacher openai:m \
	    --base-url "https://127.0.0.1:$port/v1" --cacert "$TMP/c2.pem" \
	    < "$TMP/p3.jsonl"
fi

# ---- local teachers --------------------------------------------------------
start_server port "$PY" "$FAKE" --log "$TMP/local.log" --lifetime 120
for host in 127.0.0.1 localhost; do
	expect_ok "a local teacher at $host needs no key" \
	    dss-teach --db "$TMP/local-$host.db" --teacher openai:llama-3-8b \
	    --base-url "http://$host:$port/v1" --quiet < "$TMP/p3.jsonl"
	is "$(nrec)" 3 "a local teacher at $host answers every prompt"
done
is "$(jsonq "$TMP/local.log" '[e["auth_header"] for e in R]')" \
    '[null, null, null, null, null, null]' \
    "a local teacher without a key: no Authorization header is sent"

n0=$(jsonq "$TMP/local.log" 'len(R)')
for url in https://example.invalid/v1 http://127.0.0.1.example.invalid/v1 \
    http://localhost.example.invalid/v1 "http://127.0.0.1@example.invalid/v1"; do
	expect_fail 1 "^dss-teach: environment variable 'OPENAI_API_KEY' is not set: an API key is needed for '$url'" \
	    "no key for $url: a clear error" \
	    dss-teach --db "$TMP/remote.db" --teacher openai:m --base-url "$url" \
	    < "$TMP/p3.jsonl"
done
is "$(jsonq "$TMP/local.log" 'len(R)')" "$n0" "no key for a remote URL: nothing sent"
[ ! -e "$TMP/remote.db" ]
ok $? "no key for a remote URL: not even the database is made"

done_testing
