/* The competency profile as a radar chart (SPEC §3.4, §4.5 profile.svg):
 * a standalone SVG document, built in memory with no I/O and no globals. */
#ifndef EXAMD_DOMAIN_RADAR_H
#define EXAMD_DOMAIN_RADAR_H

#include <stdbool.h>
#include <stddef.h>

#define RADAR_MUST_CHECK __attribute__((warn_unused_result))

#define RADAR_MIN_AXES 3u
#define RADAR_MAX_AXES 64u
#define RADAR_MIN_SIZE 200
#define RADAR_MAX_SIZE 4000
#define RADAR_MAX_TENTHS 60 /* the scale runs 0..6 */
#define RADAR_STANDARD_TENTHS 50
#define RADAR_MIN_TEXT_SCALE 0.85 /* of the 600 px chart's text sizes, however small the canvas */

struct radar_axis {
	const char *label; /* the item's Chinese name, UTF-8; escaped on output */
	bool has_value;    /* false: no evidence ("missing"), never drawn as 0 */
	int value_tenths;  /* 0..60: the actual value x10; ignored when !has_value */
	const char *note;  /* NULL, or the evidence behind the value (e.g. a score with its measurement
                          error), shown with the value in the point's tooltip; escaped on output */
};

/* Draws n axes (in the given order, clockwise from 12 o'clock) on a size x
 * size canvas.  Returns malloc'd NUL-terminated SVG text the caller frees,
 * or NULL on allocation failure or bad arguments (axes or a label NULL,
 * n outside 3..64, size outside 200..4000, a present value outside 0..60).
 * title may be NULL: then the document has no <title> and no heading.
 * Invalid UTF-8 and characters XML forbids are replaced by U+FFFD, so the
 * output is always well-formed. */
RADAR_MUST_CHECK char *radar_svg(const struct radar_axis *axes, size_t n, const char *title, int size);

#endif
