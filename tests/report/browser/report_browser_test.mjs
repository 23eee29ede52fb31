// Opens report.html in headless Chromium (Debian's chromium, driven by puppeteer-core) and checks
// what a reader would see: no console error, no page error, no dialog and no network request;
// every chart drew its data, checked through ECharts (each series' data) and in the pixels of
// its canvas; strings from the results shown as text, never run. Saves a full-page screenshot.
// Usage: node report_browser_test.mjs REPORT.html SCREENSHOT.png EXPECT.json
// EXPECT.json (written by report_browser_test.sh from the result files): {"curves": {series:
// points}, "runs": [{"points": [completed, ...], "itl": [ITL samples, ...], "gaps": [inter-chunk
// samples, ...]}], "title": ..., "texts": [strings shown]}.
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const [reportPath, screenshotPath, expectPath] = process.argv.slice(2);
const expected = JSON.parse(fs.readFileSync(expectPath, 'utf8'));
const failures = [];
const fail = (message) => failures.push(message);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // CI runs as root, where Chromium's sandbox cannot start.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') fail('console error: ' + m.text()); });
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  page.on('dialog', async (d) => { fail('a dialog opened (script injected?): ' + d.message()); await d.dismiss(); });
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) fail('network request: ' + r.url());
  });
  await page.setViewport({ width: 1400, height: 1000 });
  await page.goto('file://' + path.resolve(reportPath), { waitUntil: 'load' });

  const seen = await page.evaluate(() => {
    const report = window.inferbenchReport;
    if (!report) return null;
    return {
      title: document.title,
      text: document.body.innerText,
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      charts: report.charts.map((c) => {
        const canvas = c.chart.getDom().querySelector('canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;  // pixels that are not the white background
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3] > 0 && (pixels[i] < 200 || pixels[i + 1] < 200 || pixels[i + 2] < 200)) inked++;
        }
        return {
          title: c.title,
          inked: inked,
          series: c.chart.getOption().series.map((s) => ({ name: s.name, length: s.data.length })),
        };
      }),
    };
  });
  if (!seen) throw new Error('window.inferbenchReport is missing: the page script did not run');

  if (seen.title !== expected.title) fail(`title ${JSON.stringify(seen.title)}, expected ${JSON.stringify(expected.title)}`);
  if (seen.images !== 0) fail(`${seen.images} <img> elements: markup from the results was parsed`);
  if (seen.scripts !== 3) fail(`${seen.scripts} <script> elements, expected the page's 3`);
  for (const text of expected.texts) {
    if (!seen.text.includes(text)) fail('not shown as text: ' + JSON.stringify(text));
  }

  const perRun = 10;  // 6 CDFs and 4 time series, then the server's gauges when it was scraped
  const offsets = [];
  let wantCharts = 4;
  for (const run of expected.runs) {
    offsets.push(wantCharts);
    wantCharts += perRun + run.server;
  }
  if (seen.charts.length !== wantCharts) fail(`${seen.charts.length} charts, expected ${wantCharts}`);
  for (const chart of seen.charts) {
    if (chart.series.length === 0) fail(`${chart.title}: no series`);
    for (const s of chart.series) if (s.length === 0) fail(`${chart.title}: series ${s.name} is empty`);
    if (chart.inked < 2000) fail(`${chart.title}: only ${chart.inked} pixels drawn`);
  }
  // Throughput-latency: one line per series, one point per load point.
  for (const chart of seen.charts.slice(0, 4)) {
    const got = Object.fromEntries(chart.series.map((s) => [s.name, s.length]));
    if (JSON.stringify(got, Object.keys(got).sort()) !== JSON.stringify(expected.curves, Object.keys(expected.curves).sort())) {
      fail(`${chart.title}: lines ${JSON.stringify(got)}, expected ${JSON.stringify(expected.curves)}`);
    }
  }
  // Each run's TTFT CDF: one line per load point, one point per successful request (≤ 400).
  expected.runs.forEach((run, i) => {
    const cdf = seen.charts[offsets[i]];
    if (!cdf.title.startsWith('TTFT')) { fail(`run ${i}: chart ${cdf.title} where its TTFT CDF should be`); return; }
    const got = cdf.series.map((s) => s.length);
    const want = run.points.map((n) => Math.min(n, 400));
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(`run ${i} TTFT CDF lengths ${got}, expected ${want}`);
  });
  // Each run's CDFs, by title: the ITL is over every token (weighted), beside the raw chunk gaps
  // and the longest ITL of each request, each line as long as summary.json counts its samples.
  const cdfTitles = ['TTFT CDF', 'TPOT CDF', 'ITL (every token) CDF', 'Inter-chunk latency (raw gaps) CDF',
                     'Longest ITL of each request CDF', 'E2E CDF'];
  expected.runs.forEach((run, i) => {
    const titles = seen.charts.slice(offsets[i], offsets[i] + cdfTitles.length).map((c) => c.title);
    if (JSON.stringify(titles) !== JSON.stringify(cdfTitles)) fail(`run ${i}: CDFs ${JSON.stringify(titles)}`);
    for (const [title, counts] of [['ITL (every token) CDF', run.itl], ['Inter-chunk latency (raw gaps) CDF', run.gaps]]) {
      const chart = seen.charts.slice(offsets[i]).find((c) => c.title === title);
      const got = chart ? chart.series.map((s) => s.length) : [];
      const want = counts.map((n) => Math.min(n, 400));
      if (JSON.stringify(got) !== JSON.stringify(want)) fail(`run ${i} ${title} lengths ${got}, expected ${want}`);
    }
    // The server's gauges come last, when it was scraped.
    const server = seen.charts.slice(offsets[i] + perRun, offsets[i] + perRun + run.server);
    for (const chart of server) if (!chart.title.startsWith('Server:')) fail(`run ${i}: ${chart.title} where a server gauge should be`);
  });
  await page.screenshot({ path: screenshotPath, fullPage: true });
  console.log(`report_browser_test: ${seen.charts.length} charts drawn, screenshot ${screenshotPath}`);
} finally {
  await browser.close();
}
if (failures.length) {
  for (const f of failures) console.error('FAIL: ' + f);
  process.exit(1);
}
