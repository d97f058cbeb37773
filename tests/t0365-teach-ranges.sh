#!/bin/sh
# SPDX-License-Identifier: MIT
# Every numeric option of dss-teach takes a plain decimal number within
# its range, or is a usage error naming the option, the value and the
# range: no value is quietly wrapped (--retries 2147483648 was no retry
# at all, --concurrency 4294967297 one request at a time), none is
# undefined behaviour (--timeout 1e17, --temperature 1e300), none makes a
# wait without end (--rpm 1e-300), and none lets the spend go down (a
# negative price in --prices).
. "$(dirname "$0")/lib.sh"

# bad OPTION VALUE RANGE-RE: a usage error that names them
bad() {
	expect_fail 2 "^dss-teach: bad --$1 '$(printf '%s' "$2" | sed 's/[.*+?]/\\&/g')': want $3" \
	    "--$1 '$2' is a usage error" \
	    dss-teach --db "$TMP/x.db" --teacher replay:/dev/null "--$1" "$2"
}

W="a whole number from"
for v in 4294967297 2147483648 99999999999999999999 ' 5' 0x10 1e3 -1 +3 ''; do
	bad concurrency "$v" "$W 1 to 4096"
	bad samples "$v" "$W 1 to 1000"
	bad retries "$v" "$W 0 to 1000"
	bad max-tokens "$v" "$W 1 to 2147483647"
done
bad max-requests 99999999999999999999 "$W 0 to [0-9]+"
bad max-requests -1 "$W 0 to [0-9]+"

N="a number from"
for v in 1e17 1e300 1e-300 0 -1 ' 5' 0x10 inf nan 1e999 '1.5.2' '.' 'e3'; do
	bad timeout "$v" "$N 0.001 to 86400"
done
for v in 1e300 86401 -1 ' 5' 0x10 inf nan; do
	bad max-wait "$v" "$N 0 to 86400"
	bad lease "$v" "$N 1 to 86400"
done
for v in 1e-300 0.001 0 1e300 -1 0x10 inf; do
	bad rpm "$v" "$N 0.01 to 1e\+09"
done
for v in 0.5 0 1e300 -1; do
	bad tpm "$v" "$N 1 to 1e\+09"
done
for v in 1e300 101 -1 nan 0x1p3; do
	bad temperature "$v" "$N 0 to 100"
done
for v in 1e300 -1 nan; do
	bad max-cost "$v" "$N 0 to 1e\+09"
done
for v in 1e300,1 1,1e300 -1,1 1,-1 1 1, ,1 ' 1,1' 0x1,1 inf,1; do
	bad price "$v" "IN,OUT or IN,OUT,BATCH_IN,BATCH_OUT in USD per million tokens, each a number from 0 to 1e\+06"
done
for v in 1/0 2/2 -1/3 1/4294967297 1/ /1 ' 1/2' 1/1000001; do
	bad shard "$v" "I/N with 0 <= I < N <= 1000000"
done
[ ! -e "$TMP/x.db" ]
ok $? "no usage error created the database"

# The edges of each range are taken.
: > "$TMP/empty.jsonl"
expect_ok "the largest values are taken" \
    dss-teach --db "$TMP/edge.db" --teacher replay:/dev/null --concurrency 4096 \
    --samples 1000 --retries 1000 --max-tokens 2147483647 --timeout 86400 \
    --max-wait 86400 --lease 86400 --rpm 1e9 --tpm 1e9 --temperature 100 \
    --max-cost 1e9 --price 1e6,1e6 --shard 999999/1000000 --quiet < "$TMP/empty.jsonl"
expect_ok "the smallest values are taken" \
    dss-teach --db "$TMP/edge.db" --teacher replay:/dev/null --concurrency 1 \
    --samples 1 --retries 0 --max-tokens 1 --timeout 0.001 --max-wait 0 \
    --lease 1 --rpm 0.01 --tpm 1 --temperature 0 --max-cost 0 --price 0,0.0 \
    --shard 0/1 --max-requests 0 --quiet < "$TMP/empty.jsonl"
expect_ok "decimal forms: a fraction, an exponent" \
    dss-teach --db "$TMP/edge.db" --teacher replay:/dev/null --timeout 1.5e1 \
    --rpm 6E2 --temperature .7 --price 0.15,6.e-1 --quiet < "$TMP/empty.jsonl"

# A price file is held to the same range as --price.
for p in '[-1, 1]' '[1, -0.5]' '[1e300, 1]'; do
	printf '{"m": %s}\n' "$p" > "$TMP/prices.json"
	expect_fail 1 "^dss-teach: '$TMP/prices.json': price of 'm' is not \[IN, OUT\] or \[IN, OUT, BATCH_IN, BATCH_OUT\] with each from 0 to 1e\+06 USD per million tokens$" \
	    "--prices with $p is refused" \
	    dss-teach --db "$TMP/p.db" --teacher openai:m --base-url http://127.0.0.1:9/v1 \
	    --prices "$TMP/prices.json" --max-cost 1 < "$TMP/empty.jsonl"
done

done_testing
