/* The A4 PDF renderer (domain/report.c): a document with a chart and a long table becomes a PDF of
 * several pages; malformed documents are refused with a reason. The text itself is checked with
 * pdftotext by the integration test (test_hr_decisions.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "domain/report.h"

static size_t count(const unsigned char *hay, size_t n, const char *needle)
{
	size_t k = 0, m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			k++;
	return k;
}

static json_t *doc_with_rows(int rows)
{
	json_t *r = json_array();
	for (int i = 0; i < rows; i++)
		json_array_append_new(r, json_pack("[s,s,s]", "成就导向", "高级", "4.5"));
	return json_pack(
		"{s:s,s:[s,s],s:s,s:[{s:s,s:{s:[s,s,s],s:[i,i,i],s:o}},{s:s,s:[s],s:[s]}],s:s}", "title",
		"张三 能力素质报告", "meta", "部门：政企一部", "职级：3", "svg",
		"<svg xmlns='http://www.w3.org/2000/svg' width='100' height='100'><circle cx='50' cy='50' r='40' "
		"fill='none' stroke='red'/></svg>",
		"sections", "heading", "项目", "table", "columns", "项目", "要求", "实际", "widths", 3, 1, 1, "rows", r,
		"heading", "发展建议", "paragraphs", "按要求级别的行为指标：", "bullets", "付出努力，想把工作做好。",
		"footer", "examd");
}

static void one_page(void **state)
{
	(void)state;
	json_t *doc = doc_with_rows(8);
	unsigned char *pdf = NULL;
	size_t len = 0;
	char err[128] = "";
	assert_true(report_pdf(doc, &pdf, &len, err, sizeof err));
	assert_true(len > 1000);
	assert_memory_equal(pdf, "%PDF-", 5);
	assert_true(count(pdf, len, "%%EOF") >= 1);
	assert_int_equal(count(pdf, len, "/Type /Page\n") + count(pdf, len, "/Type /Page "), 1);
	assert_true(count(pdf, len, "/FontFile") >= 1); /* an embedded font: text, not pictures */
	free(pdf);
	json_decref(doc);
}

static void long_table_continues(void **state)
{
	(void)state;
	json_t *doc = doc_with_rows(150);
	unsigned char *pdf = NULL;
	size_t len = 0;
	assert_true(report_pdf(doc, &pdf, &len, NULL, 0));
	assert_true(count(pdf, len, "/Type /Page\n") + count(pdf, len, "/Type /Page ") >= 3);
	free(pdf);
	json_decref(doc);
}

static void malformed(void **state)
{
	(void)state;
	unsigned char *pdf = (unsigned char *)"x";
	size_t len = 7;
	char err[128] = "";
	json_t *doc = json_pack("{s:[]}", "sections");
	assert_false(report_pdf(doc, &pdf, &len, err, sizeof err));
	assert_null(pdf);
	assert_int_equal(len, 0);
	assert_true(strlen(err) > 0);
	json_decref(doc);
	doc = json_pack("{s:s,s:[{s:{s:[],s:[]}}]}", "title", "t", "sections", "table", "columns", "rows");
	assert_false(report_pdf(doc, &pdf, &len, err, sizeof err));
	json_decref(doc);
	doc = json_pack("{s:s,s:s,s:[]}", "title", "t", "svg", "<svg", "sections");
	assert_false(report_pdf(doc, &pdf, &len, err, sizeof err));
	assert_non_null(strstr(err, "chart"));
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_page),
		cmocka_unit_test(long_table_continues),
		cmocka_unit_test(malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
