// The script of an objimpl report page (inlined by src/report/html.ts; no network, no
// libraries). It draws the timeline and the arena maps as SVG from the JSON in
// #report-data; the size-class tables and text summaries are already in the HTML.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var CELL_CLASS_MUL = 1024;
  var MIB = D.arenaSize;

  // viridis (matplotlib), 9 anchors: colour-blind safe, ordered from small to large classes.
  var VIR = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
  function viridis(t) {
    var x = Math.max(0, Math.min(1, t)) * (VIR.length - 1);
    var i = Math.min(VIR.length - 2, Math.floor(x));
    var f = x - i;
    var c = VIR[i].map(function (v, k) { return Math.round(v + (VIR[i + 1][k] - v) * f); });
    return 'rgb(' + c.join(',') + ')';
  }
  function classColour(c) { return viridis(c / 31); }
  var BLUE = '#0072B2';
  var VERMILLION = '#D55E00';

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    var t = el('text', Object.assign({ x: x, y: y }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  function fmtInt(v) { return Math.round(v).toLocaleString('en-US'); }
  function fmtBytes(v) {
    if (v >= 1048576) return String(Math.round(v / 1048576 * 10) / 10) + ' MiB';
    if (v >= 1024) return (v / 1024).toFixed(0) + ' KiB';
    return fmtInt(v) + ' B';
  }
  function niceTicks(lo, hi, n) {
    var span = hi - lo;
    if (!(span > 0)) return [lo];
    var step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var err = span / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }

  // ---------------------------------------------------------------- timeline
  var T = D.timeline;
  var N = T.events.length;
  var view = { lo: 0, hi: Math.max(1, D.events) };
  var W = 1180, ML = 70, MR = 70;

  function drawTimeline() {
    drawBytes(document.getElementById('tl-bytes'));
    drawBlocks(document.getElementById('tl-blocks'));
  }

  function frame(svg, h) {
    while (svg.lastChild && svg.lastChild.nodeName !== 'title' && svg.lastChild.nodeName !== 'desc') svg.removeChild(svg.lastChild);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + h);
    svg.setAttribute('width', W);
    svg.setAttribute('height', h);
    var defs = el('defs', {}, svg);
    var clip = el('clipPath', { id: svg.id + '-clip' }, defs);
    el('rect', { x: ML, y: 0, width: W - ML - MR, height: h }, clip);
    return el('g', { 'clip-path': 'url(#' + svg.id + '-clip)' }, svg);
  }
  function xOf(ev) { return ML + (ev - view.lo) / (view.hi - view.lo) * (W - ML - MR); }
  // The visible samples, at most one per pixel column (the last one in each column).
  function visibleSamples() {
    var a = 0, b = N - 1;
    while (a < N - 1 && T.events[a + 1] < view.lo) a++;
    while (b > 0 && T.events[b - 1] > view.hi) b--;
    var idx = [];
    for (var k = a; k <= b; k++) {
      var px = Math.floor(xOf(T.events[k]));
      if (idx.length > 0 && Math.floor(xOf(T.events[idx[idx.length - 1]])) === px && k !== a) idx[idx.length - 1] = k;
      else idx.push(k);
    }
    return idx;
  }
  function xAxis(svg, y0) {
    var g = el('g', { class: 'axis' }, svg);
    el('line', { x1: ML, x2: W - MR, y1: y0, y2: y0 }, g);
    niceTicks(view.lo, view.hi, 8).forEach(function (v) {
      var x = xOf(v);
      el('line', { x1: x, x2: x, y1: y0, y2: y0 + 4 }, g);
      text(g, x, y0 + 15, fmtInt(v), { 'text-anchor': 'middle' });
    });
    text(g, W - MR, y0 + 28, 'events replayed', { 'text-anchor': 'end' });
  }
  function yAxis(svg, x, top, bottom, max, fmt, right, label, unit) {
    var g = el('g', { class: 'axis' }, svg);
    el('line', { x1: x, x2: x, y1: top, y2: bottom }, g);
    var u = unit || 1;
    niceTicks(0, max / u, 5).map(function (v) { return v * u; }).forEach(function (v) {
      var y = bottom - v / max * (bottom - top);
      el('line', { x1: x, x2: x + (right ? 4 : -4), y1: y, y2: y }, g);
      text(g, x + (right ? 6 : -6), y + 4, fmt(v), { 'text-anchor': right ? 'start' : 'end' });
    });
    text(g, x, top - 6, label, { 'text-anchor': right ? 'end' : 'start' });
  }
  function rules(svg, top, bottom, labels) {
    var g = el('g', {}, svg);
    D.rules.forEach(function (r) {
      if (r.events < view.lo || r.events > view.hi) return;
      var x = xOf(r.events);
      var rg = el('g', { class: 'rule ' + r.kind, 'data-events': r.events }, g);
      el('line', { x1: x, x2: x, y1: top, y2: bottom }, rg);
      var t = el('title', {}, rg);
      t.textContent = r.kind + ' ' + r.label + ' (event ' + fmtInt(r.events) + ', line ' + r.line + ')';
      if (labels) text(rg, x + 3, top + 2, r.label.split(' ')[0], { transform: 'rotate(90 ' + (x + 3) + ' ' + (top + 2) + ')' });
    });
  }
  function stepPath(xs, ys) {
    var d = '';
    for (var i = 0; i < xs.length; i++) d += (i === 0 ? 'M' : 'H' + xs[i].toFixed(1) + 'V') + (i === 0 ? xs[i].toFixed(1) + ',' + ys[i].toFixed(1) : ys[i].toFixed(1));
    return d;
  }
  function linePath(xs, ys) {
    var d = '';
    for (var i = 0; i < xs.length; i++) d += (i === 0 ? 'M' : 'L') + xs[i].toFixed(1) + ',' + ys[i].toFixed(1);
    return d;
  }

  function drawBytes(svg) {
    var H = 330, top = 24, bottom = H - 40;
    var g = frame(svg, H);
    var idx = visibleSamples();
    var maxY = 1;
    idx.forEach(function (k) { maxY = Math.max(maxY, T.highwater[k] * MIB); });
    var yOf = function (v) { return bottom - v / maxY * (bottom - top); };
    var xs = idx.map(function (k) { return xOf(T.events[k]); });
    var base = xs.map(function () { return 0; });
    for (var c = 0; c < 32; c++) {
      var col = T.blocksByClass[c];
      if (!idx.some(function (k) { return col[k] !== 0; })) continue;
      var size = D.classSizes[c];
      var upper = base.map(function (b, i) { return b + col[idx[i]] * size; });
      var d = linePath(xs, upper.map(yOf));
      for (var i = xs.length - 1; i >= 0; i--) d += 'L' + xs[i].toFixed(1) + ',' + yOf(base[i]).toFixed(1);
      var p = el('path', { d: d + 'Z', fill: classColour(c), stroke: 'none', class: 'class-area', 'data-cls': c }, g);
      el('title', {}, p).textContent = 'class ' + c + ' (' + D.classSizes[c] + ' bytes): bytes in blocks in use';
      base = upper;
    }
    var arenaY = idx.map(function (k) { return yOf(T.narenas[k] * MIB); });
    var hwY = idx.map(function (k) { return yOf(T.highwater[k] * MIB); });
    el('path', { d: stepPath(xs, hwY), fill: 'none', stroke: '#000', 'stroke-width': 1.2, 'stroke-dasharray': '6 3', class: 'highwater-line' }, g);
    el('path', { d: stepPath(xs, arenaY), fill: 'none', stroke: '#000', 'stroke-width': 1.6, class: 'arenas-line' }, g);
    rules(svg, top, bottom, true);
    yAxis(svg, ML, top, bottom, maxY, fmtBytes, false, 'bytes', MIB);
    yAxis(svg, W - MR, top, bottom, maxY / MIB, function (v) { return fmtInt(v); }, true, 'arenas');
    xAxis(svg, bottom);
    brush(svg, top, bottom);
  }

  function drawBlocks(svg) {
    var H = 200, top = 22, bottom = H - 40;
    var g = frame(svg, H);
    var idx = visibleSamples();
    var maxB = 1;
    idx.forEach(function (k) { maxB = Math.max(maxB, T.blocks[k]); });
    var xs = [], by = [], uy = [];
    idx.forEach(function (k) {
      xs.push(xOf(T.events[k]));
      by.push(bottom - T.blocks[k] / maxB * (bottom - top));
      var held = T.narenas[k] * MIB;
      var used = 0;
      for (var c = 0; c < 32; c++) used += T.blocksByClass[c][k] * D.classSizes[c];
      uy.push(bottom - (held > 0 ? used / held : 0) * (bottom - top));
    });
    el('path', { d: linePath(xs, by), fill: 'none', stroke: BLUE, 'stroke-width': 1.6, class: 'blocks-line' }, g);
    el('path', { d: linePath(xs, uy), fill: 'none', stroke: VERMILLION, 'stroke-width': 1.6, 'stroke-dasharray': '2 2', class: 'util-line' }, g);
    rules(svg, top, bottom, false);
    yAxis(svg, ML, top, bottom, maxB, fmtInt, false, 'blocks in use');
    yAxis(svg, W - MR, top, bottom, 1, function (v) { return Math.round(v * 100) + '%'; }, true, 'utilisation');
    xAxis(svg, bottom);
    brush(svg, top, bottom);
  }

  // Drag across a chart to zoom into that range of events; double-click to zoom out.
  function brush(svg, top, bottom) {
    var overlay = el('rect', { x: ML, y: top, width: W - ML - MR, height: bottom - top, fill: 'transparent', class: 'brush-overlay' }, svg);
    var band = null, x0 = 0;
    function svgX(ev) {
      var b = svg.getBoundingClientRect();
      return (ev.clientX - b.left) * (W / b.width);
    }
    overlay.addEventListener('mousedown', function (ev) {
      x0 = svgX(ev);
      band = el('rect', { x: x0, y: top, width: 0, height: bottom - top, class: 'brush', 'pointer-events': 'none' }, svg);
      ev.preventDefault();
    });
    overlay.addEventListener('mousemove', function (ev) {
      if (band === null) return;
      var x1 = Math.max(ML, Math.min(W - MR, svgX(ev)));
      band.setAttribute('x', Math.min(x0, x1));
      band.setAttribute('width', Math.abs(x1 - x0));
    });
    function end(ev) {
      if (band === null) return;
      var x1 = Math.max(ML, Math.min(W - MR, svgX(ev)));
      band.remove();
      band = null;
      if (Math.abs(x1 - x0) < 4) return;
      var toEv = function (x) { return view.lo + (x - ML) / (W - ML - MR) * (view.hi - view.lo); };
      zoom(toEv(Math.min(x0, x1)), toEv(Math.max(x0, x1)));
    }
    overlay.addEventListener('mouseup', end);
    overlay.addEventListener('mouseleave', end);
    overlay.addEventListener('dblclick', function () { zoom(0, Math.max(1, D.events)); });
  }
  function zoom(lo, hi) {
    view.lo = Math.max(0, Math.floor(lo));
    view.hi = Math.max(view.lo + 1, Math.ceil(hi));
    document.getElementById('zoom-range').textContent = view.lo === 0 && view.hi >= D.events
      ? 'the whole trace' : 'events ' + fmtInt(view.lo) + ' to ' + fmtInt(view.hi);
    drawTimeline();
  }
  window.objimplReport = { zoom: zoom, view: view };

  // ---------------------------------------------------------------- arena maps
  var tip = document.getElementById('tooltip');
  var CW = 14, RH = 16, LABEL = 190, RIGHT = 150;

  function cellInfo(code) {
    if (code === -1) return { kind: 'virgin' };
    if (code <= -2) return { kind: 'empty', cls: -2 - code };
    var cls = Math.floor(code / CELL_CLASS_MUL);
    var count = code % CELL_CLASS_MUL;
    return { kind: count === D.blocksPerPool[cls] ? 'full' : 'used', cls: cls, count: count };
  }

  function drawMap(k) {
    var cp = D.checkpoints[k];
    var holder = document.getElementById('map-' + k);
    if (holder.getAttribute('data-drawn') === '1') return;
    holder.setAttribute('data-drawn', '1');
    var rows = cp.arenas;
    var H = 24 + rows.length * RH + 8;
    var width = LABEL + 64 * CW + RIGHT;
    var svg = el('svg', { width: width, height: H, viewBox: '0 0 ' + width + ' ' + H, role: 'img', class: 'arena-map', 'aria-labelledby': 'map-title-' + k + ' map-desc-' + k }, null);
    el('title', { id: 'map-title-' + k }, svg).textContent = 'Arena map at ' + cp.label;
    el('desc', { id: 'map-desc-' + k }, svg).textContent = document.getElementById('map-text-' + k).textContent;
    var defs = el('defs', {}, svg);
    var pat = el('pattern', { id: 'hatch-' + k, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, defs);
    el('rect', { width: 6, height: 6, fill: '#f2f2f2' }, pat);
    el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#999', 'stroke-width': 2 }, pat);
    text(svg, 4, 14, 'arena object / base', {});
    for (var q = 0; q < 64; q += 8) text(svg, LABEL + q * CW, 14, 'pool ' + q, {});
    text(svg, LABEL + 64 * CW + 8, 14, 'usable_arenas pos.', {});
    rows.forEach(function (a, i) {
      var y = 24 + i * RH;
      var g = el('g', {
        class: 'arena-row', 'data-index': a.index, 'data-state': a.state, 'data-address': a.address,
        'data-nfreepools': a.nfreepools, 'data-ntotalpools': a.ntotalpools, 'data-usable': a.usable,
      }, svg);
      text(g, 4, y + 11, '#' + a.index + ' ' + a.address, { class: 'mono' });
      if (a.state === 'released') {
        el('rect', { x: LABEL, y: y + 1, width: 64 * CW - 2, height: RH - 3, fill: 'url(#hatch-' + k + ')', stroke: '#999', class: 'released' }, g);
        text(g, LABEL + 8, y + 11, 'released: the arena was given back (munmap); the object is unused', {});
        return;
      }
      var off = 64 - a.ntotalpools; // an unaligned arena has 63 pools; its first frame is the alignment gap
      if (off > 0) el('rect', { x: LABEL + 3, y: y + 4, width: CW - 8, height: RH - 9, fill: '#555', class: 'gap' }, g);
      if (!cp.detail) {
        text(g, LABEL + 8, y + 11, (a.ntotalpools - a.nfreepools) + ' pools in use, ' + a.nfreepools + ' free (pool detail dropped to keep the page small)', {});
      }
      a.cells.forEach(function (code, p) {
        var info = cellInfo(code);
        var x = LABEL + (p + off) * CW;
        var attrs = { x: x + 0.5, y: y + 0.5, width: CW - 2, height: RH - 3, class: 'pool ' + info.kind, 'data-arena': a.index, 'data-pool': p, 'data-kind': info.kind };
        if (info.cls !== undefined) attrs['data-cls'] = info.cls;
        if (info.count !== undefined) attrs['data-count'] = info.count;
        if (info.kind === 'virgin') { attrs.fill = '#e4e4e4'; attrs.stroke = 'none'; }
        else if (info.kind === 'empty') { attrs.fill = '#fff'; attrs.stroke = '#666'; attrs['stroke-dasharray'] = '2 1'; }
        else { attrs.fill = '#f0f0f0'; attrs.stroke = classColour(info.cls); }
        el('rect', attrs, g);
        if (info.count !== undefined) {
          var f = info.count / D.blocksPerPool[info.cls];
          var h = Math.max(1, f * (RH - 3));
          el('rect', { x: x + 0.5, y: y + 0.5 + (RH - 3 - h), width: CW - 2, height: h, fill: classColour(info.cls), 'pointer-events': 'none' }, g);
        }
      });
      text(g, LABEL + 64 * CW + 8, y + 11, a.usable >= 0 ? String(a.usable) + ' (' + a.nfreepools + ' free)' : (a.nfreepools === 0 ? 'full: not on it' : '-'), {});
    });
    svg.addEventListener('mousemove', function (ev) {
      var t = ev.target;
      var row = t.closest ? t.closest('.arena-row') : null;
      if (row === null) { tip.style.display = 'none'; return; }
      var lines = ['arena object #' + row.getAttribute('data-index') + ' at ' + row.getAttribute('data-address') + ' (' + row.getAttribute('data-state') + ')'];
      if (t.classList.contains('pool')) {
        var kind = t.getAttribute('data-kind');
        lines.push('pool ' + t.getAttribute('data-pool') + ': ' + kind);
        if (kind === 'used' || kind === 'full') {
          var c = Number(t.getAttribute('data-cls'));
          var n = Number(t.getAttribute('data-count'));
          lines.push('class ' + c + ' (' + D.classSizes[c] + ' bytes), count ' + n + ', free blocks ' + (D.blocksPerPool[c] - n) + ' of ' + D.blocksPerPool[c]);
        } else if (kind === 'empty') lines.push('on the arena\'s freepools (last class ' + t.getAttribute('data-cls') + ')');
        else lines.push('never carved');
      } else if (row.getAttribute('data-state') === 'allocated') {
        lines.push(row.getAttribute('data-nfreepools') + ' of ' + row.getAttribute('data-ntotalpools') + ' pools free; usable_arenas position ' + row.getAttribute('data-usable'));
      }
      tip.textContent = lines.join('\n');
      tip.style.display = 'block';
      tip.style.left = Math.min(window.innerWidth - 360, ev.clientX + 14) + 'px';
      tip.style.top = (ev.clientY + 14) + 'px';
    });
    svg.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    holder.appendChild(svg);
  }

  function select(k) {
    document.querySelectorAll('.tabs button').forEach(function (b) {
      b.setAttribute('aria-selected', String(Number(b.getAttribute('data-checkpoint')) === k));
      b.tabIndex = Number(b.getAttribute('data-checkpoint')) === k ? 0 : -1;
    });
    document.querySelectorAll('.cp-panel').forEach(function (p) { p.hidden = Number(p.getAttribute('data-checkpoint')) !== k; });
    drawMap(k);
    document.body.setAttribute('data-selected', String(k));
  }
  document.querySelectorAll('.tabs button').forEach(function (b) {
    b.addEventListener('click', function () { select(Number(b.getAttribute('data-checkpoint'))); });
    b.addEventListener('keydown', function (ev) {
      var n = D.checkpoints.length, k = Number(b.getAttribute('data-checkpoint'));
      if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
        var j = (k + (ev.key === 'ArrowRight' ? 1 : n - 1)) % n;
        select(j);
        document.querySelector('.tabs button[data-checkpoint="' + j + '"]').focus();
      }
    });
  });
  document.getElementById('zoom-reset').addEventListener('click', function () { zoom(0, Math.max(1, D.events)); });

  var t0 = performance.now();
  drawTimeline();
  select(0);
  document.body.setAttribute('data-render-ms', String(Math.round(performance.now() - t0)));
  // Time from navigation start to a drawn page (what `npm run bench:report` reports).
  document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-ready', '1');
})();
