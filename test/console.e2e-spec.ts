import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { bootApp, TestApp } from './support/app';
import {
  collectCspViolations,
  launchChromium,
  seriousAccessibilityViolations,
} from './support/browser';
import { testImages } from './support/images';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';
import { startVireo, VireoProcess } from './support/vireo-process';

// Functions given to page.evaluate run in the browser; this program has no DOM types.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any,
  location: any,
  window: any,
  DataTransfer: any,
  DragEvent: any,
  File: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

const ADMIN_API_KEY = 'vir_consoleadmin_0123456789abcdefghijABCDEFGHIJ';
const PASSWORD = 'correct horse battery staple';
const USER = 'ada@example.com';
const ADMIN = 'grace@example.com';

/**
 * `UPDATE_CONSOLE_SCREENSHOTS=1` writes the pictures the README shows (docs/console/);
 * otherwise they go to a temporary folder, taken all the same.
 */
const SCREENSHOTS_IN_DOCS = process.env.UPDATE_CONSOLE_SCREENSHOTS === '1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/**
 * The web console in Debian's Chromium, driven by puppeteer-core, against the built binary
 * on PostgreSQL and Redis (BullMQ): what a user does in it, with axe-core's accessibility
 * check and the served CSP on every page, and the Bull Board queue dashboard's access rules.
 */
jest.setTimeout(300_000);

describe('web console in Chromium', () => {
  const redis = testRedis();
  let database: TestDatabase;
  let dataDir: string;
  let screenshots: string;
  let vireo: VireoProcess;
  let base: string;
  let browser: Browser;

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: { 'x-api-key': ADMIN_API_KEY, 'content-type': 'application/json', ...init.headers },
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vireo-console-'));
    screenshots = SCREENSHOTS_IN_DOCS
      ? join(__dirname, '../docs/console')
      : await mkdtemp(join(tmpdir(), 'vireo-console-shots-'));
    await mkdir(screenshots, { recursive: true });
    database = await createTestDatabase();
    vireo = await startVireo(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        SIGNING_SECRET: 'console-e2e-signing-secret',
        ADMIN_API_KEY,
        INFERENCE_THREADS: '1',
        // The model loads with the first upload: boot stays quick on a busy machine.
        MODEL_PRELOAD: 'false',
        RATE_LIMIT_UPLOADS_PER_MIN: '100000',
        RATE_LIMIT_READS_PER_MIN: '100000',
      },
      [],
      // Booting takes ~4 s of CPU; with the 2 cores shared by many jobs, far longer.
      { readyTimeoutMs: 240_000 },
    );
    // PUBLIC_URL defaults to http://localhost:PORT: the browser uses that origin, so the
    // signed upload links the API hands out are same-origin.
    base = `http://localhost:${vireo.port}`;
    for (const [email, scopes] of [
      [USER, undefined],
      [ADMIN, ['admin']],
    ] as const) {
      const created = await api('/v1/admin/users', {
        method: 'POST',
        body: JSON.stringify({ email, password: PASSWORD, ...(scopes && { scopes }) }),
      });
      expect(created.status).toBe(201);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await vireo?.stop();
    await Promise.all([database?.drop(), deleteRedisKeys(redis)]);
    await rm(dataDir, { recursive: true, force: true });
    if (!SCREENSHOTS_IN_DOCS && screenshots)
      await rm(screenshots, { recursive: true, force: true });
  });

  const accessToken = async (email: string): Promise<string> => {
    const login = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    return ((await login.json()) as { accessToken: string }).accessToken;
  };

  /** A fresh browser context (no cookies, no storage) with one page. */
  const newPage = async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1200, height: 800 });
    return { page, context, cspViolations: collectCspViolations(page) };
  };

  const heading = (page: Page) => page.$eval('h1', (h1) => h1.textContent?.trim());

  const signIn = async (page: Page, email: string) => {
    await page.goto(`${base}/console`);
    await page.waitForSelector('#email');
    await page.type('#email', email);
    await page.type('#password', PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Upload');
  };

  const goTo = async (page: Page, path: string, title: string) => {
    await page.evaluate((hash) => (location.hash = hash), path);
    await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, {}, title);
  };

  /** axe-core finds nothing serious, and a screenshot is kept. */
  const checkPage = async (page: Page, name: string) => {
    expect({ page: name, violations: await seriousAccessibilityViolations(page) }).toEqual({
      page: name,
      violations: [],
    });
    await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  };

  /** Drops files on the drop zone as a drag from the desktop would (a DataTransfer of Files). */
  const dropFiles = (page: Page, files: { name: string; bytes: Buffer; type: string }[]) =>
    page.evaluate(
      (payload) => {
        const transfer = new DataTransfer();
        for (const file of payload) {
          const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
          transfer.items.add(new File([bytes], file.name, { type: file.type }));
        }
        const zone = document.querySelector('.dropzone')!;
        zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true }));
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
      },
      files.map((f) => ({ name: f.name, type: f.type, base64: f.bytes.toString('base64') })),
    );

  it('serves the console as built, under a strict CSP without inline code', async () => {
    const res = await fetch(`${base}/console`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|style=/);
    const bundle = await fetch(`${base}/console/console.js`);
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(1000);
    expect((await fetch(`${base}/console/nothing.js`)).status).toBe(404);
  });

  it("shows the API's error message when sign-in fails", async () => {
    const { page, context } = await newPage();
    await page.goto(`${base}/console`);
    await page.waitForSelector('#email');
    await checkPage(page, 'sign-in');
    await page.type('#email', USER);
    await page.type('#password', 'not the password');
    await page.click('button[type=submit]');
    const alert = await page.waitForSelector('[role=alert]');
    const refusal = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: USER, password: 'not the password' }),
    });
    const { error } = (await refusal.json()) as Json;
    expect(refusal.status).toBe(401);
    expect(await alert!.evaluate((el) => el.textContent)).toBe(`${error.message} (${error.code})`);
    await context.close();
  });

  it('signs in, uploads two images (dropped, and through a presigned link), shows both predictions live, labels one', async () => {
    const { page, context, cspViolations } = await newPage();
    await signIn(page, USER);
    // Set on this document: still there after the uploads means the page never reloaded.
    await page.evaluate(() => (window.marker = 42));

    await dropFiles(page, [
      { name: 'blue.jpg', type: 'image/jpeg', bytes: await testImages.jpeg(96, 64, '#2255aa') },
    ]);
    await page.click('#always-presigned');
    const input = await page.$('#files');
    const orangePath = join(dataDir, 'orange.png');
    await writeFile(orangePath, await testImages.png(80, 80, '#dd7711'));
    await (input as unknown as { uploadFile: (path: string) => Promise<void> }).uploadFile(
      orangePath,
    );

    const uploads = () =>
      page.$$eval('li.upload', (items) => items.map((li) => li.textContent).join(' | '));
    await page
      .waitForFunction(
        () =>
          [...document.querySelectorAll('li.upload')].filter(
            (li) =>
              li.getAttribute('data-status') === 'processed' &&
              li.querySelector('.predictions li') &&
              li.querySelector('img.thumbnail')?.naturalWidth,
          ).length === 2,
        // The first upload loads the model (MODEL_PRELOAD=false): slow on a busy machine.
        { timeout: 150_000 },
      )
      .catch(async (error: Error) => {
        throw new Error(`${error.message}; the page shows: ${await uploads()}`);
      });
    const rows = await page.$$eval('li.upload', (items) =>
      items.map((li) => ({
        id: li.getAttribute('data-image-id'),
        text: li.textContent,
        progress: li.querySelector('progress').value,
      })),
    );
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.text)).toEqual([
      expect.stringMatching(/orange\.png.*presigned.*processed.*moderation v1/s),
      expect.stringMatching(/blue\.jpg.*direct.*processed.*moderation v1/s),
    ]);
    expect(rows.map((r) => r.progress)).toEqual([100, 100]);
    expect(await page.evaluate(() => window.marker)).toBe(42);
    // What the console showed is what the API stored for this user.
    const asUser = { authorization: `Bearer ${await accessToken(USER)}` };
    for (const row of rows) {
      const image = await (await fetch(`${base}/v1/images/${row.id}`, { headers: asUser })).json();
      expect(image).toMatchObject({
        status: 'processed',
        predictions: [expect.objectContaining({ model: 'moderation' })],
      });
    }
    await checkPage(page, 'upload');

    await goTo(page, '/images', 'Images');
    const blueId = rows[1].id!;
    await page.waitForSelector(`tr[data-image-id="${blueId}"] img.thumbnail`);
    await page.type(`#label-${blueId}`, 'sky');
    await page.click(`tr[data-image-id="${blueId}"] button[type=submit]`);
    await page.waitForSelector(`tr[data-image-id="${blueId}"] .saved-label[data-label="sky"]`);
    await page.select('select[name=status]', 'processed');
    await page.type('input[name=label]', 'sky');
    await page.click('.filters button[type=submit]');
    await page.waitForFunction(
      (id) =>
        document.querySelectorAll('tbody tr').length === 1 &&
        document.querySelector(`tr[data-image-id="${id}"]`),
      {},
      blueId,
    );
    await checkPage(page, 'images');
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('has every other page usable: models, reports, API keys, webhooks (no serious axe violations)', async () => {
    const { page, context, cspViolations } = await newPage();
    await signIn(page, ADMIN);

    const classifier = await api('/v1/models', {
      method: 'POST',
      body: JSON.stringify({ name: 'console-shapes', kind: 'classifier' }),
    });
    expect(classifier.status).toBe(201);
    const buttonTexts = () =>
      page.$$eval('.actions button', (buttons) => buttons.map((b) => b.textContent?.trim()));
    const showVersions = async (model: string) => {
      await page.$$eval(
        'button[aria-pressed]',
        (buttons, text) => buttons.find((b) => b.textContent?.trim() === text)?.click(),
        `Versions of ${model}`,
      );
      await page.waitForSelector(`section[aria-label="Versions of ${model}"] .actions`);
    };
    await goTo(page, '/models', 'Models');
    await page.waitForSelector('button[aria-pressed]');
    await showVersions('moderation');
    await page.waitForSelector('article.card');
    expect(await page.$eval('article.card', (el) => el.textContent)).toMatch(/v1.*production/);
    // The bundled model is not trained from labels: no Train button for it.
    expect(await buttonTexts()).toEqual(['Roll back moderation']);
    await checkPage(page, 'models');
    await showVersions('console-shapes');
    expect(await buttonTexts()).toEqual(['Train console-shapes', 'Roll back console-shapes']);

    await goTo(page, '/reports', 'Reports');
    await page.waitForFunction(() => document.querySelector('img.chart, .notice'));
    await checkPage(page, 'reports');

    await goTo(page, '/keys', 'API keys');
    await page.type('#key-name', 'ci uploader');
    await page.click('input[name=scopes][value="images:write"]');
    await page.click('form.card button[type=submit]');
    const shown = await page.waitForSelector('#shown-once');
    expect(await shown!.evaluate((el) => el.value)).toMatch(/^vir_/);
    await page.waitForFunction(() => document.body.textContent?.includes('Revoke ci uploader'));
    await checkPage(page, 'keys');

    await goTo(page, '/webhooks', 'Webhooks');
    await page.type('#hook-url', 'http://127.0.0.1:9/hooks');
    await page.click('input[name=events][value="image.processed"]');
    await page.click('form.card button[type=submit]');
    // A private address is refused by the API, and the page says so in the API's words.
    const alert = await page.waitForSelector('[role=alert]');
    expect(await alert!.evaluate((el) => el.textContent)).toContain('webhook_url_forbidden');
    await checkPage(page, 'webhooks');

    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('is usable from the keyboard: sign in, then reach every page by Tab and Enter', async () => {
    const { page, context } = await newPage();
    await page.goto(`${base}/console`);
    await page.waitForSelector('#email');
    await page.focus('#email');
    await page.keyboard.type(USER);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Upload');
    // The new page's heading takes focus, as a page load would for a screen reader.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    const reached: string[] = [];
    for (const title of ['Images', 'Models', 'Reports', 'API keys', 'Webhooks']) {
      // The navigation comes before the page's heading: Shift+Tab walks back to it.
      for (let tabs = 0; tabs < 20; tabs++) {
        await page.keyboard.down('Shift');
        await page.keyboard.press('Tab');
        await page.keyboard.up('Shift');
        if ((await page.evaluate(() => document.activeElement?.textContent)) === title) break;
      }
      await page.keyboard.press('Enter');
      await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, {}, title);
      reached.push((await heading(page))!);
    }
    expect(reached).toEqual(['Images', 'Models', 'Reports', 'API keys', 'Webhooks']);
    await context.close();
  });

  describe('Bull Board at /admin/queues', () => {
    it('refuses anyone without admin: no credential 401, a user 403, a non-admin key 403', async () => {
      expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
      const cookie = await fetch(`${base}/console/session`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await accessToken(USER)}` },
      });
      expect(cookie.status).toBe(403);
      expect(cookie.headers.get('set-cookie')).toBeNull();
      const key = await api('/v1/keys', {
        method: 'POST',
        body: JSON.stringify({ name: 'reader', scopes: ['images:read'] }),
      });
      const asReader = await fetch(`${base}/admin/queues`, {
        headers: { 'x-api-key': key.body.key },
      });
      expect(asReader.status).toBe(403);
      expect(((await asReader.json()) as Json).error.code).toBe('insufficient_scope');
      const forged = await fetch(`${base}/admin/queues/api/queues`, {
        headers: { cookie: 'vireo_queue_board=someone-else.forged' },
      });
      expect(forged.status).toBe(401);
    });

    it("shows an admin's console login the queues (read-only); an admin key may act", async () => {
      const { page, context } = await newPage();
      await signIn(page, ADMIN);
      const [cookie] = (await context.cookies()).filter((c) => c.name === 'vireo_queue_board');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin/queues' });
      expect(await page.evaluate(() => document.cookie)).toBe('');

      await page.goto(`${base}/admin/queues/`);
      await page.waitForFunction(() => document.body.textContent?.includes('process-image'), {
        timeout: 30_000,
      });
      await page.screenshot({ path: join(screenshots, 'queues.png') });
      const fromPage = await page.evaluate(async () => {
        const res = await fetch('/admin/queues/api/queues/process-image/retry/failed', {
          method: 'PUT',
        });
        return { status: res.status, body: await res.json() };
      });
      expect(fromPage).toMatchObject({
        status: 403,
        body: { error: { code: 'queue_board_read_only' } },
      });
      const asAdmin = await fetch(`${base}/admin/queues/api/queues/process-image/retry/failed`, {
        method: 'PUT',
        headers: { 'x-api-key': ADMIN_API_KEY },
      });
      expect(asAdmin.status).toBe(200);

      // Logging out ends the session, and the cookie with it.
      await page.goto(`${base}/console`);
      await page.waitForSelector('header button');
      await page.click('header button');
      await page.waitForSelector('#email');
      const after = await fetch(`${base}/admin/queues/api/queues`, {
        headers: { cookie: `vireo_queue_board=${cookie.value}` },
      });
      expect(after.status).toBe(401);
      await context.close();
    });

    it('says so on the embedded in-process queue (no BullMQ): 404 queue_board_unavailable', async () => {
      let app: TestApp | undefined;
      try {
        app = await bootApp();
        const res = await app.http().get('/admin/queues').set('x-api-key', ADMIN_API_KEY);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('queue_board_unavailable');
        expect(res.body.error.message).toContain('REDIS_URL');
      } finally {
        await app?.close();
      }
    });
  });
});
