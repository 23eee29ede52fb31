// The script of report.html: draws the report from the JSON in #report-data with Apache ECharts.
// Every text from the results (model names, labels, error text) goes into the page through
// textContent or ECharts' canvas (tooltips in richText mode), never as HTML.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const root = document.getElementById('report');
  document.title = data.title;
  // Every chart drawn, for the browser test: {title, chart} with chart an ECharts instance.
  const charts = [];
  window.inferbenchReport = { data: data, charts: charts };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || (typeof v === 'number' && !isFinite(v))) return '-';
    if (typeof v !== 'number') return String(v);
    return v.toFixed(digits === undefined ? 2 : digits);
  }

  function get(obj, path) {
    let v = obj;
    for (const key of path.split('.')) {
      if (v === null || typeof v !== 'object') return null;
      v = v[key];
    }
    return v === undefined ? null : v;
  }

  function table(headers, rows) {
    const t = el('table');
    const head = t.createTHead().insertRow();
    for (const h of headers) head.appendChild(el('th', null, h));
    const body = t.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const cell of row) tr.appendChild(el('td', null, cell));
    }
    return t;
  }

  // One ECharts line chart of [x, y] series. `series`: [{name, data: [[x, y], ...]}].
  function lineChart(parent, title, xName, yName, series, extra) {
    const box = el('div', 'chart');
    parent.appendChild(box);
    const chart = echarts.init(box, null, { renderer: 'canvas' });
    const option = {
      animation: false,
      title: { text: title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { type: 'scroll', top: 24 },
      grid: { top: 64, left: 64, right: 24, bottom: 48 },
      xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 28, scale: true },
      yAxis: { type: 'value', name: yName, scale: true },
      series: series.map((s) => Object.assign({ type: 'line', showSymbol: s.data.length < 60 }, s)),
    };
    chart.setOption(Object.assign(option, extra || {}));
    charts.push({ title: title, chart: chart });
    return chart;
  }

  // --- throughput versus latency, across every run's load points -----------------------------
  const latencyMetrics = [
    ['ttft_ms', 'TTFT'], ['tpot_ms', 'TPOT'], ['itl_ms', 'ITL'], ['e2e_ms', 'E2E'],
  ];
  const xAxes = {
    requests_per_s: ['throughput.requests_per_s', 'requests/s'],
    output_tokens_per_s: ['throughput.output_tokens_per_s', 'output tokens/s'],
  };

  function curveSeries(metric, stat, xKey) {
    const bySeries = new Map();
    for (const run of data.runs) {
      if (!bySeries.has(run.series)) bySeries.set(run.series, []);
      for (const point of run.points) {
        const x = get(point.summary, xAxes[xKey][0]);
        const y = get(point.summary, 'latency.' + metric + '.' + stat);
        if (typeof x === 'number' && typeof y === 'number') bySeries.get(run.series).push([x, y]);
      }
    }
    return Array.from(bySeries, ([name, points]) => ({ name: name, data: points.sort((a, b) => a[0] - b[0]) }));
  }

  // Sections join the page before their charts are made: ECharts sizes a chart from its box.
  function curvesSection() {
    const section = root.appendChild(el('section'));
    section.appendChild(el('h2', null, 'Throughput versus latency'));
    const controls = el('div', 'controls');
    const statSelect = el('select');
    statSelect.id = 'curve-stat';
    for (const stat of ['p50', 'p90', 'p99', 'mean']) statSelect.appendChild(el('option', null, stat));
    const xSelect = el('select');
    xSelect.id = 'curve-x';
    for (const key of Object.keys(xAxes)) {
      const option = el('option', null, xAxes[key][1]);
      option.value = key;
      xSelect.appendChild(option);
    }
    controls.append('latency ', statSelect, ' against ', xSelect);
    section.appendChild(controls);
    const grid = el('div', 'grid');
    section.appendChild(grid);
    const drawn = latencyMetrics.map(([metric, name]) =>
      lineChart(grid, name + ' vs throughput', xAxes.requests_per_s[1], name + ' p50 (ms)',
                curveSeries(metric, 'p50', 'requests_per_s')));
    function redraw() {
      latencyMetrics.forEach(([metric, name], i) => {
        drawn[i].setOption({
          xAxis: { name: xAxes[xSelect.value][1] },
          yAxis: { name: name + ' ' + statSelect.value + ' (ms)' },
          series: curveSeries(metric, statSelect.value, xSelect.value),
        });
      });
    }
    statSelect.addEventListener('change', redraw);
    xSelect.addEventListener('change', redraw);
  }

  // --- one run: labels, configuration, summary table, CDFs, time series -----------------------
  function summaryRows(run) {
    return run.points.map((p) => {
      const s = p.summary;
      const l = (m, stat) => fmt(get(s, 'latency.' + m + '.' + stat), 1);
      return [p.label, fmt(get(s, 'requests.completed'), 0), fmt(get(s, 'requests.failed'), 0),
              fmt(get(s, 'throughput.requests_per_s')), fmt(get(s, 'throughput.output_tokens_per_s'), 1),
              l('ttft_ms', 'p50'), l('ttft_ms', 'p99'), l('tpot_ms', 'p50'), l('tpot_ms', 'p99'),
              l('itl_ms', 'p50'), l('itl_ms', 'p99'), l('e2e_ms', 'p50'), l('e2e_ms', 'p99'),
              fmt(get(s, 'goodput.requests_per_s'))];
    });
  }

  function failureRows(run) {
    const rows = [];
    for (const p of run.points) {
      const failures = get(p.summary, 'requests.failures') || {};
      for (const label of Object.keys(failures)) rows.push([p.label, label, fmt(failures[label], 0)]);
    }
    return rows;
  }

  function serverRows(run) {
    const rows = [];
    for (const p of run.points) {
      const gauges = get(p.summary, 'server.gauges') || {};
      for (const key of Object.keys(gauges)) {
        const g = gauges[key];
        if (g) rows.push([p.label, key, g.metric, fmt(g.mean, 3), fmt(g.max, 3), fmt(g.samples, 0)]);
      }
    }
    return rows;
  }

  // [key in each point's cdf, chart title, what one sample is]. ITL is token-weighted (each gap
  // split over its chunk's tokens), as summary.json's itl_ms; the longest ITL of each request is
  // what an ITL SLO judges, so it stays, under its own name.
  const cdfMetrics = [
    ['ttft_ms', 'TTFT', 'requests'], ['tpot_ms', 'TPOT', 'requests'],
    ['itl_ms', 'ITL (every token)', 'tokens'], ['inter_chunk_ms', 'Inter-chunk latency (raw gaps)', 'chunk gaps'],
    ['max_itl_ms', 'Longest ITL of each request', 'requests'], ['e2e_ms', 'E2E', 'requests'],
  ];

  function runSection(run, index) {
    const section = root.appendChild(el('section', 'run'));
    section.id = 'run-' + index;
    section.appendChild(el('h2', null, run.name));
    const facts = [['directory', run.path], ['series', run.series], ['model', run.model],
                   ['inferbench', run.version], ['interrupted', run.interrupted ? 'yes' : 'no']];
    for (const key of Object.keys(run.labels)) facts.push(['label ' + key, run.labels[key]]);
    section.appendChild(table(['', ''], facts));
    for (const note of run.notes) section.appendChild(el('p', 'note', note));

    section.appendChild(el('h3', null, 'Summary'));
    section.appendChild(table(['load', 'ok', 'failed', 'req/s', 'out tok/s', 'TTFT p50', 'TTFT p99', 'TPOT p50',
                               'TPOT p99', 'ITL p50', 'ITL p99', 'E2E p50', 'E2E p99', 'goodput req/s'],
                              summaryRows(run)));
    const failures = failureRows(run);
    if (failures.length) section.appendChild(table(['load', 'failure', 'count'], failures));
    const server = serverRows(run);
    if (server.length) {
      section.appendChild(el('h3', null, 'Server metrics (scraped)'));
      section.appendChild(table(['load', 'gauge', 'series', 'mean', 'max', 'samples'], server));
    }

    section.appendChild(el('h3', null, 'Latency distributions (CDF per load point)'));
    const cdfGrid = el('div', 'grid');
    section.appendChild(cdfGrid);
    for (const [metric, name, unit] of cdfMetrics) {
      const series = run.points.filter((p) => p.cdf[metric] && p.cdf[metric].length > 0)
                         .map((p) => ({ name: p.label, step: 'end', data: p.cdf[metric] }));
      if (series.length) lineChart(cdfGrid, name + ' CDF', 'ms', 'fraction of ' + unit, series);
    }

    const t = run.timeline;
    if (t.t.length) {
      section.appendChild(el('h3', null, 'Over the run (' + fmt(t.bucket_s, 2) + ' s buckets, from the first send)'));
      const grid = el('div', 'grid');
      section.appendChild(grid);
      const zip = (ys) => t.t.map((x, i) => [x, ys[i]]);
      lineChart(grid, 'Request rate', 's', 'per second', [
        { name: 'completed/s', data: zip(t.completed_per_s) },
        { name: 'sent/s', data: zip(t.sent_per_s) },
      ]);
      lineChart(grid, 'Output tokens/s', 's', 'tokens/s', [{ name: 'output tokens/s', data: zip(t.output_tokens_per_s) }]);
      lineChart(grid, 'Requests in flight', 's', 'requests', [{ name: 'in flight (mean)', data: zip(t.in_flight) }]);
      lineChart(grid, 'Errors', 's', 'per second', [{ name: 'failed/s', data: zip(t.errors_per_s) }]);
    }

    // The server's own gauges, as scraped during each load point (seconds from its first scrape).
    const gaugeSeries = (key, suffix) => run.points
      .map((p) => ({ name: p.label + suffix, data: get(p.summary, 'server.gauges.' + key + '.series') || [] }))
      .filter((s) => s.data.length > 0);
    const queue = gaugeSeries('running_requests', ' running').concat(gaugeSeries('waiting_requests', ' waiting'));
    const kv = gaugeSeries('kv_cache_usage', '');
    if (queue.length || kv.length) {
      section.appendChild(el('h3', null, 'Server gauges over each load point (scraped, from its first scrape)'));
      const grid = el('div', 'grid');
      section.appendChild(grid);
      if (queue.length) lineChart(grid, 'Server: requests running and waiting', 's', 'requests', queue);
      if (kv.length) lineChart(grid, 'Server: KV-cache usage', 's', 'fraction', kv);
    }

    const details = el('details');
    details.appendChild(el('summary', null, 'Configuration'));
    details.appendChild(table(['key', 'value'], run.config));
    section.appendChild(details);
  }

  const header = el('header');
  header.appendChild(el('h1', null, data.title));
  header.appendChild(el('p', 'note', 'Written by ' + data.generated_by + ' from ' + data.runs.length + ' result director' +
                                         (data.runs.length === 1 ? 'y' : 'ies') + '.'));
  root.appendChild(header);
  curvesSection();
  data.runs.forEach(runSection);
  window.addEventListener('resize', () => charts.forEach((c) => c.chart.resize()));
})();
