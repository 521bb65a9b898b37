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
  console.error('e2e: the run took longer than 220 s; giving up');
  process.exit(1);
}, 220000);
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
  await p.screenshot({path: path.join(SHOTS, name), fullPage: true});
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
  await page.getByText('标准分').waitFor();
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
  assert.equal((await rows.nth(0).locator('td').nth(0).textContent()).trim(), '2');
  assert.match(await rows.nth(0).locator('td').nth(1).textContent(), /answer/);
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
  await page.getByText('标准分').waitFor();
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
