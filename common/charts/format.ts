// Number and label formatting shared by every chart, so the app, the tooltips and the exported
// images print the same value the same way.
import type { Block } from '../domain';

/** Compact step label: 0, 512, 1k, 143k, 1.2M. */
export function formatStep(step: number): string {
  if (!Number.isFinite(step)) return String(step);
  const abs = Math.abs(step);
  if (abs >= 1e6) return `${trimZeros((step / 1e6).toFixed(abs >= 1e7 ? 0 : 1))}M`;
  if (abs >= 1e3) return `${trimZeros((step / 1e3).toFixed(abs >= 1e4 ? 0 : 1))}k`;
  return String(Math.round(step * 1000) / 1000);
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A value as a person reads it in a tooltip: 5 significant digits, exponent when tiny or huge. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3) return v.toExponential(4);
  return trimZeros(v.toPrecision(5));
}

/** Short axis tick label (3 significant digits). */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e6 || abs < 1e-2) return v.toExponential(1).replace('e+', 'e');
  if (abs >= 100) return String(Math.round(v));
  return trimZeros(v.toPrecision(3));
}

/**
 * The two ends of a colour bar or axis as tick labels that differ: formatTick's 3 significant
 * digits, up to 4 more while the two read the same. A narrow range (a run of few checkpoints
 * whose norm moved 14.19 -> 14.24) was labelled "14.2" at both ends.
 */
export function rangeTicks(lo: number, hi: number): [string, string] {
  let a = formatTick(lo);
  let b = formatTick(hi);
  for (let extra = 1; a === b && lo !== hi && extra <= 4; extra++) {
    const f = (v: number) => {
      const abs = Math.abs(v);
      if (v === 0) return '0';
      if (abs >= 1e6 || abs < 1e-2) return v.toExponential(1 + extra).replace('e+', 'e');
      return trimZeros(abs >= 100 ? v.toFixed(extra) : v.toPrecision(3 + extra));
    };
    a = f(lo);
    b = f(hi);
  }
  return [a, b];
}

export function blockLabel(block: Block | null): string {
  if (block === null) return '–';
  return typeof block === 'number' ? `block ${block}` : block;
}

/** Sort key putting embed first, then layers in order, then final and unembed. */
export function blockOrder(block: Block | null): number {
  if (block === null) return 1e9;
  if (block === 'embed') return -1;
  if (block === 'final') return 1e6;
  if (block === 'unembed') return 1e6 + 1;
  return block;
}
