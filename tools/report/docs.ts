/**
 * `npm run report:docs`: regenerate the screenshots in docs/ that docs/report.md shows.
 * For each fixture trace: `objimpl replay TRACE --stats FILE --report` to a temporary
 * page, opened in headless Chromium at 1280x800 (properties/report/browser.ts); a
 * screenshot of the window (timeline) and one of the arena map at the high-water
 * checkpoint. Fails if the page logs an error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { replayCommand } from '../../src/cli/replay.ts';
import { chromiumInstalled, CHROMIUM, launchChromium } from '../../properties/report/browser.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const names = ['startup', 'json_roundtrip', 'churn', 'threads'];

async function main(): Promise<number> {
  process.chdir(root); // the pages name their traces relative to the repository
  if (!chromiumInstalled()) {
    process.stderr.write(`report:docs: ${CHROMIUM} is not installed (apt-get install -y chromium)\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'objimpl-report-docs-'));
  const browser = await launchChromium({ width: 1280, height: 800 });
  try {
    for (const name of names) {
      const out = join(dir, `${name}.html`);
      const io = { stdout: () => {}, stderr: (t: string) => { process.stderr.write(t); }, progress: () => {} };
      const trace = `fixtures/traces/${name}.trace.gz`;
      const code = await replayCommand([trace, '--stats', `fixtures/traces/${name}.stats`, '--report', out], io);
      if (code !== 0) throw new Error(`replay of ${name} exited ${code}`);
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(out).href);
      await page.waitForSelector('body[data-ready="1"]');
      await page.screenshot({ path: join(root, 'docs', `report-${name}.png`) });
      const hw = await page.$('.tabs button[data-kind="highwater"]');
      if (hw !== null) {
        await hw.click();
        const k = await hw.getAttribute('data-checkpoint');
        const panel = (await page.$(`.cp-panel[data-checkpoint="${k}"]`))!;
        await panel.scrollIntoViewIfNeeded();
        const cell = await page.$(`#map-${k} rect.pool[data-kind="used"]`);
        if (cell !== null) await cell.hover();
        await page.screenshot({ path: join(root, 'docs', `report-${name}-map.png`) });
      }
      if (errors.length > 0) throw new Error(`${name}: the page logged: ${errors.join('; ')}`);
      await page.close();
      process.stdout.write(`docs/report-${name}.png, docs/report-${name}-map.png\n`);
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

main().then((c) => process.exit(c), (e: unknown) => {
  process.stderr.write(`report:docs: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
