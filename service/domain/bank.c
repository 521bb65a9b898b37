/* Question bank parsing and validation. Both file formats are reduced to the
 * same row_in shape, so every rule of SPEC §5 lives in validate_row once. */
#include "domain/bank.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/csv.h"
#include "domain/textenc.h"

#define BANK_MAX_EXTERNAL_ID 256
#define BANK_MAX_FILL_ANSWERS 256

enum field {
	F_ITEM,
	F_SUBTOPIC,
	F_LEVEL,
	F_TYPE,
	F_STEM,
	F_A,
	F_H = F_A + BANK_MAX_OPTIONS - 1,
	F_ANSWER,
	F_POINTS,
	F_EXPLANATION,
	F_EXTERNAL_ID,
	F_COUNT
};

static const struct {
	const char *name;  /* the spec's column name, case-insensitive */
	const char *zh;    /* Chinese alias, exact */
	const char *zh2;   /* second alias, exact */
	bool required;
} fields[F_COUNT] = {
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

static int field_find(const char *name, size_t len)
{
	for (int f = 0; f < F_COUNT; f++)
		if (import_name_is(fields[f].name, name, len, true) || import_name_is(fields[f].zh, name, len, false) ||
		    import_name_is(fields[f].zh2, name, len, false))
			return f;
	return -1;
}

static bool is_option(int f)
{
	return f >= F_A && f <= F_H;
}


/* ---- string set (duplicate detection) ---- */

struct strset {
	char **keys;
	size_t *rows;
	size_t cap; /* power of two */
	size_t count;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static void strset_free(struct strset *s)
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
static bool strset_add(struct strset *s, char *key, size_t row, size_t *existing)
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

struct ctx {
	const struct catalog *cat;
	struct bank *b;
	bool nomem;
	bool stop;
	struct strset stems;
	struct strset external_ids;
};

static void add_error(struct ctx *x, size_t row, const char *column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_error(struct ctx *x, size_t row, const char *column, const char *fmt, ...)
{
	struct bank *b = x->b;
	struct row_error_list l = {&b->errors, &b->error_count, &b->error_cap, &b->error_total, BANK_MAX_ERRORS};
	va_list ap;
	va_start(ap, fmt);
	if (!row_errors_addv(&l, row, column, fmt, ap))
		x->nomem = true;
	va_end(ap);
}

static void question_free(struct bank_question *q)
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

static bool push_question(struct ctx *x, struct bank_question *q)
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
		question_free(&b->questions[i]);
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
		bool num = k == n - 1 && (bank_parse_points(tmp, &ignored, &inner) ||
					  inner != not_number);
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

/* ---- one row, whatever the file format ---- */

enum answer_kind { AIN_NONE, AIN_TEXT, AIN_BOOL, AIN_LIST };

struct row_in {
	size_t row;
	bool json;
	const char *f[F_COUNT]; /* raw values; NULL = absent (JSON: no a..h) */
	bool bad[F_COUNT];      /* already reported while extracting */
	/* JSON options */
	const char *opts[BANK_MAX_OPTIONS];
	size_t nopts;
	bool bad_options;
	/* answer (CSV: always text) */
	enum answer_kind akind;
	bool abool;
	const char **alist;
	size_t alist_n;
};

static const char *col_name(int f)
{
	return fields[f].name;
}

/* Letters "ACD", "A,C,D", "a c d", "A，C、D" into a mask. */
static bool parse_letters(struct ctx *x, size_t row, const char *s, unsigned *mask, bool single)
{
	char vb[72];
	unsigned m = 0;
	size_t count = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p == ',' || *p == ';' || *p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		/* U+FF0C fullwidth comma, U+3001 ideographic comma, U+FF1B semicolon */
		if ((p[0] == 0xEF && p[1] == 0xBC && (p[2] == 0x8C || p[2] == 0x9B)) ||
		    (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x81)) {
			p += 3;
			continue;
		}
		int c = *p;
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (c < 'A' || c >= 'A' + BANK_MAX_OPTIONS) {
			if (single)
				add_error(x, row, "answer",
					  "single answer must be one option letter A..H, got '%s'",
					  import_clip(s, vb));
			else
				add_error(x, row, "answer",
					  "multiple answer must be option letters like ACD or A,C,D, got '%s'",
					  import_clip(s, vb));
			return false;
		}
		unsigned bit = 1u << (c - 'A');
		if (m & bit) {
			add_error(x, row, "answer", "answer letter %c is given twice", c);
			return false;
		}
		m |= bit;
		count++;
		p++;
	}
	if (single && count != 1) {
		add_error(x, row, "answer", "single answer must be exactly one letter, got '%s'",
			  import_clip(s, vb));
		return false;
	}
	if (!single && count < 2) {
		add_error(x, row, "answer",
			  "multiple answer needs at least 2 distinct letters, got '%s'", import_clip(s, vb));
		return false;
	}
	*mask = m;
	return true;
}

static bool check_letters_have_options(struct ctx *x, size_t row, unsigned mask, unsigned given)
{
	for (int i = 0; i < BANK_MAX_OPTIONS; i++) {
		if ((mask & (1u << i)) && !(given & (1u << i))) {
			add_error(x, row, "answer", "answer letter %c has no option", 'A' + i);
			return false;
		}
	}
	return true;
}

static bool parse_truefalse(const char *s, bool *out)
{
	static const char *yes[] = {"true", "t", "对", "正确"};
	static const char *no[] = {"false", "f", "错", "错误"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool fill_add(struct bank_question *q, const char *s, size_t n, bool *nomem)
{
	char **a = realloc(q->fill_answers, (q->fill_count + 1) * sizeof *a);
	if (!a) {
		*nomem = true;
		return false;
	}
	q->fill_answers = a;
	char *d = strndup(s, n);
	if (!d) {
		*nomem = true;
		return false;
	}
	q->fill_answers[q->fill_count++] = d;
	return true;
}

static void validate_answer(struct ctx *x, const struct row_in *in, struct bank_question *q,
			    const char *text, bool bad, bool options_ok, unsigned given)
{
	size_t row = in->row;
	char vb[72];
	if (bad)
		return;
	if (in->akind == AIN_NONE || (in->akind == AIN_TEXT && !text) ||
	    (in->akind == AIN_LIST && in->alist_n == 0)) {
		add_error(x, row, "answer", "answer is required");
		return;
	}
	switch (q->type) {
	case CATALOG_QTYPE_SINGLE:
	case CATALOG_QTYPE_MULTIPLE: {
		bool single = q->type == CATALOG_QTYPE_SINGLE;
		unsigned mask = 0;
		if (in->akind == AIN_BOOL) {
			add_error(x, row, "answer", "a %s answer must be option letters, not true/false",
				  catalog_qtype_code(q->type));
			return;
		}
		if (in->akind == AIN_LIST) {
			if (single) {
				add_error(x, row, "answer",
					  "single answer must be one letter as a string, not a list");
				return;
			}
			for (size_t i = 0; i < in->alist_n; i++) {
				size_t n;
				const char *t = catalog_trim(in->alist[i], strlen(in->alist[i]), &n);
				int c = n == 1 ? (unsigned char)*t : 0;
				if (c >= 'a' && c <= 'z')
					c -= 'a' - 'A';
				if (c < 'A' || c >= 'A' + BANK_MAX_OPTIONS) {
					add_error(x, row, "answer",
						  "multiple answer list must hold single letters A..H, got '%s'",
						  import_clip(in->alist[i], vb));
					return;
				}
				if (mask & (1u << (c - 'A'))) {
					add_error(x, row, "answer", "answer letter %c is given twice", c);
					return;
				}
				mask |= 1u << (c - 'A');
			}
			if (in->alist_n < 2) {
				add_error(x, row, "answer",
					  "multiple answer needs at least 2 distinct letters");
				return;
			}
		} else if (!parse_letters(x, row, text, &mask, single)) {
			return;
		}
		/* With broken options the letters cannot be judged: no extra noise. */
		if (options_ok && !check_letters_have_options(x, row, mask, given))
			return;
		q->answer_mask = mask;
		return;
	}
	case CATALOG_QTYPE_TRUEFALSE:
		if (in->akind == AIN_BOOL) {
			q->answer_bool = in->abool;
			return;
		}
		if (in->akind != AIN_TEXT || !parse_truefalse(text, &q->answer_bool))
			add_error(x, row, "answer",
				  "truefalse answer must be true, false, T, F, 对 or 错, got '%s'",
				  in->akind == AIN_TEXT ? import_clip(text, vb) : "a list");
		return;
	case CATALOG_QTYPE_FILL:
		if (in->akind == AIN_BOOL) {
			add_error(x, row, "answer", "fill answer must be text, not true/false");
			return;
		}
		if (in->akind == AIN_LIST) {
			for (size_t i = 0; i < in->alist_n; i++) {
				size_t n;
				const char *t = catalog_trim(in->alist[i], strlen(in->alist[i]), &n);
				if (n == 0) {
					add_error(x, row, "answer", "fill answer %zu is empty", i + 1);
					return;
				}
				if (!fill_add(q, t, n, &x->nomem))
					return;
			}
		} else {
			const char *p = text;
			for (size_t k = 1;; k++) {
				const char *bar = strchr(p, '|');
				size_t len = bar ? (size_t)(bar - p) : strlen(p);
				size_t n;
				const char *t = catalog_trim(p, len, &n);
				if (n == 0) {
					add_error(x, row, "answer",
						  "fill answer alternative %zu is empty (check the '|' separators)",
						  k);
					return;
				}
				if (!fill_add(q, t, n, &x->nomem))
					return;
				if (!bar)
					break;
				p = bar + 1;
			}
		}
		if (q->fill_count > BANK_MAX_FILL_ANSWERS)
			add_error(x, row, "answer", "fill answer has more than %d alternatives",
				  BANK_MAX_FILL_ANSWERS);
		return;
	}
}

/* Errors found since errors_before (the row's start, so that errors found
 * while extracting the row count too) reject it. */
static void validate_row(struct ctx *x, const struct row_in *in, size_t errors_before)
{
	const struct catalog *cat = x->cat;
	size_t row = in->row;
	char vb[72], vb2[72];
	struct bank_question q = {.row = row, .points_centi = 100};
	char *t[F_COUNT] = {0};
	bool bad[F_COUNT];
	memcpy(bad, in->bad, sizeof bad);

	for (int f = 0; f < F_COUNT; f++) {
		t[f] = import_dup_trim(in->f[f], &x->nomem);
		size_t max = f == F_EXTERNAL_ID ? BANK_MAX_EXTERNAL_ID : BANK_MAX_TEXT;
		if (t[f] && strlen(t[f]) > max) {
			add_error(x, row, col_name(f), "%s is too long (at most %zu bytes)", col_name(f),
				  max);
			bad[f] = true;
		}
	}

	/* item */
	const struct catalog_item *item = NULL;
	if (!bad[F_ITEM]) {
		if (!t[F_ITEM]) {
			add_error(x, row, "item", "item is required");
		} else if (!(item = catalog_item_find(cat, t[F_ITEM]))) {
			add_error(x, row, "item", "unknown item '%s' (use an item code or its Chinese name)",
				  import_clip(t[F_ITEM], vb));
		} else if (item->assessment != CATALOG_ASSESS_EXAM) {
			add_error(x, row, "item",
				  "item %s (%s) is rated by behaviour, not by exam; questions are only for exam items",
				  item->code, item->name_zh);
			item = NULL;
		}
	}

	/* subtopic */
	if (!bad[F_SUBTOPIC]) {
		if (!t[F_SUBTOPIC]) {
			add_error(x, row, "subtopic", "subtopic is required");
		} else {
			const struct catalog_subtopic *any = catalog_subtopic_find_any(cat, t[F_SUBTOPIC]);
			if (!any) {
				if (item)
					add_error(x, row, "subtopic", "unknown subtopic '%s' for item %s",
						  import_clip(t[F_SUBTOPIC], vb), item->code);
				else
					add_error(x, row, "subtopic", "unknown subtopic '%s'",
						  import_clip(t[F_SUBTOPIC], vb));
			} else if (item && any->item != item) {
				add_error(x, row, "subtopic",
					  "subtopic %s belongs to item %s, not to item %s", any->code,
					  any->item->code, item->code);
			} else if (item) {
				q.subtopic = any;
			}
		}
	}

	/* level */
	if (!bad[F_LEVEL]) {
		if (!t[F_LEVEL])
			add_error(x, row, "level", "level is required");
		else if (!(q.level = catalog_level_find(cat, t[F_LEVEL])))
			add_error(x, row, "level",
				  "unknown level '%s' (use junior, intermediate, senior, expert or 初级, 中级, 高级, 资深)",
				  import_clip(t[F_LEVEL], vb));
	}

	/* type */
	bool type_ok = false;
	if (!bad[F_TYPE]) {
		if (!t[F_TYPE])
			add_error(x, row, "type", "type is required");
		else if (!(type_ok = catalog_qtype_find(t[F_TYPE], &q.type)))
			add_error(x, row, "type",
				  "unknown type '%s' (use single, multiple, truefalse, fill or 单选, 多选, 判断, 填空)",
				  import_clip(t[F_TYPE], vb));
	}

	/* stem */
	if (!bad[F_STEM] && !t[F_STEM])
		add_error(x, row, "stem", "stem is required");

	/* options: gather them as letters a.. whatever the format */
	char *opt[BANK_MAX_OPTIONS] = {0};
	bool options_bad = in->bad_options;
	if (in->json) {
		for (size_t i = 0; i < in->nopts; i++) {
			opt[i] = import_dup_trim(in->opts[i], &x->nomem);
			if (!opt[i]) {
				add_error(x, row, "options", "option %zu (%c) is empty", i + 1,
					  (int)('A' + i));
				options_bad = true;
			} else if (strlen(opt[i]) > BANK_MAX_TEXT) {
				add_error(x, row, "options", "option %zu is too long (at most %u bytes)",
					  i + 1, BANK_MAX_TEXT);
				options_bad = true;
			}
		}
	} else {
		for (int i = 0; i < BANK_MAX_OPTIONS; i++) {
			opt[i] = t[F_A + i];
			t[F_A + i] = NULL;
			if (bad[F_A + i])
				options_bad = true;
		}
	}
	unsigned given = 0;
	int last = -1;
	for (int i = 0; i < BANK_MAX_OPTIONS; i++) {
		if (opt[i]) {
			given |= 1u << i;
			last = i;
		}
	}
	size_t errors_before_options = x->b->error_total;
	if (type_ok && !options_bad) {
		bool choice = q.type == CATALOG_QTYPE_SINGLE || q.type == CATALOG_QTYPE_MULTIPLE;
		if (choice) {
			int gap = -1;
			for (int i = 0; i < last; i++) {
				if (!opt[i]) {
					gap = i;
					break;
				}
			}
			if (gap >= 0 && !in->json) {
				add_error(x, row, fields[F_A + gap].name,
					  "option %c is empty but option %c is given; options must be contiguous from a",
					  'a' + gap, 'a' + last);
			} else if (last + 1 < 2) {
				add_error(x, row, in->json ? "options" : (last < 0 ? "a" : "b"),
					  "a %s question needs at least 2 options, got %d",
					  catalog_qtype_code(q.type), last + 1);
			} else if (gap < 0) {
				q.option_count = (size_t)last + 1;
				for (size_t i = 0; i < q.option_count; i++) {
					q.options[i] = opt[i];
					opt[i] = NULL;
				}
			}
		} else if (last >= 0) {
			int first = __builtin_ctz(given);
			add_error(x, row, in->json ? "options" : fields[F_A + first].name,
				  "a %s question takes no options, but option %c is given",
				  catalog_qtype_code(q.type), 'a' + first);
		}
	}
	for (int i = 0; i < BANK_MAX_OPTIONS; i++)
		free(opt[i]);
	bool options_ok = !options_bad && x->b->error_total == errors_before_options;

	/* answer */
	if (type_ok)
		validate_answer(x, in, &q, t[F_ANSWER], bad[F_ANSWER], options_ok, given);
	else if (!bad[F_ANSWER] && in->akind == AIN_NONE)
		add_error(x, row, "answer", "answer is required");
	else if (!bad[F_ANSWER] && in->akind == AIN_TEXT && !t[F_ANSWER])
		add_error(x, row, "answer", "answer is required");

	/* points */
	if (!bad[F_POINTS] && t[F_POINTS]) {
		const char *why;
		if (!bank_parse_points(t[F_POINTS], &q.points_centi, &why))
			add_error(x, row, "points", "%s, got '%s'", why, import_clip(t[F_POINTS], vb));
	}

	/* duplicates within the file */
	if (!bad[F_EXTERNAL_ID] && t[F_EXTERNAL_ID]) {
		char *key = strdup(t[F_EXTERNAL_ID]);
		size_t prev = 0;
		if (!key || !strset_add(&x->external_ids, key, row, &prev))
			x->nomem = true;
		else if (prev)
			add_error(x, row, "external_id", "external_id '%s' is already used by row %zu",
				  import_clip(t[F_EXTERNAL_ID], vb), prev);
	}
	if (q.subtopic && q.level && t[F_STEM] && !bad[F_STEM]) {
		char *key = NULL;
		size_t prev = 0;
		if (asprintf(&key, "%s\x1f%s\x1f%s\x1f%s", q.subtopic->item->code, q.subtopic->code,
			     q.level->code, t[F_STEM]) < 0 ||
		    !strset_add(&x->stems, key, row, &prev))
			x->nomem = true;
		else if (prev)
			add_error(x, row, "stem",
				  "duplicate question: row %zu has the same item, subtopic, level and stem '%s'",
				  prev, import_clip(t[F_STEM], vb2));
	}

	if (x->b->error_total == errors_before && !x->nomem) {
		q.item = q.subtopic->item;
		q.stem = t[F_STEM];
		t[F_STEM] = NULL;
		q.explanation = t[F_EXPLANATION];
		t[F_EXPLANATION] = NULL;
		q.external_id = t[F_EXTERNAL_ID];
		t[F_EXTERNAL_ID] = NULL;
		if (x->b->question_count >= BANK_MAX_QUESTIONS) {
			add_error(x, row, "", "too many questions in one file (at most %d)",
				  BANK_MAX_QUESTIONS);
			x->stop = true;
		} else if (!push_question(x, &q)) {
			x->nomem = true;
		}
	}
	if (x->b->error_total != errors_before)
		x->b->rows_rejected++;
	question_free(&q);
	for (int f = 0; f < F_COUNT; f++)
		free(t[f]);
}

static enum bank_status finish(struct ctx *x)
{
	strset_free(&x->stems);
	strset_free(&x->external_ids);
	if (x->nomem)
		return BANK_NOMEM;
	return x->b->error_total ? BANK_INVALID : BANK_OK;
}

/* ---- CSV ---- */

#define COL_UNNAMED (-1)
#define COL_UNKNOWN (-2)

static enum bank_status bank_parse_csv_utf8(const struct catalog *cat, const char *buf, size_t len,
				struct bank *out)
{
	memset(out, 0, sizeof *out);
	struct ctx x = {.cat = cat, .b = out};
	struct csv_reader *r = NULL;
	int colmap[CSV_DEFAULT_MAX_COLUMNS];
	size_t ncols = 0;
	char vb[72];

	if (!cat) {
		add_error(&x, 0, "", "no competency model loaded");
		return finish(&x);
	}
	if (!csv_reader_new(buf, len, NULL, &r))
		return BANK_NOMEM;

	enum csv_status s = csv_next(r);
	if (s == CSV_END) {
		add_error(&x, 0, "", "the file is empty: expected a header row");
		goto done;
	}
	if (s != CSV_RECORD) {
		add_error(&x, 0, "", "CSV error in the header on line %zu: %s", csv_line(r),
			  csv_status_message(s));
		goto done;
	}

	/* Header: map each column to a field. */
	int seen[F_COUNT];
	for (int f = 0; f < F_COUNT; f++)
		seen[f] = -1;
	bool header_fatal = false;
	ncols = csv_field_count(r);
	for (size_t i = 0; i < ncols; i++) {
		size_t n;
		const char *raw = csv_field(r, i, &n);
		const char *name = catalog_trim(raw, n, &n);
		colmap[i] = COL_UNNAMED;
		if (n == 0)
			continue; /* allowed while its cells stay empty */
		int f = field_find(name, n);
		char *shown = strndup(name, n);
		if (!shown) {
			x.nomem = true;
			goto done;
		}
		if (f < 0) {
			add_error(&x, 0, shown, "unknown column '%s'", import_clip(shown, vb));
			colmap[i] = COL_UNKNOWN; /* reported once, its cells ignored */
		} else if (seen[f] >= 0) {
			add_error(&x, 0, fields[f].name, "column %s appears more than once (columns %d and %zu)",
				  fields[f].name, seen[f] + 1, i + 1);
			header_fatal = true;
		} else {
			seen[f] = (int)i;
			colmap[i] = f;
		}
		free(shown);
	}
	for (int f = 0; f < F_COUNT; f++) {
		if (fields[f].required && seen[f] < 0) {
			add_error(&x, 0, fields[f].name, "required column %s (%s) is missing",
				  fields[f].name, fields[f].zh);
			header_fatal = true;
		}
	}
	if (header_fatal)
		goto done;

	for (;;) {
		s = csv_next(r);
		if (s == CSV_END)
			break;
		size_t row = csv_record_number(r) - 1;
		if (s != CSV_RECORD) {
			size_t fi = csv_error_field(r);
			const char *column = "";
			if (fi >= 1 && fi <= ncols && colmap[fi - 1] >= 0)
				column = fields[colmap[fi - 1]].name;
			add_error(&x, row, column, "CSV error on line %zu: %s", csv_line(r),
				  csv_status_message(s));
			out->rows_seen++;
			out->rows_rejected++;
			break;
		}
		size_t nf = csv_field_count(r);
		struct row_in in = {.row = row, .akind = AIN_TEXT};
		bool any = false, stray = false;
		for (size_t i = 0; i < nf; i++) {
			size_t n;
			const char *v = csv_field(r, i, &n);
			size_t tn;
			(void)catalog_trim(v, n, &tn);
			if (tn > 0)
				any = true;
			/* An exported cell that Excel would run as a formula was written with a leading
			 * apostrophe (GET /questions?format=csv): the apostrophe is not part of the text. */
			if (v[0] == '\'' && v[1] && strchr("=+-@\t\r", v[1]))
				v++;
			if (i < ncols && colmap[i] >= 0)
				in.f[colmap[i]] = v;
			else if (tn > 0 && (i >= ncols || colmap[i] == COL_UNNAMED))
				stray = true;
		}
		if (!any)
			continue; /* a row of empty cells, as spreadsheets export */
		out->rows_seen++;
		size_t before = out->error_total;
		if (stray && nf > ncols)
			add_error(&x, row, "", "row has %zu fields but the header has %zu columns", nf,
				  ncols);
		else if (stray)
			add_error(&x, row, "", "row has a value in a column without a header name");
		validate_row(&x, &in, before);
		if (x.stop || x.nomem)
			break;
	}
	if (!x.nomem && out->rows_seen == 0 && out->error_total == 0)
		add_error(&x, 0, "", "the file has a header but no question rows");
done:
	csv_reader_free(r);
	return finish(&x);
}

/* ---- JSON ---- */

/* Converts a scalar JSON value to text for a text field. */
static const char *json_text(json_t *v, char buf[32])
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return NULL;
}

static void json_row(struct ctx *x, size_t row, json_t *obj)
{
	struct row_in in = {.row = row, .json = true, .akind = AIN_NONE};
	char numbuf[F_COUNT][32];
	const char *list[BANK_MAX_FILL_ANSWERS + 1];
	char vb[72];
	size_t errors_before = x->b->error_total;

	if (!json_is_object(obj)) {
		add_error(x, row, "", "question must be a JSON object");
		x->b->rows_rejected++;
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if (strcmp(key, "options") == 0 || strcmp(key, "选项") == 0) {
			if (json_is_null(v))
				continue;
			if (!json_is_array(v)) {
				add_error(x, row, "options", "options must be an array of strings");
				in.bad_options = true;
				continue;
			}
			if (json_array_size(v) > BANK_MAX_OPTIONS) {
				add_error(x, row, "options", "at most %d options are allowed, got %zu",
					  BANK_MAX_OPTIONS, json_array_size(v));
				in.bad_options = true;
				continue;
			}
			size_t i;
			json_t *o;
			json_array_foreach(v, i, o)
			{
				if (!json_is_string(o)) {
					add_error(x, row, "options", "option %zu must be a string", i + 1);
					in.bad_options = true;
					break;
				}
				in.opts[i] = json_string_value(o);
			}
			if (!in.bad_options)
				in.nopts = json_array_size(v);
			continue;
		}
		/* Fields that GET /questions returns: ignored so an export re-imports. */
		if (strcmp(key, "id") == 0 || strcmp(key, "version") == 0 ||
		    strcmp(key, "active") == 0)
			continue;
		int f = field_find(key, strlen(key));
		if (f < 0) {
			add_error(x, row, key, "unknown field '%s'", import_clip(key, vb));
			continue;
		}
		if (is_option(f)) {
			add_error(x, row, key, "use the options array instead of field '%s'",
				  import_clip(key, vb));
			in.bad_options = true;
			continue;
		}
		if (json_is_null(v))
			continue;
		if (f == F_ANSWER) {
			if (json_is_boolean(v)) {
				in.akind = AIN_BOOL;
				in.abool = json_is_true(v);
			} else if (json_is_array(v)) {
				size_t n = json_array_size(v);
				if (n > BANK_MAX_FILL_ANSWERS) {
					add_error(x, row, "answer", "answer list has more than %d entries",
						  BANK_MAX_FILL_ANSWERS);
					in.bad[F_ANSWER] = true;
					continue;
				}
				size_t i;
				json_t *o;
				json_array_foreach(v, i, o)
				{
					if (!json_is_string(o)) {
						add_error(x, row, "answer",
							  "answer list entry %zu must be a string", i + 1);
						in.bad[F_ANSWER] = true;
						break;
					}
					list[i] = json_string_value(o);
				}
				in.akind = AIN_LIST;
				in.alist = list;
				in.alist_n = n;
			} else if ((in.f[f] = json_text(v, numbuf[f]))) {
				in.akind = AIN_TEXT;
			} else {
				add_error(x, row, "answer",
					  "answer must be a string, a list of strings or true/false");
				in.bad[F_ANSWER] = true;
			}
			continue;
		}
		if (f == F_POINTS && json_is_real(v)) {
			/* 15 significant digits give back the decimal that was written. */
			snprintf(numbuf[f], sizeof numbuf[f], "%.15g", json_real_value(v));
			in.f[f] = numbuf[f];
			continue;
		}
		if (!(in.f[f] = json_text(v, numbuf[f]))) {
			add_error(x, row, fields[f].name, "%s must be a string", fields[f].name);
			in.bad[f] = true;
		}
	}
	validate_row(x, &in, errors_before);
}

enum bank_status bank_parse_json(const struct catalog *cat, const char *buf, size_t len,
				 struct bank *out)
{
	memset(out, 0, sizeof *out);
	struct ctx x = {.cat = cat, .b = out};
	if (!cat) {
		add_error(&x, 0, "", "no competency model loaded");
		return finish(&x);
	}
	json_error_t jerr;
	json_t *root = json_loadb(buf ? buf : "", buf ? len : 0, 0, &jerr);
	if (!root) {
		add_error(&x, 0, "", "invalid JSON on line %d, column %d: %s", jerr.line, jerr.column,
			  jerr.text);
		return finish(&x);
	}
	json_t *qs = root;
	if (json_is_object(root))
		qs = json_object_get(root, "questions");
	if (!json_is_array(qs)) {
		add_error(&x, 0, "questions", "expected an object {\"questions\": [...]}");
		goto done;
	}
	if (json_array_size(qs) == 0) {
		add_error(&x, 0, "questions", "the file has no questions");
		goto done;
	}
	size_t i;
	json_t *q;
	json_array_foreach(qs, i, q)
	{
		out->rows_seen++;
		json_row(&x, i + 1, q);
		if (x.stop || x.nomem)
			break;
	}
done:
	json_decref(root);
	return finish(&x);
}

/* ---- canonical forms ---- */

void bank_answer_letters(unsigned mask, char out[BANK_MAX_OPTIONS + 1])
{
	size_t n = 0;
	for (int i = 0; i < BANK_MAX_OPTIONS; i++)
		if (mask & (1u << i))
			out[n++] = (char)('A' + i);
	out[n] = '\0';
}

json_t *bank_answer_to_json(const struct bank_question *q)
{
	char letters[BANK_MAX_OPTIONS + 1];
	switch (q->type) {
	case CATALOG_QTYPE_SINGLE:
		bank_answer_letters(q->answer_mask, letters);
		return json_string(letters);
	case CATALOG_QTYPE_MULTIPLE: {
		json_t *a = json_array();
		bank_answer_letters(q->answer_mask, letters);
		for (size_t i = 0; a && letters[i]; i++) {
			char one[2] = {letters[i], '\0'};
			if (json_array_append_new(a, json_string(one)) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case CATALOG_QTYPE_TRUEFALSE:
		return json_boolean(q->answer_bool);
	case CATALOG_QTYPE_FILL: {
		json_t *a = json_array();
		for (size_t i = 0; a && i < q->fill_count; i++) {
			if (json_array_append_new(a, json_string(q->fill_answers[i])) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	}
	return NULL;
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *bank_question_to_json(const struct bank_question *q)
{
	if (!q || !q->item || !q->subtopic || !q->level)
		return NULL;
	json_t *options = json_array();
	for (size_t i = 0; options && i < q->option_count; i++) {
		if (json_array_append_new(options, json_string(q->options[i])) != 0) {
			json_decref(options);
			options = NULL;
		}
	}
	json_t *points = q->points_centi % 100 == 0
				 ? json_integer(q->points_centi / 100)
				 : json_real((double)q->points_centi / 100.0);
	json_t *answer = bank_answer_to_json(q);
	json_t *stem = json_string(q->stem);
	if (!options || !points || !answer || !stem) {
		json_decref(options);
		json_decref(points);
		json_decref(answer);
		json_decref(stem);
		return NULL;
	}
	/* json_pack's "o" steals the references, also on failure. */
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "item", q->item->code,
			 "subtopic", q->subtopic->code, "level", q->level->code, "type",
			 catalog_qtype_code(q->type), "stem", stem, "options", options, "answer",
			 answer, "points", points, "explanation", string_or_null(q->explanation),
			 "external_id", string_or_null(q->external_id));
}

/* Each value as "<length>:<bytes>\n" so no two different contents can
 * produce the same byte stream. */
static bool hash_put(EVP_MD_CTX *md, const char *tag, const char *s, size_t n)
{
	char head[64];
	int k = snprintf(head, sizeof head, "%s %zu:", tag, n);
	return EVP_DigestUpdate(md, head, (size_t)k) == 1 && EVP_DigestUpdate(md, s, n) == 1 &&
	       EVP_DigestUpdate(md, "\n", 1) == 1;
}

static bool hash_str_field(EVP_MD_CTX *md, const char *tag, const char *s)
{
	return hash_put(md, tag, s ? s : "", s ? strlen(s) : 0);
}

bool bank_question_content_hash(const struct bank_question *q, char out[BANK_HASH_HEX_LEN + 1])
{
	out[0] = '\0';
	if (!q || !q->item || !q->subtopic || !q->level)
		return false;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md)
		return false;
	bool ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	ok = ok && hash_str_field(md, "v", "examd-question-1");
	ok = ok && hash_str_field(md, "item", q->item->code);
	ok = ok && hash_str_field(md, "subtopic", q->subtopic->code);
	ok = ok && hash_str_field(md, "level", q->level->code);
	ok = ok && hash_str_field(md, "type", catalog_qtype_code(q->type));
	ok = ok && hash_str_field(md, "stem", q->stem);
	char num[32];
	snprintf(num, sizeof num, "%zu", q->option_count);
	ok = ok && hash_str_field(md, "options", num);
	for (size_t i = 0; ok && i < q->option_count; i++)
		ok = hash_str_field(md, "option", q->options[i]);
	switch (q->type) {
	case CATALOG_QTYPE_SINGLE:
	case CATALOG_QTYPE_MULTIPLE: {
		char letters[BANK_MAX_OPTIONS + 1];
		bank_answer_letters(q->answer_mask, letters);
		ok = ok && hash_str_field(md, "answer", letters);
		break;
	}
	case CATALOG_QTYPE_TRUEFALSE:
		ok = ok && hash_str_field(md, "answer", q->answer_bool ? "true" : "false");
		break;
	case CATALOG_QTYPE_FILL:
		snprintf(num, sizeof num, "%zu", q->fill_count);
		ok = ok && hash_str_field(md, "answers", num);
		for (size_t i = 0; ok && i < q->fill_count; i++)
			ok = hash_str_field(md, "answer", q->fill_answers[i]);
		break;
	}
	snprintf(num, sizeof num, "%" PRId64, q->points_centi);
	ok = ok && hash_str_field(md, "points_centi", num);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	ok = ok && EVP_DigestFinal_ex(md, digest, &dlen) == 1 && dlen == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return false;
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < dlen; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[2 * dlen] = '\0';
	return true;
}

json_t *bank_errors_to_json(const struct bank *b)
{
	return b ? row_errors_json(b->errors, b->error_count) : json_array();
}

/* UTF-8 (with or without a BOM) as it is; anything else is tried as GB18030/GBK (Excel's
 * "CSV (逗号分隔)" on Chinese Windows). */
enum bank_status bank_parse_csv(const struct catalog *cat, const char *buf, size_t len, struct bank *out)
{
	char *converted = NULL;
	size_t clen = 0;
	enum textenc enc = textenc_to_utf8(buf, len, &converted, &clen);
	if (enc == TEXTENC_NOMEM) {
		memset(out, 0, sizeof *out);
		return BANK_NOMEM;
	}
	enum bank_status s = converted ? bank_parse_csv_utf8(cat, converted, clen, out) : bank_parse_csv_utf8(cat, buf, len, out);
	free(converted);
	out->encoding = enc == TEXTENC_GB18030 ? "gb18030" : "utf-8";
	return s;
}
