/** A grouped bar chart: one group per category, one bar per series. */
export interface BarChart {
  title: string;
  yLabel: string;
  groups: string[];
  series: { name: string; values: (number | undefined)[] }[];
  /** A dashed horizontal line, e.g. 1.0 for "same as the baseline". */
  reference?: { value: number; label: string };
  format?: (v: number) => string;
}

const PALETTE = ['#8c8c8c', '#2b2b2b', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const r1 = (v: number) => Math.round(v * 10) / 10;

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** The chart as a self-contained SVG element (no scripts, no external styles). */
export function barChartSvg(c: BarChart): string {
  const fmt = c.format ?? ((v: number) => v.toFixed(2));
  const nSeries = c.series.length;
  const left = 56;
  const top = 34;
  const plotH = 220;
  const legendRows = Math.ceil(nSeries / 3);
  const right = c.reference ? 64 : 16;
  const width = Math.max(760, left + c.groups.length * (nSeries * 8 + 18) + right);
  const groupW = (width - left - right) / Math.max(1, c.groups.length);
  const barW = Math.min(24, (groupW - 18) / Math.max(1, nSeries));
  const height = top + plotH + 56 + legendRows * 16;
  const values = c.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const maxV = Math.max(c.reference?.value ?? 0, ...values, 1e-9) * 1.08;
  const step = niceStep(maxV, 5);
  const yMax = Math.ceil(maxV / step) * step;
  const y = (v: number) => r1(top + plotH - (v / yMax) * plotH);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escape(c.title)}</text>`);
  for (let v = 0; v <= yMax + step / 2; v += step) {
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${escape(fmt(v))}</text>`);
  }
  out.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escape(c.yLabel)}</text>`);
  c.groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - nSeries * barW) / 2;
    c.series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === undefined || !Number.isFinite(v)) return;
      const h = r1((v / yMax) * plotH);
      const x = r1(x0 + si * barW);
      out.push(`<rect x="${x}" y="${y(v)}" width="${r1(barW - 2)}" height="${h}" fill="${PALETTE[si % PALETTE.length]}"><title>${escape(`${s.name}, ${g}: ${fmt(v)}`)}</title></rect>`);
      if (barW >= 18) out.push(`<text x="${r1(x + (barW - 2) / 2)}" y="${y(v) - 3}" text-anchor="middle" font-size="9" fill="#333">${escape(fmt(v))}</text>`);
    });
    const cx = r1(left + gi * groupW + groupW / 2);
    out.push(`<text x="${cx}" y="${top + plotH + 14}" text-anchor="middle" fill="#333">${escape(g.split(' ')[0])}</text>`);
    out.push(`<text x="${cx}" y="${top + plotH + 27}" text-anchor="middle" fill="#333">${escape(g.split(' ').slice(1).join(' '))}</text>`);
  });
  out.push(`<line x1="${left}" x2="${width - right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`);
  if (c.reference) {
    const ry = y(c.reference.value);
    out.push(`<line x1="${left}" x2="${width - right}" y1="${ry}" y2="${ry}" stroke="#c00" stroke-dasharray="5 3"/>`);
    out.push(`<text x="${width - right + 4}" y="${ry + 4}" fill="#c00">${escape(c.reference.label)}</text>`);
  }
  c.series.forEach((s, si) => {
    const lx = left + (si % 3) * 210;
    const ly = top + plotH + 46 + Math.floor(si / 3) * 16;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/>`);
    out.push(`<text x="${lx + 15}" y="${ly}" fill="#333">${escape(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
