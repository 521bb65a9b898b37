/* Radar chart of a competency profile as SVG: rings 0..6, the standard (5) as
 * a red circle, actual values as a blue polygon, missing items marked grey. */
#include "domain/radar.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

#define RADAR_FONT "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"

#define COLOR_ACTUAL "#1f77b4"
#define COLOR_STANDARD "#d62728"
#define COLOR_MISSING "#9a9a9a"
#define COLOR_RING "#e0e0e0"
#define COLOR_RING_OUTER "#b8b8b8"
#define COLOR_AXIS "#d0d0d0"
#define COLOR_TEXT "#333333"
#define COLOR_SUBTEXT "#666666"

/* Labels keep at most this many code points before layout; beyond the
 * width budget they end in an ellipsis anyway. */
#define LABEL_MAX_CP 64u
/* A label wider than five CJK characters is wrapped onto two lines, and
 * one wider than two lines of LINE_MAX_EM is cut with an ellipsis. */
#define LABEL_WRAP_EM 5.0
#define LINE_MAX_EM 8.0

#define MISSING_TEXT "（无数据）"

/* Coordinates with one decimal; "-0.0" would be legal but looks careless. */
static void sb_num(struct strbuf *sb, double v)
{
	if (fabs(v) < 0.05)
		v = 0.0;
	strbuf_printf(sb, "%.1f", v);
}

/* ---- UTF-8 and XML text ------------------------------------------------- */

#define CP_REPLACEMENT 0xFFFDu

/* Decodes one code point at s (*s != 0) into *cp and returns the bytes used
 * (at least 1).  Malformed, overlong, surrogate and out-of-range sequences
 * become U+FFFD, one byte at a time. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1Fu;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0Fu;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07u;
		min = 0x10000;
	} else {
		*cp = CP_REPLACEMENT;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0u) != 0x80u) { /* also stops at the NUL */
			*cp = CP_REPLACEMENT;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*cp = CP_REPLACEMENT;
		return 1;
	}
	*cp = v;
	return len;
}

/* XML 1.0 forbids most C0 controls and U+FFFE/U+FFFF; line breaks inside a
 * label would only confuse the layout, so they become spaces. */
static uint32_t xml_safe(uint32_t cp)
{
	if (cp == '\t' || cp == '\n' || cp == '\r')
		return ' ';
	if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF)
		return CP_REPLACEMENT;
	return cp;
}

static void sb_put_cp(struct strbuf *sb, uint32_t cp)
{
	char out[4];
	size_t n;
	switch (cp) {
	case '&':
		strbuf_puts(sb, "&amp;");
		return;
	case '<':
		strbuf_puts(sb, "&lt;");
		return;
	case '>':
		strbuf_puts(sb, "&gt;");
		return;
	case '"':
		strbuf_puts(sb, "&quot;");
		return;
	case '\'':
		strbuf_puts(sb, "&apos;");
		return;
	default:
		break;
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		out[0] = (char)(0xF0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	strbuf_putn(sb, out, n);
}

/* The whole of s, escaped (for <title> and <desc>, which are not laid out). */
static void sb_put_text(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp;
		p += utf8_next(p, &cp);
		sb_put_cp(sb, xml_safe(cp));
	}
}

static void sb_put_cps(struct strbuf *sb, const uint32_t *cps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_put_cp(sb, cps[i]);
}

/* Advance width in em, estimated: no font metrics in a pure module, so CJK
 * and full-width forms count 1 em and everything else a generous 0.62. */
static double cp_em(uint32_t cp)
{
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
	    (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	    (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000)
		return 1.0;
	return 0.62;
}

static double cps_em(const uint32_t *cps, size_t n)
{
	double w = 0;
	for (size_t i = 0; i < n; i++)
		w += cp_em(cps[i]);
	return w;
}

static double str_em(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	double w = 0;
	while (*p) {
		uint32_t cp;
		p += utf8_next(p, &cp);
		w += cp_em(cp);
	}
	return w;
}

/* Decodes up to max code points of s; *more tells whether s went on. */
static size_t decode_cps(const char *s, uint32_t *cps, size_t max, bool *more)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	while (*p && n < max) {
		uint32_t cp;
		p += utf8_next(p, &cp);
		cps[n++] = xml_safe(cp);
	}
	*more = *p != '\0';
	return n;
}

/* Cuts cps so that it plus an ellipsis fits max_em; returns the new count
 * with the ellipsis appended (cps must have room for one more). */
static size_t cut_with_ellipsis(uint32_t *cps, size_t n, double max_em)
{
	double w = cp_em(0x2026);
	size_t keep = 0;
	while (keep < n && w + cp_em(cps[keep]) <= max_em)
		w += cp_em(cps[keep++]);
	while (keep > 0 && cps[keep - 1] == ' ')
		keep--;
	cps[keep] = 0x2026;
	return keep + 1;
}

/* ---- layout ------------------------------------------------------------- */

struct label_layout {
	uint32_t cps[LABEL_MAX_CP + 1];
	size_t ncp;
	size_t end1;   /* line 1 is cps[0, end1) */
	size_t start2; /* line 2 is cps[start2, ncp); == ncp for one line */
	double width;  /* px, widest line including the status line */
	double height;
};

struct geometry {
	double size, k; /* k: scale relative to the 600 px design */
	double cx, cy, r;
	double fs_label, lh_label, fs_status, lh_status, fs_ring, fs_title, fs_legend;
	double gap; /* from the outer ring to a label's anchor */
	double pad;
	double top, bottom; /* the band between title and legend */
};

static void layout_label(struct label_layout *ll, const struct radar_axis *ax, const struct geometry *g)
{
	bool more;
	ll->ncp = decode_cps(ax->label, ll->cps, LABEL_MAX_CP, &more);
	double w = cps_em(ll->cps, ll->ncp);
	if (more || w > 2 * LINE_MAX_EM) {
		ll->ncp = cut_with_ellipsis(ll->cps, ll->ncp, 2 * LINE_MAX_EM - 0.5);
		w = cps_em(ll->cps, ll->ncp);
	}
	ll->end1 = ll->start2 = ll->ncp;
	double line_em = w;
	if (w > LABEL_WRAP_EM) {
		/* Break where the first line reaches half the width, keeping it the
         * longer one (沟通倾听能力 -> 沟通倾 / 听能力); in Latin text at the
         * space nearest that point, if one is not too far from it. */
		double acc = 0;
		size_t i = 0;
		while (i < ll->ncp && acc + cp_em(ll->cps[i]) / 2 < w / 2)
			acc += cp_em(ll->cps[i++]);
		if (i == 0)
			i = 1;
		size_t end1 = i, start2 = i, best = SIZE_MAX;
		for (size_t j = 1; j + 1 < ll->ncp; j++) {
			if (ll->cps[j] != ' ')
				continue;
			size_t d = j > i ? j - i : i - j;
			if (d < best && d * 4 <= ll->ncp) {
				best = d;
				end1 = j;
				start2 = j + 1;
			}
		}
		ll->end1 = end1;
		ll->start2 = start2;
		double w1 = cps_em(ll->cps, end1), w2 = cps_em(ll->cps + start2, ll->ncp - start2);
		line_em = w1 > w2 ? w1 : w2;
	}
	size_t lines = ll->start2 < ll->ncp ? 2 : 1;
	double status_em = ax->has_value ? 3 * 0.62 : str_em(MISSING_TEXT);
	double lw = line_em * g->fs_label, sw = status_em * g->fs_status;
	ll->width = lw > sw ? lw : sw;
	ll->height = (double)lines * g->lh_label + g->lh_status;
}

enum anchor { ANCHOR_START, ANCHOR_MIDDLE, ANCHOR_END };

static enum anchor anchor_for(double dx)
{
	if (dx > 0.2)
		return ANCHOR_START;
	if (dx < -0.2)
		return ANCHOR_END;
	return ANCHOR_MIDDLE;
}

static const char *anchor_name(enum anchor a)
{
	return a == ANCHOR_START ? "start" : a == ANCHOR_END ? "end" : "middle";
}

static double anchor_offset(enum anchor a, double width)
{
	return a == ANCHOR_START ? 0.0 : a == ANCHOR_END ? -width : -width / 2;
}

static void axis_dir(size_t i, size_t n, double *dx, double *dy)
{
	double th = 2.0 * M_PI * (double)i / (double)n;
	*dx = sin(th);
	*dy = -cos(th); /* SVG y grows downwards; axis 0 points up */
}

/* A label block of height h whose anchor is at y: it sits above the anchor
 * at the top of the chart, below it at the bottom, centred at the sides. */
static double block_top(double y, double dy, double h)
{
	return y - h * (1.0 - dy) / 2.0;
}

/* The largest t (distance from the centre to a label anchor) along (dx, dy)
 * that keeps a box [off, off + w] x [top_off, top_off + h] around the anchor
 * inside the band; each edge is linear in t. */
static double max_reach(const struct geometry *g, double dx, double dy, double xoff, double w, double h)
{
	double t = HUGE_VAL;
	double xlo = g->pad, xhi = g->size - g->pad;
	double ylo = g->top, yhi = g->bottom;
	double ytop = -h * (1.0 - dy) / 2.0;
	if (dx < -1e-9)
		t = fmin(t, (g->cx + xoff - xlo) / -dx);
	if (dx > 1e-9)
		t = fmin(t, (xhi - g->cx - xoff - w) / dx);
	if (dy < -1e-9)
		t = fmin(t, (g->cy + ytop - ylo) / -dy);
	if (dy > 1e-9)
		t = fmin(t, (yhi - g->cy - ytop - h) / dy);
	return t;
}

static double chart_reach(const struct geometry *g, const struct label_layout *ll, size_t n)
{
	double reach = HUGE_VAL;
	for (size_t i = 0; i < n; i++) {
		double dx, dy;
		axis_dir(i, n, &dx, &dy);
		double xoff = anchor_offset(anchor_for(dx), ll[i].width);
		reach = fmin(reach, max_reach(g, dx, dy, xoff, ll[i].width, ll[i].height));
	}
	return reach;
}

/* ---- drawing ------------------------------------------------------------ */

static void draw_title(struct strbuf *sb, const struct geometry *g, const char *title)
{
	uint32_t cps[LABEL_MAX_CP + 1];
	bool more;
	size_t n = decode_cps(title, cps, LABEL_MAX_CP, &more);
	double max_em = (g->size - 2 * g->pad) / g->fs_title;
	if (more || cps_em(cps, n) > max_em)
		n = cut_with_ellipsis(cps, n, max_em);
	strbuf_puts(sb, "<text class=\"heading\" x=\"");
	sb_num(sb, g->cx);
	strbuf_puts(sb, "\" y=\"");
	sb_num(sb, g->pad + g->fs_title);
	strbuf_puts(sb, "\" text-anchor=\"middle\" font-size=\"");
	sb_num(sb, g->fs_title);
	strbuf_puts(sb, "\" font-weight=\"bold\" fill=\"" COLOR_TEXT "\">");
	sb_put_cps(sb, cps, n);
	strbuf_puts(sb, "</text>\n");
}

static void draw_circle(struct strbuf *sb, const char *cls, double x, double y, double r, const char *attrs)
{
	strbuf_printf(sb, "<circle class=\"%s\" cx=\"", cls);
	sb_num(sb, x);
	strbuf_puts(sb, "\" cy=\"");
	sb_num(sb, y);
	strbuf_puts(sb, "\" r=\"");
	sb_num(sb, r);
	strbuf_printf(sb, "\" %s/>\n", attrs);
}

static void draw_grid(struct strbuf *sb, const struct geometry *g, const struct radar_axis *axes, size_t n)
{
	strbuf_printf(sb, "<g class=\"grid\" fill=\"none\" stroke-width=\"%.1f\">\n", g->k);
	for (int ring = 1; ring <= 6; ring++) {
		bool outer = ring == 6;
		strbuf_printf(sb, "<circle class=\"%s\" cx=\"", outer ? "ring ring-outer" : "ring");
		sb_num(sb, g->cx);
		strbuf_puts(sb, "\" cy=\"");
		sb_num(sb, g->cy);
		strbuf_puts(sb, "\" r=\"");
		sb_num(sb, g->r * ring / 6.0);
		strbuf_printf(sb, "\" stroke=\"%s\"/>\n", outer ? COLOR_RING_OUTER : COLOR_RING);
	}
	for (size_t i = 0; i < n; i++) {
		double dx, dy;
		axis_dir(i, n, &dx, &dy);
		strbuf_printf(sb, "<line class=\"%s\" x1=\"", axes[i].has_value ? "axis" : "axis axis-missing");
		sb_num(sb, g->cx);
		strbuf_puts(sb, "\" y1=\"");
		sb_num(sb, g->cy);
		strbuf_puts(sb, "\" x2=\"");
		sb_num(sb, g->cx + g->r * dx);
		strbuf_puts(sb, "\" y2=\"");
		sb_num(sb, g->cy + g->r * dy);
		if (axes[i].has_value)
			strbuf_puts(sb, "\" stroke=\"" COLOR_AXIS "\"/>\n");
		else
			strbuf_printf(sb, "\" stroke=\"" COLOR_MISSING "\" stroke-dasharray=\"%.1f %.1f\"/>\n",
				      3 * g->k, 3 * g->k);
	}
	strbuf_puts(sb, "</g>\n");
}

/* Ring values 0..6 between the first two axes, haloed so that they stay
 * legible over the polygon. */
static void draw_ring_labels(struct strbuf *sb, const struct geometry *g, size_t n)
{
	double th = M_PI / (double)n;
	strbuf_puts(sb, "<g class=\"ring-labels\" font-size=\"");
	sb_num(sb, g->fs_ring);
	strbuf_printf(sb,
		      "\" fill=\"#888888\" text-anchor=\"middle\" stroke=\"#ffffff\" "
		      "stroke-width=\"%.1f\" paint-order=\"stroke\" stroke-linejoin=\"round\">\n",
		      2.5 * g->k);
	for (int ring = 0; ring <= 6; ring++) {
		double rr = g->r * ring / 6.0;
		strbuf_puts(sb, "<text x=\"");
		sb_num(sb, g->cx + rr * sin(th));
		strbuf_puts(sb, "\" y=\"");
		sb_num(sb, g->cy - rr * cos(th) + g->fs_ring * 0.35);
		strbuf_printf(sb, "\">%d</text>\n", ring);
	}
	strbuf_puts(sb, "</g>\n");
}

static void point_of(const struct geometry *g, const struct radar_axis *ax, size_t i, size_t n, double *x, double *y)
{
	double dx, dy;
	axis_dir(i, n, &dx, &dy);
	double rr = g->r * ax->value_tenths / (double)RADAR_MAX_TENTHS;
	*x = g->cx + rr * dx;
	*y = g->cy + rr * dy;
}

static void draw_actual(struct strbuf *sb, const struct geometry *g, const struct radar_axis *axes, size_t n,
			size_t present)
{
	if (present < 2)
		return;
	strbuf_printf(sb, "<%s class=\"actual\" points=\"", present >= 3 ? "polygon" : "polyline");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (!axes[i].has_value)
			continue;
		double x, y;
		point_of(g, &axes[i], i, n, &x, &y);
		if (!first)
			strbuf_puts(sb, " ");
		first = false;
		sb_num(sb, x);
		strbuf_puts(sb, ",");
		sb_num(sb, y);
	}
	strbuf_puts(sb, "\" stroke=\"" COLOR_ACTUAL "\" ");
	if (present >= 3)
		strbuf_puts(sb, "fill=\"" COLOR_ACTUAL "\" fill-opacity=\"0.25\"");
	else
		strbuf_puts(sb, "fill=\"none\"");
	strbuf_printf(sb, " stroke-width=\"%.1f\" stroke-linejoin=\"round\"/>\n", 2 * g->k);
}

static void draw_standard(struct strbuf *sb, const struct geometry *g)
{
	char attrs[128];
	snprintf(attrs, sizeof attrs, "fill=\"none\" stroke=\"" COLOR_STANDARD "\" stroke-width=\"%.1f\"", 2.5 * g->k);
	draw_circle(sb, "standard", g->cx, g->cy, g->r * RADAR_STANDARD_TENTHS / RADAR_MAX_TENTHS, attrs);
}

static void draw_markers(struct strbuf *sb, const struct geometry *g, const struct radar_axis *axes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double x, y, dx, dy;
		if (axes[i].has_value) {
			point_of(g, &axes[i], i, n, &x, &y);
			strbuf_puts(sb, "<circle class=\"value\" cx=\"");
			sb_num(sb, x);
			strbuf_puts(sb, "\" cy=\"");
			sb_num(sb, y);
			strbuf_puts(sb, "\" r=\"");
			sb_num(sb, 3.5 * g->k);
			strbuf_printf(sb, "\" fill=\"" COLOR_ACTUAL "\" stroke=\"#ffffff\" stroke-width=\"%.1f\">",
				      g->k);
			strbuf_puts(sb, "<title>");
			sb_put_text(sb, axes[i].label);
			strbuf_printf(sb, " %d.%d", axes[i].value_tenths / 10, axes[i].value_tenths % 10);
			if (axes[i].note && *axes[i].note) {
				strbuf_puts(sb, "\xEF\xBC\x88"); /* （ */
				sb_put_text(sb, axes[i].note);
				strbuf_puts(sb, "\xEF\xBC\x89"); /* ） */
			}
			strbuf_puts(sb, "</title></circle>\n");
		} else {
			/* Hollow, at the rim: visibly "no data", never a point at 0. */
			axis_dir(i, n, &dx, &dy);
			strbuf_puts(sb, "<circle class=\"missing\" cx=\"");
			sb_num(sb, g->cx + g->r * dx);
			strbuf_puts(sb, "\" cy=\"");
			sb_num(sb, g->cy + g->r * dy);
			strbuf_puts(sb, "\" r=\"");
			sb_num(sb, 4.5 * g->k);
			strbuf_printf(sb, "\" fill=\"#ffffff\" stroke=\"" COLOR_MISSING "\" stroke-width=\"%.1f\">",
				      1.5 * g->k);
			strbuf_puts(sb, "<title>");
			sb_put_text(sb, axes[i].label);
			strbuf_puts(sb, MISSING_TEXT "</title></circle>\n");
		}
	}
}

static void draw_label(struct strbuf *sb, const struct geometry *g, const struct radar_axis *ax,
		       const struct label_layout *ll, size_t i, size_t n)
{
	double dx, dy;
	axis_dir(i, n, &dx, &dy);
	double t = g->r + g->gap;
	double x = g->cx + t * dx, y = g->cy + t * dy;
	double top = block_top(y, dy, ll->height);
	bool two = ll->start2 < ll->ncp;

	strbuf_printf(sb, "<text class=\"%s\" text-anchor=\"%s\" fill=\"%s\" x=\"",
		      ax->has_value ? "label" : "label label-missing", anchor_name(anchor_for(dx)),
		      ax->has_value ? COLOR_TEXT : COLOR_MISSING);
	sb_num(sb, x);
	strbuf_puts(sb, "\" y=\"");
	sb_num(sb, top + g->lh_label * 0.8);
	strbuf_puts(sb, "\">");
	if (two) {
		strbuf_puts(sb, "<tspan>");
		sb_put_cps(sb, ll->cps, ll->end1);
		strbuf_puts(sb, "</tspan><tspan x=\"");
		sb_num(sb, x);
		strbuf_puts(sb, "\" dy=\"");
		sb_num(sb, g->lh_label);
		strbuf_puts(sb, "\">");
		sb_put_cps(sb, ll->cps + ll->start2, ll->ncp - ll->start2);
		strbuf_puts(sb, "</tspan>");
	} else {
		sb_put_cps(sb, ll->cps, ll->ncp);
	}
	strbuf_puts(sb, "<tspan class=\"status\" x=\"");
	sb_num(sb, x);
	strbuf_puts(sb, "\" dy=\"");
	sb_num(sb, g->lh_status);
	strbuf_puts(sb, "\" font-size=\"");
	sb_num(sb, g->fs_status);
	if (ax->has_value)
		strbuf_printf(sb, "\" fill=\"" COLOR_ACTUAL "\" font-weight=\"bold\">%d.%d</tspan>",
			      ax->value_tenths / 10, ax->value_tenths % 10);
	else
		strbuf_puts(sb, "\">" MISSING_TEXT "</tspan>");
	strbuf_puts(sb, "</text>\n");
}

static void draw_legend(struct strbuf *sb, const struct geometry *g)
{
	static const char *const text[3] = {"实际", "标准 (5)", "缺失（无数据）"};
	double fs = g->fs_legend, sw = 18 * g->k, sgap = 6 * g->k, igap = 22 * g->k;
	double total = 0;
	for (int i = 0; i < 3; i++)
		total += sw + sgap + str_em(text[i]) * fs + (i < 2 ? igap : 0);
	double x = g->cx - total / 2, y = g->size - g->pad - fs * 0.3; /* text baseline */
	double mid = y - fs * 0.35;

	strbuf_puts(sb, "<g class=\"legend\" font-size=\"");
	sb_num(sb, fs);
	strbuf_puts(sb, "\" fill=\"" COLOR_TEXT "\">\n");
	for (int i = 0; i < 3; i++) {
		if (i == 0) {
			strbuf_puts(sb, "<rect x=\"");
			sb_num(sb, x);
			strbuf_puts(sb, "\" y=\"");
			sb_num(sb, mid - 5 * g->k);
			strbuf_puts(sb, "\" width=\"");
			sb_num(sb, sw);
			strbuf_puts(sb, "\" height=\"");
			sb_num(sb, 10 * g->k);
			strbuf_printf(sb,
				      "\" fill=\"" COLOR_ACTUAL "\" fill-opacity=\"0.25\" stroke=\"" COLOR_ACTUAL
				      "\" stroke-width=\"%.1f\"/>\n",
				      1.5 * g->k);
		} else if (i == 1) {
			strbuf_puts(sb, "<line x1=\"");
			sb_num(sb, x);
			strbuf_puts(sb, "\" y1=\"");
			sb_num(sb, mid);
			strbuf_puts(sb, "\" x2=\"");
			sb_num(sb, x + sw);
			strbuf_puts(sb, "\" y2=\"");
			sb_num(sb, mid);
			strbuf_printf(sb, "\" stroke=\"" COLOR_STANDARD "\" stroke-width=\"%.1f\"/>\n", 2.5 * g->k);
		} else {
			char attrs[128];
			snprintf(attrs, sizeof attrs,
				 "fill=\"#ffffff\" stroke=\"" COLOR_MISSING "\" stroke-width=\"%.1f\"", 1.5 * g->k);
			draw_circle(sb, "legend-missing", x + sw / 2, mid, 4.5 * g->k, attrs);
		}
		x += sw + sgap;
		strbuf_puts(sb, "<text x=\"");
		sb_num(sb, x);
		strbuf_puts(sb, "\" y=\"");
		sb_num(sb, y);
		strbuf_puts(sb, "\">");
		strbuf_puts(sb, text[i]);
		strbuf_puts(sb, "</text>\n");
		x += str_em(text[i]) * fs + igap;
	}
	strbuf_puts(sb, "</g>\n");
}

/* Text for screen readers: every item with its value or 无数据. */
static void draw_desc(struct strbuf *sb, const struct radar_axis *axes, size_t n)
{
	strbuf_puts(sb, "<desc>雷达图：标准为 5（红色圆），实际值为蓝色多边形。");
	for (size_t i = 0; i < n; i++) {
		sb_put_text(sb, axes[i].label);
		if (axes[i].has_value)
			strbuf_printf(sb, " %d.%d", axes[i].value_tenths / 10, axes[i].value_tenths % 10);
		else
			strbuf_puts(sb, " 无数据");
		strbuf_puts(sb, i + 1 < n ? "；" : "。");
	}
	strbuf_puts(sb, "</desc>\n");
}

static bool args_ok(const struct radar_axis *axes, size_t n, int size)
{
	if (!axes || n < RADAR_MIN_AXES || n > RADAR_MAX_AXES)
		return false;
	if (size < RADAR_MIN_SIZE || size > RADAR_MAX_SIZE)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!axes[i].label)
			return false;
		if (axes[i].has_value && (axes[i].value_tenths < 0 || axes[i].value_tenths > RADAR_MAX_TENTHS))
			return false;
	}
	return true;
}

char *radar_svg(const struct radar_axis *axes, size_t n, const char *title, int size)
{
	if (!args_ok(axes, n, size))
		return NULL;

	struct label_layout *ll = calloc(n, sizeof *ll);
	if (!ll)
		return NULL;

	struct geometry g;
	g.size = size;
	g.k = size / 600.0;
	/* Everything scales with the canvas, text down to 85 % at most: a chart drawn for a phone
     * (360 px) keeps labels of 11 px and gives the rings less room instead. */
	double kt = g.k < RADAR_MIN_TEXT_SCALE ? RADAR_MIN_TEXT_SCALE : g.k;
	g.fs_label = 13.0 * kt;
	g.lh_label = 1.2 * g.fs_label;
	g.fs_status = 11.0 * kt;
	g.lh_status = 1.25 * g.fs_status;
	g.fs_ring = 10.0 * kt;
	g.fs_title = 17.0 * kt;
	g.fs_legend = 12.0 * kt;
	g.gap = 10.0 * g.k;
	g.pad = 10.0 * g.k;
	g.top = g.pad + (title ? g.fs_title * 1.9 : 0.0);
	g.bottom = g.size - g.pad - g.fs_legend * 2.0;
	g.cx = g.size / 2;
	g.cy = (g.top + g.bottom) / 2;

	for (size_t i = 0; i < n; i++)
		layout_label(&ll[i], &axes[i], &g);
	/* The largest radius at which every label still fits the canvas, with
     * the centre moved up or down to balance the labels above and below.
     * The reach is a minimum of linear functions of cy, hence concave, so a
     * ternary search finds its peak. */
	double lo = g.top, hi = g.bottom;
	for (int iter = 0; iter < 60; iter++) {
		double m1 = lo + (hi - lo) / 3, m2 = hi - (hi - lo) / 3;
		g.cy = m1;
		double r1 = chart_reach(&g, ll, n);
		g.cy = m2;
		double r2 = chart_reach(&g, ll, n);
		if (r1 < r2)
			lo = m1;
		else
			hi = m2;
	}
	g.cy = (lo + hi) / 2;
	g.r = chart_reach(&g, ll, n) - g.gap;
	/* Absurd labels would squeeze the chart to nothing: keep it readable
     * and let such labels run off the edge instead. */
	if (g.r < 0.2 * g.size)
		g.r = 0.2 * g.size;

	size_t present = 0;
	for (size_t i = 0; i < n; i++)
		present += axes[i].has_value;

	struct strbuf sb = {0};
	strbuf_printf(&sb,
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		      "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"" RADAR_FONT "\">\n",
		      size, size, size, size);
	if (title) {
		strbuf_puts(&sb, "<title>");
		sb_put_text(&sb, title);
		strbuf_puts(&sb, "</title>\n");
	}
	draw_desc(&sb, axes, n);
	strbuf_puts(&sb, "<rect class=\"background\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
	if (title)
		draw_title(&sb, &g, title);
	draw_grid(&sb, &g, axes, n);
	draw_actual(&sb, &g, axes, n, present);
	draw_standard(&sb, &g);
	draw_ring_labels(&sb, &g, n);
	draw_markers(&sb, &g, axes, n);
	strbuf_puts(&sb, "<g class=\"labels\" font-size=\"");
	sb_num(&sb, g.fs_label);
	strbuf_puts(&sb, "\">\n");
	for (size_t i = 0; i < n; i++)
		draw_label(&sb, &g, &axes[i], &ll[i], i, n);
	strbuf_puts(&sb, "</g>\n");
	draw_legend(&sb, &g);
	strbuf_puts(&sb, "</svg>\n");

	free(ll);
	if (sb.failed) {
		free(sb.buf);
		return NULL;
	}
	return sb.buf;
}
