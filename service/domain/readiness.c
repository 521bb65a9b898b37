/* Readiness for the next grade (see readiness.h). */
#include "domain/readiness.h"

#include <string.h>

enum readiness_item readiness_item_of(struct profile_value v)
{
	if (!v.has)
		return READINESS_MISSING;
	return v.tenths >= PROFILE_STANDARD_TENTHS ? READINESS_MET : READINESS_BELOW;
}

void readiness_classify(const struct profile_value *values, size_t n, struct readiness *out)
{
	bool near = true;
	out->met = out->below = out->missing = 0;
	for (size_t i = 0; i < n && i < RULES_ITEMS; i++) {
		out->value[i] = values[i];
		out->item[i] = readiness_item_of(values[i]);
		if (out->item[i] == READINESS_MET)
			out->met++;
		else if (out->item[i] == READINESS_MISSING)
			out->missing++;
		else {
			out->below++;
			if (PROFILE_STANDARD_TENTHS - values[i].tenths > READINESS_NEARLY_TENTHS)
				near = false;
		}
	}
	if (out->below == 0 && out->missing == 0)
		out->status = READINESS_READY;
	else if (out->missing == 0 && out->below <= READINESS_NEARLY_ITEMS && near)
		out->status = READINESS_NEARLY;
	else
		out->status = READINESS_NOT_READY;
}

bool readiness_of(const struct rules_model *rules, const struct catalog *cat, int64_t t,
		  const struct rules_evidence *ev, struct readiness *out)
{
	memset(out, 0, sizeof *out);
	int grade = rules_grade_at(ev, t);
	if (grade == 1) {
		out->status = READINESS_TOP_GRADE;
		return true;
	}
	struct profile_value values[RULES_ITEMS];
	struct rules_result res;
	int next = grade >= 2 && grade <= RULES_GRADES ? grade - 1 : 0;
	/* Held as if the employee were of the next grade: only the attempts and ratings made at that
	 * grade's levels count. */
	if (!rules_evaluate(rules, cat, ev, t, next, &res, NULL, NULL, NULL))
		return false;
	for (int i = 0; i < RULES_ITEMS; i++)
		values[i] = res.item[i].value;
	readiness_classify(values, RULES_ITEMS, out);
	out->next_grade = next;
	return true;
}

const char *readiness_status_name(enum readiness_status s)
{
	static const char *const names[] = {"ready", "nearly", "not_ready", "top_grade"};
	return (unsigned)s < READINESS_STATUSES ? names[s] : "not_ready";
}

const char *readiness_status_zh(enum readiness_status s)
{
	static const char *const names[] = {"已就绪", "接近就绪", "未就绪", "已是最高职级"};
	return (unsigned)s < READINESS_STATUSES ? names[s] : "未就绪";
}

const char *readiness_item_name(enum readiness_item s)
{
	static const char *const names[] = {"met", "below", "missing"};
	return (unsigned)s <= READINESS_MISSING ? names[s] : "missing";
}

void readiness_order(const enum readiness_status *status, size_t n, size_t *idx)
{
	size_t k = 0;
	for (int s = 0; s < READINESS_STATUSES; s++)
		for (size_t i = 0; i < n; i++)
			if ((int)status[i] == s)
				idx[k++] = i;
}
