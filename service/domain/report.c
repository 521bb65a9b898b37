/* A4 PDF reports with cairo, pango and librsvg (see report.h). */
#include "domain/report.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <librsvg/rsvg.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

#define PAGE_W 595.28 /* A4 in points */
#define PAGE_H 841.89
#define MARGIN 42.0
#define BODY_W (PAGE_W - 2 * MARGIN)
#define BOTTOM (PAGE_H - MARGIN - 18.0) /* room for the footer */
#define CELL_PAD 3.0
#define MAX_COLUMNS 12

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length)
{
	return strbuf_put(closure, (const char *)data, length) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

struct page {
	cairo_t *cr;
	PangoLayout *layout;
	PangoFontDescription *font;
	double y;
	int number;
	const char *footer;
};

static void set_font(struct page *p, double size, bool bold)
{
	pango_font_description_set_absolute_size(p->font, size * PANGO_SCALE);
	pango_font_description_set_weight(p->font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(p->layout, p->font);
}

/* Lays text out in width points; returns its height. */
static double layout_text(struct page *p, const char *text, double width)
{
	int w, h;
	pango_layout_set_width(p->layout, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(p->layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(p->layout, text ? text : "", -1);
	pango_layout_get_size(p->layout, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void show_text(struct page *p, const char *text, double x, double y, double width)
{
	layout_text(p, text, width);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, p->layout);
}

static void page_footer(struct page *p)
{
	char num[32];
	snprintf(num, sizeof num, "第 %d 页", p->number);
	set_font(p, 7.5, false);
	cairo_set_source_rgb(p->cr, 0.4, 0.4, 0.4);
	if (p->footer)
		show_text(p, p->footer, MARGIN, PAGE_H - MARGIN, BODY_W - 60);
	pango_layout_set_alignment(p->layout, PANGO_ALIGN_RIGHT);
	show_text(p, num, MARGIN, PAGE_H - MARGIN, BODY_W);
	pango_layout_set_alignment(p->layout, PANGO_ALIGN_LEFT);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void new_page(struct page *p)
{
	page_footer(p);
	cairo_show_page(p->cr);
	p->number++;
	p->y = MARGIN;
}

/* Makes room for h points, starting a page when they do not fit (unless the page is empty). */
static void need(struct page *p, double h)
{
	if (p->y + h > BOTTOM && p->y > MARGIN + 1)
		new_page(p);
}

static void paragraph(struct page *p, const char *text, double size, bool bold, double indent)
{
	set_font(p, size, bold);
	double h = layout_text(p, text, BODY_W - indent);
	need(p, h);
	show_text(p, text, MARGIN + indent, p->y, BODY_W - indent);
	p->y += h + size * 0.35;
}

static bool draw_svg(struct page *p, const char *svg, double max_h, char *err, size_t errlen)
{
	GError *gerr = NULL;
	RsvgHandle *h = rsvg_handle_new_from_data((const guint8 *)svg, strlen(svg), &gerr);
	if (!h) {
		snprintf(err, errlen, "chart: %s", gerr ? gerr->message : "unreadable SVG");
		if (gerr)
			g_error_free(gerr);
		return false;
	}
	need(p, max_h);
	RsvgRectangle vp = {MARGIN, p->y, BODY_W, max_h};
	bool ok = rsvg_handle_render_document(h, p->cr, &vp, &gerr);
	if (!ok) {
		snprintf(err, errlen, "chart: %s", gerr ? gerr->message : "not drawn");
		if (gerr)
			g_error_free(gerr);
	}
	g_object_unref(h);
	p->y += max_h + 8;
	return ok;
}

static double row_height(struct page *p, const char *const *cells, const double *w, size_t n)
{
	double h = 0;
	for (size_t c = 0; c < n; c++) {
		double ch = layout_text(p, cells[c], w[c] - 2 * CELL_PAD);
		if (ch > h)
			h = ch;
	}
	return h + 2 * CELL_PAD;
}

static void draw_row(struct page *p, const char *const *cells, const double *w, size_t n, double h, bool header)
{
	double x = MARGIN;
	if (header) {
		cairo_set_source_rgb(p->cr, 0.91, 0.93, 0.96);
		cairo_rectangle(p->cr, MARGIN, p->y, BODY_W, h);
		cairo_fill(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	}
	for (size_t c = 0; c < n; c++) {
		show_text(p, cells[c], x + CELL_PAD, p->y + CELL_PAD, w[c] - 2 * CELL_PAD);
		x += w[c];
	}
	cairo_set_source_rgb(p->cr, 0.75, 0.77, 0.8);
	cairo_set_line_width(p->cr, 0.5);
	cairo_move_to(p->cr, MARGIN, p->y + h);
	cairo_line_to(p->cr, MARGIN + BODY_W, p->y + h);
	cairo_stroke(p->cr);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	p->y += h;
}

static bool table(struct page *p, const json_t *t, char *err, size_t errlen)
{
	const json_t *cols = json_object_get(t, "columns"), *widths = json_object_get(t, "widths");
	const json_t *rows = json_object_get(t, "rows");
	size_t n = json_array_size(cols);
	if (!json_is_array(cols) || n == 0 || n > MAX_COLUMNS || !json_is_array(rows) ||
	    (widths && json_array_size(widths) != n)) {
		snprintf(err, errlen, "a table needs 1-%d columns, rows, and one width per column", MAX_COLUMNS);
		return false;
	}
	double w[MAX_COLUMNS], sum = 0;
	const char *head[MAX_COLUMNS], *cells[MAX_COLUMNS];
	for (size_t c = 0; c < n; c++) {
		w[c] = widths ? json_number_value(json_array_get(widths, c)) : 1;
		if (w[c] <= 0)
			w[c] = 1;
		sum += w[c];
		head[c] = json_string_value(json_array_get(cols, c));
	}
	for (size_t c = 0; c < n; c++)
		w[c] = w[c] / sum * BODY_W;
	set_font(p, 8.5, true);
	double hh = row_height(p, head, w, n);
	need(p, hh * 2);
	draw_row(p, head, w, n, hh, true);
	size_t i;
	const json_t *row;
	json_array_foreach(rows, i, row)
	{
		for (size_t c = 0; c < n; c++)
			cells[c] = json_string_value(json_array_get(row, c));
		set_font(p, 8.5, false);
		double h = row_height(p, cells, w, n);
		if (p->y + h > BOTTOM) {
			new_page(p);
			set_font(p, 8.5, true);
			draw_row(p, head, w, n, hh, true);
			set_font(p, 8.5, false);
		}
		draw_row(p, cells, w, n, h, false);
	}
	p->y += 8;
	return true;
}

static bool render(struct page *p, const json_t *doc, char *err, size_t errlen)
{
	const char *title = json_string_value(json_object_get(doc, "title"));
	const json_t *sections = json_object_get(doc, "sections");
	if (!title || !json_is_array(sections)) {
		snprintf(err, errlen, "a report needs a title and sections");
		return false;
	}
	paragraph(p, title, 16, true, 0);
	const char *subtitle = json_string_value(json_object_get(doc, "subtitle"));
	if (subtitle)
		paragraph(p, subtitle, 10, false, 0);
	size_t i, k;
	const json_t *v, *s;
	json_array_foreach(json_object_get(doc, "meta"), i, v) paragraph(p, json_string_value(v), 9.5, false, 0);
	p->y += 4;
	const char *svg = json_string_value(json_object_get(doc, "svg"));
	if (svg) {
		double h = json_number_value(json_object_get(doc, "svg_height"));
		if (!draw_svg(p, svg, h > 50 && h < 700 ? h : 300, err, errlen))
			return false;
	}
	json_array_foreach(sections, i, s)
	{
		const char *heading = json_string_value(json_object_get(s, "heading"));
		if (heading) {
			need(p, 60);
			p->y += 4;
			paragraph(p, heading, 12, true, 0);
		}
		json_array_foreach(json_object_get(s, "paragraphs"), k, v)
			paragraph(p, json_string_value(v), 9.5, false, 0);
		json_array_foreach(json_object_get(s, "bullets"), k, v)
		{
			char line[4096];
			snprintf(line, sizeof line, "• %s", json_string_value(v) ? json_string_value(v) : "");
			paragraph(p, line, 9, false, 10);
		}
		const json_t *t = json_object_get(s, "table");
		if (t && !table(p, t, err, errlen))
			return false;
	}
	return true;
}

bool report_pdf(const json_t *doc, unsigned char **out, size_t *len, char *err, size_t errlen)
{
	struct strbuf sink = {0};
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	*err = '\0';
	*out = NULL;
	*len = 0;
	cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(sink_write, &sink, PAGE_W, PAGE_H);
	/* cairo 1.16 (Debian 12) keeps about 1.5 KB per PDF surface for good (two internal arrays its
	 * finish never frees); tests/lsan.supp names it so that the sanitizer runs stay clean. */
	cairo_t *cr = cairo_create(surface);
	/* The thread's own font map (pango keeps one per thread), so fonts are loaded once per thread:
	 * a new map per report would also grow cairo's font caches with every report. */
	PangoFontMap *fm = pango_cairo_font_map_get_default();
	PangoContext *ctx = pango_font_map_create_context(fm);
	pango_cairo_update_context(cr, ctx);
	PangoLanguage *zh = pango_language_from_string("zh-cn");
	pango_context_set_language(ctx, zh);
	struct page p = {cr,
			 pango_layout_new(ctx),
			 pango_font_description_from_string(REPORT_FONT " 10"),
			 MARGIN,
			 1,
			 json_string_value(json_object_get(doc, "footer"))};
	bool ok = render(&p, doc, err, errlen);
	if (ok) {
		page_footer(&p);
		cairo_show_page(cr);
	}
	pango_font_description_free(p.font);
	g_object_unref(p.layout);
	g_object_unref(ctx);
	cairo_destroy(cr);
	cairo_surface_finish(surface);
	if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS || sink.failed) {
		if (ok)
			snprintf(err, errlen, "PDF: %s",
				 sink.failed ? "out of memory" : cairo_status_to_string(cairo_surface_status(surface)));
		ok = false;
	}
	cairo_surface_destroy(surface);
	if (!ok) {
		free(sink.buf);
		return false;
	}
	*out = (unsigned char *)sink.buf;
	*len = sink.len;
	return true;
}
