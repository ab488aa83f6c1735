// Synthetic "seed" runs for the comparison specs: step-folder runs named
// <demo>-seed<N>, made from the bundled tiny demo's checkpoints with every float16 weight
// multiplied by a known factor. Scaling makes the expected values closed forms: a seed run's
// Frobenius norm is factor x the demo's (to float16 rounding), so a seed group's mean and band
// over (demo, seed1, seed2) are known exactly from the demo's own values. Written by hand: a
// safetensors header is 8 bytes of length and JSON, and float16 rounding is a few lines.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, root, test, type RunSummary } from './fixtures';

export const DEMO_HUB = join(root, 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny');

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float16 bits -> number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** number -> float16 bits, round to nearest even (via float32, whose extra rounding is far below a half's). */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (exp << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** A safetensors file with every F16 tensor multiplied by `factor`. */
export function scaledSafetensors(bytes: Buffer, factor: number): Buffer {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const out = Buffer.from(bytes);
  const base = 8 + n;
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__' || t.dtype !== 'F16') continue;
    for (let o = base + t.data_offsets[0]; o < base + t.data_offsets[1]; o += 2) out.writeUInt16LE(toHalf(fromHalf(bytes.readUInt16LE(o)) * factor), o);
  }
  return out;
}

/** The demo's steps (refs/stepN), sorted. */
export function demoSteps(): number[] {
  return readdirSync(join(DEMO_HUB, 'refs'))
    .filter((r) => /^step\d+$/.test(r))
    .map((r) => Number(r.slice(4)))
    .sort((a, b) => a - b);
}

/**
 * Write <dir>/atlas-demo-tiny-seed<N>/step_<s>/ for each factor (seed N = position + 1) at `steps`;
 * returns the run folders.
 */
export function writeSeedRuns(dir: string, factors: readonly number[], steps: readonly number[]): string[] {
  return factors.map((factor, k) => {
    const folder = join(dir, `atlas-demo-tiny-seed${k + 1}`);
    for (const step of steps) {
      const commit = readFileSync(join(DEMO_HUB, 'refs', `step${step}`), 'utf8').trim();
      const at = join(folder, `step_${step}`);
      mkdirSync(at, { recursive: true });
      // config and tokenizer files as they are; the weights scaled.
      for (const f of readdirSync(join(DEMO_HUB, 'snapshots', commit))) if (f !== 'model.safetensors') copyFileSync(join(DEMO_HUB, 'snapshots', commit, f), join(at, f));
      writeFileSync(join(at, 'model.safetensors'), scaledSafetensors(readFileSync(join(DEMO_HUB, 'snapshots', commit, 'model.safetensors')), factor));
    }
    return folder;
  });
}

type ApiOk = (method: string, body?: object) => Promise<any>;

/**
 * The comparison specs' runs: the two bundled demo runs and step-folder copies of the tiny demo
 * scaled by `factors` (writeSeedRuns, opened in the library as atlas-demo-tiny-seed1, -seed2, ...)
 * at the demo steps `pick` chooses. Skips the test when a demo run is missing.
 */
export async function openDemoAndSeedRuns(
  apiOk: ApiOk,
  dir: string,
  factors: readonly number[],
  pick: (demoSteps: readonly number[]) => number[],
): Promise<{ tiny: RunSummary; small: RunSummary; seeds: RunSummary[] }> {
  const { runs } = (await apiOk('listRuns')) as { runs: RunSummary[] };
  const tiny = runs.find((r) => r.name === 'atlas-demo-tiny');
  const small = runs.find((r) => r.name === 'atlas-demo-small');
  test.skip(!tiny || !small, 'needs both bundled demo runs');
  check(tiny && small, 'both bundled demo runs are listed');
  const all = demoSteps();
  const opened = (await apiOk('openPaths', { paths: writeSeedRuns(dir, factors, pick(all).filter((s) => all.includes(s))) })) as { runs: RunSummary[] };
  const seeds = factors.map((_, i) => opened.runs.find((r) => r.name === `atlas-demo-tiny-seed${i + 1}`));
  check(seeds.every((r) => r !== undefined), `every seed run opened: ${JSON.stringify(opened)}`);
  return { tiny, small, seeds: seeds as RunSummary[] };
}
