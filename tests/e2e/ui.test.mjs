// Browser tests of the examd web UI in headless Debian Chromium (playwright-core, no downloaded
// browser). Run: EXAMD_URL=http://127.0.0.1:8080 node tests/e2e/ui.test.mjs
//
// Environment:
//   EXAMD_URL                       the running examd (required)
//   E2E_EMPLOYEE / E2E_PASSWORD     an employee whose exams have blueprints (default emp3)
//   E2E_TIMEOUT_EMPLOYEE            a second employee for the time-out test (default emp4)
//   E2E_TRAINER / E2E_HR            a trainer and an HR user (default trainer1, hr1)
//   E2E_PASSWORD                    the password of all of them
//   CHROMIUM                        the browser (default /usr/bin/chromium)
// The time-out test rewrites one blueprint (the time-out employee's job_skills exam) to 30 s.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.EXAMD_URL || '').replace(/\/$/, '');
const PASSWORD = process.env.E2E_PASSWORD || 'correct-horse-9';
const EMPLOYEE = process.env.E2E_EMPLOYEE || 'emp3';
const EMPLOYEE2 = process.env.E2E_TIMEOUT_EMPLOYEE || 'emp4';
const TRAINER = process.env.E2E_TRAINER || 'trainer1';
const HR = process.env.E2E_HR || 'hr1';
const SHOTS = path.join(HERE, 'screenshots');

if (!BASE) {
  console.error('EXAMD_URL is required');
  process.exit(2);
}
// The whole run is bounded: a hung browser must not hang CI.
const watchdog = setTimeout(() => {
  console.error('e2e: the run took longer than 480 s; giving up');
  process.exit(1);
}, 480000);
watchdog.unref();

let context;
let page;
let userDir;
const problems = []; // CSP violations and uncaught page errors, from every page

function watch(p) {
  p.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (execute|load|apply|evaluate|connect|frame)/i.test(text)) problems.push('CSP: ' + text);
    else if (msg.type() === 'error' && !/Failed to load resource|net::ERR_INTERNET_DISCONNECTED/i.test(text)) problems.push('console error: ' + text);
  });
  p.on('pageerror', (err) => problems.push('pageerror: ' + (err && err.stack || err)));
}

async function apiCall(method, p, token, body) {
  const res = await fetch(BASE + '/api/v1' + p, {
    method,
    headers: {...(token ? {Authorization: 'Bearer ' + token} : {}), ...(body ? {'Content-Type': 'application/json'} : {})},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return {status: res.status, json, text};
}

async function apiLogin(username) {
  const r = await apiCall('POST', '/login', null, {username, password: PASSWORD});
  assert.equal(r.status, 200, `login ${username}: ${r.text}`);
  return r.json.token;
}

async function uiLogin(p, username) {
  await p.goto(BASE + '/#/login');
  await p.getByLabel('用户名').fill(username);
  await p.getByLabel('密码').fill(PASSWORD);
  await p.getByRole('button', {name: '登录'}).click();
  await p.locator('#logout').waitFor();
}

async function uiLogout(p) {
  await p.locator('#logout').click();
  await p.getByRole('button', {name: '登录'}).waitFor();
}

async function shot(p, name) {
  fs.mkdirSync(SHOTS, {recursive: true});
  // The whole page, unless it is very long (a list of hundreds of rows): then the first screens.
  const height = await p.evaluate(() => document.scrollingElement.scrollHeight);
  const width = p.viewportSize().width;
  await p.screenshot({path: path.join(SHOTS, name), fullPage: height <= 6000, timeout: 30000,
    ...(height > 6000 ? {clip: {x: 0, y: 0, width, height: 6000}, fullPage: true} : {})});
}

// Every form control has a <label> (label for=, or wrapping).
async function assertLabelled(p, where) {
  const bad = await p.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((x) => x.type !== 'hidden' && !(x.labels && x.labels.length)).map((x) => x.outerHTML.slice(0, 160)));
  assert.deepEqual(bad, [], 'controls without a label on ' + where);
}

const token = (p) => p.evaluate(() => localStorage.getItem('examd.token'));
const currentQid = (p) => p.locator('article.question:not([hidden])').getAttribute('data-qid');

// Answers the visible question: the first option (two for multiple choice), or a fill text.
async function answerVisible(p, text = 'SUMIF') {
  const card = p.locator('article.question:not([hidden])');
  // Wait for the question to be drawn before looking at its kind (fill or options).
  await card.locator('input.fill-input, label.option').first().waitFor();
  const fill = card.locator('input.fill-input');
  if (await fill.count()) {
    await fill.fill(text);
    await fill.press('Tab');
    return;
  }
  const labels = card.locator('label.option');
  await labels.nth(0).click();
  if (await card.locator('input[type=checkbox]').count()) await labels.nth(1).click();
}

before(async () => {
  userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'examd-e2e-'));
  context = await chromium.launchPersistentContext(userDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: {width: 1280, height: 860},
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(10000);
  context.on('page', watch);
  page = context.pages()[0] || await context.newPage();
  watch(page);
});

after(async () => {
  if (context) await context.close();
  if (userDir) fs.rmSync(userDir, {recursive: true, force: true});
});

test('the page is served with the CSP and Tab reaches the login button', async () => {
  const res = await page.goto(BASE + '/');
  const csp = res.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /default-src 'self'/);
  await page.getByRole('button', {name: '登录'}).waitFor();
  await page.locator('body').focus();
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let reached = false;
  const seen = [];
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement;
      return {tag: a.tagName, text: (a.textContent || '').trim(), type: a.getAttribute('type'), label: a.labels && a.labels[0] ? a.labels[0].textContent : null};
    });
    seen.push(el.tag + ':' + (el.label || el.text));
    reached = el.tag === 'BUTTON' && el.text === '登录';
  }
  assert.ok(reached, 'Tab order: ' + seen.join(' → '));
  await assertLabelled(page, 'the login page');
  // A wrong password is reported in Chinese, without leaving the page.
  await page.getByLabel('用户名').fill(EMPLOYEE);
  await page.getByLabel('密码').fill('wrong-password');
  await page.keyboard.press('Enter');
  await page.getByText('用户名或密码错误').waitFor();
  await shot(page, 'login.png');
});

let attemptId;
let examItem;

test('employee: exam list, start, answer (已保存), reload restores, offline queue syncs, submit, result', async () => {
  await uiLogin(page, EMPLOYEE);
  await page.getByRole('heading', {name: '我的考试'}).waitFor();
  const cards = page.locator('li.exam-card');
  assert.ok(await cards.count() >= 1, 'at least one exam is open');
  // Pick an exam with attempts left and no open attempt.
  const card = page.locator('li.exam-card', {has: page.getByRole('button', {name: '开始考试'})}).first();
  examItem = await card.getAttribute('data-item');
  await card.getByText('剩余次数').waitFor();
  await shot(page, 'exams.png');
  await card.getByRole('button', {name: '开始考试'}).click();
  await page.getByRole('dialog').getByRole('button', {name: '确定开始'}).click();
  await page.waitForURL(/#\/exam\/\d+/);
  attemptId = page.url().match(/#\/exam\/(\d+)/)[1];
  await page.locator('#timer').getByText(/^\d\d:\d\d$/).waitFor();
  const status = page.locator('#save-status');

  // Answer question 1 and 2; each is saved at once.
  const q1 = await currentQid(page);
  await answerVisible(page);
  await status.getByText('已保存').waitFor();
  await page.getByRole('button', {name: '下一题'}).click();
  const q2 = await currentQid(page);
  await answerVisible(page);
  await status.getByText('已保存').waitFor();
  assert.match(await page.locator('.q-nav-btn[data-n="1"]').getAttribute('class'), /answered/);
  assert.match(await page.locator('.q-nav-btn[data-n="1"]').getAttribute('aria-label'), /已作答/);
  await shot(page, 'exam.png');
  await assertLabelled(page, 'the exam page');

  // The server has both answers.
  const tok = await token(page);
  let doc = (await apiCall('GET', `/attempts/${attemptId}`, tok)).json;
  assert.ok(q1 in doc.answers && q2 in doc.answers, JSON.stringify(doc.answers));

  // Reload: the answers come back, on the same question.
  await page.reload();
  await page.locator('#timer').getByText(/^\d\d:\d\d$/).waitFor();
  assert.equal(await currentQid(page), q2);
  await page.locator('.q-nav-btn[data-n="1"]').click();
  const restored = await page.locator(`#q-${q1}`).evaluate((el) => [...el.querySelectorAll('input')]
    .some((i) => (i.type === 'text' ? i.value !== '' : i.checked)));
  assert.ok(restored, 'question 1 answer restored after reload');
  assert.equal(await page.locator('.q-nav-btn.answered').count(), 2);

  // Offline: the change is queued and shown as such, then synced when the network returns.
  await page.locator('.q-nav-btn[data-n="3"]').click();
  const q3 = await currentQid(page);
  await context.setOffline(true);
  await answerVisible(page, 'offline answer');
  await status.getByText(/离线（1 条待同步）/).waitFor();
  doc = (await apiCall('GET', `/attempts/${attemptId}`, tok)).json;
  assert.ok(!(q3 in doc.answers), 'not saved while offline');
  // The queue survives a reload while offline (kept in localStorage).
  const queued = await page.evaluate((id) => JSON.parse(localStorage.getItem('examd.attempt.' + id)).pending, attemptId);
  assert.ok(q3 in queued, 'queued in localStorage');
  await context.setOffline(false);
  await status.getByText('已保存').waitFor();
  doc = (await apiCall('GET', `/attempts/${attemptId}`, tok)).json;
  assert.ok(q3 in doc.answers, 'synced after coming back online: ' + JSON.stringify(doc.answers));
  assert.ok(doc.answer_seqs[q3] >= 1);

  // Resume on another computer: a browser without this one's local state sees the same answers.
  await page.evaluate(() => localStorage.clear());
  await page.goto(BASE + '/#/exams');
  await page.getByRole('button', {name: '登录'}).waitFor();
  await uiLogin(page, EMPLOYEE);
  await page.getByRole('link', {name: /继续考试/}).first().click();
  await page.waitForURL(new RegExp(`#/exam/${attemptId}$`));
  await page.locator('.q-nav-btn.answered').nth(2).waitFor();
  assert.equal(await page.locator('.q-nav-btn.answered').count(), 3);

  // The countdown follows the server's clock, not the PC's: a page whose clock is 3 hours off
  // shows the same remaining time.
  const skewed = await context.newPage();
  await skewed.addInitScript(() => {
    const shift = -3 * 3600 * 1000;
    const RealDate = Date;
    const realNow = RealDate.now.bind(RealDate);
    // eslint-disable-next-line no-global-assign
    Date = class extends RealDate {
      constructor(...a) { super(...(a.length ? a : [realNow() + shift])); }
      static now() { return realNow() + shift; }
    };
  });
  await skewed.goto(`${BASE}/#/exam/${attemptId}`);
  await skewed.locator('#timer').getByText(/^\d\d:\d\d$/).waitFor();
  const [a, b] = await Promise.all([page.locator('#timer').textContent(), skewed.locator('#timer').textContent()]);
  const secs = (t) => t.split(':').reduce((acc, x) => acc * 60 + Number(x), 0);
  assert.ok(Math.abs(secs(a) - secs(b)) <= 2, `timer ${a} vs skewed ${b}`);
  doc = (await apiCall('GET', `/attempts/${attemptId}`, tok)).json;
  assert.ok(Math.abs(secs(b) - doc.remaining_seconds) <= 3, `skewed timer ${b} vs server ${doc.remaining_seconds}`);
  await skewed.close();

  // Submit, with a confirmation that can be cancelled.
  await page.getByRole('button', {name: '交卷'}).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByText(/未答 \d+ 题/).waitFor();
  await dlg.getByRole('button', {name: '继续作答'}).click();
  assert.equal(await page.getByRole('dialog').count(), 0);
  doc = (await apiCall('GET', `/attempts/${attemptId}`, tok)).json;
  assert.equal(doc.status, 'open');
  await page.getByRole('button', {name: '交卷'}).click();
  await page.getByRole('dialog').getByRole('button', {name: '确认交卷'}).click();
  await page.waitForURL(new RegExp(`#/result/${attemptId}`));
  await page.getByText('标准分', {exact: true}).waitFor();
  doc = (await apiCall('GET', `/attempts/${attemptId}`, tok)).json;
  assert.equal(doc.status, 'submitted');
  const band = await page.locator('#band').textContent();
  assert.ok(band.includes(doc.result.band_name_zh), `band ${band} vs ${doc.result.band_name_zh}`);
  assert.ok(['尚不具备', '差距很大', '差距明显', '大部分达标', '基本达标', '达标', '超标'].includes(doc.result.band_name_zh));
  const score = await page.locator('#standard-score').textContent();
  assert.equal(Number(score), Number(doc.result.standard_score));
  await page.getByRole('columnheader', {name: '知识点'}).waitFor();
  await shot(page, 'result.png');

  // Back on the list the counted result is shown.
  await page.getByRole('link', {name: '返回我的考试'}).click();
  await page.locator(`li.exam-card[data-item="${examItem}"] .counted .band`).waitFor();

  // A phone-sized screen still works: the exam list fits in 375 px.
  await page.setViewportSize({width: 375, height: 740});
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, 'no horizontal scrolling at 375 px: ' + overflow);
  await page.setViewportSize({width: 1280, height: 860});
});

test('trainer: a dry run of a bank with one bad row shows the error table with its row and column', async () => {
  await uiLogout(page);
  await uiLogin(page, TRAINER);
  await page.getByRole('heading', {name: '题库管理'}).waitFor();
  const csv = 'item,subtopic,level,type,stem,a,b,c,answer\n' +
    'job_skills,computer_operation,junior,single,E2E 题一,甲,乙,丙,A\n' +
    'job_skills,computer_operation,junior,single,<img src=x onerror=alert(1)> E2E 题二,甲,乙,丙,Z\n' +
    'job_skills,computer_operation,junior,truefalse,E2E 题三,,,,true\n';
  await page.getByLabel(/题库文件/).setInputFiles({name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf-8')});
  await page.getByRole('button', {name: /试运行/}).click();
  const report = page.locator('#bank-report');
  await report.getByText('试运行发现错误').waitFor();
  await shot(page, 'trainer-bank-errors.png');
  const rows = report.locator('table.error-table tbody tr');
  assert.equal(await rows.count(), 1);
  // The bank checks of the valid rows, in Chinese, and the cue-guessing baseline beside the bands.
  assert.ok(await report.locator('table.warning-table tr[data-code="few_options"]').count() >= 1);
  await report.getByText('单选题选项少于 4 个').first().waitFor();
  await report.locator('#bank-baselines').getByText(/考试等级线/).waitFor();
  // Data row 2 is Excel's row 3 (the header is row 1); the column and the reason in Chinese.
  assert.equal((await rows.nth(0).locator('td').nth(0).textContent()).trim(), '第 3 行');
  assert.equal((await rows.nth(0).locator('td').nth(1).textContent()).trim(), '答案');
  assert.equal((await rows.nth(0).locator('td').nth(2).textContent()).trim(), '单选题答案应为一个选项字母（A–H），实际为“Z”');
  assert.ok(await page.getByRole('button', {name: '正式导入'}).isDisabled());
  await assertLabelled(page, 'the bank page');
  // Nothing was imported.
  const tok = await token(page);
  const qs = (await apiCall('GET', '/questions?item=job_skills&level=junior', tok)).json.questions;
  assert.ok(!qs.some((q) => q.stem.startsWith('E2E')));

  // The questions page lists by item and level, and the blueprint editor shows pool sizes.
  await page.getByRole('link', {name: '试题浏览'}).first().click();
  await page.getByLabel('知识项').selectOption('job_skills');
  await page.getByLabel('级别').selectOption('junior');
  await page.getByRole('button', {name: '查询'}).click();
  await page.getByText(/共 \d+ 题/).waitFor();
  await page.getByRole('link', {name: '试卷蓝图'}).click();
  await page.locator('.draws-table tbody tr').first().waitFor();
  await shot(page, 'trainer-blueprints.png');
  await page.waitForFunction(() => [...document.querySelectorAll('.draws-table .avail')].every((x) => /^\d+$/.test(x.textContent)));
  await assertLabelled(page, 'the blueprint page');
});

test('time out: when the time runs out the page shows that the exam was submitted', async () => {
  // A 30-second blueprint for the second employee's job_skills exam.
  const trainerTok = await token(page);
  const bps = (await apiCall('GET', '/blueprints', trainerTok)).json.blueprints;
  const me2 = await apiLogin(EMPLOYEE2);
  const exams = (await apiCall('GET', '/exams', me2)).json.exams;
  const ex = exams.find((e) => e.item === 'job_skills') || exams[0];
  const bp = bps.find((b) => b.item === ex.item && b.level === ex.level);
  const put = await apiCall('PUT', `/blueprints/${bp.item}/${bp.level}`, trainerTok, {
    time_limit_seconds: 30, max_attempts: bp.max_attempts, grading: bp.grading,
    draws: bp.draws.map((d) => ({subtopic: d.subtopic, level: d.level, count: d.count}))});
  assert.equal(put.status, 200, put.text);
  await uiLogout(page);
  await uiLogin(page, EMPLOYEE2);
  await page.locator(`li.exam-card[data-item="${bp.item}"]`).getByRole('button', {name: '开始考试'}).click();
  await page.getByRole('dialog').getByRole('button', {name: '确定开始'}).click();
  await page.waitForURL(/#\/exam\/\d+/);
  const id = page.url().match(/#\/exam\/(\d+)/)[1];
  await answerVisible(page);
  await page.locator('#save-status').getByText('已保存').waitFor();
  await page.getByText('考试时间已到，试卷已自动提交').waitFor({timeout: 45000});
  await page.getByText('标准分', {exact: true}).waitFor();
  const doc = (await apiCall('GET', `/attempts/${id}`, me2)).json;
  assert.notEqual(doc.status, 'open');
  assert.ok(Object.keys(doc.answers).length >= 1, 'the saved answer counted');
});


test('hr: search, a profile with the radar chart and 18 items, the heat map and CSV, the model preview', async () => {
  await uiLogout(page);
  await uiLogin(page, HR);
  await page.getByRole('heading', {name: '员工查询'}).waitFor();
  const tok = await token(page);
  const model = (await apiCall('GET', '/model', tok)).json;
  // The real profile routes: no mocks.
  assert.equal((await apiCall('GET', `/employees/${EMPLOYEE}/profile`, tok)).status, 200);
  // User text is never rendered as HTML.
  const evil = '<img src=x onerror="window.__xss=1">恶意';
  const created = await apiCall('POST', '/users', tok, {username: 'e2e_xss', name: evil, role: 'employee', grade: 4,
    department: '政企<b>二部</b>', password: PASSWORD});
  assert.equal(created.status, 201, created.text);

  const filters = page.getByRole('form', {name: '查询员工'});
  await filters.getByLabel('职级').selectOption('4');
  await filters.getByRole('button', {name: '查询'}).click();
  await page.getByRole('link', {name: evil}).waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('main img').count(), 0);

  await page.goto(`${BASE}/#/hr/employee/${EMPLOYEE}`);
  await page.locator('.profile-table tbody tr').first().waitFor();
  assert.equal(await page.locator('.profile-table tbody tr').count(), 18);
  await page.waitForFunction(() => {
    const img = document.querySelector('img.radar');
    return img && img.src.startsWith('data:image/svg+xml') && img.complete && img.naturalWidth > 0;
  });
  await page.getByRole('columnheader', {name: '要求等级'}).waitFor();
  await page.getByRole('columnheader', {name: '差距'}).waitFor();
  await shot(page, 'hr-profile.png');

  await page.getByRole('link', {name: '部门能力画像'}).click();
  await page.locator('table.heatmap tbody tr').first().waitFor();
  assert.equal(await page.locator('table.heatmap tbody tr').first().locator('td.heat').count(), 18);
  await shot(page, 'hr-heatmap.png');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', {name: '下载 CSV'}).click()]);
  assert.match(dl.suggestedFilename(), /\.csv$/);
  const csv = fs.readFileSync(await dl.path());
  assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV keeps its BOM');
  assert.match(csv.toString('utf-8'), /username/);

  await page.getByRole('link', {name: '模型版本'}).click();
  await page.getByText(/变更预览（0 项）/).waitFor();
  await page.getByLabel('客户经理3级 · 主动营销能力 的要求等级').selectOption('senior');
  await page.getByText(/变更预览（1 项）/).waitFor();
  await page.getByText(/主动营销能力：中级 → 高级/).waitFor();
  await shot(page, 'hr-model-version.png');
  await assertLabelled(page, 'the model page');
  await page.getByRole('link', {name: '行为评价'}).click();
  await page.getByRole('heading', {name: '录入一条评价'}).waitFor();
  await assertLabelled(page, 'the ratings page');
  assert.deepEqual(problems, []);
});

test('hr: 晋级准备度 lists readiness with filters, counts and CSV; the profile downloads its PDF report', async () => {
  await uiLogout(page);
  await uiLogin(page, HR);
  await page.getByRole('heading', {name: '员工查询'}).waitFor();
  await page.getByRole('link', {name: '晋级准备度', exact: true}).click();
  await page.getByRole('heading', {name: '晋级准备度'}).waitFor();
  await page.locator('#readiness-table tbody tr').first().waitFor();
  const statuses = await page.locator('#readiness-table tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.status));
  const rank = ['ready', 'nearly', 'not_ready', 'top_grade'];
  assert.ok(statuses.length > 0);
  assert.deepEqual(statuses, [...statuses].sort((a, b) => rank.indexOf(a) - rank.indexOf(b)), 'ordered by readiness');
  await page.locator('#readiness-counts').getByText(/未就绪 \d+ 人/).waitFor();
  await shot(page, 'hr-readiness.png');
  const filters = page.getByRole('form', {name: '晋级准备度查询条件'});
  await filters.getByLabel('当前职级').selectOption('4');
  await filters.getByRole('button', {name: '查询'}).click();
  await page.waitForFunction(() => location.hash.includes('grade=4'));
  await page.locator('#readiness-table tbody tr').first().waitFor();
  const grades = await page.locator('#readiness-table tbody tr td:nth-child(3)').allTextContents();
  assert.ok(grades.length > 0 && grades.every((g) => g.includes('4')), grades.join(','));
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', {name: '下载 CSV'}).click()]);
  const csv = fs.readFileSync(await dl.path());
  assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV keeps its BOM');
  assert.match(csv.toString('utf-8'), /next_grade,status/);
  await assertLabelled(page, 'the readiness page');

  await page.goto(`${BASE}/#/hr/employee/${EMPLOYEE}`);
  await page.locator('.profile-table tbody tr').first().waitFor();
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', {name: '下载 PDF 报告'}).click()]);
  assert.match(pdf.suggestedFilename(), /\.pdf$/);
  const bytes = fs.readFileSync(await pdf.path());
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  await page.emulateMedia({media: 'print'});
  assert.equal(await page.locator('#topbar').isVisible(), false, 'the print stylesheet hides the navigation');
  await shot(page, 'hr-profile-print.png');
  await page.emulateMedia({media: 'screen'});
  await page.getByRole('link', {name: '晋级准备度', exact: true}).click(); // leave the profile: the next test opens it afresh
  await page.getByRole('heading', {name: '晋级准备度'}).waitFor();
  assert.deepEqual(problems, []);
});

test('raters stay anonymous to the employee: the own profile shows per relation only, HR sees the raters', async () => {
  // Still signed in as HR from the test above.
  const hrTok = await token(page);
  const note = '仅供人事参考的备注';
  const rated = await apiCall('POST', '/behaviour-ratings', hrTok, [
    {employee: EMPLOYEE, item: 'coordination', score: 4, relation: 'peer', period: '2026H2', rater: '同事甲', note},
    {employee: EMPLOYEE, item: 'coordination', score: 6, relation: 'peer', period: '2026H2', rater: '同事乙'},
  ]);
  assert.equal(rated.status, 201, rated.text);
  await page.goto(`${BASE}/#/hr/employee/${EMPLOYEE}`);
  await page.locator('.profile-table tbody tr').first().waitFor();
  await page.locator('.profile-table').getByText(/同事甲/).waitFor();

  await uiLogout(page);
  await uiLogin(page, EMPLOYEE);
  await page.goto(`${BASE}/#/me/profile`);
  await page.getByRole('heading', {name: '我的能力画像'}).waitFor();
  await page.locator('.profile-table tbody tr').first().waitFor();
  await page.locator('.profile-table').getByText('同事 2 人：平均 5.0 分').waitFor();
  // Nowhere in the page's DOM (text, attributes, the chart's data URL): no rater, no note.
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  const decoded = decodeURIComponent(html.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
  for (const secret of ['同事甲', '同事乙', note]) {
    assert.ok(!html.includes(secret) && !decoded.includes(secret), `${secret} is on the employee's page`);
  }
  await shot(page, 'employee-profile.png');
  assert.deepEqual(problems, []);
});

// ---------------------------------------------------------------- management and results views
test('trainer: preview, question edit -> new version, the retire dialog names the blueprint it breaks, the results list', async () => {
  await page.setViewportSize({width: 1280, height: 860});
  if (await page.locator('#logout').count()) await uiLogout(page);
  await uiLogin(page, TRAINER);
  const tok = await token(page);
  const q = (await apiCall('GET', '/questions?item=job_knowledge&type=single&active=true&limit=1', tok)).json.questions[0];
  await page.goto(`${BASE}/#/trainer/questions?q=${encodeURIComponent(q.external_id)}&active=true`);
  const card = page.locator(`li.q-card[data-qid="${q.id}"]`);
  await card.waitFor();
  // Preview: the options as the employee sees them (labels A.. in shown order), no key.
  await card.getByRole('button', {name: /^预览/}).click();
  const pv = page.getByRole('dialog');
  await pv.getByText('员工看到的样子').waitFor();
  assert.equal(await pv.locator('label.option').count(), q.options.length);
  assert.ok(!(await pv.innerText()).includes('答案：'), 'no key in the preview');
  await shot(page, 'trainer-question-preview.png');
  await pv.getByRole('button', {name: '关闭'}).click();

  // Edit: saved as version n + 1, the old version retired.
  await card.getByRole('button', {name: /^修改/}).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByLabel('题干').fill(q.stem + '（浏览器修订）');
  await shot(page, 'trainer-question-edit.png');
  await dlg.getByRole('button', {name: '保存为新版本'}).click();
  await page.locator('#banner').getByText(/已修改/).waitFor();
  const now = (await apiCall('GET', `/questions?q=${encodeURIComponent(q.external_id)}`, tok)).json.questions;
  const active = now.filter((x) => x.active);
  assert.equal(active.length, 1, JSON.stringify(now));
  assert.equal(active[0].version, q.version + 1);
  assert.equal(active[0].stem, q.stem + '（浏览器修订）');
  assert.ok(now.some((x) => x.id === q.id && !x.active), 'the old version is retired');
  await page.locator(`li.q-card[data-qid="${active[0].id}"]`).getByText(`第 ${q.version + 1} 版`).waitFor();

  // A blueprint that needs every question of that cell: the retire dialog names it, before retiring.
  const cell = (await apiCall('GET', `/questions?item=job_knowledge&subtopic=${q.subtopic}&level=${q.level}&active=true&limit=1`, tok)).json.total;
  const old = (await apiCall('GET', `/blueprints/job_knowledge/${q.level}`, tok)).json;
  const tight = {time_limit_seconds: old.time_limit_seconds, max_attempts: old.max_attempts, grading: old.grading,
    draws: [{subtopic: q.subtopic, level: q.level, count: cell}]};
  assert.equal((await apiCall('PUT', `/blueprints/job_knowledge/${q.level}`, tok, tight)).status, 200);
  try {
    await page.locator(`li.q-card[data-qid="${active[0].id}"]`).getByRole('button', {name: /^停用/}).click();
    const rd = page.getByRole('dialog');
    await rd.locator('#retire-impact').getByText(/将无法组卷/).waitFor();
    await rd.locator('#retire-impact').getByText(new RegExp(`需 ${cell} 题，停用后仅剩 ${cell - 1} 题`)).waitFor();
    await shot(page, 'trainer-retire-impact.png');
    await rd.getByRole('button', {name: '取消'}).click();
    const still = (await apiCall('GET', `/questions?q=${encodeURIComponent(q.external_id)}&active=true`, tok)).json.questions;
    assert.equal(still.length, 1, 'cancel retires nothing');
  } finally {
    await apiCall('PUT', `/blueprints/job_knowledge/${q.level}`, tok, {time_limit_seconds: old.time_limit_seconds,
      max_attempts: old.max_attempts, grading: old.grading,
      draws: old.draws.map((d) => ({subtopic: d.subtopic, level: d.level, count: d.count}))});
  }

  // The results list of the exam the employee submitted earlier: 第 1 次, score, CSV.
  const mine = (await apiCall('GET', `/blueprints/${examItem}/intermediate/results`, tok)).json;
  const row = mine.results.find((x) => String(x.attempt_id) === String(attemptId));
  assert.ok(row, 'the submitted attempt is listed');
  await page.goto(`${BASE}/#/trainer/results?item=${examItem}&level=intermediate`);
  const tr = page.locator(`tr[data-attempt="${attemptId}"]`);
  await tr.locator('.attempt-no').getByText(/^第 1 次/).waitFor();
  assert.match(await tr.innerText(), new RegExp(Number(row.standard_score).toFixed(2).replace('.', '\\.')));
  assert.equal(await page.locator('main a[href^="#/hr/employee"]').count(), 0, 'no profile links for trainers');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#results-csv').click()]);
  const csv = fs.readFileSync(await dl.path()).toString('utf-8');
  assert.match(csv, /^\uFEFF工号,姓名,部门,第几次/);
  await shot(page, 'trainer-results.png');
  assert.deepEqual(problems, []);
});

test('hr: the gaps report, the department summary, and a grade change through the edit dialog', async () => {
  await uiLogout(page);
  await uiLogin(page, HR);
  const tok = await token(page);
  const gaps = (await apiCall('GET', '/profiles/gaps', tok)).json.gaps;
  assert.ok(gaps.length >= 1, 'the employee who took an exam has a gap');
  await page.goto(`${BASE}/#/hr/gaps`);
  const rows = page.locator('.gaps-table tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), Math.min(50, gaps.length));
  assert.equal((await rows.first().locator('td').first().innerText()).trim(), gaps[0].name);
  await page.locator('#gaps-search').fill(EMPLOYEE);
  await page.waitForFunction((n) => document.querySelectorAll('.gaps-table tbody tr').length === n,
    gaps.filter((g) => g.username.includes(EMPLOYEE) || g.name.toLowerCase().includes(EMPLOYEE)).length);
  await shot(page, 'hr-gaps.png');

  const sum = (await apiCall('GET', '/profiles/summary', tok)).json;
  await page.goto(`${BASE}/#/hr/summary`);
  await page.locator('.summary-table tbody tr').first().waitFor();
  assert.equal(await page.locator('.summary-table tbody tr').count(), 18);
  const withData = sum.summary.find((x) => x.assessed > 0);
  assert.ok(withData, 'some item has evidence');
  const cells = page.locator(`.summary-table tr[data-item="${withData.item}"]`);
  assert.equal((await cells.locator('td.mean').innerText()).trim(), Number(withData.mean).toFixed(2));
  await shot(page, 'hr-summary.png');

  // Grade 4 -> 3 through 员工查询's edit dialog; the API has it.
  const made = await apiCall('POST', '/users', tok, {username: 'e2e_grade', name: '升级测试', role: 'employee', grade: 4,
    department: '政企三部', password: PASSWORD});
  assert.equal(made.status, 201, made.text);
  await page.goto(`${BASE}/#/hr/employees?q=e2e_grade`);
  const tr = page.locator('tr[data-username="e2e_grade"]');
  await tr.waitFor();
  await tr.getByRole('button', {name: /^编辑/}).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByLabel('职级', {exact: true}).selectOption('3');
  await dlg.getByLabel('职级生效日期').waitFor();
  await dlg.getByLabel('部门').fill('政企客户三部');
  await shot(page, 'hr-employee-edit.png');
  await dlg.getByRole('button', {name: '保存'}).click();
  await page.locator('#banner').getByText(/职级改为/).waitFor();
  await tr.locator('.grade-cell').getByText('3').waitFor();
  const u = (await apiCall('GET', '/users?q=e2e_grade', tok)).json.users[0];
  assert.equal(u.grade, 3);
  assert.equal(u.department, '政企客户三部');
  // The fuzzy department filter finds it by part of the name.
  await page.goto(`${BASE}/#/hr/employees?department_like=${encodeURIComponent('客户三')}`);
  await page.locator('tr[data-username="e2e_grade"]').waitFor();
  assert.deepEqual(problems, []);
});

test('employee: 退出 during an exam asks first and says the clock keeps running', async () => {
  await uiLogout(page);
  await uiLogin(page, EMPLOYEE);
  const card = page.locator('li.exam-card', {has: page.getByRole('button', {name: '开始考试'})}).first();
  await card.getByRole('button', {name: '开始考试'}).click();
  await page.getByRole('dialog').getByRole('button', {name: '确定开始'}).click();
  await page.waitForURL(/#\/exam\/\d+/);
  const url = page.url();
  await page.locator('#timer').getByText(/^\d\d:\d\d$/).waitFor();
  await page.locator('#logout').click();
  const dlg = page.getByRole('dialog');
  await dlg.getByText(/不会暂停考试计时/).waitFor();
  await shot(page, 'exam-logout-warning.png');
  await dlg.getByRole('button', {name: '继续考试'}).click();
  assert.equal(page.url(), url);
  assert.ok(await token(page), 'still signed in');
  // The offline banner while the network is gone.
  await context.setOffline(true);
  await page.locator('#offline-banner').waitFor();
  await context.setOffline(false);
  await page.locator('#offline-banner').waitFor({state: 'hidden'});
  await page.locator('#logout').click();
  await page.getByRole('dialog').getByRole('button', {name: '仍然退出'}).click();
  await page.getByRole('button', {name: '登录'}).waitFor();
  assert.deepEqual(problems, []);
});

// ---------------------------------------------------------------- Chinese everywhere, phones
// Visible text of the page, without what users typed or uploaded (marked translate="no": user
// names, question texts, file ids), as one string.
const visibleText = (p) => p.evaluate(() => {
  const skip = (el) => el.closest('[translate="no"], script, style, noscript');
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || skip(el)) continue;
    const r = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    if (!r.width || !r.height || st.visibility === 'hidden' || el.closest('[hidden]')) continue;
    out.push(n.textContent);
  }
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder], [title], [aria-label]')) {
    if (skip(el)) continue;
    for (const a of ['placeholder', 'title', 'aria-label']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  return out.join('\n');
});

// Codes and names that stay in Latin letters in a Chinese UI.
const ASCII_OK = new Set(['CSV', 'JSON', 'GBK', 'UTF', 'BOM', 'Excel', 'SLA', 'URL', 'IDC', 'SVG', 'PDF', 'SEM',
  'ICT', 'API', 'VPN', 'SDWAN', 'MPLS', 'IPTV', 'CRM', 'KPI', 'SUMIF', 'true', 'false']);

function englishRuns(text) {
  return [...new Set((text.match(/[A-Za-z]{3,}/g) || []).filter((w) => !ASCII_OK.has(w)))];
}

const MAIN_PAGES = {
  employee: ['#/exams', '#/me/profile'],
  trainer: ['#/trainer/banks', '#/trainer/questions', '#/trainer/blueprints', '#/trainer/stats', '#/trainer/results', '#/sessions'],
  hr: ['#/hr/employees', '#/hr/profiles', '#/hr/summary', '#/hr/gaps', '#/hr/readiness', '#/hr/trends', '#/hr/raters', '#/hr/ratings', '#/hr/model', '#/sessions', `#/hr/employee/${EMPLOYEE}`],
};
const ROLE_USER = {employee: EMPLOYEE, trainer: TRAINER, hr: HR};

async function settle(p) {
  await p.locator('#main .loading').first().waitFor({state: 'detached', timeout: 15000}).catch(() => {});
  await p.waitForLoadState('networkidle').catch(() => {});
}

test('every main page of every role: Chinese text only, no horizontal scroll at 390 px, screenshots at both sizes', async () => {
  const found = [];
  const wide = [];
  for (const [role, pages] of Object.entries(MAIN_PAGES)) {
    await page.setViewportSize({width: 1366, height: 768});
    if (await page.locator('#logout').count()) await uiLogout(page);
    await uiLogin(page, ROLE_USER[role]);
    for (const hash of pages) {
      const name = hash.replace(/^#\//, '').replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '');
      await page.setViewportSize({width: 1366, height: 768});
      await page.goto(BASE + '/' + hash);
      await settle(page);
      const bad = englishRuns(await visibleText(page));
      if (bad.length) found.push(`${role} ${hash}: ${bad.join(', ')}`);
      await shot(page, `${role}-${name}-1366.png`);
      await page.setViewportSize({width: 390, height: 844});
      await settle(page);
      const sw = await page.evaluate(() => document.scrollingElement.scrollWidth);
      if (sw > 390) wide.push(`${role} ${hash}: ${sw}px`);
      await shot(page, `${role}-${name}-390.png`);
    }
  }
  await page.setViewportSize({width: 1280, height: 860});
  assert.deepEqual({english: found, wider_than_390: wide}, {english: [], wider_than_390: []});
});

// "员工,能力项,评分,周期\r\n" and "成就导向" in GBK, as Excel on Chinese Windows saves them.
const GBK_HEADER = Buffer.from('d4b1b9a42cc4dcc1a6cfee2cc6c0b7d62cd6dcc6da0d0a', 'hex');
const GBK_ITEM = Buffer.from('b3c9becdb5bccff2', 'hex');

test('hr: a GBK CSV of ratings imported through the page (dry run, then import); errors name Excel rows in Chinese', async () => {
  await page.setViewportSize({width: 1280, height: 860});
  if (await page.locator('#logout').count()) await uiLogout(page);
  await uiLogin(page, HR);
  await page.goto(BASE + '/#/hr/ratings');
  const bad = Buffer.concat([GBK_HEADER, Buffer.from(`${EMPLOYEE},`), GBK_ITEM, Buffer.from(',7,2026H1\r\n')]);
  await page.locator('#ratings-file').setInputFiles({name: '评价.csv', mimeType: 'text/csv', buffer: bad});
  await page.locator('#ratings-dry-run').click();
  const report = page.locator('#ratings-report');
  await report.getByText('试运行发现错误：未导入任何评价').waitFor();
  await report.locator('.error-table').getByText('第 2 行').waitFor();
  await report.locator('.error-table').getByText('评分应为 0–6 的整数，实际为“7”').waitFor();
  assert.deepEqual(englishRuns(await report.innerText()), []);

  const good = Buffer.concat([GBK_HEADER, Buffer.from(`${EMPLOYEE},`), GBK_ITEM, Buffer.from(',5,2026H1\r\n')]);
  await page.locator('#ratings-file').setInputFiles({name: '评价.csv', mimeType: 'text/csv', buffer: good});
  await page.locator('#ratings-dry-run').click();
  await report.getByText('试运行通过：可以正式导入').waitFor();
  await page.locator('#rep-encoding').waitFor();
  await page.locator('#ratings-import').click();
  await report.getByText('导入成功').waitFor();
  assert.equal(await page.locator('#rep-created').innerText(), '1');
  // It is in the records: the employee's profile for that period shows 成就导向 = 5.
  const tok = await token(page);
  const prof = await apiCall('GET', `/employees/${EMPLOYEE}/profile?period=2026H1`, tok);
  assert.equal(prof.status, 200, prof.text);
  const item = prof.json.items.find((i) => i.item === 'achievement_orientation');
  assert.equal(Number(item.actual), 5);
  assert.deepEqual(problems, []);
});

// A datetime-local value in Beijing time, minutes from now.
const shanghaiLocal = (minutes) => new Date(Date.now() + 8 * 3600e3 + minutes * 60e3).toISOString().slice(0, 16);

test('sessions: HR schedules a session in Beijing time; the employee sees it with a countdown, starts it and the exam page shows it; the roster shows the paper', async () => {
  await uiLogout(page);
  await uiLogin(page, HR);
  await page.getByRole('link', {name: '考试安排'}).first().click();
  await page.getByRole('heading', {name: '考试安排', exact: true}).waitFor();
  const title = 'E2E 2026年下半年客户经理知识考试';
  await page.getByLabel('标题').fill(title);
  await page.locator('#item-professional_knowledge').check();
  await page.locator('#session-usernames').fill(EMPLOYEE2);
  await page.locator('#session-opens').fill(shanghaiLocal(-1));
  await page.locator('#session-closes').fill(shanghaiLocal(120));
  await page.locator('#session-results').selectOption('after_close');
  await page.getByRole('button', {name: '创建'}).click();
  await page.locator('#session-form .form-msg').getByText(/已创建/).waitFor();
  const row = page.locator('#session-list tr', {hasText: title});
  await row.waitFor();
  await assertLabelled(page, 'the sessions page');
  await shot(page, 'sessions-list.png');
  const hrTok = await token(page);
  const sessions = (await apiCall('GET', '/sessions', hrTok)).json.sessions;
  const s = sessions.find((x) => x.title === title);
  assert.ok(s, 'the session was created');
  // Beijing time in the form is UTC in the API: 8 hours apart.
  const opened = Date.parse(s.opens_at);
  assert.ok(Math.abs(opened - (Date.now() - 60e3)) < 120e3, `opens_at ${s.opens_at}`);
  // An upcoming session too, for the countdown.
  const later = await apiCall('POST', '/sessions', hrTok, {title: 'E2E 补充考试', items: [{item: 'job_knowledge'}],
    cohort: {usernames: [EMPLOYEE2]}, opens_at: new Date(Date.now() + 3600e3).toISOString(),
    closes_at: new Date(Date.now() + 7200e3).toISOString()});
  assert.equal(later.status, 201, later.text);

  await uiLogout(page);
  await uiLogin(page, EMPLOYEE2);
  await page.getByRole('heading', {name: '我的考试'}).waitFor();
  const upcoming = page.locator(`li.session-card[data-session="${later.json.id}"]`);
  await upcoming.getByText(/距开始 (\d+:)?\d\d:\d\d/).waitFor();
  assert.ok(await upcoming.locator('button').first().isDisabled());
  const card = page.locator(`li.session-card[data-session="${s.id}"]`);
  await card.getByText(/距截止/).waitFor();
  await shot(page, 'employee-sessions.png');
  await card.locator('button[data-item="professional_knowledge"]').click();
  await page.locator('#exam-session').getByText(title).waitFor();
  assert.match(await page.locator('#exam-session').textContent(), /截止 .*北京时间/);
  await answerVisible(page);
  await page.locator('#save-status').getByText('已保存').waitFor();
  await shot(page, 'employee-session-exam.png');

  // Leave the exam page first: 退出 during an exam asks before it logs out.
  await page.goto(`${BASE}/#/exams`);
  await page.getByRole('heading', {name: '我的考试'}).waitFor();
  await uiLogout(page);
  await uiLogin(page, HR);
  await page.goto(`${BASE}/#/sessions/${s.id}`);
  await page.getByRole('heading', {name: new RegExp('考试监控')}).waitFor();
  const mine = page.locator(`#roster-table tr[data-user="${EMPLOYEE2}"]`);
  await mine.waitFor();
  assert.equal(await mine.getAttribute('data-state'), 'in_progress');
  await page.locator('#roster-totals').getByText(/作答中 1/).waitFor();
  await assertLabelled(page, 'the roster page');
  await shot(page, 'session-roster.png');
  assert.deepEqual(problems, []);
});
