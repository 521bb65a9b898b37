/* Unit tests for domain/radar: the profile radar chart as SVG.
 * Set RADAR_SAMPLE_OUT=/tmp/radar-sample.svg to keep a sample to look at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "domain/radar.h"

/* The 18 items of the competency model, in model order. */
static const char *const ITEMS[18] = {
	"成就导向",     "抗挫能力",     "沟通倾听能力", "书面表达能力", "人际交往能力", "执行能力",
	"情绪控制能力", "协调能力",     "通用基础知识", "专业基础知识", "岗位基础知识", "岗位基本技能",
	"信息收集能力", "需求分析能力", "定制策略能力", "主动营销能力", "客户保持能力", "客户关系能力",
};

/* A realistic profile: exam bands and behaviour values, three missing. */
static void profile(struct radar_axis *ax)
{
	static const int tenths[18] = {50, 45, -1, 60, 40, 55, 50, -1, 30, 45, 50, 52, 48, 0, -1, 35, 58, 50};
	for (size_t i = 0; i < 18; i++) {
		ax[i].label = ITEMS[i];
		ax[i].has_value = tenths[i] >= 0;
		ax[i].value_tenths = tenths[i] >= 0 ? tenths[i] : 0;
		ax[i].note = NULL;
	}
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
		n++;
	return n;
}

/* The value of attribute `name` in the first element that starts with
 * `tag_prefix` (e.g. "<circle class=\"standard\""). */
static double attr_num(const char *svg, const char *tag_prefix, const char *name)
{
	const char *p = strstr(svg, tag_prefix);
	if (!p)
		fail_msg("no element %s", tag_prefix);
	const char *end = strchr(p, '>');
	char key[32];
	snprintf(key, sizeof key, " %s=\"", name);
	const char *a = strstr(p, key);
	if (!a || a > end)
		fail_msg("%s has no %s", tag_prefix, name);
	return strtod(a + strlen(key), NULL);
}

/* Number of x,y pairs in the points of the first element at tag_prefix. */
static size_t point_count(const char *svg, const char *tag_prefix)
{
	const char *p = strstr(svg, tag_prefix);
	if (!p)
		fail_msg("no element %s", tag_prefix);
	p = strstr(p, " points=\"");
	assert_non_null(p);
	p += strlen(" points=\"");
	size_t n = 0;
	for (; *p && *p != '"'; p++)
		n += *p == ',';
	return n;
}

/* The visible name of the next axis label after p (its text without tags
 * and without the status line) into out; returns where it ended, or NULL. */
static const char *next_label(const char *p, char *out, size_t cap)
{
	p = strstr(p, "<text class=\"label");
	if (!p)
		return NULL;
	const char *end = strstr(p, "</text>");
	assert_non_null(end);
	const char *status = strstr(p, "<tspan class=\"status\"");
	assert_true(status && status < end);
	size_t n = 0;
	bool in_tag = false;
	for (const char *q = strchr(p, '>') + 1; q < status; q++) {
		if (*q == '<')
			in_tag = true;
		else if (*q == '>')
			in_tag = false;
		else if (!in_tag && n + 1 < cap)
			out[n++] = *q;
	}
	out[n] = '\0';
	return end;
}

/* A small well-formedness check: tags balance as a stack, attribute values
 * are quoted, and every '&' starts one of the five entities. */
static void check_well_formed(const char *s)
{
	const char *stack[256];
	size_t lens[256];
	size_t depth = 0, roots = 0;
	for (const char *p = s; *p;) {
		if (*p == '&') {
			static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
			bool ok = false;
			for (size_t i = 0; i < 5; i++)
				ok = ok || strncmp(p, ents[i], strlen(ents[i])) == 0;
			if (!ok)
				fail_msg("raw & at offset %zu", (size_t)(p - s));
			p++;
			continue;
		}
		if (*p == '>')
			fail_msg("stray > at offset %zu", (size_t)(p - s));
		if (*p != '<') {
			p++;
			continue;
		}
		bool closing = p[1] == '/';
		const char *name = p + 1 + closing;
		size_t nlen = strcspn(name, " \t\n/>");
		assert_true(nlen > 0);
		const char *q = name + nlen;
		bool in_quote = false;
		for (; *q && (in_quote || *q != '>'); q++) {
			if (*q == '"')
				in_quote = !in_quote;
			else if (in_quote && *q == '<')
				fail_msg("raw < in an attribute at offset %zu", (size_t)(q - s));
		}
		assert_int_equal(*q, '>');
		bool empty = q[-1] == '/';
		if (closing) {
			assert_true(depth > 0);
			depth--;
			if (lens[depth] != nlen || strncmp(stack[depth], name, nlen) != 0)
				fail_msg("</%.*s> closes <%.*s>", (int)nlen, name, (int)lens[depth], stack[depth]);
		} else if (!empty) {
			if (depth == 0)
				roots++;
			assert_true(depth < 256);
			stack[depth] = name;
			lens[depth++] = nlen;
		}
		p = q + 1;
	}
	assert_int_equal(depth, 0);
	assert_int_equal(roots, 1);
}

/* xmllint, when installed, is the authority on well-formedness. */
static void check_xmllint(const char *svg)
{
	if (access("/usr/bin/xmllint", X_OK) != 0)
		return;
	char path[] = "/tmp/test_radar_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(svg, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "/usr/bin/xmllint --noout %s", path);
	int rc = system(cmd);
	unlink(path);
	assert_int_equal(rc, 0);
}

static void check_document(const char *svg)
{
	assert_non_null(svg);
	size_t len = strlen(svg);
	while (len > 0 && (svg[len - 1] == '\n' || svg[len - 1] == ' '))
		len--;
	assert_true(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
	assert_true(len > 6 && strncmp(svg + len - 6, "</svg>", 6) == 0);
	check_well_formed(svg);
	check_xmllint(svg);
}

static void test_profile_chart(void **state)
{
	(void)state;
	struct radar_axis ax[18];
	profile(ax);
	char *svg = radar_svg(ax, 18, "张三 · 能力画像 (2024H1)", 600);
	check_document(svg);

	const char *keep = getenv("RADAR_SAMPLE_OUT");
	if (keep) {
		FILE *f = fopen(keep, "w");
		assert_non_null(f);
		fputs(svg, f);
		fclose(f);
	}

	assert_non_null(strstr(svg, " width=\"600\" height=\"600\" viewBox=\"0 0 600 600\""));
	assert_non_null(strstr(svg, "<title>张三 · 能力画像 (2024H1)</title>"));
	assert_non_null(strstr(svg, "Noto Sans CJK SC"));

	/* Every label is shown, in order; long ones are wrapped on two lines. */
	const char *p = svg;
	for (size_t i = 0; i < 18; i++) {
		char text[128];
		p = next_label(p, text, sizeof text);
		if (!p || strcmp(text, ITEMS[i]) != 0)
			fail_msg("label %zu: got \"%s\", want \"%s\"", i, p ? text : "(none)", ITEMS[i]);
	}
	assert_null(next_label(p, (char[8]){0}, 8));
	assert_non_null(strstr(svg, ">成就导向<"));
	assert_non_null(strstr(svg, "<tspan>沟通倾</tspan>"));
	assert_non_null(strstr(svg, ">听能力</tspan>"));

	/* Missing items: grey label with 无数据 and a hollow marker each, not a point at 0. */
	assert_int_equal(count(svg, "class=\"label label-missing\""), 3);
	assert_int_equal(count(svg, "<circle class=\"missing\""), 3);
	assert_int_equal(count(svg, "（无数据）</tspan>"), 3);
	assert_non_null(strstr(svg, "<title>沟通倾听能力（无数据）</title>"));
	assert_int_equal(count(svg, "<circle class=\"value\""), 15);

	/* The standard: a red circle at 5/6 of the outer ring. */
	double outer = attr_num(svg, "<circle class=\"ring ring-outer\"", "r");
	double std = attr_num(svg, "<circle class=\"standard\"", "r");
	assert_true(outer > 150.0);
	assert_true(std > outer * 5.0 / 6.0 - 0.11 && std < outer * 5.0 / 6.0 + 0.11);
	assert_non_null(strstr(svg, "<circle class=\"standard\""));
	assert_non_null(strstr(strstr(svg, "<circle class=\"standard\""), "stroke=\"#d62728\""));
	assert_int_equal(count(svg, "<circle class=\"ring"), 6);

	/* The actual values: one blue polygon through the 15 present points. */
	assert_int_equal(count(svg, "<polygon"), 1);
	assert_int_equal(point_count(svg, "<polygon class=\"actual\""), 15);
	assert_non_null(strstr(svg, "fill=\"#1f77b4\" fill-opacity=\"0.25\""));

	/* Axis 0 points straight up; the value 0 (需求分析能力) sits at the centre. */
	double cx = attr_num(svg, "<circle class=\"standard\"", "cx");
	double cy = attr_num(svg, "<circle class=\"standard\"", "cy");
	double x1 = attr_num(svg, "<line class=\"axis\"", "x2");
	double y1 = attr_num(svg, "<line class=\"axis\"", "y2");
	assert_true(x1 > cx - 0.11 && x1 < cx + 0.11);
	assert_true(y1 < cy - outer + 0.11 && y1 > cy - outer - 0.11);

	/* Legend and ring labels. */
	assert_non_null(strstr(svg, ">实际<"));
	assert_non_null(strstr(svg, ">标准 (5)<"));
	assert_non_null(strstr(svg, ">缺失（无数据）<"));
	for (int r = 0; r <= 6; r++) {
		char want[16];
		snprintf(want, sizeof want, "\">%d</text>", r);
		assert_non_null(strstr(svg, want));
	}
	free(svg);
}

static void test_escaping(void **state)
{
	(void)state;
	struct radar_axis ax[18];
	profile(ax);
	ax[1].label = "A&B<C>";
	ax[2].label = "引号\"与'撇号";
	char *svg = radar_svg(ax, 18, "<script>&\"'", 600);
	check_document(svg);
	assert_non_null(strstr(svg, "A&amp;B&lt;C&gt;"));
	assert_null(strstr(svg, "A&B"));
	assert_null(strstr(svg, "<C>"));
	assert_null(strstr(svg, "<script"));
	assert_non_null(strstr(svg, "<title>&lt;script&gt;&amp;&quot;&apos;</title>"));
	assert_non_null(strstr(svg, "&quot;与&apos;"));
	free(svg);
}

/* A value's note (an exam item's score and measurement error) goes into its point's tooltip,
 * escaped; a missing item has none. */
static void test_note_in_the_tooltip(void **state)
{
	(void)state;
	struct radar_axis ax[18];
	profile(ax);
	assert_true(ax[0].has_value);
	ax[0].note = "标准分 85.00，测量误差 ±4.2 分 <&>";
	char *svg = radar_svg(ax, 18, NULL, 600);
	check_document(svg);
	assert_non_null(strstr(svg, "（标准分 85.00，测量误差 ±4.2 分 &lt;&amp;&gt;）</title>"));
	assert_null(strstr(svg, "<&>"));
	free(svg);
	ax[0].note = "";
	svg = radar_svg(ax, 18, NULL, 600);
	check_document(svg);
	assert_null(strstr(svg, "（）"));
	free(svg);
}

/* Drawn for a phone (360 px), the labels keep 85 % of their size on the 600 px chart (11 px, not
 * 7.8): the rings get less room instead. */
static void test_phone_size_keeps_labels_readable(void **state)
{
	(void)state;
	struct radar_axis ax[18];
	profile(ax);
	char *svg = radar_svg(ax, 18, "t", 360);
	check_document(svg);
	assert_non_null(strstr(svg, "font-size=\"11.0\""));
	assert_null(strstr(svg, "font-size=\"7.8\""));
	free(svg);
	svg = radar_svg(ax, 18, "t", 600);
	check_document(svg);
	assert_non_null(strstr(svg, "font-size=\"13.0\""));
	free(svg);
}

static void test_bad_bytes_stay_well_formed(void **state)
{
	(void)state;
	struct radar_axis ax[3] = {
		{"bad \xff\xfe utf8", true, 10, NULL},
		{"ctl\x01\x1f here", true, 20, NULL},
		{"over\xc0\xaf long \xed\xa0\x80", true, 30, NULL},
	};
	char *svg = radar_svg(ax, 3, "t\x02", 300);
	check_document(svg);
	assert_non_null(strstr(svg, "\xef\xbf\xbd")); /* U+FFFD */
	free(svg);
}

static void test_all_missing(void **state)
{
	(void)state;
	struct radar_axis ax[18];
	profile(ax);
	for (size_t i = 0; i < 18; i++)
		ax[i].has_value = false;
	char *svg = radar_svg(ax, 18, NULL, 600);
	check_document(svg);
	assert_true(strncmp(strchr(svg, '\n') + 1, "<desc>", 6) == 0); /* no document <title> */
	assert_null(strstr(svg, "class=\"heading\""));
	assert_null(strstr(svg, "<polygon"));
	assert_null(strstr(svg, "<polyline"));
	assert_null(strstr(svg, "class=\"value\""));
	assert_int_equal(count(svg, "<circle class=\"missing\""), 18);
	assert_non_null(strstr(svg, "<circle class=\"standard\""));
	free(svg);
}

static void test_few_present(void **state)
{
	(void)state;
	struct radar_axis ax[18];
	profile(ax);
	for (size_t i = 0; i < 18; i++)
		ax[i].has_value = i == 4 || i == 9;
	char *svg = radar_svg(ax, 18, "two", 600);
	check_document(svg);
	assert_null(strstr(svg, "<polygon"));
	assert_int_equal(point_count(svg, "<polyline class=\"actual\""), 2);
	assert_int_equal(count(svg, "<circle class=\"value\""), 2);
	free(svg);

	for (size_t i = 0; i < 18; i++)
		ax[i].has_value = i == 7;
	svg = radar_svg(ax, 18, "one", 600);
	check_document(svg);
	assert_null(strstr(svg, "<polygon"));
	assert_null(strstr(svg, "<polyline"));
	assert_int_equal(count(svg, "<circle class=\"value\""), 1);
	free(svg);
}

static void test_sizes_and_shapes(void **state)
{
	(void)state;
	struct radar_axis ax[64];
	for (size_t i = 0; i < 64; i++)
		ax[i] = (struct radar_axis){ITEMS[i % 18], i % 5 != 0, (int)(i % 61), NULL};
	static const size_t ns[] = {3, 5, 18, 64};
	static const int sizes[] = {200, 600, 4000};
	for (size_t a = 0; a < 4; a++)
		for (size_t b = 0; b < 3; b++) {
			char *svg = radar_svg(ax, ns[a], "尺寸", sizes[b]);
			check_document(svg);
			char want[64];
			snprintf(want, sizeof want, "viewBox=\"0 0 %d %d\"", sizes[b], sizes[b]);
			assert_non_null(strstr(svg, want));
			free(svg);
		}

	/* A very long label is cut with an ellipsis, and still escaped. */
	struct radar_axis big[3] = {
		{"中国电信政企客户营销战略与客户关系管理综合能力评估&考核", true, 50, NULL},
		{"x", false, 0, NULL},
		{"y", true, 60, NULL},
	};
	char *svg = radar_svg(big, 3, NULL, 600);
	check_document(svg);
	assert_non_null(strstr(svg, "…"));
	free(svg);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct radar_axis ax[65];
	for (size_t i = 0; i < 65; i++)
		ax[i] = (struct radar_axis){ITEMS[i % 18], true, 50, NULL};
	assert_null(radar_svg(NULL, 18, "t", 600));
	assert_null(radar_svg(ax, 2, "t", 600));
	assert_null(radar_svg(ax, 65, "t", 600));
	assert_null(radar_svg(ax, 18, "t", 199));
	assert_null(radar_svg(ax, 18, "t", 4001));
	assert_null(radar_svg(ax, 18, "t", -600));
	ax[3].value_tenths = 61;
	assert_null(radar_svg(ax, 18, "t", 600));
	ax[3].value_tenths = -1;
	assert_null(radar_svg(ax, 18, "t", 600));
	ax[3].has_value = false; /* ignored when missing */
	char *svg = radar_svg(ax, 18, "t", 600);
	assert_non_null(svg);
	free(svg);
	ax[5].label = NULL;
	assert_null(radar_svg(ax, 18, "t", 600));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_chart),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_note_in_the_tooltip),
		cmocka_unit_test(test_phone_size_keeps_labels_readable),
		cmocka_unit_test(test_bad_bytes_stay_well_formed),
		cmocka_unit_test(test_all_missing),
		cmocka_unit_test(test_few_present),
		cmocka_unit_test(test_sizes_and_shapes),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
