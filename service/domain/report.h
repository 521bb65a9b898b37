/* Printable reports (SPEC §4.6b report.pdf): an A4 PDF drawn with cairo and pango from a small
 * document description, with the radar chart's SVG drawn as vectors (librsvg). The text is real
 * text in an embedded subset of a CJK font (Noto Sans CJK SC through fontconfig), so it can be
 * selected, searched and extracted. No I/O besides the fonts; call it off the event loop (a page
 * takes tens of milliseconds). Thread-safe: each call has its own surface and layouts. */
#ifndef EXAMD_DOMAIN_REPORT_H
#define EXAMD_DOMAIN_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The font family asked of fontconfig; any CJK sans it substitutes will do. */
#define REPORT_FONT "Noto Sans CJK SC"

/* doc: {"title": text, "subtitle"?: text, "meta"?: [text...] (one line each, under the title),
 *       "svg"?: SVG text (drawn centred, at most "svg_height" points high, default 300),
 *       "sections": [{"heading": text,
 *                     "paragraphs"?: [text...],
 *                     "bullets"?: [text...],
 *                     "table"?: {"columns": [text...], "widths": [relative numbers...],
 *                                "rows": [[text...]...]}}...],
 *       "footer"?: text}
 * Unknown keys are ignored; cells and lines are plain text (no markup). Long tables continue on new
 * pages with their header repeated; every page has the footer and "page n". On success *out is a
 * malloc'd PDF of *len bytes. false (and a reason in err) on a malformed document or failure. */
bool report_pdf(const json_t *doc, unsigned char **out, size_t *len, char *err, size_t errlen);

#endif
