/* Behaviour-rating import parsing and validation. CSV and JSON rows are both
 * reduced to one row_in shape, so every rule lives in validate_row once. */
#include "domain/ratings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/csv.h"
#include "domain/textenc.h"

enum field { F_EMPLOYEE, F_ITEM, F_SCORE, F_RELATION, F_PERIOD, F_RATED_LEVEL, F_RATED_AT, F_NOTE, F_RATER, F_COUNT };

static const struct {
	const char *name; /* the spec's column name, case-insensitive */
	const char *zh;   /* Chinese alias, exact */
	const char *zh2;  /* second alias, exact */
	bool required;
} fields[F_COUNT] = {
	[F_EMPLOYEE] = {"employee", "员工", NULL, true},
	[F_ITEM] = {"item", "能力项", "素质项", true},
	[F_SCORE] = {"score", "评分", "分数", true},
	[F_RELATION] = {"relation", "关系", "评价关系", false},
	[F_PERIOD] = {"period", "周期", "考核周期", true},
	[F_RATED_LEVEL] = {"rated_level", "评价级别", NULL, false},
	[F_RATED_AT] = {"rated_at", "评价时间", NULL, false},
	[F_NOTE] = {"note", "备注", NULL, false},
	[F_RATER] = {"rater", "评价人", NULL, false},
};

static const struct {
	const char *code;
	const char *zh;
} relations[] = {
	{"self", "自评"},        {"supervisor", "上级"}, {"peer", "同事"},
	{"subordinate", "下属"}, {"customer", "客户"},   {"hr", "人力资源"},
};

#define DEFAULT_RELATION "supervisor"

/* ---- small helpers ---- */

static int field_find(const char *name, size_t len)
{
	for (int f = 0; f < F_COUNT; f++)
		if (import_name_is(fields[f].name, name, len, true) || import_name_is(fields[f].zh, name, len, false) ||
		    import_name_is(fields[f].zh2, name, len, false))
			return f;
	return -1;
}

/* C0 controls, DEL and C1 controls (U+0080..U+009F); tab and line breaks
 * too unless allow_breaks. Input is valid UTF-8 (reader and jansson check). */
static bool has_control(const char *s, bool allow_breaks)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (allow_breaks && (*p == '\t' || *p == '\n' || *p == '\r'))
			continue;
		if (*p < 0x20 || *p == 0x7F)
			return true;
		if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			return true;
	}
	return false;
}

const char *ratings_relation_find(const char *s)
{
	if (!s)
		return NULL;
	size_t n;
	const char *t = catalog_trim(s, strlen(s), &n);
	for (size_t i = 0; i < sizeof relations / sizeof *relations; i++)
		if (import_name_is(relations[i].code, t, n, true) || import_name_is(relations[i].zh, t, n, false))
			return relations[i].code;
	return NULL;
}

/* ---- RFC 3339 ---- */

static bool digits(const char *p, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* NULL when s is a valid timestamp, else what is wrong with it. */
static const char *timestamp_problem(const char *s)
{
	static const char *format =
		"must be an RFC 3339 timestamp such as 2026-07-01T09:30:00+08:00 or 2026-07-01 01:30:00Z";
	int y, mo, d, h, mi, sec, oh, om;
	size_t n = strlen(s);
	/* YYYY-MM-DDTHH:MM:SS is 19 bytes; the zone is checked below. */
	if (n < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
	    !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
	    !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return format;
	const char *p = s + 19;
	if (*p == '.') {
		size_t k = 0;
		while (p[1 + k] >= '0' && p[1 + k] <= '9')
			k++;
		if (k == 0 || k > 9)
			return k == 0 ? format : "has more than 9 fractional digits";
		p += 1 + k;
	}
	if (*p == 'Z' || *p == 'z') {
		if (p[1] != '\0')
			return format;
		oh = om = 0;
	} else if (*p == '+' || *p == '-') {
		if (strlen(p) != 6 || p[3] != ':' || !digits(p + 1, 2, &oh) || !digits(p + 4, 2, &om))
			return format;
	} else {
		return *p == '\0' ? "needs a time zone: Z or an offset like +08:00" : format;
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return "is not a real calendar date";
	if (h > 23 || mi > 59 || sec > 59)
		return "is not a valid time of day (00:00:00 to 23:59:59)";
	if (oh > 23 || om > 59)
		return "has an invalid UTC offset";
	return NULL;
}

bool ratings_timestamp_valid(const char *s)
{
	return s && !timestamp_problem(s);
}

/* ---- parse context and error collection ---- */

struct ctx {
	const struct catalog *cat;
	struct rating_batch *b;
	bool nomem;
	bool stop;
};

static void add_error(struct ctx *x, size_t row, const char *column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_error(struct ctx *x, size_t row, const char *column, const char *fmt, ...)
{
	struct rating_batch *b = x->b;
	struct row_error_list l = {&b->errors, &b->error_count, &b->error_cap, &b->error_total, RATINGS_MAX_ERRORS};
	va_list ap;
	va_start(ap, fmt);
	if (!row_errors_addv(&l, row, column, fmt, ap))
		x->nomem = true;
	va_end(ap);
}

static void row_free(struct rating_row *r)
{
	free(r->employee);
	free(r->period);
	free(r->rated_at);
	free(r->note);
	free(r->rater);
	memset(r, 0, sizeof *r);
}

static bool push_row(struct ctx *x, struct rating_row *r)
{
	struct rating_batch *b = x->b;
	if (!import_grow((void **)&b->rows, &b->row_cap, b->count, sizeof *b->rows))
		return false;
	b->rows[b->count++] = *r;
	memset(r, 0, sizeof *r);
	return true;
}

void ratings_free(struct rating_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->count; i++)
		row_free(&b->rows[i]);
	free(b->rows);
	row_errors_free(b->errors, b->error_count);
	memset(b, 0, sizeof *b);
}

/* ---- one row, whatever the file format ---- */

struct row_in {
	size_t row;
	bool json;
	const char *f[F_COUNT]; /* raw text; NULL = absent (JSON: score is below) */
	bool bad[F_COUNT];      /* already reported while extracting */
	bool has_score;         /* JSON: an integer score was given */
	json_int_t score;
};

/* Checks a text field's length and characters; false when reported. */
static bool check_text(struct ctx *x, size_t row, int f, const char *v, size_t max, bool allow_breaks)
{
	if (strlen(v) > max) {
		add_error(x, row, fields[f].name, "%s is too long (at most %zu bytes)", fields[f].name, max);
		return false;
	}
	if (has_control(v, allow_breaks)) {
		add_error(x, row, fields[f].name, "%s must not contain control characters", fields[f].name);
		return false;
	}
	return true;
}

static void validate_score(struct ctx *x, const struct row_in *in, const char *text, struct rating_row *r)
{
	size_t row = in->row;
	char vb[72];
	if (in->bad[F_SCORE])
		return;
	if (in->json) {
		if (!in->has_score)
			add_error(x, row, "score", "score is required");
		else if (in->score < RATINGS_MIN_SCORE || in->score > RATINGS_MAX_SCORE)
			add_error(x, row, "score", "score must be from 0 to 6, got %" JSON_INTEGER_FORMAT, in->score);
		else
			r->score = (int)in->score;
		return;
	}
	if (!text) {
		add_error(x, row, "score", "score is required");
		return;
	}
	int v = 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9') {
			add_error(x, row, "score", "score must be a whole number from 0 to 6, got '%s'",
				  import_clip(text, vb));
			return;
		}
		if (v <= RATINGS_MAX_SCORE)
			v = v * 10 + (*p - '0');
	}
	if (v > RATINGS_MAX_SCORE) {
		add_error(x, row, "score", "score must be from 0 to 6, got '%s'", import_clip(text, vb));
		return;
	}
	r->score = v;
}

/* Errors found since errors_before (the row's start, so that errors found
 * while extracting the row count too) reject it. */
static void validate_row(struct ctx *x, const struct row_in *in, size_t errors_before)
{
	const struct catalog *cat = x->cat;
	size_t row = in->row;
	char vb[72];
	struct rating_row r = {.row = row, .relation = DEFAULT_RELATION};
	char *t[F_COUNT] = {0};
	const bool *bad = in->bad;

	for (int f = 0; f < F_COUNT; f++)
		t[f] = bad[f] ? NULL : import_dup_trim(in->f[f], &x->nomem);
	if (x->nomem)
		goto out;

	/* employee */
	if (!bad[F_EMPLOYEE]) {
		if (!t[F_EMPLOYEE])
			add_error(x, row, "employee", "employee is required");
		else if (!util_username_valid(t[F_EMPLOYEE]))
			add_error(
				x, row, "employee",
				"employee must be a username (1-64 letters, digits or _.@- starting with a letter or digit), got '%s'",
				import_clip(t[F_EMPLOYEE], vb));
	}

	/* item */
	if (!bad[F_ITEM]) {
		const struct catalog_item *item = NULL;
		if (!t[F_ITEM])
			add_error(x, row, "item", "item is required");
		else if (!(item = catalog_item_find(cat, t[F_ITEM])))
			add_error(x, row, "item", "unknown item '%s' (use a behaviour item code or its Chinese name)",
				  import_clip(t[F_ITEM], vb));
		else if (item->assessment != CATALOG_ASSESS_BEHAVIOUR)
			add_error(x, row, "item",
				  "item %s (%s) is a knowledge item scored by exams; it cannot be rated", item->code,
				  item->name_zh);
		else
			r.item = item;
	}

	validate_score(x, in, t[F_SCORE], &r);

	/* relation */
	if (!bad[F_RELATION] && t[F_RELATION] && !(r.relation = ratings_relation_find(t[F_RELATION])))
		add_error(
			x, row, "relation",
			"unknown relation '%s' (use self, supervisor, peer, subordinate, customer, hr or 自评, 上级, 同事, 下属, 客户, 人力资源)",
			import_clip(t[F_RELATION], vb));

	/* period */
	if (!bad[F_PERIOD]) {
		if (!t[F_PERIOD])
			add_error(x, row, "period", "period is required (e.g. 2026H2)");
		else
			(void)check_text(x, row, F_PERIOD, t[F_PERIOD], RATINGS_MAX_PERIOD, false);
	}

	/* rated_level */
	if (!bad[F_RATED_LEVEL] && t[F_RATED_LEVEL] && !(r.rated_level = catalog_level_find(cat, t[F_RATED_LEVEL])))
		add_error(x, row, "rated_level",
			  "unknown level '%s' (use junior, intermediate, senior, expert or 初级, 中级, 高级, 资深)",
			  import_clip(t[F_RATED_LEVEL], vb));

	/* rated_at */
	if (!bad[F_RATED_AT] && t[F_RATED_AT]) {
		const char *why = timestamp_problem(t[F_RATED_AT]);
		if (why)
			add_error(x, row, "rated_at", "rated_at %s, got '%s'", why, import_clip(t[F_RATED_AT], vb));
	}

	/* note, rater */
	if (!bad[F_NOTE] && t[F_NOTE])
		(void)check_text(x, row, F_NOTE, t[F_NOTE], RATINGS_MAX_NOTE, true);
	if (!bad[F_RATER] && t[F_RATER])
		(void)check_text(x, row, F_RATER, t[F_RATER], RATINGS_MAX_RATER, false);

	if (x->b->error_total == errors_before && !x->nomem) {
		r.employee = t[F_EMPLOYEE];
		r.period = t[F_PERIOD];
		r.rated_at = t[F_RATED_AT];
		r.note = t[F_NOTE];
		r.rater = t[F_RATER];
		t[F_EMPLOYEE] = t[F_PERIOD] = t[F_RATED_AT] = t[F_NOTE] = t[F_RATER] = NULL;
		if (!push_row(x, &r))
			x->nomem = true;
	}
out:
	if (x->b->error_total != errors_before)
		x->b->rows_rejected++;
	row_free(&r);
	for (int f = 0; f < F_COUNT; f++)
		free(t[f]);
}

static enum ratings_status finish(struct ctx *x)
{
	if (x->nomem)
		return RATINGS_NOMEM;
	return x->b->error_total ? RATINGS_INVALID : RATINGS_OK;
}

static void too_many_rows(struct ctx *x)
{
	add_error(x, 0, "", "too many ratings in one import (at most %d)", RATINGS_MAX_ROWS);
	x->stop = true;
}

/* ---- CSV ---- */

#define COL_UNNAMED (-1)
#define COL_UNKNOWN (-2)

static enum ratings_status ratings_parse_csv_utf8(const struct catalog *cat, const char *buf, size_t len,
						  struct rating_batch *out)
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
	if (!csv_reader_new(buf ? buf : "", buf ? len : 0, NULL, &r))
		return RATINGS_NOMEM;

	enum csv_status s = csv_next(r);
	if (s == CSV_END) {
		add_error(&x, 0, "", "the file is empty: expected a header row");
		goto done;
	}
	if (s != CSV_RECORD) {
		add_error(&x, 0, "", "CSV error in the header on line %zu: %s", csv_line(r), csv_status_message(s));
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
		if (f < 0) {
			char *shown = strndup(name, n);
			if (!shown) {
				x.nomem = true;
				goto done;
			}
			const char *c = import_clip(shown, vb);
			add_error(
				&x, 0, c,
				"unknown column '%s' (expected employee, item, score, relation, period, rated_level, rated_at, note, rater)",
				c);
			free(shown);
			colmap[i] = COL_UNKNOWN; /* reported once, its cells ignored */
		} else if (seen[f] >= 0) {
			add_error(&x, 0, fields[f].name, "column %s appears more than once (columns %d and %zu)",
				  fields[f].name, seen[f] + 1, i + 1);
			header_fatal = true;
		} else {
			seen[f] = (int)i;
			colmap[i] = f;
		}
	}
	for (int f = 0; f < F_COUNT; f++) {
		if (fields[f].required && seen[f] < 0) {
			add_error(&x, 0, fields[f].name, "required column %s (%s) is missing", fields[f].name,
				  fields[f].zh);
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
			add_error(&x, row, column, "CSV error on line %zu: %s", csv_line(r), csv_status_message(s));
			out->rows_seen++;
			out->rows_rejected++;
			break;
		}
		size_t nf = csv_field_count(r);
		struct row_in in = {.row = row};
		bool any = false, stray = false;
		for (size_t i = 0; i < nf; i++) {
			size_t n;
			const char *v = csv_field(r, i, &n);
			size_t tn;
			(void)catalog_trim(v, n, &tn);
			if (tn > 0)
				any = true;
			if (i < ncols && colmap[i] >= 0)
				in.f[colmap[i]] = v;
			else if (tn > 0 && (i >= ncols || colmap[i] == COL_UNNAMED))
				stray = true;
		}
		if (!any)
			continue; /* a row of empty cells, as spreadsheets export */
		if (out->rows_seen == RATINGS_MAX_ROWS) {
			too_many_rows(&x);
			break;
		}
		out->rows_seen++;
		size_t before = out->error_total;
		if (stray && nf > ncols)
			add_error(&x, row, "", "row has %zu fields but the header has %zu columns", nf, ncols);
		else if (stray)
			add_error(&x, row, "", "row has a value in a column without a header name");
		validate_row(&x, &in, before);
		if (x.stop || x.nomem)
			break;
	}
	if (!x.nomem && out->rows_seen == 0 && out->error_total == 0)
		add_error(&x, 0, "", "the file has a header but no rating rows");
done:
	csv_reader_free(r);
	return finish(&x);
}

/* ---- JSON ---- */

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a fractional number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

static void json_row(struct ctx *x, size_t row, json_t *obj)
{
	struct row_in in = {.row = row, .json = true};
	const char *given_as[F_COUNT] = {0};
	char vb[72], vb2[72];
	size_t errors_before = x->b->error_total;

	if (!json_is_object(obj)) {
		add_error(x, row, "", "each rating must be a JSON object, got %s", json_type_name(obj));
		x->b->rows_rejected++;
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		int f = field_find(key, strlen(key));
		if (f < 0) {
			const char *c = import_clip(key, vb);
			add_error(x, row, c, "unknown field '%s'", c);
			continue;
		}
		if (given_as[f]) {
			add_error(x, row, fields[f].name, "%s is given twice (as '%s' and '%s')", fields[f].name,
				  import_clip(given_as[f], vb), import_clip(key, vb2));
			in.bad[f] = true;
			continue;
		}
		given_as[f] = key;
		if (json_is_null(v))
			continue; /* the same as absent */
		if (f == F_SCORE) {
			if (json_is_integer(v)) {
				in.has_score = true;
				in.score = json_integer_value(v);
			} else if (json_is_real(v)) {
				/* 5.0 is shown as 5.0, not as 5, or the message makes no sense. */
				char num[40];
				snprintf(num, sizeof num, "%.15g", json_real_value(v));
				if (!strpbrk(num, ".eEni"))
					strcat(num, ".0");
				add_error(x, row, "score",
					  "score must be a whole number from 0 to 6 (a JSON integer), got %s", num);
				in.bad[f] = true;
			} else {
				add_error(x, row, "score", "score must be a JSON integer from 0 to 6, not %s",
					  json_type_name(v));
				in.bad[f] = true;
			}
			continue;
		}
		if (json_is_string(v)) {
			in.f[f] = json_string_value(v);
		} else {
			add_error(x, row, fields[f].name, "%s must be a string, not %s", fields[f].name,
				  json_type_name(v));
			in.bad[f] = true;
		}
	}
	validate_row(x, &in, errors_before);
}

enum ratings_status ratings_parse_json(const struct catalog *cat, const char *buf, size_t len, struct rating_batch *out)
{
	memset(out, 0, sizeof *out);
	struct ctx x = {.cat = cat, .b = out};
	char vb[72];
	if (!cat) {
		add_error(&x, 0, "", "no competency model loaded");
		return finish(&x);
	}
	json_error_t jerr;
	json_t *root = json_loadb(buf ? buf : "", buf ? len : 0, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root) {
		add_error(&x, 0, "", "invalid JSON on line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return finish(&x);
	}
	json_t *list = root;
	if (json_is_object(root)) {
		const char *key;
		json_t *v;
		json_object_foreach(root, key, v)
		{
			if (strcmp(key, "ratings") != 0) {
				const char *c = import_clip(key, vb);
				add_error(&x, 0, c, "unknown field '%s' (expected {\"ratings\": [...]})", c);
			}
		}
		list = json_object_get(root, "ratings");
		if (!list) {
			add_error(&x, 0, "ratings", "expected a JSON array of ratings or {\"ratings\": [...]}");
			goto done;
		}
		if (!json_is_array(list)) {
			add_error(&x, 0, "ratings", "ratings must be an array, not %s", json_type_name(list));
			goto done;
		}
	} else if (!json_is_array(root)) {
		add_error(&x, 0, "", "expected a JSON array of ratings or {\"ratings\": [...]}, got %s",
			  json_type_name(root));
		goto done;
	}
	if (json_array_size(list) == 0) {
		add_error(&x, 0, "", "the import has no ratings");
		goto done;
	}
	if (json_array_size(list) > RATINGS_MAX_ROWS) {
		too_many_rows(&x);
		goto done;
	}
	size_t i;
	json_t *one;
	json_array_foreach(list, i, one)
	{
		out->rows_seen++;
		json_row(&x, i + 1, one);
		if (x.stop || x.nomem)
			break;
	}
done:
	json_decref(root);
	return finish(&x);
}

/* ---- output ---- */

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *ratings_rows_json(const struct rating_batch *b, const char *default_rater)
{
	json_t *a = json_array();
	for (size_t i = 0; a && b && i < b->count; i++) {
		const struct rating_row *r = &b->rows[i];
		/* json_pack's "o" steals the references, also on failure. */
		json_t *o = json_pack("{s:I, s:s, s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:o}", "row", (json_int_t)r->row,
				      "employee", r->employee, "item", r->item->code, "score", r->score, "relation",
				      r->relation, "period", r->period, "rated_level",
				      string_or_null(r->rated_level ? r->rated_level->code : NULL), "rated_at",
				      string_or_null(r->rated_at), "note", string_or_null(r->note), "rater",
				      string_or_null(r->rater ? r->rater : default_rater));
		if (!o || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *ratings_errors_json(const struct rating_batch *b)
{
	return b ? row_errors_json(b->errors, b->error_count) : json_array();
}

/* UTF-8 (with or without a BOM) as it is; anything else is tried as GB18030/GBK (Excel's
 * "CSV (逗号分隔)" on Chinese Windows). */
enum ratings_status ratings_parse_csv(const struct catalog *cat, const char *buf, size_t len, struct rating_batch *out)
{
	char *converted = NULL;
	size_t clen = 0;
	enum textenc enc = textenc_to_utf8(buf, len, &converted, &clen);
	if (enc == TEXTENC_NOMEM) {
		memset(out, 0, sizeof *out);
		return RATINGS_NOMEM;
	}
	enum ratings_status s = converted ? ratings_parse_csv_utf8(cat, converted, clen, out)
					  : ratings_parse_csv_utf8(cat, buf, len, out);
	free(converted);
	out->encoding = enc == TEXTENC_GB18030 ? "gb18030" : "utf-8";
	return s;
}
