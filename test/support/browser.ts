import { readFile } from 'node:fs/promises';
import puppeteer, { Browser, Page } from 'puppeteer-core';

// Functions given to page.evaluate run in the browser; this program has no DOM types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, window: any;

/** Debian's chromium (scripts/ensure-test-tools.sh installs it); puppeteer-core downloads none. */
export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** Console messages of a page that say the Content-Security-Policy refused something. */
export function collectCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

let axeSource: Promise<string> | undefined;

/**
 * Runs axe-core in the page (evaluated over the DevTools protocol, which the page's CSP does
 * not govern, so the CSP under test stays as served) and answers the serious and critical
 * violations.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    const results = (await window.axe.run(document)) as { violations: AxeViolation[] };
    return results.violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      nodes: nodes.map(({ target }) => ({ target })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
