/* The printable department report's content (see deptreport.h). */
#include "domain/deptreport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/catalog.h"
#include "domain/trends.h"

struct gap {
	size_t item;
	long below, missing, sum_tenths; /* sum over the employees below */
};

static int by_below(const void *a, const void *b)
{
	const struct gap *x = a, *y = b;
	if (x->below != y->below)
		return x->below > y->below ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

static void tenths_text(char *buf, size_t n, long tenths_x10, long count)
{
	/* A mean in tenths scaled by 10 (hundredths), half-up, shown with up to 2 decimals. */
	long h = count ? (tenths_x10 * 10 + count / 2) / count : 0;
	if (h % 100 == 0)
		snprintf(buf, n, "%ld", h / 100);
	else if (h % 10 == 0)
		snprintf(buf, n, "%ld.%ld", h / 100, (h % 100) / 10);
	else
		snprintf(buf, n, "%ld.%02ld", h / 100, h % 100);
}

json_t *deptreport_document(const struct deptreport_input *in)
{
	const struct catalog *cat = catalog_default();
	char line[1024];
	json_t *doc = json_object(), *sections = json_array();
	snprintf(line, sizeof line, "%s 部门能力素质报告", in->department);
	json_object_set_new(doc, "title", json_string(line));
	snprintf(line, sizeof line, "员工 %zu 人　　模型版本：第 %ld 版　　计算时间：%s", in->employees,
		 in->model_version, in->at ? in->at : "—");
	json_object_set_new(
		doc, "meta",
		json_pack("[s,s]", line, "各人按其所在职级的要求级别、最近一个评价周期计算（与员工报告相同的规则）。"));

	/* Band distribution per item. */
	long counts[RULES_ITEMS][TRENDS_BANDS] = {{0}};
	struct gap gaps[RULES_ITEMS];
	for (size_t i = 0; i < RULES_ITEMS; i++)
		gaps[i] = (struct gap){i, 0, 0, 0};
	for (size_t k = 0; k < in->employees; k++)
		for (size_t i = 0; i < RULES_ITEMS; i++) {
			struct profile_value v = in->values[k][i];
			counts[i][trends_band(v)]++;
			if (!v.has)
				gaps[i].missing++;
			else if (v.tenths < PROFILE_STANDARD_TENTHS) {
				gaps[i].below++;
				gaps[i].sum_tenths += v.tenths;
			}
		}
	json_t *rows = json_array();
	for (size_t i = 0; i < RULES_ITEMS; i++) {
		const struct catalog_item *it = catalog_item_at(cat, i);
		json_t *row = json_array();
		json_array_append_new(row, json_string(it ? it->name_zh : ""));
		for (int b = 0; b < TRENDS_BANDS; b++) {
			snprintf(line, sizeof line, "%ld", counts[i][b]);
			json_array_append_new(row, json_string(line));
		}
		long rated = (long)in->employees - counts[i][TRENDS_MISSING];
		if (rated > 0)
			snprintf(line, sizeof line, "%ld%%", ((counts[i][5] + counts[i][6]) * 100 + rated / 2) / rated);
		else
			snprintf(line, sizeof line, "—");
		json_array_append_new(row, json_string(line));
		json_array_append_new(rows, row);
	}
	json_t *s = json_pack("{s:s,s:[s]}", "heading", "各项得分分布（人数）", "paragraphs",
			      "按分值 0..6 统计人数；行为项的平均分取其整数部分（4.9 计入 4 分），5 分及以上为达标。"
			      "达标率 = 达标人数 / 有证据的人数。");
	json_object_set_new(s, "table",
			    json_pack("{s:[s,s,s,s,s,s,s,s,s,s],s:[f,f,f,f,f,f,f,f,f,f],s:o}", "columns", "项目", "0",
				      "1", "2", "3", "4", "5", "6", "缺少证据", "达标率", "widths", 3.2, 0.7, 0.7, 0.7,
				      0.7, 0.7, 0.7, 0.7, 1.4, 1.2, "rows", rows));
	json_array_append_new(sections, s);

	/* The most common gaps. */
	qsort(gaps, RULES_ITEMS, sizeof gaps[0], by_below);
	json_t *bullets = json_array();
	for (size_t g = 0; g < DEPTREPORT_TOP_GAPS && gaps[g].below > 0; g++) {
		char mean[32];
		tenths_text(mean, sizeof mean, gaps[g].sum_tenths, gaps[g].below);
		snprintf(line, sizeof line, "%s：%ld 人低于要求（平均 %s 分），%ld 人缺少证据",
			 catalog_item_at(cat, gaps[g].item)->name_zh, gaps[g].below, mean, gaps[g].missing);
		json_array_append_new(bullets, json_string(line));
	}
	s = json_pack("{s:s}", "heading", "最常见的差距");
	if (!json_array_size(bullets))
		json_object_set_new(s, "paragraphs", json_pack("[s]", "没有低于要求的项目。"));
	json_object_set_new(s, "bullets", bullets);
	json_array_append_new(sections, s);

	/* Readiness counts. */
	long rc[READINESS_STATUSES] = {0};
	for (size_t k = 0; k < in->employees; k++)
		rc[in->readiness[k].status]++;
	bullets = json_array();
	for (int st = 0; st < READINESS_STATUSES; st++) {
		snprintf(line, sizeof line, "%s：%ld 人", readiness_status_zh((enum readiness_status)st), rc[st]);
		json_array_append_new(bullets, json_string(line));
	}
	json_array_append_new(sections, json_pack("{s:s,s:[s],s:o}", "heading", "晋级准备度", "paragraphs",
						  "对照下一职级的要求级别；证据只在其考试或评价的级别上计入。",
						  "bullets", bullets));

	/* Rater flags. */
	s = json_pack("{s:s}", "heading", "评价人质量");
	json_t *paras = json_array();
	bullets = json_array();
	if (in->raters && json_is_string(json_object_get(in->raters, "period"))) {
		const json_t *counts_doc = json_object_get(in->raters, "counts");
		snprintf(line, sizeof line, "评价周期 %s：评价人 %lld 位，评价 %lld 条，被标记的评价人 %lld 位。",
			 json_string_value(json_object_get(in->raters, "period")),
			 (long long)json_integer_value(json_object_get(in->raters, "raters_count")),
			 (long long)json_integer_value(json_object_get(in->raters, "ratings")),
			 (long long)json_integer_value(json_object_get(counts_doc, "flagged_raters")));
		json_array_append_new(paras, json_string(line));
		size_t k;
		const json_t *rule;
		json_array_foreach(json_object_get(in->raters, "rules"), k, rule)
		{
			const char *flag = json_string_value(json_object_get(rule, "flag"));
			snprintf(line, sizeof line, "%s：%lld 位", json_string_value(json_object_get(rule, "name_zh")),
				 (long long)json_integer_value(json_object_get(counts_doc, flag ? flag : "")));
			json_array_append_new(bullets, json_string(line));
		}
	} else {
		json_array_append_new(paras, json_string("该部门员工还没有行为评价。"));
	}
	json_object_set_new(s, "paragraphs", paras);
	json_object_set_new(s, "bullets", bullets);
	json_array_append_new(sections, s);

	json_object_set_new(doc, "sections", sections);
	snprintf(line, sizeof line, "%s · 部门能力素质报告 · 仅供内部使用", in->department);
	json_object_set_new(doc, "footer", json_string(line));
	return doc;
}
