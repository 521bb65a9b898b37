// Every message a user sees, in Chinese: the server's errors carry a stable code (and for import
// rows, details with the parameters); this is the one table that turns them into text. The
// server's English message stays for API clients and logs and is never shown.

export const ERROR_ZH = {
  unauthenticated: '未登录或登录已过期',
  forbidden: '没有权限',
  not_found: '未找到要访问的内容',
  method_not_allowed: '不支持的操作',
  attempt_closed: '本次考试已结束',
  attempts_exhausted: '考试次数已用完',
  conflict: '数据已被他人修改，请刷新后重试',
  too_large: '文件过大',
  validation_failed: '内容校验未通过',
  pool_too_small: '题库中可用题目不足，无法按蓝图组卷',
  exam_unavailable: '该考试暂不可用：尚未配置试卷或题目不足，请联系培训管理员',
  rate_limited: '操作过于频繁，请稍后再试',
  unavailable: '服务暂时不可用，请稍后再试',
  invalid_field: '输入有误',
  bad_json: '请求格式有误',
  network: '网络连接失败',
};

const COLUMN_ZH = {
  item: '知识项', subtopic: '知识点', level: '级别', type: '题型', stem: '题干', answer: '答案',
  points: '分值', explanation: '解析', external_id: '编号', options: '选项', questions: '题目列表',
  employee: '员工', score: '评分', relation: '评价关系', period: '周期', rated_level: '评价级别',
  rated_at: '评价时间', note: '备注', rater: '评价人', ratings: '评价列表',
};

const TYPE_ZH = {single: '单选', multiple: '多选', truefalse: '判断', fill: '填空'};

// The Chinese name of an import column ("answer" -> 答案, "c" -> 选项 C); '' for none.
export function columnZh(c) {
  if (c === null || c === undefined || c === '') return '';
  if (COLUMN_ZH[c]) return COLUMN_ZH[c];
  if (/^[a-h]$/i.test(c)) return `选项 ${c.toUpperCase()}`;
  return '其他列';
}

const q = (v) => `“${v ?? ''}”`;

// One text per import error code (service/domain/rowerr.c, migration 0023); d = details.
const ROW_ERROR_ZH = {
  required: (d, e) => `${columnZh(e.column) || '该列'}不能为空`,
  answer_single_letter: (d) => `单选题答案应为一个选项字母（A–H）${d.value !== undefined ? '，实际为' + q(d.value) : ''}`,
  answer_multiple_letters: (d) => `多选题答案应为选项字母，如 ACD 或 A,C,D${d.value !== undefined ? '，实际为' + q(d.value) : ''}`,
  answer_multiple_two: () => '多选题答案至少需要 2 个不同的字母',
  answer_letter_twice: (d) => `答案字母 ${d.letter} 重复出现`,
  answer_letter_no_option: (d) => `答案字母 ${d.letter} 没有对应的选项`,
  answer_not_letters: (d) => `${TYPE_ZH[d.type] || ''}题的答案应为选项字母，不能是对/错`,
  answer_truefalse: (d) => `判断题答案应为 对/错（或 true/false、T/F），实际为${q(d.value)}`,
  answer_fill_text: () => '填空题答案应为文字，不能是对/错',
  answer_fill_empty: (d) => `第 ${d.index} 个填空答案为空（请检查分隔符“|”）`,
  answer_fill_too_many: (d) => `填空答案写法过多（最多 ${d.max} 种）`,
  answer_not_text: () => '答案格式不正确',
  too_long: (d, e) => `${columnZh(d.field) || columnZh(e.column) || '内容'}过长（最多 ${d.max} 字节）`,
  unknown_item: (d) => `未知的知识项${q(d.value)}（请填写知识项代码或中文名称）`,
  unknown_behaviour_item: (d) => `未知的能力项${q(d.value)}（请填写 14 项行为能力之一的代码或中文名称）`,
  item_not_exam: (d) => `“${d.item_zh}”是行为评价项，不能出考试题`,
  item_not_behaviour: (d) => `“${d.item_zh}”是考试项，由考试成绩计分，不能评价`,
  unknown_subtopic: (d) => `未知的知识点${q(d.value)}`,
  subtopic_other_item: () => '该知识点不属于所填的知识项',
  unknown_level: (d) => `未知的级别${q(d.value)}（初级、中级、高级、资深）`,
  unknown_type: (d) => `未知的题型${q(d.value)}（单选、多选、判断、填空）`,
  option_empty: (d) => `选项 ${d.letter} 为空`,
  options_gap: (d) => `选项 ${String(d.letter).toUpperCase()} 为空但后面的选项 ${String(d.later).toUpperCase()} 有内容：选项须从 A 起连续填写`,
  options_too_few: (d) => `${TYPE_ZH[d.type] || ''}题至少需要 2 个选项，实际 ${d.count} 个`,
  options_not_allowed: (d) => `${TYPE_ZH[d.type] || ''}题不需要选项，但填写了选项 ${String(d.letter).toUpperCase()}`,
  options_too_many: (d) => `选项过多（最多 ${d.max} 个，实际 ${d.count} 个）`,
  invalid_points: (d) => `分值应为正数，实际为${q(d.value)}`,
  duplicate_external_id: (d) => `编号${q(d.value)}与第 ${excelRow(d.other_row)} 行重复`,
  duplicate_question: (d) => `与第 ${excelRow(d.other_row)} 行的题目重复（知识项、知识点、级别和题干都相同）`,
  too_many_rows: (d) => `一次导入的行数过多（最多 ${d.max} 行）`,
  no_model: () => '能力模型尚未加载，请稍后再试',
  empty_file: () => '文件为空：第一行应为表头',
  csv_syntax: (d) => `CSV 格式有误（第 ${d.line} 行附近，常见原因：引号未成对）`,
  unknown_column: (d) => `无法识别的列名${q(d.value)}`,
  duplicate_column: (d) => `列${q(columnZh(d.field) || d.field)}出现了不止一次`,
  missing_column: (d) => `缺少必填列“${d.field_zh || columnZh(d.field)}”`,
  field_count: (d) => `本行有 ${d.count} 个单元格，而表头只有 ${d.expected} 列`,
  unnamed_column: () => '本行在没有表头名称的列中填写了内容',
  no_rows: () => '文件只有表头，没有数据行',
  json_shape: () => 'JSON 文件结构不正确',
  json_syntax: (d) => `JSON 格式有误（第 ${d.line} 行第 ${d.position} 列）`,
  control_characters: (d, e) => `${columnZh(d.field) || columnZh(e.column) || '内容'}含有不可见的控制字符`,
  score_range: (d) => `评分应为 0–6 的整数${d.value !== undefined ? '，实际为' + q(d.value) : ''}`,
  invalid_username: (d) => `员工应填写工号（登录名），实际为${q(d.value)}`,
  unknown_relation: (d) => `未知的评价关系${q(d.value)}（自评、上级、同事、下属、客户、人力资源）`,
  invalid_time: (d) => `评价时间格式不正确${q(d.value)}（如 2026-06-30 或 2026-06-30T09:00:00+08:00）`,
  unknown_employee: (d) => `没有工号为${q(d.value)}的用户`,
  not_employee: (d) => `${q(d.value)}不是员工账号，不能被评价`,
};

// Excel's row of a data row: the header is row 1, so data row n is row n + 1.
export function excelRow(row) {
  const n = Number(row);
  return Number.isFinite(n) && n > 0 ? n + 1 : null;
}

// The Chinese text of one import error {row, column, code, details}.
export function rowErrorText(e) {
  const f = ROW_ERROR_ZH[e && e.code];
  if (f) {
    try { return f(e.details || {}, e); } catch { /* fall through */ }
  }
  const col = columnZh(e && e.column);
  return col ? `${col}的内容不正确` : '内容不正确';
}

// The text of any failure: Chinese by code, with the parameters the code needs.
export function errorTextOf(status, code, body, retryAfter) {
  if (status === 0) return ERROR_ZH.network;
  if (code === 'rate_limited') {
    const s = Number(retryAfter);
    return Number.isFinite(s) && s > 0 ? `${ERROR_ZH.rate_limited}（约 ${s >= 90 ? Math.ceil(s / 60) + ' 分钟' : s + ' 秒'}后可再试）` : ERROR_ZH.rate_limited;
  }
  if (code === 'pool_too_small' && body && Array.isArray(body.shortages) && body.shortages.length) {
    return `${ERROR_ZH.pool_too_small}（${body.shortages.length} 行抽题规则的可用题目不够）`;
  }
  if (ERROR_ZH[code]) return ERROR_ZH[code];
  if (status >= 500) return ERROR_ZH.unavailable;
  return `操作未成功（错误 ${status}）`;
}

// Who made something: the service itself shows as 系统.
export function actorName(name) {
  if (!name || name === 'examd' || name === 'system') return '系统';
  return name;
}
