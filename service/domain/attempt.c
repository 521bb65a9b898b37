/* Scores an attempt described as JSON with the exact scorer, and describes the result as JSON. */
#include "domain/attempt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/decimal.h"

static bool parse_label(json_t *v, char *out)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) != 1 || s[0] < 'A' || s[0] >= (char)('A' + SCORE_MAX_OPTIONS))
		return false;
	*out = s[0];
	return true;
}

static bool parse_labels(json_t *v, uint8_t *out)
{
	size_t i;
	json_t *e;
	char c;
	*out = 0;
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, e)
	{
		if (!parse_label(e, &c))
			return false;
		*out |= SCORE_LABEL_BIT(c);
	}
	return true;
}

/* Fills q from one question object; fill keys point into the JSON (kept alive by the caller). */
static bool parse_question(json_t *o, struct score_question *q, const char **accepted, size_t *naccepted, char *err,
			   size_t errlen)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *points = json_string_value(json_object_get(o, "points"));
	json_t *key = json_object_get(o, "key"), *answer = json_object_get(o, "answer");
	memset(q, 0, sizeof *q);
	q->subtopic = json_string_value(json_object_get(o, "subtopic"));
	if (!q->subtopic || !type || !score_qtype_parse(type, &q->type) || !points ||
	    decimal_parse(points, DECIMAL_SCALE_CENTS, &q->points) != DECIMAL_OK) {
		snprintf(err, errlen, "question %lld: bad subtopic, type or points",
			 (long long)json_integer_value(json_object_get(o, "id")));
		return false;
	}
	bool ok = true;
	q->answer.given = answer && !json_is_null(answer);
	switch (q->type) {
	case SCORE_Q_SINGLE:
		ok = parse_label(key, &q->key.label);
		if (q->answer.given && !parse_label(answer, &q->answer.label))
			q->answer.given = false; /* not a label: cannot be right */
		break;
	case SCORE_Q_MULTIPLE:
		ok = parse_labels(key, &q->key.labels);
		if (q->answer.given && !parse_labels(answer, &q->answer.labels))
			q->answer.given = false;
		break;
	case SCORE_Q_TRUEFALSE:
		ok = json_is_boolean(key);
		q->key.truth = json_is_true(key);
		if (q->answer.given && !json_is_boolean(answer))
			q->answer.given = false;
		q->answer.truth = json_is_true(answer);
		break;
	case SCORE_Q_FILL: {
		size_t i;
		json_t *e;
		/* The table of accepted answers is shared by all questions: check the room first. */
		ok = json_is_array(key) && json_array_size(key) > 0 &&
		     *naccepted + json_array_size(key) <= ATTEMPT_MAX_ACCEPTED;
		json_array_foreach(key, i, e)
		{
			if (!ok || !json_is_string(e)) {
				ok = false;
				break;
			}
			accepted[*naccepted + i] = json_string_value(e);
		}
		if (ok) {
			q->key.accepted = &accepted[*naccepted];
			q->key.accepted_count = json_array_size(key);
			*naccepted += json_array_size(key);
		}
		if (q->answer.given && !json_is_string(answer))
			q->answer.given = false;
		q->answer.text = json_string_value(answer);
		q->answer.text_len = q->answer.text ? json_string_length(answer) : 0;
		break;
	}
	}
	if (!ok)
		snprintf(err, errlen, "question %lld: malformed key",
			 (long long)json_integer_value(json_object_get(o, "id")));
	return ok;
}

static json_t *decimal_json(int64_t v, unsigned scale, bool trim)
{
	char buf[DECIMAL_FORMAT_MAX];
	enum decimal_status st =
		trim ? decimal_format_trim(v, scale, buf, sizeof buf) : decimal_format(v, scale, buf, sizeof buf);
	return st == DECIMAL_OK ? json_string(buf) : json_null();
}

enum score_status attempt_score_json(json_t *input, json_t **out, char *err, size_t errlen)
{
	json_t *questions = json_object_get(input, "questions");
	json_t *weights = json_object_get(input, "weights");
	json_t *bands = json_object_get(input, "bands");
	*out = NULL;
	if (!json_is_array(questions) || json_array_size(questions) > ATTEMPT_MAX_QUESTIONS ||
	    !json_is_object(weights) || !json_is_array(bands) || json_array_size(bands) == 0 ||
	    json_array_size(bands) > 16) {
		snprintf(err, errlen, "malformed scoring input");
		return SCORE_ERR_INVALID_ARGUMENT;
	}
	size_t nq = json_array_size(questions), nw = json_object_size(weights), nb = json_array_size(bands);
	struct score_question *qs = calloc(nq ? nq : 1, sizeof *qs);
	/* Room for the accepted fill answers of this attempt only (never more than the bound that
	 * parse_question enforces): a 64 KiB table per attempt made malloc consolidate its free lists
	 * on every close of a mass expiry. */
	size_t need = 1;
	for (size_t qi = 0; qi < nq; qi++) {
		json_t *key = json_object_get(json_array_get(questions, qi), "key");
		if (json_is_array(key))
			need += json_array_size(key);
	}
	if (need > ATTEMPT_MAX_ACCEPTED)
		need = ATTEMPT_MAX_ACCEPTED;
	const char **accepted = calloc(need, sizeof *accepted);
	struct score_weight *ws = calloc(nw ? nw : 1, sizeof *ws);
	struct score_band bs[16];
	struct score_result *res = calloc(1, sizeof *res);
	bool *correct = calloc(nq ? nq : 1, sizeof *correct);
	enum score_status st = SCORE_ERR_NOMEM;
	if (!qs || !accepted || !ws || !res || !correct)
		goto done;
	st = SCORE_ERR_INVALID_QUESTION;
	size_t naccepted = 0, i;
	json_t *e;
	json_array_foreach(questions, i, e)
	{
		if (!parse_question(e, &qs[i], accepted, &naccepted, err, errlen))
			goto done;
	}
	st = SCORE_ERR_INVALID_WEIGHT;
	const char *sub;
	size_t k = 0;
	json_object_foreach(weights, sub, e)
	{
		const char *w = json_string_value(e);
		ws[k].subtopic = sub;
		if (!w || decimal_parse(w, DECIMAL_SCALE_WEIGHT, &ws[k].weight) != DECIMAL_OK) {
			snprintf(err, errlen, "weight of %s is not a decimal with at most 6 places", sub);
			goto done;
		}
		k++;
	}
	st = SCORE_ERR_INVALID_BANDS;
	json_array_foreach(bands, i, e)
	{
		const char *min = json_string_value(json_object_get(e, "min"));
		bs[i].score = (int)json_integer_value(json_object_get(e, "score"));
		if (!min || decimal_parse(min, 0, &bs[i].min) != DECIMAL_OK) {
			snprintf(err, errlen, "band thresholds must be whole numbers");
			goto done;
		}
	}
	/* No weights at all for the item and level: equal weights (SPEC §3.1's default). */
	st = score_attempt(qs, nq, nw ? ws : NULL, nw, bs, nb, res);
	if (st != SCORE_OK) {
		snprintf(err, errlen, "scoring failed: %s", score_status_str(st));
		goto done;
	}
	json_t *subs = json_array(), *per_question = json_object();
	for (size_t s = 0; s < res->n_subtopics; s++) {
		const struct score_subtopic_result *r = &res->subtopics[s];
		json_array_append_new(subs, json_pack("{s:s,s:I,s:o,s:o,s:o,s:o}", "subtopic", r->subtopic, "questions",
						      (json_int_t)r->questions, "earned",
						      decimal_json(r->earned, DECIMAL_SCALE_CENTS, false), "possible",
						      decimal_json(r->possible, DECIMAL_SCALE_CENTS, false), "score",
						      decimal_json(r->score, DECIMAL_SCALE_CENTS, false), "weight",
						      decimal_json(r->weight, DECIMAL_SCALE_WEIGHT, true)));
	}
	json_array_foreach(questions, i, e)
	{
		bool right = false;
		if (score_question_correct(&qs[i], &right) != SCORE_OK)
			right = false;
		char id[32];
		snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(e, "id")));
		json_object_set_new(per_question, id,
				    decimal_json(right ? qs[i].points : 0, DECIMAL_SCALE_CENTS, false));
	}
	const char *name = score_band_name_zh(res->band);
	*out = json_pack("{s:o,s:I,s:i,s:s,s:b,s:o,s:o}", "standard_score",
			 decimal_json(res->standard, DECIMAL_SCALE_CENTS, false), "rounded", (json_int_t)res->rounded,
			 "band", res->band, "band_name_zh", name ? name : "", "equal_weights", res->equal_weights,
			 "subtopic_scores", subs, "question_scores", per_question);
	st = *out ? SCORE_OK : SCORE_ERR_NOMEM;
done:
	free(qs);
	free(accepted);
	free(ws);
	free(res);
	free(correct);
	return st;
}

/* Splits s at the next tab into a NUL-terminated field of at most cap bytes; false when missing. */
static const char *next_field(const char *s, const char *end, char sep, char *out, size_t cap)
{
	const char *p = memchr(s, sep, (size_t)(end - s));
	if (!p)
		p = end;
	size_t len = (size_t)(p - s);
	if (len >= cap)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return p < end ? p + 1 : p;
}

static json_t *load_any(const char *text, size_t len)
{
	json_error_t jerr;
	return json_loadb(text, len, JSON_DECODE_ANY, &jerr);
}

json_t *attempt_input_from_text(const char *text, char *err, size_t errlen)
{
	const char *line = text, *end;
	json_t *in = json_object(), *questions = json_array();
	char status[32], digest[32];
	if (!in || !questions || !text)
		goto fail_nomem;
	json_object_set_new(in, "questions", questions);
	/* head line */
	end = strchr(line, '\n');
	if (!end)
		end = line + strlen(line);
	const char *p = next_field(line, end, '\t', status, sizeof status);
	p = p ? next_field(p, end, '\t', digest, sizeof digest) : NULL;
	const char *tab = p ? memchr(p, '\t', (size_t)(end - p)) : NULL;
	json_t *weights = tab ? load_any(p, (size_t)(tab - p)) : NULL;
	json_t *bands = tab ? load_any(tab + 1, (size_t)(end - tab - 1)) : NULL;
	if (!weights || !bands || !json_is_object(weights) || !json_is_array(bands)) {
		json_decref(weights);
		json_decref(bands);
		snprintf(err, errlen, "bad head line");
		goto fail;
	}
	json_object_set_new(in, "status", json_string(status));
	json_object_set_new(in, "answers_version", json_string(digest));
	json_object_set_new(in, "weights", weights);
	json_object_set_new(in, "bands", bands);
	while (*end == '\n') {
		line = end + 1;
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		char id[24], subtopic[128], type[16], points[32];
		p = next_field(line, end, '\t', id, sizeof id);
		p = p ? next_field(p, end, '\t', subtopic, sizeof subtopic) : NULL;
		p = p ? next_field(p, end, '\t', type, sizeof type) : NULL;
		p = p ? next_field(p, end, '\t', points, sizeof points) : NULL;
		/* key and answer are JSON texts: JSON escapes tabs inside strings, so the next tab ends the key */
		tab = p ? memchr(p, '\t', (size_t)(end - p)) : NULL;
		json_t *key = tab ? load_any(p, (size_t)(tab - p)) : NULL;
		json_t *answer = tab && end > tab + 1 ? load_any(tab + 1, (size_t)(end - tab - 1)) : json_null();
		char *idend;
		long long qid = strtoll(id, &idend, 10);
		if (!key || !answer || *idend || !*id) {
			json_decref(key);
			json_decref(answer);
			snprintf(err, errlen, "bad question line %zu", json_array_size(questions) + 1);
			goto fail;
		}
		json_t *q = json_pack("{s:I,s:s,s:s,s:s,s:o,s:o}", "id", (json_int_t)qid, "subtopic", subtopic, "type",
				      type, "points", points, "key", key, "answer", answer);
		if (!q || json_array_append_new(questions, q))
			goto fail_nomem;
	}
	return in;
fail_nomem:
	snprintf(err, errlen, "out of memory");
fail:
	if (in)
		json_decref(in);
	else
		json_decref(questions);
	return NULL;
}

/* ------------------------------------------------------------------ answers checked before saving */

bool attempt_qtype_parse(const char *text, enum attempt_qtype *out)
{
	static const char *const names[] = {"single", "multiple", "truefalse", "fill"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(text, names[i])) {
			*out = (enum attempt_qtype)i;
			return true;
		}
	return false;
}

/* The label of a one-letter string from 'A' to last, or 0. */
static char answer_label(const json_t *v, char last)
{
	if (!json_is_string(v) || json_string_length(v) != 1)
		return 0;
	char c = json_string_value(v)[0];
	return c >= 'A' && c <= last ? c : 0;
}

/* Code points of valid UTF-8 (jansson only holds valid UTF-8). */
static size_t utf8_count(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

char *attempt_answer_normal(enum attempt_qtype type, int n_options, const json_t *answer)
{
	if (!answer)
		return NULL;
	if (json_is_null(answer))
		return strdup("null");
	char last = (char)('A' + (n_options < 1 ? 1 : n_options > 26 ? 26 : n_options) - 1);
	switch (type) {
	case ATTEMPT_Q_SINGLE: {
		char c = answer_label(answer, last);
		if (!c)
			return NULL;
		char *text = malloc(4);
		if (text)
			snprintf(text, 4, "\"%c\"", c);
		return text;
	}
	case ATTEMPT_Q_MULTIPLE: {
		size_t n = json_array_size(answer);
		if (!json_is_array(answer) || n == 0 || n > 26)
			return NULL;
		bool seen[26] = {false};
		for (size_t i = 0; i < n; i++) {
			char c = answer_label(json_array_get(answer, i), last);
			if (!c || seen[c - 'A'])
				return NULL;
			seen[c - 'A'] = true;
		}
		char *text = malloc(2 + 4 * n + 1), *p = text;
		if (!text)
			return NULL;
		*p++ = '[';
		for (int c = 0; c < 26; c++)
			if (seen[c]) {
				if (p > text + 1)
					*p++ = ',';
				*p++ = '"';
				*p++ = (char)('A' + c);
				*p++ = '"';
			}
		*p++ = ']';
		*p = '\0';
		return text;
	}
	case ATTEMPT_Q_TRUEFALSE:
		return json_is_boolean(answer) ? strdup(json_is_true(answer) ? "true" : "false") : NULL;
	case ATTEMPT_Q_FILL:
		/* A text with NUL in it is left to the database (jsonb refuses \u0000). */
		if (!json_is_string(answer) || strlen(json_string_value(answer)) != json_string_length(answer) ||
		    utf8_count(json_string_value(answer), json_string_length(answer)) > 1000)
			return NULL;
		return json_dumps(answer, JSON_COMPACT | JSON_ENCODE_ANY);
	}
	return NULL;
}
