'use strict';
/**
 * A grouped bar chart as SVG, no dependency: one group per case, one bar per tool, each panel on its
 * own scale. Written beside docs/benchmarks.md by the benchmark that measured it.
 */
const COLOURS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#7f7f7f'
];
const esc = s => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** panels: [{ title, unit, values: { case: { tool: number } } }]; tools in legend order. */
function barChart({ title, tools, cases, panels }) {
  const width = 980;
  const left = 230;
  const top = 60;
  const rowHeight = Math.max(6 * tools.length + 8, 20);
  const height = top + panels.length * (cases.length * rowHeight + 70) + 20;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">${esc(title)}</text>`
  ];
  tools.forEach((t, i) => {
    out.push(
      `<rect x="${10 + i * 150}" y="34" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`,
      `<text x="${26 + i * 150}" y="45">${esc(t)}</text>`
    );
  });
  let y = top;
  for (const panel of panels) {
    const max = Math.max(
      1e-9,
      ...cases.flatMap(c => tools.map(t => panel.values[c]?.[t] ?? 0))
    );
    const scale = (width - left - 90) / max;
    out.push(
      `<text x="10" y="${y + 16}" font-weight="bold">${esc(panel.title)}</text>`
    );
    y += 26;
    for (const c of cases) {
      out.push(
        `<text x="${left - 8}" y="${y + rowHeight / 2 + 4}" text-anchor="end">${esc(c)}</text>`
      );
      tools.forEach((t, i) => {
        const v = panel.values[c]?.[t];
        if (v === undefined) return;
        const barY = y + 4 + i * 6;
        out.push(
          `<rect x="${left}" y="${barY}" width="${Math.max(1, v * scale).toFixed(1)}" height="5" fill="${COLOURS[i % COLOURS.length]}"><title>${esc(t)}: ${v.toFixed(2)} ${esc(panel.unit)}</title></rect>`
        );
        out.push(
          `<text x="${(left + v * scale + 4).toFixed(1)}" y="${barY + 5}" font-size="7">${v < 10 ? v.toFixed(2) : v.toFixed(0)}</text>`
        );
      });
      y += rowHeight;
    }
    y += 44;
  }
  out.push('</svg>');
  return out.join('\n');
}

module.exports = { barChart };
