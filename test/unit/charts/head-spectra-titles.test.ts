// The head-spectrum panels sit two to a row: at 1280 px the one-line subtitle of the power-law QQ
// ran past its panel and cut off α, xmin and KS (seen in docs/screenshots/head-spectra-spectrum).
// The fit's numbers now have their own subtitle line, with the plot moved down to make room.
import { describe, expect, it } from 'vitest';
import { headSpectrumOption, powerLawQqOption } from '../../../common/charts/head-spectra';
import type { HeadSpectrumFrame } from '../../../common/analyses/head-spectra';
import type { FrameLabel } from '../../../common/charts/types';

const frame: HeadSpectrumFrame = {
  rows: 16, cols: 64,
  singular_values: [2.1, 1.0, 0.9, 0.5], shuffled_singular_values: [1.3, 1.1, 0.8, 0.6],
  mp_sigma: 0.1, mp_lower: 0.4, mp_upper: 1.29,
  alpha: 2.538712, alpha_xmin: 0.312345, alpha_ks: 0.123456,
};
const label: FrameLabel = { runName: 'atlas-demo-small', tensor: 'attn.1.head.2.k', component: 'attn.k', block: 1, step: 2600, checkpointId: 'step2600', unit: '' };

function subtitleLines(option: Record<string, unknown>): string[] {
  const title = (option.title as Array<{ subtext: string }>)[0];
  return title.subtext.split('\n');
}

describe('head spectrum panel titles', () => {
  it('the power-law fit is on its own subtitle line, below run, component, block and step', () => {
    const lines = subtitleLines(powerLawQqOption(frame, label) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^atlas-demo-small · attn\.k · block 1 · step 2\.6k/);
    expect(lines[1]).toMatch(/^eigenvalues s² ≥ xmin vs Pareto · α = 2\.5\d*, xmin = 0\.31\d*, KS = 0\.12\d*$/);
    expect(((powerLawQqOption(frame, label) as { grid: { top: number } }).grid.top)).toBeGreaterThanOrEqual(70);
  });

  it('the spectrum panel states spikes and s_max/shuffled on a second line', () => {
    const lines = subtitleLines(headSpectrumOption(frame, label) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\d+ above MP edge · s_max\/shuffled = /);
  });
});
