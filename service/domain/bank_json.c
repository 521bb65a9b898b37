/* Bank files as JSON: an array of question objects into row_in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/bank_parse.h"
#include "domain/csv.h"

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
		bank_add_error(x, row, "", "question must be a JSON object");
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
				bank_add_error(x, row, "options", "options must be an array of strings");
				in.bad_options = true;
				continue;
			}
			if (json_array_size(v) > BANK_MAX_OPTIONS) {
				bank_add_error(x, row, "options", "at most %d options are allowed, got %zu",
					       BANK_MAX_OPTIONS, json_array_size(v));
				in.bad_options = true;
				continue;
			}
			size_t i;
			json_t *o;
			json_array_foreach(v, i, o)
			{
				if (!json_is_string(o)) {
					bank_add_error(x, row, "options", "option %zu must be a string", i + 1);
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
		if (strcmp(key, "id") == 0 || strcmp(key, "version") == 0 || strcmp(key, "active") == 0)
			continue;
		int f = bank_field_find(key, strlen(key));
		if (f < 0) {
			bank_add_error(x, row, key, "unknown field '%s'", import_clip(key, vb));
			continue;
		}
		if (bank_is_option(f)) {
			bank_add_error(x, row, key, "use the options array instead of field '%s'",
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
					bank_add_error(x, row, "answer", "answer list has more than %d entries",
						       BANK_MAX_FILL_ANSWERS);
					in.bad[F_ANSWER] = true;
					continue;
				}
				size_t i;
				json_t *o;
				json_array_foreach(v, i, o)
				{
					if (!json_is_string(o)) {
						bank_add_error(x, row, "answer",
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
				bank_add_error(x, row, "answer",
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
			bank_add_error(x, row, bank_fields[f].name, "%s must be a string", bank_fields[f].name);
			in.bad[f] = true;
		}
	}
	bank_validate_row(x, &in, errors_before);
}

enum bank_status bank_parse_json(const struct catalog *cat, const char *buf, size_t len, struct bank *out)
{
	memset(out, 0, sizeof *out);
	struct ctx x = {.cat = cat, .b = out};
	if (!cat) {
		bank_add_error(&x, 0, "", "no competency model loaded");
		return bank_finish(&x);
	}
	json_error_t jerr;
	json_t *root = json_loadb(buf ? buf : "", buf ? len : 0, 0, &jerr);
	if (!root) {
		bank_add_error(&x, 0, "", "invalid JSON on line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return bank_finish(&x);
	}
	json_t *qs = root;
	if (json_is_object(root))
		qs = json_object_get(root, "questions");
	if (!json_is_array(qs)) {
		bank_add_error(&x, 0, "questions", "expected an object {\"questions\": [...]}");
		goto done;
	}
	if (json_array_size(qs) == 0) {
		bank_add_error(&x, 0, "questions", "the file has no questions");
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
	return bank_finish(&x);
}
