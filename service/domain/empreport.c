/* The printable employee report's content (see empreport.h). */
#include "domain/empreport.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "domain/catalog.h"

extern const char examd_model_json[];
extern const size_t examd_model_json_len;

/* item code -> level code -> [suggestion...], built once from the embedded model. */
static json_t *suggestions;
static pthread_once_t suggestions_once = PTHREAD_ONCE_INIT;

static void load_suggestions(void)
{
	json_error_t err;
	json_t *model = json_loadb(examd_model_json, examd_model_json_len, 0, &err);
	json_t *out = json_object();
	json_t *levels = json_object_get(model, "levels"), *items = json_object_get(model, "items");
	size_t i, k;
	json_t *it, *lv;
	json_array_foreach(items, i, it)
	{
		json_t *per = json_object();
		json_array_foreach(levels, k, lv)
		{
			const char *code = json_string_value(json_object_get(lv, "code"));
			json_t *ind = json_object_get(json_object_get(json_object_get(it, "levels"), code ? code : ""),
						      "indicators_zh");
			json_t *list = json_array();
			if (json_is_array(ind)) {
				json_array_extend(list, ind);
			} else {
				/* An exam item: what the level means, and what its exam covers. */
				size_t d;
				json_t *def, *st;
				json_array_foreach(json_object_get(lv, "definition_zh"), d, def)
					json_array_append(list, def);
				char line[2048];
				size_t n = (size_t)snprintf(line, sizeof line, "考试范围：");
				json_array_foreach(json_object_get(it, "subtopics"), d, st)
				{
					const char *name = json_string_value(json_object_get(st, "name_zh"));
					if (name && n < sizeof line)
						n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", d ? "、" : "",
								      name);
				}
				json_array_append_new(list, json_string(line));
			}
			if (code)
				json_object_set_new(per, code, list);
			else
				json_decref(list);
		}
		const char *code = json_string_value(json_object_get(it, "code"));
		if (code)
			json_object_set_new(out, code, per);
		else
			json_decref(per);
	}
	json_decref(model);
	suggestions = out;
}

const json_t *empreport_suggestions(const char *item, const char *level)
{
	pthread_once(&suggestions_once, load_suggestions);
	if (!item || !level)
		return NULL;
	const json_t *list = json_object_get(json_object_get(suggestions, item), level);
	return json_is_array(list) ? list : NULL;
}

static const char *level_zh(const char *code)
{
	const struct catalog_level *l = code ? catalog_level_find(catalog_default(), code) : NULL;
	return l ? l->name_zh : "—";
}

static const char *relation_zh(const char *r)
{
	static const char *const map[][2] = {{"self", "自评"},        {"supervisor", "上级"}, {"peer", "同事"},
					     {"subordinate", "下属"}, {"customer", "客户"},   {"hr", "人力资源"}};
	for (size_t i = 0; r && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(map[i][0], r))
			return map[i][1];
	return r ? r : "—";
}

static const char *status_zh(const char *s)
{
	if (!s)
		return "—";
	if (!strcmp(s, "below"))
		return "未达标";
	if (!strcmp(s, "meets"))
		return "达标";
	if (!strcmp(s, "exceeds"))
		return "超标";
	return "缺少证据";
}

/* A number as the profile shows it: whole, or with its decimals (up to 2). */
static void num(char *buf, size_t n, const json_t *v)
{
	if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v)) {
		snprintf(buf, n, "%.2f", json_real_value(v));
		char *dot = strchr(buf, '.');
		if (dot) {
			char *end = buf + strlen(buf) - 1;
			while (end > dot && *end == '0')
				*end-- = '\0';
			if (end == dot)
				*end = '\0';
		}
	} else if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else
		snprintf(buf, n, "—");
}

/* The date part of an RFC 3339 time. */
static void date_of(char *buf, size_t n, const json_t *v)
{
	const char *s = json_string_value(v);
	snprintf(buf, n, "%.10s", s ? s : "—");
}

static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	if (*len >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (w > 0)
		*len += (size_t)w < cap - *len ? (size_t)w : cap - *len - 1;
}

/* One line per piece of evidence: attempts with date and score; ratings by relation (with the rater
 * for HR; per-relation count and mean when that is all the document carries). */
static void evidence_text(const json_t *item, char *buf, size_t cap)
{
	size_t len = 0;
	const char *kind = json_string_value(json_object_get(item, "evidence_kind"));
	const json_t *ev = json_object_get(item, "evidence");
	size_t i;
	const json_t *e;
	buf[0] = '\0';
	json_array_foreach(ev, i, e)
	{
		char a[64], b[64], c[64];
		if (len)
			append(buf, cap, &len, "\n");
		if (kind && !strcmp(kind, "attempts")) {
			date_of(a, sizeof a, json_object_get(e, "submitted_at"));
			num(b, sizeof b, json_object_get(e, "standard_score"));
			num(c, sizeof c, json_object_get(e, "band"));
			append(buf, cap, &len, "考试 %s：%s 分（%s 档）", a, b, c);
		} else if (kind && !strcmp(kind, "relations")) {
			num(a, sizeof a, json_object_get(e, "count"));
			num(b, sizeof b, json_object_get(e, "mean"));
			append(buf, cap, &len, "%s评价 %s 份，平均 %s",
			       relation_zh(json_string_value(json_object_get(e, "relation"))), a, b);
		} else {
			const char *rater = json_string_value(json_object_get(e, "rater"));
			num(a, sizeof a, json_object_get(e, "score"));
			date_of(b, sizeof b, json_object_get(e, "rated_at"));
			append(buf, cap, &len, "%s %s：%s 分（%s）",
			       relation_zh(json_string_value(json_object_get(e, "relation"))), rater ? rater : "", a,
			       b);
		}
	}
	if (!len)
		snprintf(buf, cap, "暂无该级别的证据");
}

static json_t *section(const char *heading)
{
	return json_pack("{s:s}", "heading", heading);
}

json_t *empreport_document(const json_t *profile, const struct readiness *rd, const char *const *next_levels,
			   const char *svg)
{
	const json_t *emp = json_object_get(profile, "employee"), *items = json_object_get(profile, "items");
	const char *name = json_string_value(json_object_get(emp, "name"));
	const char *username = json_string_value(json_object_get(emp, "username"));
	if (!name || !username || !json_is_array(items) || json_array_size(items) != RULES_ITEMS)
		return NULL;
	const json_t *grade = json_object_get(emp, "grade"), *period = json_object_get(profile, "period");
	char line[1024], buf[4096];
	json_t *doc = json_object();
	snprintf(line, sizeof line, "%s（%s）能力素质测评报告", name, username);
	json_object_set_new(doc, "title", json_string(line));
	json_t *meta = json_array();
	const char *dept = json_string_value(json_object_get(emp, "department"));
	if (json_is_integer(grade))
		snprintf(line, sizeof line, "部门：%s　　职级：客户经理%lld级", dept && *dept ? dept : "—",
			 (long long)json_integer_value(grade));
	else
		snprintf(line, sizeof line, "部门：%s　　职级：未设定", dept && *dept ? dept : "—");
	json_array_append_new(meta, json_string(line));
	snprintf(line, sizeof line, "评价周期：%s　　模型版本：第 %lld 版　　计算时间：%s",
		 json_is_string(period) ? json_string_value(period) : "无行为评价",
		 (long long)json_integer_value(json_object_get(profile, "model_version")),
		 json_string_value(json_object_get(profile, "at")) ? json_string_value(json_object_get(profile, "at"))
								   : "—");
	json_array_append_new(meta, json_string(line));
	json_object_set_new(doc, "meta", meta);
	if (svg) {
		json_object_set_new(doc, "svg", json_string(svg));
		json_object_set_new(doc, "svg_height", json_integer(330));
	}
	json_t *sections = json_array();

	/* The 18 items. */
	json_t *rows = json_array();
	size_t i;
	const json_t *it;
	json_array_foreach(items, i, it)
	{
		char actual[32], gap[32];
		num(actual, sizeof actual, json_object_get(it, "actual"));
		num(gap, sizeof gap, json_object_get(it, "gap"));
		evidence_text(it, buf, sizeof buf);
		const char *nm = json_string_value(json_object_get(it, "name_zh"));
		json_array_append_new(rows,
				      json_pack("[s,s,s,s,s,s]", nm ? nm : "",
						level_zh(json_string_value(json_object_get(it, "required_level"))),
						actual, json_is_null(json_object_get(it, "gap")) ? "—" : gap,
						status_zh(json_string_value(json_object_get(it, "status"))), buf));
	}
	json_t *s = section("十八项能力素质（标准 5 = 达标）");
	json_object_set_new(s, "table",
			    json_pack("{s:[s,s,s,s,s,s],s:[f,f,f,f,f,f],s:o}", "columns", "项目", "要求级别", "实际",
				      "差距", "状态", "证据", "widths", 2.4, 1.1, 0.8, 0.8, 1.2, 5.2, "rows", rows));
	json_array_append_new(sections, s);

	/* Gaps, with the required level's indicators as development suggestions. */
	s = section("差距与发展建议");
	json_t *paras = json_array();
	size_t gaps = 0;
	json_array_foreach(items, i, it)
	{
		const char *st = json_string_value(json_object_get(it, "status"));
		if (!st || (strcmp(st, "below") && strcmp(st, "missing")))
			continue;
		const char *code = json_string_value(json_object_get(it, "item"));
		const char *lv = json_string_value(json_object_get(it, "required_level"));
		char actual[32];
		num(actual, sizeof actual, json_object_get(it, "actual"));
		if (!strcmp(st, "below"))
			snprintf(line, sizeof line, "%s：要求%s，实际 %s，未达标。对照%s行为指标：",
				 json_string_value(json_object_get(it, "name_zh")), level_zh(lv), actual, level_zh(lv));
		else
			snprintf(line, sizeof line, "%s：要求%s，暂无该级别的证据。对照%s要求：",
				 json_string_value(json_object_get(it, "name_zh")), level_zh(lv), level_zh(lv));
		json_t *sub = json_pack("{s:[s]}", "paragraphs", line);
		const json_t *sug = empreport_suggestions(code, lv);
		json_object_set_new(sub, "bullets", sug ? json_deep_copy(sug) : json_array());
		json_array_append_new(paras, sub);
		gaps++;
	}
	if (!gaps)
		json_object_set_new(s, "paragraphs", json_pack("[s]", "各项均已达到所在职级的要求。"));
	json_array_append_new(sections, s);
	size_t k;
	json_t *sub;
	json_array_foreach(paras, k, sub) json_array_append(sections, sub);
	json_decref(paras);

	/* Readiness for the next grade. */
	s = section("晋级准备度");
	json_t *rp = json_array(), *bullets = json_array();
	if (rd->status == READINESS_TOP_GRADE) {
		json_array_append_new(rp, json_string("已是最高职级（客户经理1级），没有更高的职级。"));
	} else if (!rd->next_grade) {
		json_array_append_new(rp, json_string("未设定职级，无法判断晋级准备度。"));
	} else {
		snprintf(line, sizeof line,
			 "对照客户经理%d级的要求：%s。达标 %d 项，低于要求 %d 项，缺少该级别证据 %d 项。",
			 rd->next_grade, readiness_status_zh(rd->status), rd->met, rd->below, rd->missing);
		json_array_append_new(rp, json_string(line));
		json_array_append_new(rp, json_string("证据只在其考试或评价的级别上计入：需要该级别的考试和评价。"));
		for (int x = 0; x < RULES_ITEMS; x++) {
			if (rd->item[x] == READINESS_MET)
				continue;
			const struct catalog_item *ci = catalog_item_at(catalog_default(), (size_t)x);
			const char *lv = next_levels ? next_levels[x] : NULL;
			if (rd->item[x] == READINESS_BELOW)
				snprintf(line, sizeof line, "%s：要求%s，实际 %d.%d", ci ? ci->name_zh : "",
					 level_zh(lv), rd->value[x].tenths / 10, rd->value[x].tenths % 10);
			else
				snprintf(line, sizeof line, "%s：要求%s，暂无该级别的证据", ci ? ci->name_zh : "",
					 level_zh(lv));
			json_array_append_new(bullets, json_string(line));
		}
	}
	json_object_set_new(s, "paragraphs", rp);
	json_object_set_new(s, "bullets", bullets);
	json_array_append_new(sections, s);
	json_object_set_new(doc, "sections", sections);
	snprintf(line, sizeof line, "%s · 能力素质测评报告 · 仅供发展面谈使用", name);
	json_object_set_new(doc, "footer", json_string(line));
	return doc;
}
