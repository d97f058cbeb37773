/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the manifest loader: the four bundled manifests parse to
 * the sources, splits, counts, checksums and templates FACTS.md gives;
 * unknown top-level keys are kept for other modules; lookup by name and by
 * path; and each malformed manifest fails with a message naming the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/manifest.h"
#include "tap.h"

#define BASE "{\"name\": \"t\", \"format\": \"jsonl\", " \
	"\"sources\": {\"a\": {\"url\": \"https://example.org/a.jsonl\"}}, "

static void
datasets_dir(const char *argv0)
{
	char buf[4096];
	const char *slash;

	if (access("datasets/esnli.json", R_OK) == 0) {
		setenv("DSS_DATASETS", "datasets", 1);
		return;
	}
	slash = strrchr(argv0, '/');
	snprintf(buf, sizeof buf, "%.*s/../../datasets",
	    slash ? (int)(slash - argv0) : 1, slash ? argv0 : ".");
	setenv("DSS_DATASETS", buf, 1);
}

static void
bad(const char *text, const char *want, const char *name)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest *m = dss_manifest_parse(text, "m.json", &err);

	ok(m == NULL, "%s: rejected", name);
	if (!ok(strstr(err.msg, want) != NULL, "%s: message", name))
		printf("#   got:  '%s'\n#   want: '...%s...'\n", err.msg, want);
	dss_manifest_free(m);
}

static void
test_bundled(void)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest *m;
	const struct dss_manifest_split *sp;

	m = dss_manifest_load("esnli", &err);
	if (!ok(m != NULL, "esnli manifest loads"))
		printf("# %s\n", err.msg);
	if (m != NULL) {
		is_str(m->name, "esnli", "esnli name");
		is_int((long long)m->nsplits, 3, "esnli has three splits");
		sp = dss_manifest_split(m, "train");
		ok(sp != NULL && sp->nsources == 2, "esnli train reads two files");
		if (sp != NULL && sp->nsources == 2) {
			is_str(sp->sources[0]->url, "https://raw.githubusercontent.com/"
			    "OanaMariaCamburu/e-SNLI/master/dataset/esnli_train_1.csv",
			    "esnli train file 1 first");
			is_str(sp->sources[1]->url, "https://raw.githubusercontent.com/"
			    "OanaMariaCamburu/e-SNLI/master/dataset/esnli_train_2.csv",
			    "esnli train file 2 second");
			is_int(sp->count, 549367, "esnli train count");
		}
		sp = dss_manifest_split(m, "valid");
		is_int(sp ? sp->count : -2, 9842, "esnli valid count");
		sp = dss_manifest_split(m, "test");
		is_int(sp ? sp->count : -2, 9824, "esnli test count");
		ok(m->sources[0].format == DSS_FORMAT_CSV, "esnli is csv");
		is_str(m->label_from, "gold_label", "esnli label column");
		ok(m->fields[dss_manifest_field(m, "explanations")].list,
		    "explanations is a list");
		is_int((long long)m->npieces, 3, "premise</s>hypothesis has three pieces");
		ok(m->npieces == 3 && m->pieces[1].text != NULL &&
		    m->pieces[1].len == 4 && memcmp(m->pieces[1].text, "</s>", 4) == 0,
		    "NLI separator is the T5 eos token");
		ok(dss_manifest_split(m, "dev") == NULL, "no split named dev");
	}
	dss_manifest_free(m);

	m = dss_manifest_load("anli1", &err);
	ok(m != NULL, "anli1 manifest loads");
	if (m != NULL) {
		sp = dss_manifest_split(m, "train");
		is_str(sp->sources[0]->url, "https://dl.fbaipublicfiles.com/anli/anli_v1.0.zip",
		    "anli1 url");
		is_str(sp->sources[0]->member, "anli_v1.0/R1/train.jsonl", "anli1 train member");
		is_int(sp->count, 16946, "anli1 train count");
		is_str(cJSON_GetObjectItem(m->label_map, "c")->valuestring, "contradiction",
		    "anli1 c maps to contradiction");
	}
	dss_manifest_free(m);

	m = dss_manifest_load("cqa", &err);
	ok(m != NULL, "cqa manifest loads");
	if (m != NULL) {
		is_int((long long)m->nsplits, 2, "cqa has train and test only");
		sp = dss_manifest_split(m, "test");
		is_str(sp->sources[0]->url, "https://s3.amazonaws.com/commensenseqa/dev_rand_split.jsonl",
		    "cqa test is the dev file");
		is_int(sp->count, 1221, "cqa test count");
		is_int(dss_manifest_split(m, "train")->count, 9741, "cqa train count");
		is_str(m->choose_keys, "question.choices[].label", "cqa label chosen by letter");
	}
	dss_manifest_free(m);

	m = dss_manifest_load("svamp", &err);
	ok(m != NULL, "svamp manifest loads");
	if (m != NULL) {
		is_str(m->sources[0].sha256,
		    "5be77703a6d891ae476d7c082787ad361392aa02453b132516cdd5f4e7934e3e",
		    "svamp sha256 pinned as in FACTS.md");
		sp = dss_manifest_split(m, "train");
		ok(sp->permuted && sp->seed == 0 && sp->start == 0 && sp->end == 800,
		    "svamp train is permutation(seed 0)[0:800]");
		sp = dss_manifest_split(m, "test");
		ok(sp->permuted && sp->seed == 0 && sp->start == 800 && sp->end == 1000,
		    "svamp test is permutation(seed 0)[800:1000]");
		ok(m->sources[0].format == DSS_FORMAT_JSON_ARRAY, "svamp is one JSON array");
	}
	dss_manifest_free(m);

	m = dss_manifest_load("nope", &err);
	ok(m == NULL && err.code == DSS_MANIFEST_UNKNOWN, "unknown dataset has its code");
	is_str(err.msg, "unknown dataset 'nope' (known: anli1, cqa, esnli, svamp)",
	    "unknown dataset lists the known ones");
	err.code = 0;
	m = dss_manifest_load("../etc", &err);
	ok(m == NULL, "a path-like name without manifest fails");
	m = dss_manifest_load(".hidden", &err);
	ok(m == NULL && err.code == DSS_MANIFEST_UNKNOWN, "a name starting with a dot is refused");
	m = dss_manifest_load("./no/such.json", &err);
	ok(m == NULL && strstr(err.msg, "cannot open './no/such.json'") != NULL,
	    "a missing manifest path names it");
}

static void
test_parse(void)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest *m;
	const cJSON *answer;
	char *dir;

	m = dss_manifest_parse(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, "
	    "\"fields\": {\"q\": \"question.stem\", \"c\": \"question.choices[].text\"}, "
	    "\"label\": {\"from\": \"k\"}, \"input\": \"{{Q}} {q}:{c:[%A|%n|%s|%%]}\", "
	    "\"answer\": {\"kind\": \"choice\"}}", "m.json", &err);
	if (!ok(m != NULL, "manifest with unknown keys and escapes parses"))
		printf("# %s\n", err.msg);
	if (m == NULL)
		return;
	answer = cJSON_GetObjectItem(dss_manifest_json(m), "answer");
	ok(cJSON_IsObject(answer), "unknown top-level key 'answer' is kept");
	ok(m->fields[1].list && !m->fields[0].list, "a '[]' path makes a list field");
	is_int((long long)m->npieces, 6, "template pieces");
	ok(m->pieces[0].text && m->pieces[0].len == 1 && m->pieces[0].text[0] == '{',
	    "'{{' is a literal brace");
	ok(m->pieces[5].text == NULL && m->pieces[5].fmtlen == 13 &&
	    memcmp(m->pieces[5].fmt, "[%A|%n|%s|%%]", 13) == 0, "list item format kept");
	is_int(dss_manifest_split(m, "train")->count, -1, "count is optional");
	is_str(m->path, "m.json", "path kept");
	dss_manifest_free(m);

	setenv("DSS_DATASETS", "/some/where", 1);
	dir = dss_manifest_dir();
	is_str(dir, "/some/where", "DSS_DATASETS is the lookup directory");
	free(dir);
}

/* A manifest with fields q and c (a list), a label map, and release section REL. */
#define REL(rel) BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, " \
	"\"fields\": {\"q\": \"q\", \"c\": \"c[]\"}, \"label\": {\"from\": \"l\", " \
	"\"map\": {\"x\": \"yes\", \"y\": \"no\"}}, \"input\": \"{q}\", " \
	"\"release\": " rel "}"
#define RELOK "\"order\": 1, \"batch\": 10, \"batches\": {\"train\": 1}, " \
	"\"cot\": \"{rationale} {answer}\", \"blank\": \"\", \"splits_at\": [] "

static void
test_bad_release(void)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest *m;

	bad(REL("[]"), "'m.json': key 'release' is not an object", "release not an object");
	bad(REL("{}"), "'m.json': key 'release.order' must be a whole number",
	    "release without order");
	bad(REL("{\"order\": 1, \"batch\": 0}"), "key 'release.batch' must be a whole "
	    "number from 1", "batch of 0");
	bad(REL("{\"order\": 1, \"batch\": 5}"), "key 'release.batches' must be an object",
	    "no batches");
	bad(REL("{\"order\": 1, \"batch\": 5, \"batches\": {\"dev\": 1}}"),
	    "key 'release.batches.dev' must be train, valid or test", "batches of dev");
	bad(REL("{\"order\": 1, \"batch\": 5, \"batches\": {\"train\": 1}}"),
	    "key 'release': 'cot' and 'blank' must be strings", "no cot");
	bad(REL("{\"order\": 1, \"batch\": 10, \"batches\": {\"train\": 1}, "
	    "\"cot\": \"\", \"blank\": \"\", \"splits_at\": [1]}"),
	    "key 'release.splits_at' must be an array of at most 3 strings",
	    "splits_at of a number");
	bad(REL("{" RELOK ", \"problems\": \"P.json\", \"columns\": []}"),
	    "key 'release.problems' must be an object of a 'file' name",
	    "problems of a name alone");
	bad(REL("{" RELOK ", \"problems\": {\"file\": \"P.json\", \"keys\": [\"Z\"]}}"),
	    "key 'release.problems.keys': no field has the path 'Z'",
	    "problems key of no field");
	bad(REL("{" RELOK ", \"columns\": []}"),
	    "key 'release.columns' must be an array of 1 to 32 columns", "no columns");
	bad(REL("{" RELOK ", \"columns\": [{\"field\": \"q\"}]}"),
	    "key 'release.columns[0]' needs a 'name'", "column without a name");
	bad(REL("{" RELOK ", \"columns\": [{\"name\": \"n\"}]}"),
	    "key 'release.columns[0]' needs one of 'field', 'label', 'input' and 'const'",
	    "column of nothing");
	bad(REL("{" RELOK ", \"columns\": [{\"name\": \"n\", \"field\": \"z\"}]}"),
	    "key 'release.columns[0]' names unknown field 'z'", "column of an unknown field");
	bad(REL("{" RELOK ", \"columns\": [{\"name\": \"n\", \"label\": \"letter\"}]}"),
	    "key 'release.columns[0]': 'label' is 'letter', not index or text",
	    "label of another kind");
	bad(REL("{" RELOK ", \"columns\": [{\"name\": \"n\", \"field\": \"c\", "
	    "\"count\": 2, \"keys\": \"ABC\"}]}"),
	    "key 'release.columns[0]': 'keys' needs 'count' and one character per item",
	    "keys of another length");
	bad(REL("{" RELOK ", \"columns\": [{\"name\": \"n\", \"field\": \"c\", "
	    "\"count\": 2}, {\"name\": \"o\", \"field\": \"c\", \"count\": 2}]}"),
	    "key 'release.columns[1]': one column at most has a 'count'", "two lists");
	bad(REL("{" RELOK ", \"columns\": [{\"name\": \"n\", \"field\": \"q\", "
	    "\"required\": 1}]}"),
	    "key 'release.columns[0]': 'required' and 'write' are true or false",
	    "required of a number");
	bad(REL("{" RELOK ", \"columns\": [{\"name\": \"n\", \"const\": 1}]}"),
	    "key 'release.columns[0]': 'const' is not a string", "const of a number");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {\"q\": \"q\"}, "
	    "\"label\": {\"from\": \"l\"}, \"input\": \"{q}\", \"release\": {" RELOK
	    ", \"columns\": [{\"name\": \"label\", \"label\": \"index\"}]}}",
	    "key 'release.columns': a label index needs a label map", "index without a map");

	m = dss_manifest_parse(REL("{" RELOK ", \"problems\": {\"file\": \"P.json\", \"keys\": [\"q\"]}, \"columns\": ["
	    "{\"name\": \"id\", \"field\": \"q\", \"write\": false},"
	    "{\"name\": \"cs\", \"field\": \"c\", \"count\": 2, \"keys\": \"AB\"},"
	    "{\"name\": \"l\", \"label\": \"index\"}, {\"name\": \"e\", \"const\": \"\"}]}"),
	    "m.json", &err);
	if (!ok(m != NULL, "a release section parses"))
		printf("# %s\n", err.msg);
	if (m != NULL) {
		ok(m->release.present && m->release.order == 1 &&
		    m->release.batch == 10 && m->release.batches[0] == 1 &&
		    m->release.batches[1] == 0, "order, batch and batches");
		is_str(m->release.problems, "P.json", "problems");
		ok(m->release.nkeys == 1 && m->release.key_fields[0] == 0,
		    "the problems' keys and their fields");
		is_int((long long)m->release.ncolumns, 4, "four columns");
		ok(!m->release.columns[0].write && m->release.columns[1].write,
		    "write: false");
		ok(m->release.columns[1].kind == DSS_COLUMN_LIST &&
		    m->release.list == 1 && m->release.columns[1].count == 2,
		    "the list column");
		ok(m->release.nlabels == 2 && strcmp(m->release.labels[0], "yes") == 0 &&
		    strcmp(m->release.labels[1], "no") == 0,
		    "the label set is the map's values in order");
	}
	dss_manifest_free(m);
}

static void
test_bad(void)
{
	bad("{", "'m.json': invalid JSON near byte", "invalid JSON");
	bad("[1]", "'m.json': not a JSON object", "not an object");
	bad("{\"format\": \"csv\"}", "'m.json': key 'name' must be", "missing name");
	bad("{\"name\": \"a/b\"}", "key 'name'", "name with a slash");
	bad("{\"name\": \"t\", \"format\": \"xml\"}", "unknown format 'xml'", "unknown format");
	bad("{\"name\": \"t\", \"format\": \"csv\"}", "key 'sources' must be a non-empty object",
	    "no sources");
	bad("{\"name\": \"t\", \"sources\": {\"a\": {\"url\": \"https://x.example.org/a\"}}}",
	    "source 'a' has no 'format'", "no format anywhere");
	bad("{\"name\": \"t\", \"format\": \"csv\", \"sources\": {\"a\": {}}}",
	    "source 'a' has no 'url'", "source without url");
	bad("{\"name\": \"t\", \"format\": \"csv\", \"sources\": {\"a\": {\"url\": \"ftp://x/a\"}}}",
	    "url 'ftp://x/a' is not http, https or file", "ftp url");
	bad("{\"name\": \"t\", \"format\": \"csv\", \"sources\": {\"a\": {\"url\": \"file:///x/a\"}}}",
	    "url 'file:///x/a' has no host (for a local file write file://localhost/PATH)",
	    "file URL without a host");
	bad("{\"name\": \"t\", \"format\": \"csv\", \"sources\": {\"a\": "
	    "{\"url\": \"https://x.example.org/a\", \"sha256\": \"ABC\"}}}",
	    "'sha256' is not 64 lowercase hex digits", "bad sha256");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"b\"]}}}",
	    "split 'train' names unknown source 'b'", "unknown source in split");
	bad(BASE "\"splits\": {\"train\": {\"sources\": []}}}",
	    "split 'train': 'sources' must be a non-empty array", "split without sources");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"], \"count\": -3}}}",
	    "'count' is not a non-negative integer", "negative count");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"], \"permutation\": {\"seed\": 0}}}}",
	    "permutation needs integers 'start' <= 'end'", "permutation without range");
	bad("{\"name\": \"t\", \"format\": \"csv\", \"sources\": {\"a\": {\"url\": \"https://x.example.org/a\"}}, "
	    "\"splits\": {\"train\": {\"sources\": [\"a\"], \"permutation\": "
	    "{\"seed\": 0, \"start\": 0, \"end\": 5}}}}",
	    "a permutation needs jsonl or json-array sources", "permutation over CSV");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {\"q\": 3}}",
	    "field 'q' must be a path or an array of paths", "field that is a number");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {}, \"label\": {}}",
	    "label: 'from' must be a path", "label without from");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {}, "
	    "\"label\": {\"from\": \"l\", \"map\": {\"e\": 1}}}",
	    "label: map value for 'e' is not a string", "label map to a number");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {}, "
	    "\"label\": {\"from\": \"l\", \"map\": {}, \"choose\": {\"keys\": \"k\", \"values\": \"v\"}}}",
	    "'map' and 'choose' exclude each other", "map and choose");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {\"q\": \"q\"}, "
	    "\"label\": {\"from\": \"l\"}, \"input\": \"{q\"}",
	    "input: unmatched '{'", "unmatched brace");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {\"q\": \"q\"}, "
	    "\"label\": {\"from\": \"l\"}, \"input\": \"q}\"}",
	    "input: unmatched '}'", "stray closing brace");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {\"q\": \"q\"}, "
	    "\"label\": {\"from\": \"l\"}, \"input\": \"{z}\"}",
	    "input: unknown field 'z'", "unknown template field");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {\"c\": \"c[]\"}, "
	    "\"label\": {\"from\": \"l\"}, \"input\": \"{c}\"}",
	    "list field 'c' needs an item format", "list field without format");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {\"q\": \"q\"}, "
	    "\"label\": {\"from\": \"l\"}, \"input\": \"{q:%s}\"}",
	    "field 'q' is not a list", "scalar field with a format");
	bad(BASE "\"splits\": {\"train\": {\"sources\": [\"a\"]}}, \"fields\": {\"q\": \"q\"}, "
	    "\"label\": {\"from\": \"l\"}}",
	    "key 'input' must be a template string", "no input template");
	test_bad_release();
}

int
main(int argc, char **argv)
{
	(void)argc;
	datasets_dir(argv[0]);
	test_bundled();
	test_parse();
	test_bad();
	return done();
}
