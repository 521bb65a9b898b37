/* Question bank parsing: the parse context, error collection, points and the public entry points.
 * Both file formats (bank_csv.c, bank_json.c) are reduced to the same row_in shape, so every rule of
 * SPEC §5 lives once, in bank_row.c; canonical forms and the content hash are in bank_canon.c. */
#include "domain/bank.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/bank_parse.h"
#include "domain/csv.h"

const struct bank_field bank_fields[F_COUNT] = {
	[F_ITEM] = {"item", "知识项", NULL, true},
	[F_SUBTOPIC] = {"subtopic", "知识点", NULL, true},
	[F_LEVEL] = {"level", "级别", NULL, true},
	[F_TYPE] = {"type", "题型", NULL, true},
	[F_STEM] = {"stem", "题干", NULL, true},
	[F_A + 0] = {"a", "选项A", NULL, false},
	[F_A + 1] = {"b", "选项B", NULL, false},
	[F_A + 2] = {"c", "选项C", NULL, false},
	[F_A + 3] = {"d", "选项D", NULL, false},
	[F_A + 4] = {"e", "选项E", NULL, false},
	[F_A + 5] = {"f", "选项F", NULL, false},
	[F_A + 6] = {"g", "选项G", NULL, false},
	[F_A + 7] = {"h", "选项H", NULL, false},
	[F_ANSWER] = {"answer", "答案", NULL, true},
	[F_POINTS] = {"points", "分值", "分数", false},
	[F_EXPLANATION] = {"explanation", "解析", NULL, false},
	[F_EXTERNAL_ID] = {"external_id", "编号", NULL, false},
};

/* ---- small helpers ---- */

int bank_field_find(const char *name, size_t len)
{
	for (int f = 0; f < F_COUNT; f++)
		if (import_name_is(bank_fields[f].name, name, len, true) ||
		    import_name_is(bank_fields[f].zh, name, len, false) ||
		    import_name_is(bank_fields[f].zh2, name, len, false))
			return f;
	return -1;
}

bool bank_is_option(int f)
{
	return f >= F_A && f <= F_H;
}

/* ---- string set (duplicate detection) ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

void bank_strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s->rows);
	memset(s, 0, sizeof *s);
}

static bool strset_grow(struct strset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	char **keys = calloc(cap, sizeof *keys);
	size_t *rows = calloc(cap, sizeof *rows);
	if (!keys || !rows) {
		free(keys);
		free(rows);
		return false;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->keys[i])
			continue;
		size_t j = (size_t)hash_str(s->keys[i]) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = s->keys[i];
		rows[j] = s->rows[i];
	}
	free(s->keys);
	free(s->rows);
	s->keys = keys;
	s->rows = rows;
	s->cap = cap;
	return true;
}

/* Takes ownership of key. Returns the row already holding key (key freed),
 * 0 when inserted; false only on out-of-memory. */
bool bank_strset_add(struct strset *s, char *key, size_t row, size_t *existing)
{
	*existing = 0;
	if ((s->count + 1) * 2 > s->cap && !strset_grow(s)) {
		free(key);
		return false;
	}
	size_t j = (size_t)hash_str(key) & (s->cap - 1);
	while (s->keys[j]) {
		if (strcmp(s->keys[j], key) == 0) {
			*existing = s->rows[j];
			free(key);
			return true;
		}
		j = (j + 1) & (s->cap - 1);
	}
	s->keys[j] = key;
	s->rows[j] = row;
	s->count++;
	return true;
}

/* ---- parse context and error collection ---- */

void bank_add_error(struct ctx *x, size_t row, const char *column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void bank_add_error(struct ctx *x, size_t row, const char *column, const char *fmt, ...)
{
	struct bank *b = x->b;
	struct row_error_list l = {&b->errors, &b->error_count, &b->error_cap, &b->error_total, BANK_MAX_ERRORS};
	va_list ap;
	va_start(ap, fmt);
	if (!row_errors_addv(&l, row, column, fmt, ap))
		x->nomem = true;
	va_end(ap);
}

void bank_question_free(struct bank_question *q)
{
	free(q->stem);
	for (size_t i = 0; i < BANK_MAX_OPTIONS; i++)
		free(q->options[i]);
	for (size_t i = 0; i < q->fill_count; i++)
		free(q->fill_answers[i]);
	free(q->fill_answers);
	free(q->explanation);
	free(q->external_id);
	memset(q, 0, sizeof *q);
}

bool bank_push_question(struct ctx *x, struct bank_question *q)
{
	struct bank *b = x->b;
	if (!import_grow((void **)&b->questions, &b->question_cap, b->question_count, sizeof *b->questions))
		return false;
	b->questions[b->question_count++] = *q;
	memset(q, 0, sizeof *q);
	return true;
}

void bank_free(struct bank *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->question_count; i++)
		bank_question_free(&b->questions[i]);
	free(b->questions);
	row_errors_free(b->errors, b->error_count);
	memset(b, 0, sizeof *b);
}

/* ---- points ---- */

bool bank_parse_points(const char *s, int64_t *centi, const char **why)
{
	static const char *not_number = "points must be a positive number such as 1 or 2.5";
	static const char *not_positive = "points must be greater than 0";
	static const char *too_large = "points must be at most 1000";
	size_t n;
	const char *p = catalog_trim(s ? s : "", s ? strlen(s) : 0, &n);
	const char *end = p + n;
	if (n > 1 && *p == '-' && p[1] >= '0' && p[1] <= '9') {
		/* A negative number deserves "greater than 0", not "not a number". */
		char tmp[64];
		int64_t ignored;
		size_t k = n - 1 < sizeof tmp - 1 ? n - 1 : sizeof tmp - 1;
		memcpy(tmp, p + 1, k);
		tmp[k] = '\0';
		const char *inner;
		bool num = k == n - 1 && (bank_parse_points(tmp, &ignored, &inner) || inner != not_number);
		*why = num ? not_positive : not_number;
		return false;
	}
	int64_t whole = 0;
	const char *ws = p;
	while (p < end && *p >= '0' && *p <= '9') {
		if (whole <= BANK_MAX_POINTS_CENTI)
			whole = whole * 10 + (*p - '0');
		p++;
	}
	if (p == ws) {
		*why = not_number;
		return false;
	}
	const char *fs = p;
	size_t fn = 0;
	if (p < end && *p == '.') {
		fs = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		fn = (size_t)(p - fs);
		if (fn == 0) {
			*why = not_number;
			return false;
		}
	}
	if (p != end) {
		*why = not_number;
		return false;
	}
	while (fn > 2 && fs[fn - 1] == '0') /* 2.500 is 2.5 */
		fn--;
	if (fn > 2) {
		*why = "points may have at most 2 decimals";
		return false;
	}
	int64_t frac = 0;
	for (size_t i = 0; i < 2; i++)
		frac = frac * 10 + (i < fn ? fs[i] - '0' : 0);
	if (whole > BANK_MAX_POINTS_CENTI / 100) {
		*why = too_large;
		return false;
	}
	int64_t v = whole * 100 + frac;
	if (v <= 0) {
		*why = not_positive;
		return false;
	}
	if (v > BANK_MAX_POINTS_CENTI) {
		*why = too_large;
		return false;
	}
	*centi = v;
	*why = NULL;
	return true;
}

json_t *bank_errors_to_json(const struct bank *b)
{
	return b ? row_errors_json(b->errors, b->error_count) : json_array();
}
