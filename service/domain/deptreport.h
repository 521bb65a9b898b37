/* The printable department report (issue #19), in the style of the employee report
 * (domain/empreport.c): the band distribution per item, the most common gaps, readiness counts and
 * the rater flags, in Chinese, as the document that report_pdf draws (domain/report.h). Pure. */
#ifndef EXAMD_DOMAIN_DEPTREPORT_H
#define EXAMD_DOMAIN_DEPTREPORT_H

#include <jansson.h>
#include <stddef.h>

#include "domain/readiness.h"

/* How many items "the most common gaps" lists. */
#define DEPTREPORT_TOP_GAPS 5

struct deptreport_input {
	const char *department, *at; /* at: the time the figures hold for */
	long model_version;
	size_t employees;
	/* Per employee: the 18 values at the levels of their own grade, and their readiness. */
	const struct profile_value (*values)[RULES_ITEMS];
	const struct readiness *readiness;
	/* The rater-quality document of the department's ratings (api/raters.c), or NULL. */
	const json_t *raters;
};

/* The report_pdf document (new reference); NULL on allocation failure. */
json_t *deptreport_document(const struct deptreport_input *in);

#endif
