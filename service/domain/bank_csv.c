/* Bank files as CSV (UTF-8, or GB18030/GBK from Excel): header mapping and rows into row_in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/bank_parse.h"
#include "domain/csv.h"
#include "domain/textenc.h"

/* ---- CSV ---- */

#define COL_UNNAMED (-1)
#define COL_UNKNOWN (-2)

static enum bank_status bank_parse_csv_utf8(const struct catalog *cat, const char *buf, size_t len, struct bank *out)
{
	memset(out, 0, sizeof *out);
	struct ctx x = {.cat = cat, .b = out};
	struct csv_reader *r = NULL;
	int colmap[CSV_DEFAULT_MAX_COLUMNS];
	size_t ncols = 0;
	char vb[72];

	if (!cat) {
		bank_add_error(&x, 0, "", "no competency model loaded");
		return bank_finish(&x);
	}
	if (!csv_reader_new(buf, len, NULL, &r))
		return BANK_NOMEM;

	enum csv_status s = csv_next(r);
	if (s == CSV_END) {
		bank_add_error(&x, 0, "", "the file is empty: expected a header row");
		goto done;
	}
	if (s != CSV_RECORD) {
		bank_add_error(&x, 0, "", "CSV error in the header on line %zu: %s", csv_line(r),
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
		int f = bank_field_find(name, n);
		char *shown = strndup(name, n);
		if (!shown) {
			x.nomem = true;
			goto done;
		}
		if (f < 0) {
			bank_add_error(&x, 0, shown, "unknown column '%s'", import_clip(shown, vb));
			colmap[i] = COL_UNKNOWN; /* reported once, its cells ignored */
		} else if (seen[f] >= 0) {
			bank_add_error(&x, 0, bank_fields[f].name,
				       "column %s appears more than once (columns %d and %zu)", bank_fields[f].name,
				       seen[f] + 1, i + 1);
			header_fatal = true;
		} else {
			seen[f] = (int)i;
			colmap[i] = f;
		}
		free(shown);
	}
	for (int f = 0; f < F_COUNT; f++) {
		if (bank_fields[f].required && seen[f] < 0) {
			bank_add_error(&x, 0, bank_fields[f].name, "required column %s (%s) is missing",
				       bank_fields[f].name, bank_fields[f].zh);
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
				column = bank_fields[colmap[fi - 1]].name;
			bank_add_error(&x, row, column, "CSV error on line %zu: %s", csv_line(r),
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
			bank_add_error(&x, row, "", "row has %zu fields but the header has %zu columns", nf, ncols);
		else if (stray)
			bank_add_error(&x, row, "", "row has a value in a column without a header name");
		bank_validate_row(&x, &in, before);
		if (x.stop || x.nomem)
			break;
	}
	if (!x.nomem && out->rows_seen == 0 && out->error_total == 0)
		bank_add_error(&x, 0, "", "the file has a header but no question rows");
done:
	csv_reader_free(r);
	return bank_finish(&x);
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
	enum bank_status s =
		converted ? bank_parse_csv_utf8(cat, converted, clen, out) : bank_parse_csv_utf8(cat, buf, len, out);
	free(converted);
	out->encoding = enc == TEXTENC_GB18030 ? "gb18030" : "utf-8";
	return s;
}
