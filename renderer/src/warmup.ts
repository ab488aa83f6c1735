// Warm the chart code while the app sits idle on Home: the first echarts chart of a page pays for
// compiling and initialising the heatmap, axis, title and visual-map code paths (BENCHMARKS.md,
// "Measurements behind design choices"). Drawing one small off-screen panel in an idle moment moves that cost out of
// "open a run -> first heatmap". Nothing stays on the page.
import { colourScaleFor, heatmapOption, type HeatmapPanel } from '../../common/charts';
import { echarts } from './echarts';

export function warmUpCharts(): void {
  const run = () => {
    const el = document.createElement('div');
    el.style.cssText = 'position:absolute;left:-10000px;top:0;width:320px;height:160px';
    el.setAttribute('aria-hidden', 'true');
    document.body.appendChild(el);
    const panel: HeatmapPanel = {
      runId: 'warm-up',
      runName: 'warm-up',
      component: 'mlp.in',
      kind: 'weight',
      metric: { id: 'frobenius_norm', label: 'Frobenius norm', unit: '' },
      steps: [0, 1, 2, 4],
      checkpointIds: ['a', 'b', 'c', 'd'],
      rows: [
        { tensor: 'a', block: 0, values: [1, 2, 3, 4] },
        { tensor: 'b', block: 1, values: [2, 3, 4, 5] },
      ],
    };
    const chart = echarts.init(el);
    chart.setOption(heatmapOption(panel, { stepScale: 'log', colour: colourScaleFor([panel]) }));
    chart.dispose();
    el.remove();
  };
  if ('requestIdleCallback' in window) window.requestIdleCallback(run, { timeout: 2000 });
  else setTimeout(run, 200);
}
