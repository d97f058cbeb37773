/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for answer extraction: every answer form FACTS.md lists,
 * adversarial completions (several choices named, letter and text that
 * disagree, answers stated twice, cut off mid-answer, malformed
 * equations), configuration errors, our own completions in the forms real
 * teachers write (tests/fixtures/teacher-completions.jsonl), and the real
 * teacher completions of the shared samples.  With an argument, only the
 * samples file it names is checked (tests/t0500-answer-samples.sh does
 * that); without, the samples are read from $DSS_SAMPLES, else from
 * ../shared/samples/ when it is there (a TAP skip says so when it is not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/answer.h"
#include "../../lib/jscan.h"
#include "../../lib/jsonl.h"
#include "tap.h"

static const char *const seas[] = { "ocean", "sea", "lake", "pond", "river" };
static const char *const math[] = {
	"history lesson", "art class", "recess", "math problem", "lunch"
};

struct kase {
	enum dss_answer_kind kind;
	const char *completion;
	const char *finish;
	enum dss_answer_status status;
	const char *answer;	/* NULL: do not check */
	const char *rationale;	/* NULL: do not check */
	const char *reason;	/* substring of the reason, NULL: do not check */
};

/*
 * The rules come from the bundled manifests only (datasets/, from the top
 * of the tree, where the fixtures are read too).
 */
static struct dss_answer_cache *rules;

/* The configuration of a bundled dataset, owned by rules. */
static struct dss_answer_config *
bundled(const char *dataset, struct dss_err *err)
{
	return dss_answer_cache_get(rules, dataset, err);
}

/* The bundled dataset whose rules are those of kind. */
static const char *
dataset_of(enum dss_answer_kind kind)
{
	return kind == DSS_ANSWER_CHOICE ? "cqa" : kind == DSS_ANSWER_NLI ?
	    "esnli" : "svamp";
}

#define C DSS_ANSWER_CHOICE
#define N DSS_ANSWER_NLI
#define E DSS_ANSWER_EQUATION
#define OK DSS_ANSWER_OK
#define NONE DSS_ANSWER_NO_ANSWER
#define TRUNC DSS_ANSWER_TRUNCATED
#define AMBIG DSS_ANSWER_AMBIGUOUS
#define BAD DSS_ANSWER_MALFORMED

static const struct kase cases[] = {
	/* choice: forms */
	{ C, "Seas are salty. So the answer is (b) sea.", NULL, OK, "sea",
	    "Seas are salty.", NULL },
	{ C, "Seas are salty. So the answer is (b).", NULL, OK, "sea", NULL, NULL },
	{ C, "Seas are salty. So the answer is sea.", NULL, OK, "sea", NULL, NULL },
	{ C, "Seas are salty. so the answer is (B) SEA.", NULL, OK, "sea", NULL,
	    NULL },
	{ C, "Seas are salty. SO THE ANSWER IS Sea", "stop", OK, "sea", NULL, NULL },
	{ C, "Seas are salty. So the answer is **(b) sea**.", NULL, OK, "sea",
	    "Seas are salty.", NULL },
	{ C, "Seas are salty.\nAnswer: (b) sea", "stop", OK, "sea",
	    "Seas are salty.", NULL },
	{ C, "Seas are salty.\n**Answer:** B", "stop", OK, "sea",
	    "Seas are salty.", NULL },
	{ C, "Seas are salty. So the answer is: C", "stop", OK, "lake", NULL, NULL },
	{ C, "Seas are salty. So the answer is option (b) sea.", NULL, OK, "sea",
	    NULL, NULL },
	{ C, "Seas are salty. So the answer is \"sea\".", NULL, OK, "sea", NULL,
	    NULL },
	{ C, "Seas are salty. So the answer is seas.", NULL, OK, "sea", NULL, NULL },
	{ C, "Rivers flow. So the answer is a river.", NULL, OK, "river", NULL,
	    NULL },
	{ C, "Seas are salty. So the answer is (b) sea, because it is salty.",
	    NULL, OK, "sea", NULL, NULL },
	{ C, "Seas are salty. Therefore, the answer is (b) sea.", NULL, OK, "sea",
	    "Seas are salty.", NULL },
	{ C, "Seas are salty. So the answer is (b) sea.\n\nQ: Where do fish "
	    "live?\nAnswer Choices:\n(a) ocean\n(b) sea\n(c) lake\n(d) pond\n"
	    "(e) river\nA: Fish live in water. So the answer is (a) ocean.",
	    "length", OK, "sea", "Seas are salty.", NULL },
	{ C, "The answer is not obvious. Seas are salty. So the answer is (b) sea.",
	    NULL, OK, "sea", "The answer is not obvious. Seas are salty.", NULL },
	{ C, "So the answer is (b) sea. So the answer is (b) sea.", NULL, OK, "sea",
	    "", NULL },
	{ C, "It is a math problem.\nSo the answer is (d) math problem.", NULL, OK,
	    "math problem", "It is a math problem.", NULL },
	{ C, "Seas are salty. So the answer is sea (b).", NULL, OK, "sea", NULL,
	    NULL },
	{ C, "Seas are salty. So the answer is sea (c).", NULL, AMBIG, NULL, NULL,
	    "the text says 'sea' but the letter is (c)" },
	{ C, "Seas are salty. So the answer is not (b).", NULL, AMBIG, NULL, NULL,
	    NULL },
	/* choice: no answer, ambiguous, malformed, truncated */
	{ C, "Water is wet. The answer is (a) ocean or (b) sea.", NULL, AMBIG,
	    NULL, NULL, "several choices" },
	{ C, "Water is wet. The answer is ocean or sea.", NULL, AMBIG, NULL, NULL,
	    "several choices" },
	{ C, "Water is wet. So the answer is one of these four.", NULL, AMBIG,
	    NULL, NULL, "several choices" },
	{ C, "Water is wet. So the answer is either (a) or (b).", NULL, AMBIG,
	    NULL, NULL, NULL },
	{ C, "Water is wet. So the answer is (a) sea.", NULL, AMBIG, NULL, NULL,
	    "choice (a) is 'ocean' but the text says 'sea'" },
	{ C, "Water is wet. So the answer is (f) marsh.", NULL, BAD, NULL, NULL,
	    "choice (f) is not offered" },
	{ C, "Water is wet. So the answer is a puddle.", NULL, BAD, NULL, NULL,
	    "'a puddle' is not one of the choices" },
	{ C, "So the answer is (a) ocean. Actually, the answer is (b) sea.", NULL,
	    AMBIG, NULL, NULL, "answer stated twice" },
	{ C, "Water is wet. So the answer is (b) se", "length", TRUNC, NULL, NULL,
	    "token limit" },
	{ C, "Water is wet and the sea is", "length", TRUNC, NULL, NULL,
	    "before an answer" },
	{ C, "Water is wet and the sea is salty.", "stop", NONE, NULL, NULL,
	    "no answer statement" },
	{ C, "Water is wet.\n\nQ: Where? So the answer is (b) sea.", "length",
	    NONE, NULL, NULL, NULL },
	/* nli: forms */
	{ N, "A man is a person. So the answer is contradiction.", NULL, OK,
	    "contradiction", "A man is a person.", NULL },
	{ N, "A man is a person, so the answer is entailment.", NULL, OK,
	    "entailment", "A man is a person", NULL },
	{ N, "The man may be sad.\nAnswer: neutral", "stop", OK, "neutral",
	    "The man may be sad.", NULL },
	{ N, "The man may be sad.\nAnswer: neutral\n\nPremise: A dog runs.\n"
	    "Hypothesis: An animal runs.\nAnswer: entailment", "length", OK,
	    "neutral", "The man may be sad.", NULL },
	{ N, "A man is a person. So the answer is **Entailment**.", NULL, OK,
	    "entailment", NULL, NULL },
	{ N, "A man is a person. So the answer is ENTAILMENT", "stop", OK,
	    "entailment", NULL, NULL },
	{ N, "A man is a person. So the answer is yes.", NULL, OK, "entailment",
	    NULL, NULL },
	{ N, "A man is not a dog. So the answer is no.", NULL, OK, "contradiction",
	    NULL, NULL },
	{ N, "We cannot know. So the answer is it is not possible to tell.", NULL,
	    OK, "neutral", NULL, NULL },
	{ N, "We cannot know. The answer is: neither.", NULL, OK, "neutral", NULL,
	    NULL },
	{ N, "It holds. The answer is true.", NULL, OK, "entailment", NULL, NULL },
	{ N, "It fails. The answer is false.", NULL, OK, "contradiction", NULL,
	    NULL },
	{ N, "It holds. So the answer is entailment, because the premise says so.",
	    NULL, OK, "entailment", NULL, NULL },
	{ N, "Answer: The premise says so. So the answer is entailment.", NULL, OK,
	    "entailment", "The premise says so.", NULL },
	{ N, "It holds. So the answer is neutral. So the answer is neutral.", NULL,
	    OK, "neutral", "It holds.", NULL },
	/* nli: not answers */
	{ N, "It holds. So the answer is not entailment.", NULL, BAD, NULL, NULL,
	    "'not entailment' is not a label" },
	{ N, "It holds. So the answer is entailment or neutral.", NULL, AMBIG,
	    NULL, NULL, "several labels" },
	{ N, "It holds. So the answer is either entailment or neutral.", NULL,
	    AMBIG, NULL, NULL, "several labels" },
	{ N, "It holds. The answer is entailment. So the answer is contradiction.",
	    NULL, AMBIG, NULL, NULL, "answer stated twice" },
	{ N, "It holds. So the answer is contra", "length", TRUNC, NULL, NULL,
	    NULL },
	{ N, "It holds. So the answer is maybe.", NULL, BAD, NULL, NULL, NULL },
	{ N, "The premise mentions a man.\n\nPremise: A man.\nHypothesis: A "
	    "person.\nAnswer: entailment", "length", NONE, NULL, NULL, NULL },
	/* equation: forms */
	{ E, "84 / 2 = 42. The answer is (84 / 2).", NULL, OK, "(84 / 2)",
	    "84 / 2 = 42.", NULL },
	{ E, "She needs 7. The answer is (12 - 2) - 7.", NULL, OK, "(12 - 2) - 7",
	    NULL, NULL },
	{ E, "They are 322,775 in all. The answer is 322,775.", NULL, OK,
	    "322,775", NULL, NULL },
	{ E, "Dave had 2 left. The answer is ((14 - 2) - 10).\n\nQ: There are 15 "
	    "trees.\nA: The answer is (21 - 15).", "length", OK,
	    "((14 - 2) - 10)", "Dave had 2 left.", NULL },
	{ E, "It is 450. The answer is **(10 * 45)**.", NULL, OK, "(10 * 45)",
	    NULL, NULL },
	{ E, "It is 450. The answer is (10 * 45) = 450 seeds.", NULL, OK,
	    "(10 * 45)", NULL, NULL },
	{ E, "It costs $5.50. The answer is $5.50.", NULL, OK, "5.50", NULL, NULL },
	{ E, "It is 46. The answer is (45 - (-1)).", NULL, OK, "(45 - (-1))",
	    NULL, NULL },
	{ E, "It is 6. the answer is: 6", "stop", OK, "6", NULL, NULL },
	{ E, "It is 6. The answer is (6).\nThe answer is 6.", "stop", OK, "(6)",
	    NULL, NULL },
	{ E, "It is 30. The answer is 30. Then 5 more come.", NULL, OK, "30",
	    NULL, NULL },
	{ E, "It is 450. The answer is 450 seeds.", NULL, OK, "450", NULL, NULL },
	/* equation: not answers */
	{ E, "It is 450. The answer is 10 x 45.", NULL, BAD, NULL, NULL,
	    "the equation goes on after" },
	{ E, "It is 5. The answer is 1/2 of 10.", NULL, BAD, NULL, NULL,
	    "the equation goes on after" },
	{ E, "Many. The answer is 5 apples and 3 pears.", NULL, BAD, NULL, NULL,
	    "the equation goes on after" },
	{ E, "It is 2. The answer is (2", "length", TRUNC, NULL, NULL, NULL },
	{ E, "It is 2. The answer is (2", NULL, TRUNC, NULL, NULL, NULL },
	{ E, "It is 2. The answer is (2", "stop", BAD, NULL, NULL,
	    "unbalanced parenthesis" },
	{ E, "It is 30. The answer is 30", "length", TRUNC, NULL, NULL, NULL },
	{ E, "It is twelve. The answer is twelve.", NULL, BAD, NULL, NULL,
	    "no equation" },
	{ E, "Oops. The answer is (5 / 0).", NULL, BAD, NULL, NULL,
	    "division by zero" },
	{ E, "Many. The answer is 3, 4 and 5.", NULL, BAD, NULL, NULL,
	    "the equation goes on after '3, 4 '" },
	{ E, "Many. The answer is 3,45.", NULL, BAD, NULL, NULL,
	    "thousands separator" },
	{ E, "It is 6. The answer is (6). The answer is 7.", NULL, AMBIG, NULL,
	    NULL, "answer stated twice" },
	{ E, "No statement at all, only 10 * 45 = 450.", NULL, NONE, NULL, NULL,
	    NULL },
};

static void
run_case(size_t k, const struct kase *t)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_answer a = DSS_ANSWER_INIT;
	struct dss_answer_config *c = bundled(dataset_of(t->kind), &err);
	const char *const *ch = strstr(t->completion, "math") ? math : seas;
	int r;

	if (c == NULL) {
		ok(0, "case %zu: config: %s", k, err.msg);
		return;
	}
	r = dss_answer_extract(c, t->completion, strlen(t->completion), t->finish,
	    ch, 5, &a, &err);
	if (!ok(r == 0 && a.status == t->status, "case %zu: %s: '%.50s'", k,
	    dss_answer_status_name(t->status), t->completion))
		printf("#   got %s (%s) answer '%s'\n",
		    dss_answer_status_name(a.status), a.reason, a.answer.data);
	if (t->answer != NULL)
		is_str(a.answer.data, t->answer, "  answer");
	if (t->rationale != NULL)
		is_str(a.rationale.data, t->rationale, "  rationale");
	if (t->reason != NULL && !ok(strstr(a.reason, t->reason) != NULL,
	    "  reason has '%s'", t->reason))
		printf("#   got '%s'\n", a.reason);
	if (t->status != OK)
		ok(a.answer.len == 0 && a.rationale.len == 0,
		    "  no answer or rationale on failure");
	dss_answer_free(&a);
}

static void
test_config(void)
{
	static const char *const bad[][2] = {
		{ "[]", "field 'answer' is not an object" },
		{ "{}", "field 'answer.kind' is missing" },
		{ "{\"kind\":\"essay\"}", "field 'answer.kind' is 'essay'" },
		{ "{\"kind\":\"equation\"}", "field 'answer.cut' is missing" },
		{ "{\"kind\":\"equation\",\"cut\":[]}", "field 'answer.statement' is missing" },
		{ "{\"kind\":\"nli\",\"cut\":[],\"statement\":[\"x\"]}",
		    "field 'answer.synonyms' is missing (nli needs" },
		{ "{\"kind\":\"nli\",\"cut\":\"x\"}", "field 'answer.cut' is not an array" },
		{ "{\"kind\":\"nli\",\"cut\":[1]}", "field 'answer.cut' holds a value" },
		{ "{\"kind\":\"nli\",\"cut\":[],\"statement\":[\"(\"]}", "statement pattern '('" },
		{ "{\"kind\":\"nli\",\"cut\":[],\"statement\":[]}", "field 'answer.statement' is empty" },
		{ "{\"kind\":\"nli\",\"cut\":[],\"statement\":[\"x\"],\"synonyms\":[]}", "field 'answer.synonyms' is not an object" },
		{ "{\"kind\":\"nli\",\"cut\":[],\"statement\":[\"x\"],\"synonyms\":{\"yes\":1}}", "field 'answer.synonyms.yes' is not a string" },
		{ "{\"kind\":\"nli\",\"cut\":[],\"statement\":[\"x\"],\"synonyms\":{\" \":\"neutral\"}}", "empty synonym" },
	};
	struct dss_err err = DSS_ERR_INIT;
	struct dss_answer a = DSS_ANSWER_INIT;
	struct dss_answer_config *c;
	cJSON *spec;
	size_t i;
	const char *s;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		spec = cJSON_Parse(bad[i][0]);
		err.msg[0] = '\0';
		c = dss_answer_config_new(spec, &err);
		if (!ok(c == NULL && strstr(err.msg, bad[i][1]) != NULL,
		    "config %s rejected", bad[i][0]))
			printf("#   got '%s'\n", err.msg);
		dss_answer_config_free(c);
		cJSON_Delete(spec);
	}

	spec = cJSON_Parse("{\"kind\":\"nli\",\"cut\":[\"\\\\n---\"],"
	    "\"statement\":[\"(?i)verdict:\"],"
	    "\"synonyms\":{\"follows\":\"entailment\",\"clashes\":\"contradiction\"}}");
	c = dss_answer_config_new(spec, &err);
	ok(c != NULL, "custom config compiles");
	ok(c != NULL && dss_answer_config_kindof(c) == DSS_ANSWER_NLI, "kind nli");
	s = "It follows. Verdict: follows\n---\nVerdict: clashes";
	if (c != NULL) {
		dss_answer_extract(c, s, strlen(s), NULL, NULL, 0, &a, &err);
		is_str(a.answer.data, "entailment", "custom statement, cut, synonym");
		is_str(a.rationale.data, "It follows.", "custom rationale");
		s = "It is. So the answer is entailment.";
		dss_answer_extract(c, s, strlen(s), NULL, NULL, 0, &a, &err);
		is_int(a.status, DSS_ANSWER_NO_ANSWER,
		    "custom statements replace the built-in ones");
	}
	dss_answer_config_free(c);
	cJSON_Delete(spec);

	spec = cJSON_Parse("{\"kind\":\"equation\",\"cut\":[],"
	    "\"statement\":[\"(?i)\\\\banswer is\"]}");
	c = dss_answer_config_new(spec, &err);
	s = "x. The answer is (1 + 1).\n\nQ: y. The answer is (3).";
	ok(c != NULL && dss_answer_extract(c, s, strlen(s), NULL, NULL, 0, &a,
	    &err) == 0 && a.status == DSS_ANSWER_AMBIGUOUS,
	    "no cut pattern given, none applies: the run-on answer counts");
	dss_answer_config_free(c);
	cJSON_Delete(spec);

	c = bundled("svamp", &err);
	ok(c != NULL && dss_answer_config_kindof(c) == DSS_ANSWER_EQUATION,
	    "the svamp manifest's rules are equation rules");
	c = bundled("imdb", &err);
	ok(c == NULL && strstr(err.msg, "unknown dataset 'imdb'"),
	    "no rules for a dataset without a manifest");

	c = bundled("cqa", &err);
	s = "So the answer is (a) x.";
	dss_answer_extract(c, s, strlen(s), NULL, NULL, 0, &a, &err);
	is_int(a.status, DSS_ANSWER_MALFORMED, "choice without choices");
	s = "Bad \xff\xfe bytes. So the answer is (b) sea.";
	dss_answer_extract(c, s, strlen(s), NULL, seas, 5, &a, &err);
	is_str(a.answer.data, "sea", "invalid UTF-8 in a completion");
	dss_answer_free(&a);

	ok(dss_answer_same(DSS_ANSWER_EQUATION, "( 10.0 * 45.0 )", "(10 * 45)"),
	    "same equation by value");
	ok(dss_answer_same(DSS_ANSWER_EQUATION, "(1 / 3)", "0.333333333"),
	    "same within tolerance");
	ok(!dss_answer_same(DSS_ANSWER_EQUATION, "(1 / 3)", "0.333"),
	    "not same beyond tolerance");
	ok(!dss_answer_same(DSS_ANSWER_EQUATION, "(1 / 0)", "(2 / 0)"),
	    "unevaluable equations compare as strings");
	ok(dss_answer_same(DSS_ANSWER_CHOICE, "Wooded Area", "wooded area"),
	    "choice text ignores case");
	ok(!dss_answer_same(DSS_ANSWER_NLI, "neutral", "entailment"),
	    "different labels");
	is_str(dss_answer_status_name(DSS_ANSWER_AMBIGUOUS), "ambiguous",
	    "status names");
}

/* What each real sample completion must give, in file order. */
static const char *const sample_answers[] = {
	"(10 * 45)", "(10 - (3 + 6))", "(2)", "((14 - 2) - 10)", "(12 - 2) - 7",
	"(45 - (-1))", "(19 - 3)", "(91676 - 61619)",
	"wooded area", "go downtown", "play tag", "great outdoors", "club",
	"whirlpool bath", "industrial area", "show",
	"contradiction", "entailment", "entailment", "entailment",
	"contradiction", "entailment", "contradiction", "contradiction",
};
#define NSAMPLES (sizeof sample_answers / sizeof sample_answers[0])

/*
 * Checks every completion of a file of {"dataset", "official_example",
 * "completion"} records: with an "expect" object ({"status", "answer",
 * optionally "rationale"}), against it; without, against sample_answers
 * (the shared samples, all of which are answered).  Without an expected
 * rationale, a record answered must give one of whole sentences, without
 * the answer statement or a run-on few-shot block.
 * Returns the number of records read.
 */
static size_t
test_completions(const char *path, FILE *fp)
{
	struct dss_lines l = DSS_LINES_INIT(fp, path);
	struct dss_err err = DSS_ERR_INIT;
	struct dss_answer a = DSS_ANSWER_INIT;
	cJSON *rec;
	size_t n = 0;
	int st;

	while ((st = dss_jsonl_next(&l, &rec, &err)) == 1) {
		const char *ds = dss_json_str_opt(rec, "dataset");
		const char *comp = dss_json_str_opt(rec, "completion");
		const char *finish = dss_json_str_opt(rec, "finish_reason");
		const cJSON *ex = cJSON_GetObjectItem(rec, "official_example");
		const cJSON *expect = cJSON_GetObjectItem(rec, "expect");
		const cJSON *chs = cJSON_GetObjectItem(ex, "choices"), *it;
		const char *want_status = "ok", *want = "?", *rationale = NULL;
		const char *choices[8];
		size_t nch = 0;
		struct dss_answer_config *c = bundled(ds, &err);

		if (expect != NULL) {
			want_status = dss_json_str_opt(expect, "status");
			want = dss_json_str_opt(expect, "answer");
			rationale = dss_json_str_opt(expect, "rationale");
		} else if (n < NSAMPLES) {
			want = sample_answers[n];
		}
		cJSON_ArrayForEach(it, chs)
			if (nch < 8)
				choices[nch++] = it->valuestring;
		dss_answer_extract(c, comp, strlen(comp), finish, choices, nch, &a,
		    &err);
		if (!ok(want_status != NULL &&
		    strcmp(dss_answer_status_name(a.status), want_status) == 0 &&
		    (want == NULL ? a.answer.len == 0 :
		    strcmp(a.answer.data, want) == 0),
		    "completion %zu (%s): %s '%s'", n + 1, ds,
		    want_status ? want_status : "?", want ? want : ""))
			printf("#   got %s '%s' (%s)\n",
			    dss_answer_status_name(a.status), a.answer.data,
			    a.reason);
		if (rationale != NULL)
			is_str(a.rationale.data, rationale, "  rationale");
		else if (a.status == DSS_ANSWER_OK)
			ok(a.rationale.len > 0 &&
			    strstr(a.rationale.data, "answer is") == NULL &&
			    strstr(a.rationale.data, "Answer:") == NULL &&
			    strstr(a.rationale.data, "Q:") == NULL &&
			    strstr(a.rationale.data, "Premise:") == NULL &&
			    strchr(".!?", a.rationale.data[a.rationale.len - 1]) != NULL,
			    "  rationale is whole sentences without the answer or run-on");
		else
			ok(a.answer.len == 0 && a.rationale.len == 0,
			    "  no answer or rationale when not answered");
		cJSON_Delete(rec);
		n++;
	}
	ok(st == 0, "'%s' read to its end%s%s", path, st ? ": " : "",
	    st ? err.msg : "");
	dss_answer_free(&a);
	dss_lines_free(&l);
	return n;
}

/* Our own completions, in tests/; run from the top of the tree (as prove is). */
#define FIXTURE "tests/fixtures/teacher-completions.jsonl"
/* The real ones, beside the tree when it is a checkout with shared/ next to it. */
#define SAMPLES "../shared/samples/teacher_completions.sample.jsonl"

/*
 * Statements found where PCRE2 finds them, whatever find() skips first:
 * caseless first units, a first byte beyond ASCII (KELVIN SIGN), long s
 * for s, a required unit after the start, \G, a lookbehind, a verb, and
 * alternatives with different first bytes.
 */
static void
test_match_starts(void)
{
	static const struct {
		const char *pattern, *text;
		int found;
	} cases[] = {
		{ "(?i)\\bverdict:", "x. VERDICT: follows", 1 },
		{ "(?i)\\bverdict:", "x. a verdict follows", 0 },
		{ "(?i)\\bverdict:", "vague. verdict: follows", 1 },
		{ "(?i)kelvin:", "x. \xe2\x84\xaa" "elvin: follows", 1 },
		{ "(?i)says:", "x. \xc5\xbf" "ays: follows", 1 },
		{ "(?i)\\bverdicts", "x. VERDICT\xc5\xbf follows", 1 },
		{ "(?i)\\bverdicts", "x. verdict follows", 0 },
		{ "\\Gverdict:", "verdict: follows", 1 },
		{ "\\Gverdict:", "x verdict: follows", 0 },
		{ "verdict:|\\Gruling:", "x ruling: follows", 0 },
		{ "verdict:|\\Gruling:", "ruling: follows", 1 },
		{ "(?<=: )verdict", "x: verdict follows", 1 },
		{ "(?<=: )verdict", "x. verdict follows", 0 },
		{ "verdict(*COMMIT)x|verdict", "x. verdict follows", 0 },
		{ "(?i)\\bverdict:|\\bruling:", "x. Ruling: follows", 1 },
	};
	struct dss_answer a = DSS_ANSWER_INIT;
	struct dss_err err = DSS_ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct dss_buf src = DSS_BUF_INIT;
		struct dss_answer_config *c;
		cJSON *spec;

		dss_buf_adds(&src, "{\"kind\":\"nli\",\"cut\":[\"\\\\n---\"],"
		    "\"statement\":[");
		dss_jscan_quote(&src, cases[i].pattern, strlen(cases[i].pattern));
		dss_buf_adds(&src, "],\"synonyms\":{\"follows\":\"entailment\"}}");
		spec = cJSON_Parse(src.data);
		c = dss_answer_config_new(spec, &err);
		if (c == NULL) {
			ok(0, "pattern %zu compiles: %s", i, err.msg);
		} else {
			int r = dss_answer_extract(c, cases[i].text,
			    strlen(cases[i].text), NULL, NULL, 0, &a, &err);

			ok(r == 0 && (a.status == DSS_ANSWER_OK) == cases[i].found &&
			    (!cases[i].found || strcmp(a.answer.data, "entailment") == 0),
			    "'%s' finds %s statement in '%s'", cases[i].pattern,
			    cases[i].found ? "a" : "no", cases[i].text);
		}
		dss_answer_config_free(c);
		cJSON_Delete(spec);
		dss_buf_free(&src);
	}
	dss_answer_free(&a);
}

/*
 * A pattern that backtracks past PCRE2's match limit, as a cut or as a
 * statement pattern, is an error (kind DSS_ERR_OTHER, not out of memory)
 * with PCRE2's reason, never an answer or a missing one.
 */
static void
test_match_error(void)
{
	static const char *const specs[] = {
		"{\"kind\":\"nli\",\"cut\":[\"(a+)+$\"],"
		    "\"statement\":[\"(?i)answer:\"],"
		    "\"synonyms\":{\"yes\":\"entailment\"}}",
		"{\"kind\":\"nli\",\"cut\":[],\"statement\":[\"(a+)+$\"],"
		    "\"synonyms\":{\"yes\":\"entailment\"}}",
	};
	static const char *const what[] = { "cut", "statement" };
	char text[80];
	size_t i;

	memcpy(text, "Answer: yes. ", 13);
	memset(text + 13, 'a', 60);
	strcpy(text + 73, "!");
	for (i = 0; i < 2; i++) {
		struct dss_answer a = DSS_ANSWER_INIT;
		struct dss_err err = DSS_ERR_INIT;
		cJSON *spec = cJSON_Parse(specs[i]);
		struct dss_answer_config *c = dss_answer_config_new(spec, &err);
		int r = -2;

		if (c != NULL)
			r = dss_answer_extract(c, text, strlen(text), NULL, NULL, 0,
			    &a, &err);
		if (!ok(r == -1 && err.kind == DSS_ERR_OTHER &&
		    strncmp(err.msg, "pattern matching failed: ", 25) == 0 &&
		    err.msg[25] != '\0',
		    "a %s pattern past the match limit is an error", what[i]))
			printf("#   got %d, kind %d: '%s'\n", r, (int)err.kind,
			    err.msg);
		dss_answer_config_free(c);
		dss_answer_free(&a);
		cJSON_Delete(spec);
	}
}

/*
 * A statement pattern that matches white space (a manifest may hold one)
 * in a completion of white space alone: the answer is empty and not
 * truncated, and nothing before the completion is read (ASan checks: the
 * completion is a heap block of its own length, with no NUL after it).
 */
static void
test_blank_completion(void)
{
	static const char spec_text[] = "{\"kind\":\"nli\",\"cut\":[],"
	    "\"statement\":[\"\\\\s\"],\"synonyms\":{\"yes\":\"entailment\"}}";
	struct dss_answer a = DSS_ANSWER_INIT;
	struct dss_err err = DSS_ERR_INIT;
	cJSON *spec = cJSON_Parse(spec_text);
	struct dss_answer_config *c = dss_answer_config_new(spec, &err);
	char *blank = malloc(3);
	int r = -2;

	if (c != NULL && blank != NULL) {
		memcpy(blank, " \n ", 3);
		r = dss_answer_extract(c, blank, 3, NULL, NULL, 0, &a, &err);
	}
	if (!ok(r == 0 && a.status == DSS_ANSWER_MALFORMED &&
	    a.answer.len == 0 && a.rationale.len == 0,
	    "a completion of white space whose statement matches white space "
	    "has a malformed answer"))
		printf("#   got %d, %s (%s) %s\n", r,
		    dss_answer_status_name(a.status), a.reason, err.msg);
	free(blank);
	dss_answer_config_free(c);
	dss_answer_free(&a);
	cJSON_Delete(spec);
}

/*
 * A statement pattern that may begin with white space: a later statement
 * that starts in the white space after an earlier one leaves the earlier
 * an empty answer (not a failed allocation of a negative length).
 */
static void
test_statement_in_space(void)
{
	static const char spec_text[] = "{\"kind\":\"nli\",\"cut\":[],"
	    "\"statement\":[\"(?i)\\\\s*answer:\"],"
	    "\"synonyms\":{\"yes\":\"entailment\"}}";
	static const char text[] = "Answer: \n answer: yes";
	struct dss_answer a = DSS_ANSWER_INIT;
	struct dss_err err = DSS_ERR_INIT;
	cJSON *spec = cJSON_Parse(spec_text);
	struct dss_answer_config *c = dss_answer_config_new(spec, &err);
	int r = -2;

	if (c != NULL)
		r = dss_answer_extract(c, text, strlen(text), "stop", NULL, 0, &a,
		    &err);
	if (!ok(r == 0 && a.status == DSS_ANSWER_OK &&
	    strcmp(a.answer.data, "entailment") == 0,
	    "a statement in the white space after another leaves it empty"))
		printf("#   got %d, %s '%s' (%s) %s\n", r,
		    dss_answer_status_name(a.status), a.answer.data, a.reason,
		    err.msg);
	dss_answer_config_free(c);
	dss_answer_free(&a);
	cJSON_Delete(spec);
}

int
main(int argc, char **argv)
{
	const char *samples = argc > 1 ? argv[1] : getenv("DSS_SAMPLES");
	FILE *fp;
	size_t i;

	setenv("DSS_DATASETS", "datasets", 1);
	if ((rules = dss_answer_cache_new()) == NULL)
		return 1;
	if (argc == 1) {
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
			run_case(i, &cases[i]);
		test_config();
		test_match_starts();
		test_match_error();
		test_blank_completion();
		test_statement_in_space();
		fp = fopen(FIXTURE, "r");
		if (ok(fp != NULL, "fixture '%s' is readable", FIXTURE)) {
			is_int((long long)test_completions(FIXTURE, fp), 24,
			    "all 24 fixture completions read");
			fclose(fp);
		}
	}
	/* Named samples must be there; the default ones may be absent. */
	fp = fopen(samples != NULL ? samples : SAMPLES, "r");
	if (samples == NULL && fp == NULL) {
		skip("no '%s' beside the tree: the real completions are not checked",
		    SAMPLES);
		dss_answer_cache_free(rules);
		return done();
	}
	if (samples == NULL)
		samples = SAMPLES;
	if (ok(fp != NULL, "completions file '%s' is readable", samples)) {
		is_int((long long)test_completions(samples, fp), (long long)NSAMPLES,
		    "all 24 samples read");
		fclose(fp);
	}
	dss_answer_cache_free(rules);
	return done();
}
