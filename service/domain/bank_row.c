/* One bank row, whatever the file format: every rule of SPEC §5 (columns, types, options, answers,
 * points, duplicates). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/bank_parse.h"
#include "domain/csv.h"

/* ---- one row, whatever the file format ---- */

static const char *col_name(int f)
{
	return bank_fields[f].name;
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
				bank_add_error(x, row, "answer",
					       "single answer must be one option letter A..H, got '%s'",
					       import_clip(s, vb));
			else
				bank_add_error(x, row, "answer",
					       "multiple answer must be option letters like ACD or A,C,D, got '%s'",
					       import_clip(s, vb));
			return false;
		}
		unsigned bit = 1u << (c - 'A');
		if (m & bit) {
			bank_add_error(x, row, "answer", "answer letter %c is given twice", c);
			return false;
		}
		m |= bit;
		count++;
		p++;
	}
	if (single && count != 1) {
		bank_add_error(x, row, "answer", "single answer must be exactly one letter, got '%s'",
			       import_clip(s, vb));
		return false;
	}
	if (!single && count < 2) {
		bank_add_error(x, row, "answer", "multiple answer needs at least 2 distinct letters, got '%s'",
			       import_clip(s, vb));
		return false;
	}
	*mask = m;
	return true;
}

static bool check_letters_have_options(struct ctx *x, size_t row, unsigned mask, unsigned given)
{
	for (int i = 0; i < BANK_MAX_OPTIONS; i++) {
		if ((mask & (1u << i)) && !(given & (1u << i))) {
			bank_add_error(x, row, "answer", "answer letter %c has no option", 'A' + i);
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

static void validate_answer(struct ctx *x, const struct row_in *in, struct bank_question *q, const char *text, bool bad,
			    bool options_ok, unsigned given)
{
	size_t row = in->row;
	char vb[72];
	if (bad)
		return;
	if (in->akind == AIN_NONE || (in->akind == AIN_TEXT && !text) || (in->akind == AIN_LIST && in->alist_n == 0)) {
		bank_add_error(x, row, "answer", "answer is required");
		return;
	}
	switch (q->type) {
	case CATALOG_QTYPE_SINGLE:
	case CATALOG_QTYPE_MULTIPLE: {
		bool single = q->type == CATALOG_QTYPE_SINGLE;
		unsigned mask = 0;
		if (in->akind == AIN_BOOL) {
			bank_add_error(x, row, "answer", "a %s answer must be option letters, not true/false",
				       catalog_qtype_code(q->type));
			return;
		}
		if (in->akind == AIN_LIST) {
			if (single) {
				bank_add_error(x, row, "answer",
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
					bank_add_error(x, row, "answer",
						       "multiple answer list must hold single letters A..H, got '%s'",
						       import_clip(in->alist[i], vb));
					return;
				}
				if (mask & (1u << (c - 'A'))) {
					bank_add_error(x, row, "answer", "answer letter %c is given twice", c);
					return;
				}
				mask |= 1u << (c - 'A');
			}
			if (in->alist_n < 2) {
				bank_add_error(x, row, "answer", "multiple answer needs at least 2 distinct letters");
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
			bank_add_error(x, row, "answer",
				       "truefalse answer must be true, false, T, F, 对 or 错, got '%s'",
				       in->akind == AIN_TEXT ? import_clip(text, vb) : "a list");
		return;
	case CATALOG_QTYPE_FILL:
		if (in->akind == AIN_BOOL) {
			bank_add_error(x, row, "answer", "fill answer must be text, not true/false");
			return;
		}
		if (in->akind == AIN_LIST) {
			for (size_t i = 0; i < in->alist_n; i++) {
				size_t n;
				const char *t = catalog_trim(in->alist[i], strlen(in->alist[i]), &n);
				if (n == 0) {
					bank_add_error(x, row, "answer", "fill answer %zu is empty", i + 1);
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
					bank_add_error(
						x, row, "answer",
						"fill answer alternative %zu is empty (check the '|' separators)", k);
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
			bank_add_error(x, row, "answer", "fill answer has more than %d alternatives",
				       BANK_MAX_FILL_ANSWERS);
		return;
	}
}

/* Errors found since errors_before (the row's start, so that errors found
 * while extracting the row count too) reject it. */
void bank_validate_row(struct ctx *x, const struct row_in *in, size_t errors_before)
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
			bank_add_error(x, row, col_name(f), "%s is too long (at most %zu bytes)", col_name(f), max);
			bad[f] = true;
		}
	}

	/* item */
	const struct catalog_item *item = NULL;
	if (!bad[F_ITEM]) {
		if (!t[F_ITEM]) {
			bank_add_error(x, row, "item", "item is required");
		} else if (!(item = catalog_item_find(cat, t[F_ITEM]))) {
			bank_add_error(x, row, "item", "unknown item '%s' (use an item code or its Chinese name)",
				       import_clip(t[F_ITEM], vb));
		} else if (item->assessment != CATALOG_ASSESS_EXAM) {
			bank_add_error(
				x, row, "item",
				"item %s (%s) is rated by behaviour, not by exam; questions are only for exam items",
				item->code, item->name_zh);
			item = NULL;
		}
	}

	/* subtopic */
	if (!bad[F_SUBTOPIC]) {
		if (!t[F_SUBTOPIC]) {
			bank_add_error(x, row, "subtopic", "subtopic is required");
		} else {
			const struct catalog_subtopic *any = catalog_subtopic_find_any(cat, t[F_SUBTOPIC]);
			if (!any) {
				if (item)
					bank_add_error(x, row, "subtopic", "unknown subtopic '%s' for item %s",
						       import_clip(t[F_SUBTOPIC], vb), item->code);
				else
					bank_add_error(x, row, "subtopic", "unknown subtopic '%s'",
						       import_clip(t[F_SUBTOPIC], vb));
			} else if (item && any->item != item) {
				bank_add_error(x, row, "subtopic", "subtopic %s belongs to item %s, not to item %s",
					       any->code, any->item->code, item->code);
			} else if (item) {
				q.subtopic = any;
			}
		}
	}

	/* level */
	if (!bad[F_LEVEL]) {
		if (!t[F_LEVEL])
			bank_add_error(x, row, "level", "level is required");
		else if (!(q.level = catalog_level_find(cat, t[F_LEVEL])))
			bank_add_error(
				x, row, "level",
				"unknown level '%s' (use junior, intermediate, senior, expert or 初级, 中级, 高级, 资深)",
				import_clip(t[F_LEVEL], vb));
	}

	/* type */
	bool type_ok = false;
	if (!bad[F_TYPE]) {
		if (!t[F_TYPE])
			bank_add_error(x, row, "type", "type is required");
		else if (!(type_ok = catalog_qtype_find(t[F_TYPE], &q.type)))
			bank_add_error(
				x, row, "type",
				"unknown type '%s' (use single, multiple, truefalse, fill or 单选, 多选, 判断, 填空)",
				import_clip(t[F_TYPE], vb));
	}

	/* stem */
	if (!bad[F_STEM] && !t[F_STEM])
		bank_add_error(x, row, "stem", "stem is required");

	/* options: gather them as letters a.. whatever the format */
	char *opt[BANK_MAX_OPTIONS] = {0};
	bool options_bad = in->bad_options;
	if (in->json) {
		for (size_t i = 0; i < in->nopts; i++) {
			opt[i] = import_dup_trim(in->opts[i], &x->nomem);
			if (!opt[i]) {
				bank_add_error(x, row, "options", "option %zu (%c) is empty", i + 1, (int)('A' + i));
				options_bad = true;
			} else if (strlen(opt[i]) > BANK_MAX_TEXT) {
				bank_add_error(x, row, "options", "option %zu is too long (at most %u bytes)", i + 1,
					       BANK_MAX_TEXT);
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
				bank_add_error(
					x, row, bank_fields[F_A + gap].name,
					"option %c is empty but option %c is given; options must be contiguous from a",
					'a' + gap, 'a' + last);
			} else if (last + 1 < 2) {
				bank_add_error(x, row, in->json ? "options" : (last < 0 ? "a" : "b"),
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
			bank_add_error(x, row, in->json ? "options" : bank_fields[F_A + first].name,
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
		bank_add_error(x, row, "answer", "answer is required");
	else if (!bad[F_ANSWER] && in->akind == AIN_TEXT && !t[F_ANSWER])
		bank_add_error(x, row, "answer", "answer is required");

	/* points */
	if (!bad[F_POINTS] && t[F_POINTS]) {
		const char *why;
		if (!bank_parse_points(t[F_POINTS], &q.points_centi, &why))
			bank_add_error(x, row, "points", "%s, got '%s'", why, import_clip(t[F_POINTS], vb));
	}

	/* duplicates within the file */
	if (!bad[F_EXTERNAL_ID] && t[F_EXTERNAL_ID]) {
		char *key = strdup(t[F_EXTERNAL_ID]);
		size_t prev = 0;
		if (!key || !bank_strset_add(&x->external_ids, key, row, &prev))
			x->nomem = true;
		else if (prev)
			bank_add_error(x, row, "external_id", "external_id '%s' is already used by row %zu",
				       import_clip(t[F_EXTERNAL_ID], vb), prev);
	}
	if (q.subtopic && q.level && t[F_STEM] && !bad[F_STEM]) {
		char *key = NULL;
		size_t prev = 0;
		if (asprintf(&key, "%s\x1f%s\x1f%s\x1f%s", q.subtopic->item->code, q.subtopic->code, q.level->code,
			     t[F_STEM]) < 0 ||
		    !bank_strset_add(&x->stems, key, row, &prev))
			x->nomem = true;
		else if (prev)
			bank_add_error(x, row, "stem",
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
			bank_add_error(x, row, "", "too many questions in one file (at most %d)", BANK_MAX_QUESTIONS);
			x->stop = true;
		} else if (!bank_push_question(x, &q)) {
			x->nomem = true;
		}
	}
	if (x->b->error_total != errors_before)
		x->b->rows_rejected++;
	bank_question_free(&q);
	for (int f = 0; f < F_COUNT; f++)
		free(t[f]);
}

enum bank_status bank_finish(struct ctx *x)
{
	bank_strset_free(&x->stems);
	bank_strset_free(&x->external_ids);
	if (x->nomem)
		return BANK_NOMEM;
	return x->b->error_total ? BANK_INVALID : BANK_OK;
}
