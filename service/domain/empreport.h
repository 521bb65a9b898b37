/* The printable employee report (SPEC §4.6b): what goes on the page, in Chinese, from the profile
 * document (api/profiles.c, SPEC §4.5) and the readiness for the next grade. Pure: the result is the
 * document that report_pdf draws (domain/report.h) and the print page shows. */
#ifndef EXAMD_DOMAIN_EMPREPORT_H
#define EXAMD_DOMAIN_EMPREPORT_H

#include <jansson.h>

#include "domain/readiness.h"

/* profile: the profile document ({"employee","model_version","period","at","items":[...]}), with
 * full evidence (HR) or per-relation evidence only (an employee reading their own: rater names never
 * reach the report because they are not in the document). rd: readiness; next_levels: the level
 * codes grade next_grade requires, per item in model order (NULL entries when none). svg: the radar
 * chart or NULL. Returns the report_pdf document (new reference), NULL on a malformed profile. */
json_t *empreport_document(const json_t *profile, const struct readiness *rd, const char *const *next_levels,
			   const char *svg);

/* The required level's behaviour indicators of item (model/competency-model.json), or for an exam
 * item the level's definition and the subtopics examined: a borrowed JSON array of strings, NULL when
 * unknown. */
const json_t *empreport_suggestions(const char *item, const char *level);

#endif
